from django.apps import AppConfig
from django.db.models.signals import post_migrate


def ensure_schedules(**kwargs):
    """One schedule runs every connector that is due (each connector keeps its own interval)."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name="sync-connectors",
        defaults={
            "func": "integrations.connectors.tasks.sync_due_connectors",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
        },
    )


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
