from django.apps import AppConfig
from django.db.models.signals import post_migrate

from portal.queueing import keep_scheduled


def ensure_schedules(**kwargs):
    keep_scheduled("housekeeping", "portal.tasks.housekeeping")


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        post_migrate.connect(ensure_schedules, sender=self)
