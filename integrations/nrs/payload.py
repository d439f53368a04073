"""From an invoice to the NRS document (NRS.md "The invoice document"): every mandatory field, the supplier
from the tenant's profile and primary location, the buyer, lines, taxes grouped by category and rate,
reconciled totals, and billing_reference for credit and debit notes.

The builder reads plain dataclasses so it does not care whether the invoice came from a form, the API or a
CSV row; the invoicing app maps its rows onto them.
"""

from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal

from integrations.nrs.totals import document_totals, line_amounts

INVOICE_TYPE_CODES = {"invoice": "381", "credit_note": "380", "debit_note": "384"}


@dataclass(frozen=True)
class Address:
    street: str
    city: str
    postal_zone: str
    lga: str
    state: str
    country: str = "NG"


@dataclass(frozen=True)
class Party:
    name: str
    tin: str
    email: str
    address: Address
    telephone: str = ""
    description: str = ""


@dataclass(frozen=True)
class Line:
    name: str
    quantity: Decimal
    unit_price: Decimal
    tax_category: str = "STANDARD_VAT"
    tax_rate: Decimal = Decimal("7.5")
    hsn_code: str = ""
    product_category: str = ""
    isic_code: str = ""
    service_category: str = ""
    description: str = ""
    item_code: str = ""
    discount_rate: Decimal = Decimal("0")
    discount_amount: Decimal = Decimal("0")
    fee_rate: Decimal = Decimal("0")
    fee_amount: Decimal = Decimal("0")


@dataclass(frozen=True)
class Document:
    business_id: str
    irn: str
    issue_date: date
    invoice_type: str  # invoice | credit_note | debit_note
    invoice_kind: str  # B2B | B2G | B2C
    supplier: Party
    lines: list
    customer: Party | None = None
    currency: str = "NGN"
    due_date: date | None = None
    issue_time: time | None = None
    note: str = ""
    order_reference: str = ""
    payment_status: str = "PENDING"
    billing_references: list = field(default_factory=list)  # [(irn, issue_date)]


def _party(party: Party) -> dict:
    data = {
        "party_name": party.name,
        "tin": party.tin,
        "email": party.email,
        "postal_address": {
            "street_name": party.address.street,
            "city_name": party.address.city,
            "postal_zone": party.address.postal_zone,
            "lga": party.address.lga,
            "state": party.address.state,
            "country": party.address.country,
        },
    }
    # A buyer may come without state and LGA; send none rather than empty codes.
    for key in ("lga", "state"):
        if not data["postal_address"][key]:
            del data["postal_address"][key]
    if party.telephone:
        data["telephone"] = party.telephone
    if party.description:
        data["business_description"] = party.description
    return data


def _line(line: Line, currency: str) -> tuple[dict, object]:
    amounts = line_amounts(
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount=line.discount_amount,
        fee=line.fee_amount,
        tax_rate=line.tax_rate,
    )
    data = {}
    if line.hsn_code:
        data.update({"hsn_code": line.hsn_code, "product_category": line.product_category or line.name})
    else:
        data.update({"isic_code": line.isic_code, "service_category": line.service_category or line.name})
    data.update(
        {
            "discount_rate": Decimal(line.discount_rate),
            "discount_amount": Decimal(line.discount_amount),
            "fee_rate": Decimal(line.fee_rate),
            "fee_amount": Decimal(line.fee_amount),
            "invoiced_quantity": Decimal(line.quantity),
            "line_extension_amount": amounts.line_extension,
            "item": {
                "name": line.name,
                "description": line.description or line.name,
                "sellers_item_identification": line.item_code,
            },
            "price": {"price_amount": Decimal(line.unit_price), "base_quantity": 1, "price_unit": f"{currency} per 1"},
        }
    )
    return data, amounts


def build_document(doc: Document) -> dict:
    lines, amounts = [], []
    for line in doc.lines:
        data, line_amount = _line(line, doc.currency)
        lines.append(data)
        amounts.append((line_amount, line.tax_category, Decimal(line.tax_rate)))
    totals = document_totals(amounts)
    document = {
        "business_id": str(doc.business_id),
        "irn": doc.irn,
        "issue_date": doc.issue_date.isoformat(),
        "invoice_type_code": INVOICE_TYPE_CODES[doc.invoice_type],
        "invoice_kind": doc.invoice_kind,
        "payment_status": doc.payment_status,
        "document_currency_code": doc.currency,
        "tax_currency_code": doc.currency,
        "accounting_supplier_party": _party(doc.supplier),
    }
    if doc.due_date:
        document["due_date"] = doc.due_date.isoformat()
    if doc.issue_time:
        document["issue_time"] = doc.issue_time.strftime("%H:%M:%S")
    if doc.note:
        document["note"] = doc.note
    if doc.order_reference:
        document["order_reference"] = doc.order_reference
    if doc.customer is not None:
        document["accounting_customer_party"] = _party(doc.customer)
    if doc.billing_references:
        document["billing_reference"] = [
            {"irn": irn, "issue_date": day.isoformat()} for irn, day in doc.billing_references
        ]
    document["tax_total"] = [
        {
            "tax_amount": totals.tax,
            "tax_subtotal": [
                {
                    "taxable_amount": group.taxable,
                    "tax_amount": group.tax,
                    "tax_category": {"id": group.category, "percent": group.rate},
                }
                for group in totals.groups
            ],
        }
    ]
    document["legal_monetary_total"] = {
        "line_extension_amount": totals.line_extension,
        "tax_exclusive_amount": totals.tax_exclusive,
        "tax_inclusive_amount": totals.tax_inclusive,
        "payable_amount": totals.payable,
    }
    document["invoice_line"] = lines
    return document


def build_irn(document_number: str, service_id: str, issue_date: date) -> str:
    """`{alnum document number}-{service id}-{YYYYMMDD}` (NRS.md "IRN")."""
    number = "".join(ch for ch in document_number if ch.isalnum())
    return f"{number}-{service_id}-{issue_date:%Y%m%d}"
