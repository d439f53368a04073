"""Reads for the invoice screens and the dashboard (always inside the request's tenant scope), and the NRS queue
and NRS's health as people and operators see them from outside: dashboard, admin banner, /status and /metrics.
The platform-wide reads (`platform_…`, `nrs_call_latency`) are for operators and the public status page: they
return totals only, never a business's name or count."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from integrations.nrs.client import base_url_for, base_url_for_environment
from integrations.nrs.models import NrsCall, NrsHost
from invoicing.balance import output_vat, outstanding_total
from invoicing.models import Invoice, Kind
from invoicing.wording import timeline_message
from tenants.models import Tenant

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
        # What the list says and shows beside the status: the amount due and, for a problem, the plain sentence
        # (invoicing/wording.py); read here so that no row costs a query of its own.
        "amount_paid",
        "attempts",
        "next_attempt_at",
        "nrs_reason",
        "nrs_detail",
        "block_reason",
        "block_detail",
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
    "email.queued": "E-mail to the buyer queued",
    "email.sent": "E-mailed to the buyer",
    "email.retry_scheduled": "E-mail not sent yet",
    "email.failed": "E-mail not sent",
    "nrs.irn_validate": "IRN validated",
    "nrs.validate": "Validated by NRS",
    "nrs.sign": "Signed by NRS",
    "nrs.confirm": "Confirmed with NRS",
    "nrs.transmit": "Transmitted",
    "invoice.acknowledged": "Acknowledged by the buyer",
    "nrs.retry_scheduled": "Trying again shortly",
    "nrs.waiting": "Waiting for NRS",
    "nrs.requeued": "Sent again after an interruption",
    "nrs.reconciled": "Checked with NRS",
    "invoice.original_unchecked": "Corrected invoice not checked yet",
    "nrs.original_confirmed": "Corrected invoice found at NRS",
}


@dataclass(frozen=True)
class TimelineEntry:
    at: object
    kind: str
    message: str
    who: str

    @property
    def label(self) -> str:
        return LABELS.get(self.kind, _("Update"))  # a kind not named yet is still no code on the screen

    @property
    def text(self) -> str:
        """The message, unless it only repeats the label ("Created" / "Created.")."""
        return "" if self.message.rstrip(".").lower() == str(self.label).lower() else self.message


def invoice_timeline(invoice: Invoice) -> list[TimelineEntry]:
    """What happened to the invoice, in business terms, oldest first. The HTTP calls behind it are apart
    (`invoice_nrs_calls`): the page shows them only under "Technical details"."""
    return [
        TimelineEntry(
            e.created_at,
            e.kind,
            timeline_message(e.kind, e.message, e.created_at),
            str(e.actor or e.actor_key or "Flowpoint"),
        )
        for e in invoice.events.select_related("actor", "actor_key")
    ]


def invoice_nrs_calls(invoice: Invoice) -> list[NrsCall]:
    """Every call Flowpoint made to NRS for the invoice, as sent and as answered, oldest first."""
    if not invoice.irn:
        return []
    return list(NrsCall.objects.filter(reference=invoice.irn).order_by("created_at", "id"))


def dashboard(tenant) -> dict:
    counts = dict(Invoice.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    attention = Invoice.objects.filter(status__in=ATTENTION).order_by("-updated_at")[:10]
    b2c_due = (
        Invoice.objects.filter(kind=Kind.B2C, submitted_at__isnull=False)
        .exclude(status__in=(Status.REPORTED, Status.DRAFT))
        .order_by("submitted_at")[:10]
    )
    today = timezone.localdate()
    return {
        "counts": [(s, Status(s).label, counts.get(s, 0)) for s in Status.values],
        "total": sum(counts.values()),
        "attention": attention,
        "b2c_due": b2c_due,
        "outstanding": outstanding_total(Invoice.objects.all()),
        "vat_month": output_vat(Invoice.objects.all(), today.replace(day=1), today),
        "month": today,
        "chart": daily_chart(),
    }


def daily_chart(days: int = 30) -> dict:
    """Documents certified or reported, and the VAT they charged, per day: two bar charts with their own scales
    (a count and an amount of naira never share an axis), drawn as SVG server-side."""
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    rows = (
        Invoice.objects.filter(status__in=Invoice.CERTIFIED_STATUSES, issue_date__gte=start, issue_date__lte=today)
        .values("issue_date")
        .annotate(n=Count("id"), vat=Sum("tax_total_ngn"))  # in naira, as VAT is accounted
    )
    by_day = {r["issue_date"]: (r["n"], Decimal(r["vat"] or 0)) for r in rows}
    series = [(start + timedelta(days=i), *by_day.get(start + timedelta(days=i), (0, Decimal(0)))) for i in range(days)]
    return {
        "total_n": sum(n for _, n, _ in series),
        "total_vat": sum((v for _, _, v in series), Decimal(0)),
        "count": _bars([(day, n) for day, n, _ in series], money=False),
        "vat": _bars([(day, vat) for day, _, vat in series], money=True),
    }


def _nice_top(value) -> Decimal:
    """The axis top: the smallest 1, 2 or 5 × 10ⁿ at or above the largest value (1 for an empty chart)."""
    value = Decimal(value)
    if value <= 0:
        return Decimal(1)
    step = Decimal(10) ** (len(str(int(value))) - 1)
    for factor in (1, 2, 5, 10):
        if value <= factor * step:
            return factor * step
    return 10 * step


def _bars(series, *, money: bool) -> dict:
    """One measure per chart: bars over the days, a y axis from 0 to a round top with a middle tick."""
    width, gap, height, left = 8, 3, 100, 0
    top = _nice_top(max((value for _, value in series), default=0))
    if not money and top % 2:
        top += 1  # whole invoices: the middle tick stays a whole number
    bars = []
    for i, (day, value) in enumerate(series):
        h = round(height * float(Decimal(value) / top))
        bars.append(
            {"day": day, "value": value, "x": left + i * (width + gap), "y": height - h, "h": h, "label": i % 7 == 0}
        )
    return {
        "bars": bars,
        "width": len(series) * (width + gap),
        "height": height,
        "bar_width": width,
        "ticks": [(height, Decimal(0)), (height // 2, top / 2), (0, top)],
        "money": money,
    }


# --- The NRS queue and NRS's health, seen from outside -----------------------------------------------------------
# The banner reads on every page an admin opens, /metrics on every scrape: each read is one query, off an index
# where one serves (nrs_call_latency and the B2C clock read rows; the clock only while NRS is away).

B2C_SOON = timedelta(hours=4)  # the banner counts B2C invoices whose 24-hour reporting deadline is this close


@dataclass(frozen=True)
class NrsQueue:
    waiting: int  # PENDING: queued for NRS, or waiting for a retry
    in_flight: int  # SUBMITTING: being sent now
    # Created at, not queued at (no such field): for an invoice that waited for review first, this overstates.
    oldest_waiting_at: datetime | None

    def oldest_waiting_seconds(self, now: datetime | None = None) -> float:
        if self.oldest_waiting_at is None:
            return 0.0
        return max(0.0, ((now or timezone.now()) - self.oldest_waiting_at).total_seconds())


def _queue(invoices) -> NrsQueue:
    found = invoices.filter(status__in=(Status.PENDING, Status.SUBMITTING)).aggregate(
        waiting=Count("pk", filter=Q(status=Status.PENDING)),
        in_flight=Count("pk", filter=Q(status=Status.SUBMITTING)),
        oldest=Min("created_at", filter=Q(status=Status.PENDING)),
    )
    return NrsQueue(found["waiting"], found["in_flight"], found["oldest"])


def nrs_queue(tenant: Tenant) -> NrsQueue:
    """One business's invoices waiting for NRS and being sent now (read off the tenant+status+created_at index)."""
    return _queue(Invoice.objects.filter(tenant=tenant))


