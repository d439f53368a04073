from django.apps import AppConfig
from django.db.models.signals import post_migrate

from portal.queueing import keep_scheduled


def ensure_schedules(**kwargs):
    keep_scheduled("sweep-webhooks", "integrations.webhooks.tasks.sweep_webhooks", minutes=1)


class WebhooksConfig(AppConfig):
    name = "integrations.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from integrations.webhooks import services
        from integrations.webhooks.models import WebhookEndpoint
        from invoicing import events, setup

        post_migrate.connect(ensure_schedules, sender=self)
        # Invoicing never imports webhooks: it publishes its invoice events, and keeps the endpoint in its copy
        # of a business's set-up (read by every create, which records the event in its own transaction).
        events.listen(services.webhook_emit)
        events.listen_purchases(services.webhook_emit_purchase)
        setup.extend(services.SETUP_ENDPOINT, services.tenant_endpoint, WebhookEndpoint)
