from django.apps import AppConfig
from django.db.models.signals import post_migrate


def ensure_schedules(**kwargs):
    """The periodic tasks exist once, whatever the number of migrations or processes."""
    from django.conf import settings
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name="sweep-invoices",
        defaults={"func": "invoicing.tasks.sweep_invoices", "schedule_type": Schedule.MINUTES, "minutes": 1},
    )
    Schedule.objects.update_or_create(
        name="render-pdfs",  # PDFs of certified invoices, when no submission is waiting
        defaults={"func": "invoicing.tasks.render_pdfs", "schedule_type": Schedule.MINUTES, "minutes": 1},
    )
    Schedule.objects.update_or_create(
        name="sweep-batches",  # CSV batches whose validation or submission task was lost
        defaults={"func": "invoicing.batch_tasks.sweep_batches", "schedule_type": Schedule.MINUTES, "minutes": 5},
    )
    Schedule.objects.update_or_create(
        name="pull-purchases",  # every business's received invoices, from NRS (invoicing/purchases/pull.py)
        defaults={
            "func": "invoicing.purchases.tasks.pull_all_purchases",
            "schedule_type": Schedule.MINUTES,
            "minutes": settings.PURCHASES_PULL_MINUTES,
        },
    )
    Schedule.objects.update_or_create(
        name="check-deliveries",  # sent B2B/B2G invoices: delivered, acknowledged by the buyer (purchases/delivery.py)
        defaults={
            "func": "invoicing.purchases.tasks.check_deliveries",
            "schedule_type": Schedule.MINUTES,
            "minutes": settings.DELIVERY_CHECK_MINUTES,
        },
    )
    Schedule.objects.update_or_create(
        name="b2c-deadlines",  # B2C reporting deadlines 4 hours away or missed (invoicing/notices.py)
        defaults={"func": "invoicing.notices.b2c_deadlines", "schedule_type": Schedule.MINUTES, "minutes": 5},
    )
    Schedule.objects.update_or_create(
        name="nrs-outages",  # NRS unreachable for 15 minutes, and back: admins are told (integrations/nrs/outages.py)
        defaults={"func": "integrations.nrs.outages.nrs_outage_check", "schedule_type": Schedule.MINUTES, "minutes": 5},
    )
    Schedule.objects.update_or_create(
        name="nrs-copies",  # a sample of recent invoices compared with NRS's own copies (invoicing/nrs_copy.py)
        defaults={"func": "invoicing.nrs_copy.nrs_copies_check", "schedule_type": Schedule.HOURLY},
    )


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = "Invoicing"

    def ready(self):
        from django_q.signals import post_spawn

        from invoicing import dispatch, setup

        post_migrate.connect(ensure_schedules, sender=self)
        setup.connect_signals()
        post_spawn.connect(dispatch.mark_worker_process, dispatch_uid="invoicing-dispatch-worker")
