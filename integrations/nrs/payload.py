"""From an invoice to the NRS document (NRS.md "The invoice document"): every mandatory field, the supplier
from the tenant's profile and primary location, the buyer, lines, taxes grouped by category and rate,
reconciled totals, and billing_reference for credit and debit notes.

The builder reads plain values (shapes.py: Party, Line) so it does not care whether the invoice came from a
form, the API or a CSV row; the invoicing app maps its rows onto them. Nothing here imports invoicing.
"""

from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal

from integrations.nrs.shapes import Line, Party
from integrations.nrs.totals import document_totals, in_naira

# Nigerian VAT is accounted in naira: every document's tax currency, whatever the document's own.
TAX_CURRENCY = "NGN"
INVOICE_TYPE_CODES = {"invoice": "381", "credit_note": "380", "debit_note": "384"}
# The document's optional text fields, sent only when given: a Document field and a document key of one name.
OPTIONAL_TEXT = ("note", "order_reference", "payment_terms_note")


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
    # NGN per 1 unit of `currency`. Only a foreign-currency invoice saved before rates were kept has none: its tax
    # stays in its own currency rather than be sent in naira at an invented rate.
    exchange_rate: Decimal | None = None
    due_date: date | None = None
    issue_time: time | None = None
    note: str = ""
    order_reference: str = ""
    payment_status: str = "PENDING"
    billing_references: list = field(default_factory=list)  # [(irn, issue_date)]
    payment_terms_note: str = ""
    payment_means: str = ""  # an NRS payment-means code (30 credit transfer…); paid by the due date
    allowance_charges: list = field(default_factory=list)  # totals.AllowanceCharge


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


def _line(line: Line, currency: str) -> dict:
    data = {}
    # NRS reads a product category for goods and a service category for services; the line's name stands in.
    if line.hsn_code:
        data.update({"hsn_code": line.hsn_code, "product_category": line.category or line.description})
    else:
        data.update({"isic_code": line.isic_code, "service_category": line.category or line.description})
    data.update(
        {
            "discount_rate": Decimal(0),  # discounts and fees are amounts; NRS's rates stay 0
            "discount_amount": Decimal(line.discount),
            "fee_rate": Decimal(0),
            "fee_amount": Decimal(line.fee),
            "invoiced_quantity": Decimal(line.quantity),
            "line_extension_amount": line.amounts.line_extension,
            "item": {
                "name": line.description,
                "description": line.description,
                "sellers_item_identification": line.item_code,
            },
            # NRS's line has no unit-of-measure key of its own: the UN/ECE code goes in the price's unit, which
            # NRS spells "<currency> per <quantity>" ("NGN per 1"), so "NGN per KGM" is a price per kilogram.
            "price": {
                "price_amount": Decimal(line.unit_price),
                "base_quantity": 1,
                "price_unit": f"{currency} per {line.unit or 1}",
            },
        }
    )
    return data


def _tax_currency(doc: Document) -> str:
    return TAX_CURRENCY if doc.currency == TAX_CURRENCY or doc.exchange_rate is not None else doc.currency


def build_document(doc: Document) -> dict:
    lines = [_line(line, doc.currency) for line in doc.lines]
    totals = document_totals(
        ((line.amounts, line.tax_category, Decimal(line.tax_rate), line.withholding_rate) for line in doc.lines),
        doc.allowance_charges,
    )
    document = {
        "business_id": str(doc.business_id),
        "irn": doc.irn,
        "issue_date": doc.issue_date.isoformat(),
        "invoice_type_code": INVOICE_TYPE_CODES[doc.invoice_type],
        "invoice_kind": doc.invoice_kind,
        "payment_status": doc.payment_status,
        "document_currency_code": doc.currency,
        "tax_currency_code": _tax_currency(doc),
        "accounting_supplier_party": _party(doc.supplier),
    }
    if doc.due_date:
        document["due_date"] = doc.due_date.isoformat()
    if doc.issue_time:
        document["issue_time"] = doc.issue_time.strftime("%H:%M:%S")
    for name in OPTIONAL_TEXT:
        if getattr(doc, name):
            document[name] = getattr(doc, name)
    if doc.customer is not None:
        document["accounting_customer_party"] = _party(doc.customer)
    if doc.billing_references:
        document["billing_reference"] = [
            {"irn": irn, "issue_date": day.isoformat()} for irn, day in doc.billing_references
        ]
    if doc.payment_means:
        means = {"payment_means_code": doc.payment_means}
        if doc.due_date:
            means["payment_due_date"] = doc.due_date.isoformat()
        document["payment_means"] = [means]
    if doc.allowance_charges:
        document["allowance_charge"] = [
            {"charge_indicator": item.charge, "amount": abs(item.signed)} for item in doc.allowance_charges
        ]
    # Entry 0: the taxes added to the price. Then, if the buyer withholds any, one entry of withheld taxes only
    # (its tax_amount is what the buyer keeps back; the payable amount is the tax-inclusive amount less it).
    document["tax_total"] = [{"tax_amount": totals.tax, "tax_subtotal": _subtotals(totals.groups)}]
    if totals.withheld:
        document["tax_total"].append(
            {"tax_amount": totals.withheld, "tax_subtotal": _subtotals(totals.withheld_groups)}
        )
    if _tax_currency(doc) != doc.currency:
        # UBL: when the tax currency differs, a last TaxTotal without subtotals gives the tax in the tax currency.
        document["tax_total"].append({"tax_amount": in_naira(totals.tax, doc.exchange_rate)})
    document["legal_monetary_total"] = {
        "line_extension_amount": totals.line_extension,
        "tax_exclusive_amount": totals.tax_exclusive,
        "tax_inclusive_amount": totals.tax_inclusive,
        "payable_amount": totals.payable,
    }
    document["invoice_line"] = lines
    return document


def tax_currency_entry(document: dict) -> int | None:
    """The index of the document's tax_total entry in the tax currency, if it has one: where the tax currency is
    not the document's, the last entry without subtotals (UBL's second TaxTotal). Its amount is in another currency
    than the totals, so whoever adds the document's taxes (the sandbox's check, a buyer's VAT) leaves it out."""
    tax_currency = document.get("tax_currency_code")
    if not tax_currency or tax_currency == document.get("document_currency_code"):
        return None  # one currency (a document without a tax currency is read as all in its own)
    totals = document.get("tax_total")
    if not isinstance(totals, list):
        return None
    for index in range(len(totals) - 1, -1, -1):
        if isinstance(totals[index], dict) and not totals[index].get("tax_subtotal"):
            return index
    return None


def _subtotals(groups) -> list:
    return [
        {
            "taxable_amount": group.taxable,
            "tax_amount": group.tax,
            "tax_category": {"id": group.category, "percent": group.rate},
        }
        for group in groups
    ]


def build_irn(document_number: str, service_id: str, issue_date: date) -> str:
    """`{alnum document number}-{service id}-{YYYYMMDD}` (NRS.md "IRN")."""
    number = "".join(ch for ch in document_number if ch.isalnum())
    return f"{number}-{service_id}-{issue_date:%Y%m%d}"
