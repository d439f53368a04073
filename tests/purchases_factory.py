"""Received invoices (the buyer's side) made directly, as a pull would have saved them: a supplier, NRS's document
(the keys integrations/nrs/payload.py writes) and the columns read off it."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_scopes import scope

from invoicing.events import PURCHASE_RECEIVED, publish_purchase
from invoicing.models import ReceivedInvoice, Supplier


def supplier_document(
    *,
    irn,
    number,
    issue_date,
    buyer_tin,
    supplier_name="Ikeja Office Supplies Ltd",
    supplier_tin="23456789-0001",
    buyer_name="Buyer Ltd",
    lines=(("A4 paper, boxes", "4", "10000.00"),),
    rate=Decimal("7.5"),
    type_code="381",
    billing_reference=None,
) -> dict:
    """A supplier's certified document as NRS hands it to the buyer on a pull."""
    invoice_line, net = [], Decimal(0)
    for description, quantity, price in lines:
        amount = Decimal(quantity) * Decimal(price)
        net += amount
        invoice_line.append(
            {
                "hsn_code": "4802.56",
                "product_category": description,
                "discount_rate": 0,
                "discount_amount": 0,
                "fee_rate": 0,
                "fee_amount": 0,
                "invoiced_quantity": float(quantity),  # NRS's JSON numbers, as the pull stores them
                "line_extension_amount": float(amount),
                "item": {"name": description, "description": description, "sellers_item_identification": ""},
                "price": {"price_amount": float(price), "base_quantity": 1, "price_unit": "NGN per 1"},
            }
        )
    tax = (net * rate / 100).quantize(Decimal("0.01"))
    document = {
        "irn": irn,
        "issue_date": issue_date.isoformat(),
        "due_date": (issue_date + timedelta(days=30)).isoformat(),
        "invoice_type_code": type_code,
        "document_currency_code": "NGN",
        "accounting_supplier_party": {
            "party_name": supplier_name,
            "tin": supplier_tin,
            "email": "accounts@supplier.example.ng",
            "telephone": "+2348033333333",
            "postal_address": {
                "street_name": "3 Oba Akran Avenue",
                "city_name": "Ikeja",
                "postal_zone": "100271",
                "lga": "NG-LA-IKJ",
                "state": "NG-LA",
                "country": "NG",
            },
        },
        "accounting_customer_party": {
            "party_name": buyer_name,
            "tin": buyer_tin,
            "email": "ap@buyer.example.ng",
            "postal_address": {"street_name": "12 Allen Avenue", "city_name": "Ikeja", "country": "NG"},
        },
        "invoice_line": invoice_line,
        "tax_total": [
            {
                "tax_amount": float(tax),
                "tax_subtotal": [
                    {
                        "taxable_amount": float(net),
                        "tax_amount": float(tax),
                        "tax_category": {"id": "STANDARD_VAT", "percent": float(rate)},
                    }
                ],
            }
        ],
        "legal_monetary_total": {
            "line_extension_amount": float(net),
            "tax_exclusive_amount": float(net),
            "tax_inclusive_amount": float(net + tax),
            "payable_amount": float(net + tax),
        },
        "transmitted_at": timezone.now().isoformat(),
    }
    if billing_reference:
        document["billing_reference"] = [{"irn": billing_reference, "issue_date": issue_date.isoformat()}]
    return document


TYPES = {"381": "invoice", "380": "credit_note", "384": "debit_note"}


def make_received_invoice(
    tenant,
    *,
    number="SI-2026-0412",
    issue_date=date(2026, 4, 12),
    supplier_name="Ikeja Office Supplies Ltd",
    supplier_tin="23456789-0001",
    status=ReceivedInvoice.Status.NEW,
    publish=False,
    **document_fields,
) -> ReceivedInvoice:
    """One received invoice of `tenant` (its supplier made or reused), addressed to the tenant's own TIN.

    `publish`: tell the listeners (webhooks) in the saving transaction, as the pull does for a new IRN."""
    irn = f"{''.join(ch for ch in number if ch.isalnum())}-7HQ2KD01-{issue_date:%Y%m%d}"
    document = supplier_document(
        irn=irn,
        number=number,
        issue_date=issue_date,
        buyer_tin=tenant.tin,
        buyer_name=tenant.name,
        supplier_name=supplier_name,
        supplier_tin=supplier_tin,
        **document_fields,
    )
    totals = document["legal_monetary_total"]
    with scope(tenant=tenant), transaction.atomic():
        supplier, _ = Supplier.objects.get_or_create(
            tenant=tenant,
            tin=supplier_tin,
            defaults={"name": supplier_name, "city": "Ikeja", "state_code": "NG-LA", "lga_code": "NG-LA-IKJ"},
        )
        received = ReceivedInvoice.objects.create(
            tenant=tenant,
            irn=irn,
            supplier=supplier,
            invoice_type=TYPES[document["invoice_type_code"]],
            document_number=number,
            issue_date=issue_date,
            due_date=issue_date + timedelta(days=30),
            currency="NGN",
            line_extension=Decimal(str(totals["line_extension_amount"])),
            tax_total=Decimal(str(document["tax_total"][0]["tax_amount"])),
            payable=Decimal(str(totals["payable_amount"])),
            document=document,
            transmitted_at=timezone.now(),
            status=status,
        )
        if publish:
            publish_purchase(received=received, kind=PURCHASE_RECEIVED)
    return received
