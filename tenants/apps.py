from django.apps import AppConfig
from django.db.models.signals import post_migrate

from portal.queueing import keep_scheduled


def ensure_schedules(**kwargs):
    """The daily digest of notifications (tenants/notifications.py), at 07:00 Lagos time; once, however many
    migrations or processes."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone
    from django_q.models import Schedule

    today = timezone.localdate()
    first = timezone.make_aware(datetime.combine(today, time(7)))
    if first <= timezone.now():
        first += timedelta(days=1)
    Schedule.objects.get_or_create(
        name="notification-digests",
        defaults={
            "func": "tenants.notifications.send_daily_digests",
            "schedule_type": Schedule.DAILY,
            "next_run": first,
        },
    )
    # API keys, the crypto-key file and the NRS credentials expiring in 30, 7 and 1 days: the admins are told.
    Schedule.objects.filter(name="api-keys-expiring").delete()  # the first schedule, for API keys only
    keep_scheduled("credentials-expiring", "tenants.notifications.credentials_expiring")


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants"

    def ready(self):
        post_migrate.connect(ensure_schedules, sender=self)
