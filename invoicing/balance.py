"""What a buyer still owes on an invoice: its total, corrected by its certified notes, less what was paid.

One definition for every screen and the PDF. A credit note lowers what the original asks for, a debit note
raises it, but only once NRS has certified (or, for B2C, been reported) the note: a draft or a refused note
corrects nothing. What was paid beyond the corrected total is shown as over-paid, never as a negative due.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from invoicing.models import Invoice

ZERO = Decimal("0.00")
CERTIFIED = (Invoice.Status.CERTIFIED, Invoice.Status.REPORTED)


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
        Invoice.objects.filter(original_id__in=original_ids, status__in=CERTIFIED)
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
