"""Received invoices (the buyer's side) for the API and webhook tests, in their terms: a supplier's invoice of
(description, quantity, price) lines, addressed to the tenant's own TIN, made by tests.factories.received_invoice
(the one way tests make a received invoice, its document built by integrations/nrs/payload.py)."""

from datetime import date, timedelta
from decimal import Decimal

from invoicing.models import ReceivedInvoice
from tests.factories import received_invoice

TYPES = {"381": "invoice", "380": "credit_note", "384": "debit_note"}
PAPER = "4802.56"  # the HS code of every line here: paper and office supplies


def make_received_invoice(
    tenant,
    *,
    number="SI-2026-0412",
    issue_date=date(2026, 4, 12),
    supplier_name="Ikeja Office Supplies Ltd",
    supplier_tin="23456789-0001",
    status=ReceivedInvoice.Status.NEW,
    publish=False,
    lines=(("A4 paper, boxes", "4", "10000.00"),),
    rate=Decimal("7.5"),
    type_code="381",
    billing_reference=None,
) -> ReceivedInvoice:
    """One received invoice of `tenant` (its supplier made or reused); `publish`: as the pull does for a new IRN."""
    return received_invoice(
        tenant,
        supplier_name=supplier_name,
        supplier_tin=supplier_tin,
        document_number=number,
        issue_date=issue_date,
        invoice_type=TYPES[type_code],
        lines=tuple((description, PAPER, quantity, price) for description, quantity, price in lines),
        tax_rate=str(rate),
        status=status,
        billing_irn=billing_reference or "",
        service_id="7HQ2KD01",
        publish=publish,
        due_date=issue_date + timedelta(days=30),
    )
