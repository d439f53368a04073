from django.apps import AppConfig
from django.db.models.signals import post_migrate

from portal.queueing import keep_scheduled


def ensure_schedules(**kwargs):
    from django.conf import settings

    keep_scheduled("sweep-invoices", "invoicing.tasks.sweep_invoices", minutes=1)
    # PDFs of certified invoices, when no submission is waiting
    keep_scheduled("render-pdfs", "invoicing.tasks.render_pdfs", minutes=1)
    # CSV batches whose validation or submission task was lost
    keep_scheduled("sweep-batches", "invoicing.batch_tasks.sweep_batches", minutes=5)
    # every business's received invoices, from NRS (invoicing/purchases/pull.py)
    keep_scheduled(
        "pull-purchases", "invoicing.purchases.tasks.pull_all_purchases", minutes=settings.PURCHASES_PULL_MINUTES
    )
    # sent B2B/B2G invoices: delivered, acknowledged by the buyer (invoicing/purchases/delivery.py)
    keep_scheduled(
        "check-deliveries", "invoicing.purchases.tasks.check_deliveries", minutes=settings.DELIVERY_CHECK_MINUTES
    )
    # B2C reporting deadlines 4 hours away or missed (invoicing/notices.py)
    keep_scheduled("b2c-deadlines", "invoicing.notices.b2c_deadlines", minutes=5)
    # NRS unreachable for 15 minutes, and back: admins are told (integrations/nrs/outages.py)
    keep_scheduled("nrs-outages", "integrations.nrs.outages.nrs_outage_check", minutes=5)
    # a sample of recent invoices compared with NRS's own copies, hourly (invoicing/nrs_copy.py)
    keep_scheduled("nrs-copies", "invoicing.nrs_copy.nrs_copies_check")


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = "Invoicing"

    def ready(self):
        from django_q.signals import post_spawn

        from invoicing import dispatch, setup

        post_migrate.connect(ensure_schedules, sender=self)
        setup.connect_signals()
        post_spawn.connect(dispatch.mark_worker_process, dispatch_uid="invoicing-dispatch-worker")
