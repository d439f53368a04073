"""A received NRS document (ReceivedInvoice.document, as NRS delivered it) read for people: the inbox's detail
page and the PDF kept for the files.

The document is the supplier's, signed by NRS; it is shown as it came. Amounts arrive as JSON numbers or
strings and are read as Decimal; codes (states, LGAs, tax categories) are shown by their names.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from integrations.nrs.totals import to_kobo
from integrations.reference.models import Country, Lga, State, TaxCategory
from invoicing.models import ReceivedInvoice

ZERO = Decimal("0.00")


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


@dataclass(frozen=True)
class PartyView:
    name: str = ""
    tin: str = ""
    email: str = ""
    telephone: str = ""
    address_lines: list = field(default_factory=list)


@dataclass(frozen=True)
class LineView:
    description: str
    code: str
    quantity: Decimal | None
    unit_price: Decimal | None
    discount: Decimal
    tax_rate: Decimal | None  # None when the document's taxes do not say which line carries which rate
    tax: Decimal | None
    amount: Decimal | None


@dataclass(frozen=True)
class TaxView:
    label: str
    rate: Decimal | None
    taxable: Decimal | None
    tax: Decimal | None


@dataclass(frozen=True)
class DocumentView:
    supplier: PartyView
    buyer: PartyView
    lines: list
    taxes: list
    line_extension: Decimal
    tax_exclusive: Decimal
    tax: Decimal
    payable: Decimal
    note: str
    order_reference: str
    corrects: list  # [(irn, issue date text)] of the invoices a credit or debit note corrects
    qr_code: str = ""  # NRS's QR payload as the supplier printed it, when NRS delivered it with the invoice

    @property
    def tax_per_line(self) -> bool:
        return any(line.tax is not None for line in self.lines)


def _address_lines(address: dict) -> list[str]:
    """Street; city and postcode; LGA and state (by name); a foreign country."""
    address = address or {}
    lines = [address.get("street_name") or ""]
    lines.append(" ".join(part for part in (address.get("city_name"), address.get("postal_zone")) if part))
    lga = Lga.objects.filter(pk=address.get("lga") or "").values_list("name", flat=True).first() or ""
    state = State.objects.filter(pk=address.get("state") or "").values_list("name", flat=True).first() or ""
    if state and not state.lower().endswith(("state", "territory")):
        state = f"{state} State"
    lines.append(", ".join(part for part in (f"{lga} LGA" if lga else "", state) if part))
    country = (address.get("country") or "").upper()
    if country and country != "NG":
        lines.append(Country.objects.filter(pk=country).values_list("name", flat=True).first() or country)
    return [line for line in lines if line]


def _party(data: dict | None) -> PartyView:
    data = data or {}
    return PartyView(
        name=data.get("party_name") or "",
        tin=data.get("tin") or "",
        email=data.get("email") or "",
        telephone=data.get("telephone") or "",
        address_lines=_address_lines(data.get("postal_address") or {}),
    )


def _groups(document: dict) -> list[dict]:
    groups = []
    for total in document.get("tax_total") or []:
        groups.extend(total.get("tax_subtotal") or [])
    return groups


def _line(data: dict, single_rate: Decimal | None) -> LineView:
    item = data.get("item") or {}
    price = data.get("price") or {}
    amount = _decimal(data.get("line_extension_amount"))
    # NRS's line carries no tax of its own: with one rate on the whole document each line's tax is that rate of
    # its amount, rounded per line as the supplier's totals were; with several rates only the summary says.
    rate = _decimal((data.get("tax_category") or {}).get("percent")) if data.get("tax_category") else single_rate
    tax = _decimal(data.get("tax_amount"))
    if tax is None and rate is not None and amount is not None:
        tax = to_kobo(amount * rate / 100)
    return LineView(
        description=item.get("name") or item.get("description") or "",
        code=data.get("hsn_code") or data.get("isic_code") or "",
        quantity=_decimal(data.get("invoiced_quantity")),
        unit_price=_decimal(price.get("price_amount")),
        # The official sample misspells the discount; both spellings are read.
        discount=_decimal(data.get("discount_amount", data.get("dicount_amount"))) or ZERO,
        tax_rate=rate,
        tax=tax,
        amount=amount,
    )


def document_view(received: ReceivedInvoice) -> DocumentView:
    document = received.document or {}
    groups = _groups(document)
    names = dict(TaxCategory.objects.values_list("code", "name"))
    taxes = []
    for group in groups:
        category = (group.get("tax_category") or {}).get("id") or ""
        taxes.append(
            TaxView(
                label=names.get(category) or category.replace("_", " ").capitalize() or _("Tax"),
                rate=_decimal((group.get("tax_category") or {}).get("percent")),
                taxable=_decimal(group.get("taxable_amount")),
                tax=_decimal(group.get("tax_amount")),
            )
        )
    rates = {tax.rate for tax in taxes}
    single_rate = next(iter(rates)) if len(rates) == 1 else None
    totals = document.get("legal_monetary_total") or {}

    def total(key, fallback):
        value = _decimal(totals.get(key))
        return fallback if value is None else value

    return DocumentView(
        supplier=_party(document.get("accounting_supplier_party")),
        buyer=_party(document.get("accounting_customer_party")),
        lines=[_line(line, single_rate) for line in document.get("invoice_line") or []],
        taxes=taxes,
        line_extension=total("line_extension_amount", received.line_extension),
        tax_exclusive=total("tax_exclusive_amount", received.line_extension),
        tax=received.tax_total,
        payable=total("payable_amount", received.payable),
        note=document.get("note") or "",
        order_reference=document.get("order_reference") or "",
        corrects=[
            (ref.get("irn") or "", ref.get("issue_date") or "") for ref in document.get("billing_reference") or []
        ],
        qr_code=document.get("qr_code") if isinstance(document.get("qr_code"), str) else "",
    )
