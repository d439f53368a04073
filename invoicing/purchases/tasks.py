"""django-q2 entry points of the buyer's side: thin, load by id, call the service, safe to run twice."""

from django.db.models import Q

from invoicing.purchases import delivery
from invoicing.purchases.pull import purchases_pull
from invoicing.purchases.services import PULL_TASK
from portal.queueing import enqueue
from tenants.models import Tenant


def pull_purchases(tenant_id: str) -> dict:
    """Pull one business's received invoices (the schedule's fan-out, or its "Check now")."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None or not nrs_set_up(tenant):
        return {"received": 0, "seen": 0, "error": "not set up"}
    result = purchases_pull(tenant)
    return {"received": result.received, "seen": result.seen, "error": result.error}


def nrs_set_up(tenant: Tenant) -> bool:
    """What a pull needs: the business's TIN (NRS routes invoices to buyers by TIN), its NRS identity and
    credentials. (Its location and crypto key are needed to issue invoices, not to receive them.)"""
    return bool(tenant.tin and tenant.nrs_business_id and tenant.nrs_service_id and tenant.has_nrs_credentials)


def pull_all_purchases() -> int:
    """Every PURCHASES_PULL_MINUTES: a pull task per business whose NRS set-up is complete, so that one slow or
    failing business never holds up the others. Returns how many were queued."""
    candidates = Tenant.objects.filter(nrs_business_id__isnull=False).exclude(Q(nrs_service_id="") | Q(tin=""))
    queued = 0
    for tenant in candidates.only("pk", "tin", "nrs_business_id", "nrs_service_id", "nrs_api_key", "nrs_api_secret"):
        if nrs_set_up(tenant):  # the credentials are encrypted: checked here, not in the query
            enqueue(PULL_TASK, str(tenant.pk))
            queued += 1
    return queued


def check_deliveries() -> dict:
    """Every DELIVERY_CHECK_MINUTES: where this portal's sent B2B/B2G invoices stand with their buyers."""
    return delivery.deliveries_check()
