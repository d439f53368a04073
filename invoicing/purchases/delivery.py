"""Delivery of this portal's own B2B/B2G invoices to their buyers, read from NRS's transmit lookup.

A certified B2B/B2G invoice was transmitted to the buyer's access point; NRS's lookup then says TRANSMITTED
(delivered there) and, once the buyer confirmed receipt, CONFIRMED. The schedule (DELIVERY_CHECK_MINUTES) looks
up the invoices not acknowledged yet and certified less than DELIVERY_WINDOW ago, and sets delivered_at,
buyer_acknowledged_at and delivery_checked_at. The first time the acknowledgement is seen, the invoice's timeline
gets "invoice.acknowledged" in the same transaction (published to the apps above, as every timeline entry is).

Kind to NRS: an invoice is looked up again only after a spacing that grows with its age (`SPACING`), a run
looks up at most CHECKS_PER_RUN invoices (longest unchecked first), and nothing is asked of a host whose circuit
is open or that asked for a pause; a run stops asking a host as soon as it stops answering.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from integrations.nrs import hosts
from integrations.nrs.client import NrsClient, base_url_for_environment
from integrations.nrs.errors import NrsError, NrsTransient
from invoicing.dispatch import host_slot
from invoicing.models import Invoice, Kind
from invoicing.purchases.pull import nrs_moment
from invoicing.services import event

logger = logging.getLogger(__name__)
ACKNOWLEDGED = "invoice.acknowledged"
DELIVERY_WINDOW = timedelta(days=30)  # after this, a buyer that never acknowledged is not asked about any more
CHECKS_PER_RUN = 100  # lookups per run: a run stays well inside a worker's task timeout
# (certified within, look again after): fresh invoices often, older ones now and then.
SPACING = (
    (timedelta(hours=1), timedelta(minutes=5)),
    (timedelta(days=1), timedelta(minutes=30)),
    (timedelta(days=7), timedelta(hours=3)),
    (DELIVERY_WINDOW, timedelta(hours=12)),
)


def due(now) -> Q:
    """B2B/B2G invoices transmitted (so certified), not acknowledged, certified within the window, and due
    another look. Read off the partial index invoice_delivery_due: no `status` term, which would lead SQLite's
    planner to the status index and a walk over every certified invoice."""
    never = Q(delivery_checked_at__isnull=True)
    spaced = Q()
    younger_than = None
    for age, every in SPACING:
        band = Q(certified_at__gte=now - age, delivery_checked_at__lte=now - every)
        if younger_than is not None:
            band &= Q(certified_at__lt=now - younger_than)
        spaced |= band
        younger_than = age
    return Q(
        kind__in=(Kind.B2B, Kind.B2G),
        transmitted_at__isnull=False,
        buyer_acknowledged_at__isnull=True,
        certified_at__gte=now - DELIVERY_WINDOW,
    ) & (never | spaced)


def deliveries_check(*, now=None, limit: int = CHECKS_PER_RUN) -> dict:
    """Look up the invoices due a check; counts of what was looked up and what changed."""
    now = now or timezone.now()
    report = {"checked": 0, "delivered": 0, "acknowledged": 0, "skipped_hosts": 0}
    held: dict[str, bool] = {}
    with scopes_disabled():
        candidates = list(
            Invoice.objects.filter(due(now))
            .select_related("tenant")
            .order_by(F("delivery_checked_at").asc(nulls_first=True), "certified_at")[:limit]
        )
    for invoice in candidates:
        base_url = base_url_for_environment(invoice.tenant.environment)
        if base_url not in held:
            held[base_url] = not _host_open_to_us(base_url)
            report["skipped_hosts"] += held[base_url]
        if held[base_url]:
            continue
        try:
            with host_slot(base_url, "delivery") as room:
                if not room:  # the host's limit is taken by invoices in flight: they go first, lookups wait
                    held[base_url] = True
                    report["skipped_hosts"] += 1
                    continue
                found = NrsClient(invoice.tenant, base_url=base_url).transmit_lookup(invoice.irn)
        except NrsTransient as exc:
            if exc.host_down or exc.throttled:
                held[base_url] = True  # the rest wait for the next run
                report["skipped_hosts"] += 1
                continue
            found = None
        except NrsError as exc:  # unknown IRN, refused credentials: look again after the spacing, not every run
            logger.info("Delivery lookup of %s failed: %s", invoice.irn, exc)
            found = None
        changed = delivery_record(invoice, found or {}, now=timezone.now())
        report["checked"] += 1
        for key in changed:
            report[key] += 1
    return report


def _host_open_to_us(base_url: str) -> bool:
    state = hosts.state(base_url)
    if state.accepting(timezone.now()):
        return True
    return bool(state.open and hosts.probe_if_due(base_url))


def delivery_record(invoice: Invoice, found: dict, *, now) -> list[str]:
    """Record what NRS's lookup said of `invoice`; returns what changed ("delivered", "acknowledged")."""
    status = str(found.get("status") or "").upper()
    changed = []
    with scope(tenant=invoice.tenant), transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        locked.delivery_checked_at = now
        fields = ["delivery_checked_at"]
        if status in ("TRANSMITTED", "CONFIRMED") and not locked.delivered_at:
            locked.delivered_at = nrs_moment(found.get("transmitted_at")) or now
            fields.append("delivered_at")
            changed.append("delivered")
        if status == "CONFIRMED" and not locked.buyer_acknowledged_at:
            locked.buyer_acknowledged_at = nrs_moment(found.get("confirmed_at")) or now
            fields.append("buyer_acknowledged_at")
            changed.append("acknowledged")
        locked.save(update_fields=fields)
        if "acknowledged" in changed:
            event(locked, ACKNOWLEDGED, "The buyer confirmed to NRS that they received this invoice.")
    return changed