def platform_nrs_queue() -> NrsQueue:
    """Every business's together: operators' totals, never shown per business."""
    with scopes_disabled():
        return _queue(Invoice.objects.all())


@dataclass(frozen=True)
class B2cClock:
    """The waiting B2C invoices against their 24-hour reporting deadline (submitted_at + 24 h)."""

    waiting: int
    nearest_deadline: datetime | None
    due_soon: int  # the deadline falls within the next B2C_SOON
    overdue: int  # the deadline has passed

    @property
    def soon_hours(self) -> int:
        return int(B2C_SOON.total_seconds() // 3600)


def b2c_clock(tenant: Tenant, now: datetime | None = None) -> B2cClock:
    now = now or timezone.now()
    day = timedelta(hours=24)
    found = Invoice.objects.filter(
        tenant=tenant, status=Status.PENDING, kind=Kind.B2C, submitted_at__isnull=False
    ).aggregate(
        waiting=Count("pk"),
        first=Min("submitted_at"),
        soon=Count("pk", filter=Q(submitted_at__gt=now - day, submitted_at__lte=now + B2C_SOON - day)),
        overdue=Count("pk", filter=Q(submitted_at__lte=now - day)),
    )
    nearest = found["first"] + day if found["first"] else None
    return B2cClock(found["waiting"], nearest, found["soon"], found["overdue"])


@dataclass(frozen=True)
class NrsOutage:
    """What an admin's banner says while the business's NRS host is unreachable or asked us to slow down."""

    unreachable: bool  # the circuit is open: nothing is sent until a probe finds NRS again
    since: datetime | None  # the first failure in the row that opened it
    paused_until: datetime | None  # NRS's Retry-After, when it asked us to slow down
    waiting: int  # this business's invoices only
    b2c: B2cClock


def nrs_host(base_url: str) -> NrsHost | None:
    """The shared row of one NRS host, as stored (no row yet: nothing has gone wrong with it)."""
    return NrsHost.objects.filter(base_url=base_url.rstrip("/")).first()


def nrs_outage(tenant: Tenant, now: datetime | None = None) -> NrsOutage | None:
    """None while the business's NRS host answers normally: then only the host's row is read (by its unique URL)."""
    now = now or timezone.now()
    host = nrs_host(base_url_for(tenant))
    if host is None:
        return None
    unreachable = host.circuit == NrsHost.Circuit.OPEN
    paused = host.paused_until if host.paused_until and host.paused_until > now else None
    if not unreachable and not paused:
        return None
    waiting = Invoice.objects.filter(tenant=tenant, status=Status.PENDING).count()
    return NrsOutage(unreachable, host.failing_since if unreachable else None, paused, waiting, b2c_clock(tenant, now))


@dataclass(frozen=True)
class NrsReachability:
    label: str  # "NRS" or "NRS sandbox": the public status page names no business
    reachable: bool
    since: datetime | None


def nrs_reachability() -> list[NrsReachability]:
    """One line per NRS host a business may send to: live first, then the sandbox (if it is another host)."""
    urls: dict[str, str] = {}
    for environment, label in ((Tenant.Environment.LIVE, _("NRS")), (Tenant.Environment.SANDBOX, _("NRS sandbox"))):
        urls.setdefault(base_url_for_environment(environment), label)
    rows = {row.base_url: row for row in NrsHost.objects.filter(base_url__in=urls)}
    found = []
    for url, label in urls.items():
        row = rows.get(url)
        down = row is not None and row.circuit == NrsHost.Circuit.OPEN
        found.append(NrsReachability(label, not down, row.failing_since if down else None))
    return found


def nrs_hosts() -> list[NrsHost]:
    """Every NRS host's shared state (a handful of rows), for /metrics."""
    return list(NrsHost.objects.order_by("base_url"))


def platform_invoice_outcomes() -> dict[str, int]:
    """Invoices NRS certified (CERTIFIED or REPORTED) and invoices that failed, every business together."""
    with scopes_disabled():
        found = Invoice.objects.filter(status__in=(Status.CERTIFIED, Status.REPORTED, Status.FAILED)).aggregate(
            certified=Count("pk", filter=Q(status__in=Invoice.CERTIFIED_STATUSES)),
            failed=Count("pk", filter=Q(status=Status.FAILED)),
        )
    return {"certified": found["certified"], "failed": found["failed"]}


LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)  # seconds


@dataclass(frozen=True)
class LatencyRow:
    endpoint: str
    outcome: str
    buckets: list[tuple[float, int]]  # (upper bound in seconds, calls at most that long): cumulative
    count: int
    sum_seconds: float


def nrs_call_latency(buckets=LATENCY_BUCKETS) -> list[LatencyRow]:
    """Every NRS call ever made, per endpoint and outcome, counted into cumulative latency buckets in one query.

    The whole table is read on each call (a scan, not an index look-up): fine for a scrape every 15 s up to a few
    million calls; beyond that, roll old calls up into a table of their own."""
    per_bucket = {f"le_{i}": Count("pk", filter=Q(duration_ms__lte=round(le * 1000))) for i, le in enumerate(buckets)}
    with scopes_disabled():
        rows = (
            NrsCall.objects.order_by()
            .values("endpoint", "outcome")
            .annotate(count=Count("pk"), total_ms=Sum("duration_ms"), **per_bucket)
            .order_by("endpoint", "outcome")
        )
        return [
            LatencyRow(
                row["endpoint"],
                row["outcome"],
                [(le, row[f"le_{i}"]) for i, le in enumerate(buckets)],
                row["count"],
                (row["total_ms"] or 0) / 1000,
            )
            for row in rows
        ]
