"""The admins are told when NRS has not answered for more than 15 minutes, and again when it answers again.

A scheduled check reads each NRS host's circuit (integrations/nrs/hosts.py). An outage is named by its host and
its first failure (failing_since), so each business's admins hear of it once, and of its end once.
"""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django_scopes import scope

from integrations.nrs.client import base_url_for_environment
from integrations.nrs.models import NrsHost
from tenants.models import Membership, Notification, Tenant
from tenants.notifications import members, notify

UNREACHABLE_FOR = timedelta(minutes=15)
RECENT = timedelta(days=7)  # an outage longer than this is still told as over; older notices are not looked at


def nrs_outage_check(now=None) -> int:
    now = now or timezone.now()
    hosts = {host.base_url: host for host in NrsHost.objects.all()}
    told = 0
    for environment, _label in Tenant.Environment.choices:
        base_url = base_url_for_environment(environment)
        host = hosts.get(base_url)
        if host is None:
            continue
        down = host.circuit == NrsHost.Circuit.OPEN and host.failing_since
        for tenant in Tenant.objects.filter(environment=environment):
            if not tenant.has_nrs_credentials:
                continue
            if down and host.failing_since <= now - UNREACHABLE_FOR:
                told += _down(tenant, host)
            elif not down:
                told += _back(tenant, host, now)
    return told


def _down(tenant, host) -> int:
    since = date_format(timezone.localtime(host.failing_since), "j M Y, H:i")  # Africa/Lagos
    return len(
        notify(
            tenant,
            members(tenant, Membership.Role.ADMIN),
            Notification.Kind.NRS_OUTAGE,
            "NRS is not answering",
            f"NRS has not answered since {since} (Lagos time). Your invoices wait in the queue and are sent "
            "as soon as it answers again; nothing is lost. You will be told when it is back.",
            reverse("dashboard"),
            f"nrs-down:{host.pk}:{host.failing_since.isoformat()}",
        )
    )


def _back(tenant, host, now) -> int:
    told = 0
    with scope(tenant=tenant):
        downs = set(
            Notification.objects.filter(
                kind=Notification.Kind.NRS_OUTAGE, key__startswith=f"nrs-down:{host.pk}:", created_at__gte=now - RECENT
            ).values_list("key", flat=True)
        )
        backs = set(
            Notification.objects.filter(
                kind=Notification.Kind.NRS_OUTAGE, key__startswith=f"nrs-back:{host.pk}:", created_at__gte=now - RECENT
            ).values_list("key", flat=True)
        )
    for key in sorted(downs):
        outage = key.removeprefix("nrs-down:")
        if f"nrs-back:{outage}" in backs:
            continue
        told += len(
            notify(
                tenant,
                members(tenant, Membership.Role.ADMIN),
                Notification.Kind.NRS_OUTAGE,
                "NRS is answering again",
                "NRS answers again. The invoices that waited are being sent now, in the order they were queued.",
                reverse("dashboard"),
                f"nrs-back:{outage}",
            )
        )
    return told
