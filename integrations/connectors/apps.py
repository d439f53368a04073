from django.apps import AppConfig
from django.db.models.signals import post_migrate

from portal.queueing import keep_scheduled


def ensure_schedules(**kwargs):
    # One schedule runs every connector that is due (each connector keeps its own interval).
    keep_scheduled("sync-connectors", "integrations.connectors.tasks.sync_due_connectors", minutes=1)


class ConnectorsConfig(AppConfig):
    name = "integrations.connectors"
    label = "connectors"
    verbose_name = "Connectors"

    def ready(self):
        from integrations.connectors import odoo, quickbooks, sftp, sync  # noqa: F401  (each kind registers itself)
        from invoicing import events

        post_migrate.connect(ensure_schedules, sender=self)
        # Invoicing never imports connectors: it publishes invoice events, and a certified (or failed) invoice that
        # came from a connector has its IRN, QR and status written back to its source.
        events.listen(sync.invoice_event_heard)
