"""Reads for the invoice screens and the dashboard (always inside the request's tenant scope)."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from integrations.nrs.models import NrsCall
from invoicing.models import Invoice, Kind

Status = Invoice.Status
ATTENTION = (Status.FAILED, Status.BLOCKED, Status.PENDING_REVIEW, Status.PENDING_APPROVAL)


def invoice_search(params) -> tuple:
    """The invoice list with its filters: status, kind, type, dates and free text."""
    qs = Invoice.objects.only(
        "id",
        "kind",
        "invoice_type",
        "document_number",
        "irn",
        "issue_date",
        "status",
        "payable",
        "currency",
        "buyer",
        "payment_status",
        "created_at",
        "submitted_at",
        "block_reason",
    )
    status = params.get("status", "")
    if status == "attention":
        qs = qs.filter(status__in=ATTENTION)
    elif status in Status.values:
        qs = qs.filter(status=status)
    if params.get("kind") in Kind.values:
        qs = qs.filter(kind=params["kind"])
    if params.get("type") in Invoice.Type.values:
        qs = qs.filter(invoice_type=params["type"])
    if params.get("from"):
        qs = qs.filter(issue_date__gte=params["from"])
    if params.get("to"):
        qs = qs.filter(issue_date__lte=params["to"])
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.filter(
            Q(document_number__icontains=q) | Q(irn__icontains=q) | Q(buyer__name__icontains=q) | Q(buyer__tin=q)
        )
    return qs.order_by("-created_at")


LABELS = {
    "invoice.created": "Created",
    "invoice.updated": "Draft updated",
    "invoice.held": "Held",
    "invoice.reviewed": "Reviewed",
    "invoice.approved": "Approved",
    "invoice.rejected": "Rejected",
    "invoice.pending": "Queued for NRS",
    "invoice.retried": "Retried",
    "invoice.certified": "Certified",
    "invoice.reported": "Reported",
    "invoice.failed": "Failed",
    "invoice.payment_updated": "Payment recorded",
    "invoice.payment_failed": "Payment not reported",
    "nrs.irn_validate": "IRN validated",
    "nrs.validate": "Validated by NRS",
    "nrs.sign": "Signed by NRS",
    "nrs.confirm": "Confirmed with NRS",
    "nrs.transmit": "Transmitted",
    "nrs.retry_scheduled": "Retry scheduled",
    "nrs.reconciled": "Checked with NRS",
}


@dataclass(frozen=True)
class TimelineEntry:
    at: object
    kind: str
    message: str
    who: str
    call: NrsCall | None = None

    @property
    def label(self) -> str:
        return LABELS.get(self.kind, self.kind)


def invoice_timeline(invoice: Invoice) -> list[TimelineEntry]:
    """Every state change and every NRS call (with what NRS said), oldest first."""
    entries = [
        TimelineEntry(e.created_at, e.kind, e.message, str(e.actor or e.actor_key or "Flowpoint"))
        for e in invoice.events.select_related("actor", "actor_key")
    ]
    if invoice.irn:
        entries += [
            TimelineEntry(c.created_at, f"nrs.call.{c.endpoint}", c.message, "NRS", c)
            for c in NrsCall.objects.filter(reference=invoice.irn)
        ]
    return sorted(entries, key=lambda e: e.at)


def dashboard(tenant) -> dict:
    counts = dict(Invoice.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    attention = Invoice.objects.filter(status__in=ATTENTION).order_by("-updated_at")[:10]
    b2c_due = (
        Invoice.objects.filter(kind=Kind.B2C, submitted_at__isnull=False)
        .exclude(status__in=(Status.REPORTED, Status.DRAFT))
        .order_by("submitted_at")[:10]
    )
    return {
        "counts": [(s, Status(s).label, counts.get(s, 0)) for s in Status.values],
        "total": sum(counts.values()),
        "attention": attention,
        "b2c_due": b2c_due,
        "chart": daily_chart(),
    }


def daily_chart(days: int = 30) -> dict:
    """Invoices issued and VAT charged per day (certified or reported), drawn as SVG bars server-side."""
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    rows = (
        Invoice.objects.filter(
            status__in=(Status.CERTIFIED, Status.REPORTED), issue_date__gte=start, issue_date__lte=today
        )
        .values("issue_date")
        .annotate(n=Count("id"), vat=Sum("tax_total"))
    )
    by_day = {r["issue_date"]: (r["n"], r["vat"] or Decimal(0)) for r in rows}
    series = [(start + timedelta(days=i), *by_day.get(start + timedelta(days=i), (0, Decimal(0)))) for i in range(days)]
    top_n = max((n for _, n, _ in series), default=0) or 1
    top_vat = max((v for _, _, v in series), default=Decimal(0)) or Decimal(1)
    # Two bars a day, side by side: invoices (scaled to the busiest day) and VAT (to the largest VAT day).
    width, height, gap = 9, 100, 6
    bars = []
    for i, (day, n, vat) in enumerate(series):
        h_n = round(height * n / top_n)
        h_vat = round(height * float(vat / top_vat))
        x = i * (2 * width + gap)
        bars.append(
            {
                "day": day,
                "n": n,
                "vat": vat,
                "x_n": x,
                "y_n": height - h_n,
                "h_n": h_n,
                "x_vat": x + width,
                "y_vat": height - h_vat,
                "h_vat": h_vat,
                "label": i % 7 == 0,
            }
        )
    return {
        "bars": bars,
        "width": days * (2 * width + gap),
        "height": height,
        "bar_width": width,
        "total_n": sum(n for _, n, _ in series),
        "total_vat": sum((v for _, _, v in series), Decimal(0)),
    }
