from django.apps import AppConfig
from django.db.models.signals import post_migrate


def ensure_schedules(**kwargs):
    """The webhook sweeper exists once, whatever the number of migrations or processes."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name="sweep-webhooks",
        defaults={
            "func": "integrations.webhooks.tasks.sweep_webhooks",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
        },
    )


class WebhooksConfig(AppConfig):
    name = "integrations.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        post_migrate.connect(ensure_schedules, sender=self)
