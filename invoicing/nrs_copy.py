"""NRS's own copy of a certified invoice (confirm and download), compared with ours.

What NRS holds is what counts for the tax authority: a difference in totals or parties means the two records
disagree, and the business should know. Each check stores its result on the invoice (`nrs_checked_at`,
`nrs_differences`); the invoice page and the admins' list show the differences in plain words. A schedule checks
a sample of recent invoices of every business (`nrs_copies_check`).
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from integrations.nrs.errors import NrsError, NrsNotFound
from invoicing.models import Invoice
from invoicing.nrs_now import NrsUnavailable, nrs_now
from invoicing.templatetags.money import format_money
from tenants.models import Tenant
from tenants.notifications import Kind, Role, members, notify

logger = logging.getLogger(__name__)

SAMPLE_SIZE = 20  # per business and run
SAMPLE_DAYS = 7  # certified this recently
RECHECK_HOURS = 24  # not checked this recently

# What is compared: (our key, label for people, how NRS's document holds it, kind). Money is compared to the kobo.
COMPARED = (
    ("payable", "Total", ("legal_monetary_total", "payable_amount"), "money"),
    ("tax_total", "Tax", ("tax_total", 0, "tax_amount"), "money"),
    ("line_extension", "Lines before tax", ("legal_monetary_total", "line_extension_amount"), "money"),
    ("issue_date", "Issue date", ("issue_date",), "text"),
    ("currency", "Currency", ("document_currency_code",), "text"),
    ("supplier_tin", "Supplier's TIN", ("accounting_supplier_party", "tin"), "text"),
    ("supplier_name", "Supplier's name", ("accounting_supplier_party", "party_name"), "text"),
    ("buyer_tin", "Buyer's TIN", ("accounting_customer_party", "tin"), "text"),
    ("buyer_name", "Buyer's name", ("accounting_customer_party", "party_name"), "text"),
)
MISSING = "missing"  # the difference's field when NRS has no record of the IRN at all


@dataclass
class NrsCopy:
    found: bool
    confirm: dict = field(default_factory=dict)  # confirm/{irn}: signed, transmitted, payment status
    document: dict = field(default_factory=dict)  # download/{irn}: the registered document
    differences: list = field(default_factory=list)  # [{"field", "label", "nrs", "ours"}]


def _ours(invoice: Invoice) -> dict:
    supplier, buyer = invoice.supplier or {}, invoice.buyer or {}
    return {
        "payable": invoice.payable,
        "tax_total": invoice.tax_total,
        "line_extension": invoice.line_extension,
        "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else "",
        "currency": invoice.currency,
        "supplier_tin": supplier.get("tin", ""),
        "supplier_name": supplier.get("name", ""),
        "buyer_tin": buyer.get("tin", ""),
        "buyer_name": buyer.get("name", ""),
    }


def _at(document, path):
    value = document
    for step in path:
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and len(value) > step else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
    return value


def _money(value) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        return None


def differences(invoice: Invoice, document: dict) -> list[dict]:
    """Where NRS's document disagrees with ours: amounts as plain decimal strings, the rest as text."""
    ours = _ours(invoice)
    found = []
    for key, label, path, kind in COMPARED:
        theirs = _at(document, path)
        mine = ours[key]
        if kind == "money":
            same = _money(theirs) == _money(mine)
            theirs_text = "" if _money(theirs) is None else f"{_money(theirs):.2f}"
            mine_text = f"{_money(mine):.2f}"
        else:
            theirs_text, mine_text = str(theirs or "").strip(), str(mine or "").strip()
            if key == "buyer_tin" and not mine_text and not theirs_text:
                continue
            same = theirs_text.casefold() == mine_text.casefold()
        if not same:
            found.append({"field": key, "label": label, "nrs": theirs_text, "ours": mine_text})
    return found


