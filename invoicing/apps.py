from django.apps import AppConfig
from django.db.models.signals import post_migrate


def ensure_schedules(**kwargs):
    """The periodic tasks exist once, whatever the number of migrations or processes."""
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


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = "Invoicing"

    def ready(self):
        from django_q.signals import post_spawn

        from invoicing import dispatch, setup

        post_migrate.connect(ensure_schedules, sender=self)
        setup.connect_signals()
        post_spawn.connect(dispatch.mark_worker_process, dispatch_uid="invoicing-dispatch-worker")
