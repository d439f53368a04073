from django.apps import AppConfig
from django.db.models.signals import post_migrate


def ensure_schedules(**kwargs):
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name="housekeeping",
        defaults={"func": "portal.tasks.housekeeping", "schedule_type": Schedule.HOURLY},
    )


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        post_migrate.connect(ensure_schedules, sender=self)
