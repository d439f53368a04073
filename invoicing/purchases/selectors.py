"""Reads for the purchase inbox, the suppliers list and the dashboard (inside the request's tenant scope)."""

import re
from datetime import timedelta

from django.db.models import Case, Count, DecimalField, F, Q, Sum, When
from django.utils import timezone
from django.utils.dateparse import parse_date

from invoicing.models import Invoice, Kind, PurchasePull, ReceivedInvoice, Supplier
from invoicing.purchases.vat import month_bounds

Status = ReceivedInvoice.Status
UNACKNOWLEDGED_AFTER = timedelta(days=7)
MONTH = re.compile(r"^\d{4}-\d{2}$")


def received_search(params):
    """The inbox with its filters: supplier (its id, or words of its name or TIN), period (`from`/`to`, or a
    `month` as YYYY-MM) and status. Newest issue date first."""
    qs = ReceivedInvoice.objects.select_related("supplier")
    if params.get("supplier"):
        try:
            qs = qs.filter(supplier_id=int(params["supplier"]))
        except ValueError:
            qs = qs.none()
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(
            Q(supplier__name__icontains=q)
            | Q(supplier__tin__icontains=q)
            | Q(document_number__icontains=q)
            | Q(irn__icontains=q)
        )
    month = params.get("month") or ""
    if MONTH.match(month):
        start, end = month_bounds(month)
        qs = qs.filter(issue_date__gte=start, issue_date__lte=end)
    for key, lookup in (("from", "issue_date__gte"), ("to", "issue_date__lte")):
        day = parse_date(params.get(key) or "") if _is_date(params.get(key)) else None
        if day:
            qs = qs.filter(**{lookup: day})
    if params.get("status") in Status.values:
        qs = qs.filter(status=params["status"])
    return qs.order_by("-issue_date", "-received_at")


def _is_date(text) -> bool:
    try:
        return bool(text and parse_date(text))
    except ValueError:  # 2026-02-31: well formed, no such day
        return False


def last_pull(tenant) -> PurchasePull | None:
    return PurchasePull.objects.filter(tenant=tenant).first()


def supplier_list(params):
    """Suppliers with how many documents they sent and what those come to (credit notes count negative)."""
    signed_payable = Case(
        When(invoices__invoice_type=Invoice.Type.CREDIT_NOTE, then=-F("invoices__payable")),
        default=F("invoices__payable"),
        output_field=DecimalField(max_digits=18, decimal_places=2),
    )
    qs = Supplier.objects.annotate(document_count=Count("invoices"), received_total=Sum(signed_payable))
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(tin__icontains=q) | Q(email__icontains=q))
    return qs.order_by("name")


def new_received_count() -> int:
    return ReceivedInvoice.objects.filter(status=Status.NEW).count()


def unacknowledged_by_buyer(limit: int = 10):
    """Certified B2B/B2G invoices sent to the buyer more than 7 days ago that the buyer has not acknowledged."""
    return (
        Invoice.objects.filter(
            kind__in=(Kind.B2B, Kind.B2G),
            status=Invoice.Status.CERTIFIED,
            transmitted_at__lt=timezone.now() - UNACKNOWLEDGED_AFTER,
            buyer_acknowledged_at__isnull=True,
        )
        .only("id", "invoice_type", "document_number", "buyer", "transmitted_at", "status")
        .order_by("transmitted_at")[:limit]
    )