def difference_sentence(difference: dict, currency: str = "NGN") -> str:
    """One difference in words: "Total ₦537,500.00 at NRS, ₦500,000.00 here"."""
    if difference["field"] == MISSING:
        return "NRS has no record of this invoice's IRN."
    is_money = any(key == difference["field"] and kind == "money" for key, _l, _p, kind in COMPARED)

    def shown(value):
        if not value:
            return "nothing"
        return format_money(Decimal(value), currency) if is_money else value

    return f"{difference['label']} {shown(difference['nrs'])} at NRS, {shown(difference['ours'])} here"


def invoice_nrs_copy(invoice: Invoice, *, now=None) -> NrsCopy:
    """Ask NRS now (confirm, then download) and store what differs on the invoice.

    Raises NrsUnavailable when NRS cannot be asked now (nothing is stored then)."""
    with scope(tenant=invoice.tenant):

        def ask(client):
            try:
                confirmed = client.confirm(invoice.irn)
            except NrsNotFound:
                return None
            return confirmed, client.download(invoice.irn)

        try:
            answer = nrs_now(invoice.tenant, "nrs_copy", ask)
        except NrsNotFound:  # confirmed, then gone at download: NRS has no copy
            answer = None
        if answer is None:
            copy = NrsCopy(found=False, differences=[{"field": MISSING, "label": "Record", "nrs": "", "ours": ""}])
        else:
            confirmed, document = answer
            confirmed = confirmed if isinstance(confirmed, dict) else {}
            document = document if isinstance(document, dict) else {}
            copy = NrsCopy(True, confirmed, document, differences(invoice, document))
        invoice.nrs_checked_at = now or timezone.now()
        invoice.nrs_differences = copy.differences
        Invoice.objects.filter(pk=invoice.pk).update(
            nrs_checked_at=invoice.nrs_checked_at, nrs_differences=invoice.nrs_differences
        )
        return copy


def _sample(tenant, now) -> list[Invoice]:
    with scope(tenant=tenant):
        return list(
            Invoice.objects.filter(
                status__in=Invoice.CERTIFIED_STATUSES,
                certified_at__gte=now - timedelta(days=SAMPLE_DAYS),
            )
            .exclude(irn="")
            .filter(Q(nrs_checked_at__isnull=True) | Q(nrs_checked_at__lt=now - timedelta(hours=RECHECK_HOURS)))
            .order_by("?")[:SAMPLE_SIZE]
        )


def nrs_copies_check(*, now=None) -> dict:
    """The schedule: a sample of every business's recent certified invoices compared with NRS's copies; admins
    are told of each invoice that differs. Stops for the run when NRS cannot be asked (the next run goes on)."""
    now = now or timezone.now()
    report = {"checked": 0, "differing": 0, "stopped": False}
    with scopes_disabled():
        recent = Invoice.objects.filter(certified_at__gte=now - timedelta(days=SAMPLE_DAYS)).values("tenant_id")
        tenants = list(Tenant.objects.filter(pk__in=recent))
    for tenant in tenants:
        for invoice in _sample(tenant, now):
            try:
                copy = invoice_nrs_copy(invoice, now=now)
            except NrsUnavailable:
                report["stopped"] = True
                return report
            except NrsError as exc:  # refused credentials: this business's sample waits for the next run
                logger.info("NRS copy of %s could not be read: %s", invoice.irn, exc)
                break
            report["checked"] += 1
            if copy.differences:
                report["differing"] += 1
                _tell_admins(invoice)
    return report


def _tell_admins(invoice: Invoice) -> None:
    """An invoice whose NRS copy differs: the business's admins, once per set of differences."""
    sentences = [difference_sentence(d, invoice.currency) for d in invoice.nrs_differences]
    notify(
        invoice.tenant,
        members(invoice.tenant, Role.ADMIN),
        Kind.NRS_COPY_DIFFERS,
        f"NRS's copy of invoice {invoice.document_number} differs",
        "NRS's copy differs: " + "; ".join(sentences) + ". Compare the two on the invoice's page.",
        reverse("invoice_detail", args=[invoice.pk]),
        f"nrs-copy:{invoice.pk}:{'|'.join(sentences)}"[:200],
    )
