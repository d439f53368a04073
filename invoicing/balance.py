"""What a buyer still owes on an invoice: its total, corrected by its certified notes, less what was paid.

One definition for every screen and the PDF. A credit note lowers what the original asks for, a debit note
raises it, but only once NRS has certified (or, for B2C, been reported) the note: a draft or a refused note
corrects nothing. What was paid beyond the corrected total is shown as over-paid, never as a negative due.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from invoicing.models import Invoice

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=18, decimal_places=2)


@dataclass(frozen=True)
class Balance:
    payable: Decimal
    paid: Decimal = ZERO
    credited: Decimal = ZERO
    debited: Decimal = ZERO

    @property
    def corrected(self) -> bool:
        return bool(self.credited or self.debited)

    @property
    def total(self) -> Decimal:
        """The total after certified credit and debit notes."""
        return self.payable - self.credited + self.debited

    @property
    def due(self) -> Decimal:
        return max(self.total - self.paid, ZERO)

    @property
    def overpaid(self) -> Decimal:
        return max(self.paid - self.total, ZERO)


def _note_sums(original_ids) -> dict:
    sums = defaultdict(lambda: {Invoice.Type.CREDIT_NOTE: ZERO, Invoice.Type.DEBIT_NOTE: ZERO})
    rows = (
        Invoice.objects.filter(original_id__in=original_ids, status__in=Invoice.CERTIFIED_STATUSES)
        .values("original_id", "invoice_type")
        .annotate(amount=Sum("payable"))
    )
    for row in rows:
        if row["invoice_type"] in (Invoice.Type.CREDIT_NOTE, Invoice.Type.DEBIT_NOTE):
            sums[row["original_id"]][row["invoice_type"]] = row["amount"] or ZERO
    return sums


def balances(invoices) -> dict:
    """{invoice id: Balance} for many invoices in one query (lists, the dashboard)."""
    invoices = list(invoices)
    sums = _note_sums([invoice.pk for invoice in invoices if invoice.invoice_type == Invoice.Type.INVOICE])
    result = {}
    for invoice in invoices:
        notes = sums.get(invoice.pk, {})
        result[invoice.pk] = Balance(
            payable=invoice.payable,
            paid=invoice.amount_paid,
            credited=notes.get(Invoice.Type.CREDIT_NOTE, ZERO),
            debited=notes.get(Invoice.Type.DEBIT_NOTE, ZERO),
        )
    return result


def invoice_balance(invoice: Invoice) -> Balance:
    return balances([invoice])[invoice.pk]


def _certified_notes(kind: str) -> Coalesce:
    """Per invoice row: the total of its certified notes of one kind (0 when none)."""
    notes = (
        Invoice.objects.filter(original=OuterRef("pk"), invoice_type=kind, status__in=Invoice.CERTIFIED_STATUSES)
        .order_by()
        .values("original")
        .annotate(total=Sum("payable"))
        .values("total")[:1]
    )
    return Coalesce(Subquery(notes, output_field=MONEY), Value(ZERO), output_field=MONEY)


def outstanding_total(invoices) -> Decimal:
    """What buyers still owe on certified or reported invoices, in naira, computed in the database, notes and
    payments counted as `Balance.due` counts them (an over-paid invoice adds nothing)."""
    due = Greatest(
        F("payable")
        - F("amount_paid")
        - _certified_notes(Invoice.Type.CREDIT_NOTE)
        + _certified_notes(Invoice.Type.DEBIT_NOTE),
        Value(ZERO),
        output_field=MONEY,
    )
    # In naira: each invoice's due at its exchange rate (one in another currency without a rate is not added).
    naira_due = ExpressionWrapper(due * F("exchange_rate"), output_field=DecimalField(max_digits=36, decimal_places=8))
    total = (
        invoices.filter(
            invoice_type=Invoice.Type.INVOICE, status__in=Invoice.CERTIFIED_STATUSES, exchange_rate__isnull=False
        )
        .annotate(due=naira_due)
        .aggregate(total=Sum("due"))["total"]
    )
    return Decimal(total or 0).quantize(ZERO)


def output_vat_documents(invoices, start, end):
    """The documents whose VAT is output VAT for `start` to `end`: certified or reported, issued in the period.
    The dashboard's figure and the VAT report (invoicing/purchases/vat.py) both count these, signed as below."""
    return invoices.filter(status__in=Invoice.CERTIFIED_STATUSES, issue_date__gte=start, issue_date__lte=end)


def signed(invoice_type: str, amount) -> Decimal:
    """An amount with its document's sign: a credit note gives back, invoices and debit notes add."""
    amount = Decimal(amount or 0)
    return -amount if invoice_type == Invoice.Type.CREDIT_NOTE else amount


def output_vat(invoices, start, end) -> Decimal:
    """VAT charged on certified or reported documents issued from `start` to `end`, in naira: credit notes give
    it back."""
    # In naira (each document's VAT at its exchange rate); one in another currency without a rate is not added.
    rows = output_vat_documents(invoices, start, end).values("invoice_type").annotate(vat=Sum("tax_total_ngn"))
    total = sum((signed(row["invoice_type"], row["vat"]) for row in rows), ZERO)
    return total.quantize(ZERO)
