"""UBL 2.1 in and out, in the Peppol BIS Billing 3.0 shape: pure functions, no database writes.

`invoice_to_ubl(invoice) -> bytes` writes an issued invoice, credit note or debit note as a UBL 2.1 Invoice or
CreditNote document, checked against the official OASIS UBL 2.1 schemas (schemas/ubl-2.1, see its README).
`ubl_to_invoice_body(xml_bytes) -> dict` reads one back into invoice_create's body (the API's shape), or raises
UblError with every problem in words: which element is missing or wrong, and how to fix it.

Document types. NRS and UBL number them differently (integrations/nrs/payload.py holds NRS's codes):

    ours          NRS code   UBL document   UBL type code (UNCL 1001)
    invoice       381        Invoice        380 commercial invoice
    credit_note   380        CreditNote     381 credit note
    debit_note    384        Invoice        383 debit note (384 "corrected invoice" is read as a debit note too)

Peppol BIS 3.0 has no DebitNote document, so a debit note travels as an Invoice with type code 383.

Where a reader finds what NRS gave the invoice (each an AdditionalDocumentReference):
- the IRN: cac:AdditionalDocumentReference whose cbc:DocumentDescription is "NRS IRN"; its cbc:ID is the IRN;
- the QR code: the one whose cbc:ID is "NRS QR": cac:Attachment/cbc:EmbeddedDocumentBinaryObject holds the PNG
  image NRS's QR payload is drawn in (mimeCode "image/png"), and its cbc:DocumentDescription the payload text;
- the invoice kind (B2B, B2G, B2C), which UBL has no field for: the one described "NRS invoice kind".

Our other fields in UBL: the buyer's TIN is cac:PartyTaxScheme/cbc:CompanyID; its state is
cbc:CountrySubentityCode (an NRS code such as NG-LA, the name in cbc:CountrySubentity) and its LGA cbc:District
(NG-LA-IKJ); a line's HS code is cbc:ItemClassificationCode listID="HS", its service (ISIC) code listID="ISIC",
its product category an AdditionalItemProperty named "Category", its NRS tax category the cbc:Name of
ClassifiedTaxCategory (cbc:ID is UBL's UNCL 5305 code: TAX_CATEGORIES below), a discount an AllowanceCharge with
ChargeIndicator false and a fee one with ChargeIndicator true. The unit of measure is InvoicedQuantity's unitCode
(UN/ECE Recommendation 20 codes such as EA or KGM; an invoice without a unit is written C62, "one").

The tax cases, written and read back the same way:
- discounts and charges on the whole invoice: the document's cac:AllowanceCharge (ChargeIndicator, the reason in
  cbc:AllowanceChargeReason, cbc:Amount, and cac:TaxCategory as a line's: NRS category in cbc:Name, UNCL 5305 in
  cbc:ID, the rate in cbc:Percent). One without a tax category is taxed at the lines' single rate.
- withholding tax: cac:WithholdingTaxTotal, on each withheld line (its rate in cbc:Percent of the subtotal's
  cac:TaxCategory, TaxScheme "WHT") and for the document (subtotals by rate); what is withheld is the
  LegalMonetaryTotal's cbc:PrepaidAmount. A file with the document's total alone is read back onto the lines
  whose amounts make each subtotal's taxable amount (_withholding says how), or refused when that is ambiguous.
  A CreditNote has no WithholdingTaxTotal in UBL 2.1: a credit note's withholding is not carried.
- a foreign-currency invoice: cbc:TaxCurrencyCode NGN, cac:TaxExchangeRate (SourceCurrencyCode the document's
  currency, TargetCurrencyCode NGN, cbc:CalculationRate naira per one unit, MathematicOperatorCode Multiply) and a
  second cac:TaxTotal with the VAT in naira alone. Read back, CalculationRate is the invoice's exchange rate; a
  file without one takes the business's rates table on the issue date.
- how the buyer pays: cac:PaymentMeans/cbc:PaymentMeansCode (NRS's codes are UNCL 4461's; "1", not defined, is
  written for a credit note that only has a due date and read as not said) and the terms in
  cac:PaymentTerms/cbc:Note.
"""

import base64
import re
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from lxml import etree

from integrations.connectors.sync import MappingError
from integrations.nrs.qr import qr_png
from integrations.nrs.shapes import Party
from integrations.nrs.totals import DEDUCTED_CATEGORIES, WITHHOLDING, document_totals, in_naira, to_kobo
from integrations.reference import lookup
from integrations.reference.models import Lga, State, TaxCategory
from integrations.reference.units import unit_code
from invoicing.exchange_rates import NAIRA
from invoicing.shapes import allowance_charges_of, line_of

SCHEMAS = Path(__file__).parent / "schemas" / "ubl-2.1" / "maindoc"
NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
}
CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

# UNCL 1001 document type codes.
INVOICE_TYPE_CODE = {"invoice": "380", "credit_note": "381", "debit_note": "383"}
INVOICE_TYPES_READ = {"380": "invoice", "383": "debit_note", "384": "debit_note"}

# NRS tax category → UBL's UNCL 5305 category. The NRS code rides along as the category's cbc:Name, so our own
# exports come back exactly; a document from elsewhere is read by its UNCL 5305 code (TAX_CATEGORIES_READ).
TAX_CATEGORIES = {
    "STANDARD_VAT": "S",
    "REDUCED_VAT": "S",
    "ZERO_VAT": "Z",
    "EXEMPTED": "E",
    "STANDARD_GST": "S",
    "REDUCED_GST": "S",
    "ZERO_GST": "Z",
}
TAX_CATEGORIES_READ = {
    "S": "STANDARD_VAT",
    "Z": "ZERO_VAT",
    "E": "EXEMPTED",
    "G": "ZERO_VAT",  # export outside the territory: zero-rated in Nigeria
    "O": "EXEMPTED",  # outside the scope of VAT
}
MULTIPLY = "Multiply"  # MathematicOperatorCode: tax-currency amount = document amount × CalculationRate
UNDEFINED_MEANS = "1"  # UNCL 4461 "instrument not defined": a payment means that says nothing
ONE = "C62"  # UN/ECE Rec 20 "one": the unit written for a line that has none
KIND_DESCRIPTION = "NRS invoice kind"
IRN_DESCRIPTION = "NRS IRN"
QR_ID = "NRS QR"


class UblError(MappingError):
    """A UBL document that cannot become an invoice: `errors` is a list of sentences, each naming the element
    and the fix. A MappingError, so a connector's run keeps its words as the document's error."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__(" ".join(self.errors))


# --- schemas ----------------------------------------------------------------------------------------------------


@cache
def schema(root: str) -> etree.XMLSchema:
    """The OASIS UBL 2.1 schema of a document type ("Invoice" or "CreditNote"), compiled once."""
    return etree.XMLSchema(etree.parse(str(SCHEMAS / f"UBL-{root}-2.1.xsd")))


_CLARK = re.compile(r"\{([^}]*)\}(\w+)")
_PREFIX = {uri: prefix for prefix, uri in NS.items() if prefix in ("cac", "cbc", "ext")}


def _readable(message: str) -> str:
    """lxml's schema message with {namespace}Name written as the file writes it (cbc:Name)."""
    return _CLARK.sub(lambda m: f"{_PREFIX[m[1]]}:{m[2]}" if m[1] in _PREFIX else m[2], message)


def schema_errors(document: etree._Element) -> list[str]:
    """What the UBL 2.1 schema finds wrong in a document, one sentence per problem (empty when it is valid)."""
    root = etree.QName(document).localname
    xsd = schema(root)
    if xsd.validate(document):
        return []
    return [f"At line {error.line} of the file: {_readable(error.message)}" for error in xsd.error_log][:20]


# --- export -----------------------------------------------------------------------------------------------------


def _el(parent, name: str, text=None, **attrs):
    prefix, _, local = name.partition(":")
    node = etree.SubElement(parent, f"{{{NS[prefix]}}}{local}", {k: str(v) for k, v in attrs.items()})
    if text is not None:
        node.text = str(text)
    return node


def _amount(parent, name: str, value, currency: str):
    return _el(parent, name, f"{to_kobo(value):f}", currencyID=currency)


def _plain(value) -> str:
    """A Decimal as plain digits, without trailing zeros (2.5000 → 2.5, 10.00 → 10)."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _party(parent, party: Party, *, state_name: str = "", lga_name: str = ""):
    node = _el(parent, "cac:Party")
    if party.email:
        _el(node, "cbc:EndpointID", party.email, schemeID="EM")
    if party.name:
        _el(_el(node, "cac:PartyName"), "cbc:Name", party.name)
    address = _el(node, "cac:PostalAddress")
    if party.address.street:
        _el(address, "cbc:StreetName", party.address.street)
    if party.address.city:
        _el(address, "cbc:CityName", party.address.city)
    if party.address.postal_zone:
        _el(address, "cbc:PostalZone", party.address.postal_zone)
    if party.address.state:
        _el(address, "cbc:CountrySubentity", party.address.state_name or state_name or party.address.state)
        _el(address, "cbc:CountrySubentityCode", party.address.state)
    if party.address.lga:
        _el(address, "cbc:District", party.address.lga)
    _el(_el(address, "cac:Country"), "cbc:IdentificationCode", party.address.country or "NG")
    if party.tin:
        scheme = _el(node, "cac:PartyTaxScheme")
        _el(scheme, "cbc:CompanyID", party.tin)
        _el(_el(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    _el(_el(node, "cac:PartyLegalEntity"), "cbc:RegistrationName", party.name)
    if party.telephone or party.email:
        contact = _el(node, "cac:Contact")
        if party.telephone:
            _el(contact, "cbc:Telephone", party.telephone)
        if party.email:
            _el(contact, "cbc:ElectronicMail", party.email)


def _tax_category(parent, name: str, category: str, rate):
    node = _el(parent, name)
    code = TAX_CATEGORIES.get(category) or ("S" if Decimal(rate) > 0 else "O")
    _el(node, "cbc:ID", code)
    _el(node, "cbc:Name", category)
    _el(node, "cbc:Percent", _plain(rate))
    if code in ("E", "O"):
        _el(node, "cbc:TaxExemptionReason", "Exempt from VAT" if code == "E" else "Not subject to VAT")
    _el(_el(node, "cac:TaxScheme"), "cbc:ID", "VAT")


def _withholding_subtotal(parent, taxable, tax, rate, currency: str):
    subtotal = _el(parent, "cac:TaxSubtotal")
    _amount(subtotal, "cbc:TaxableAmount", taxable, currency)
    _amount(subtotal, "cbc:TaxAmount", tax, currency)
    category = _el(subtotal, "cac:TaxCategory")
    _el(category, "cbc:Name", WITHHOLDING)
    _el(category, "cbc:Percent", _plain(rate))
    _el(_el(category, "cac:TaxScheme"), "cbc:ID", "WHT")


def _exchange_rate(parent, currency: str, rate):
    """The invoice's rate as UBL's tax exchange rate: naira (the tax currency) = document amount × rate."""
    node = _el(parent, "cac:TaxExchangeRate")
    _el(node, "cbc:SourceCurrencyCode", currency)
    _el(node, "cbc:TargetCurrencyCode", NAIRA)
    _el(node, "cbc:CalculationRate", _plain(rate))
    _el(node, "cbc:MathematicOperatorCode", MULTIPLY)


def _reference(parent, ident: str, description: str, *, attachment: bytes | None = None, filename: str = ""):
    node = _el(parent, "cac:AdditionalDocumentReference")
    _el(node, "cbc:ID", ident)
    _el(node, "cbc:DocumentDescription", description)
    if attachment is not None:
        _el(
            _el(node, "cac:Attachment"),
            "cbc:EmbeddedDocumentBinaryObject",
            base64.b64encode(attachment).decode(),
            mimeCode="image/png",
            filename=filename,
        )
    return node


def invoice_to_ubl(invoice) -> bytes:
    """An issued invoice (or credit or debit note) as a UBL 2.1 Invoice or CreditNote document, schema-valid.

    Reads only what the invoice keeps as issued (its supplier and buyer snapshots and its lines), so the file says
    what NRS was sent. Raises ValueError if the result were not valid UBL 2.1 (a bug here, never the user's).
    """
    credit = invoice.invoice_type == "credit_note"
    root_name = "CreditNote" if credit else "Invoice"
    doc_ns = NS["cn" if credit else "inv"]
    root = etree.Element(f"{{{doc_ns}}}{root_name}", nsmap={None: doc_ns, "cac": NS["cac"], "cbc": NS["cbc"]})
    currency = invoice.currency
    lines = [line_of(row) for row in invoice.lines.order_by("position")]
    supplier, buyer = Party.from_dict(invoice.supplier), Party.from_dict(invoice.buyer)

    _el(root, "cbc:CustomizationID", CUSTOMIZATION_ID)
    _el(root, "cbc:ProfileID", PROFILE_ID)
    _el(root, "cbc:ID", invoice.document_number)
    _el(root, "cbc:IssueDate", invoice.issue_date.isoformat())
    if invoice.due_date and not credit:
        _el(root, "cbc:DueDate", invoice.due_date.isoformat())
    _el(root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode", INVOICE_TYPE_CODE[invoice.invoice_type])
    if invoice.note:
        _el(root, "cbc:Note", invoice.note)
    _el(root, "cbc:DocumentCurrencyCode", currency)
    foreign = currency != NAIRA and invoice.exchange_rate is not None  # (kept on every foreign invoice issued)
    if foreign:  # Nigerian VAT is accounted in naira, whatever the document's currency
        _el(root, "cbc:TaxCurrencyCode", NAIRA)
    if invoice.po_reference:
        _el(root, "cbc:BuyerReference", invoice.po_reference)
        _el(_el(root, "cac:OrderReference"), "cbc:ID", invoice.po_reference)
    original = invoice.original
    if original is not None:
        reference = _el(_el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _el(reference, "cbc:ID", original.document_number)
        if original.irn:
            _el(reference, "cbc:UUID", original.irn)
        _el(reference, "cbc:IssueDate", original.issue_date.isoformat())
    elif invoice.external_original_irn:  # issued outside Flowpoint: its IRN and date are all Flowpoint knows
        reference = _el(_el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _el(reference, "cbc:ID", invoice.external_original_irn)
        _el(reference, "cbc:UUID", invoice.external_original_irn)
        _el(reference, "cbc:IssueDate", invoice.external_original_date.isoformat())
    _reference(root, invoice.kind, KIND_DESCRIPTION)
    if invoice.irn:
        _reference(root, invoice.irn, IRN_DESCRIPTION)
    if invoice.qr_payload:
        name = f"{invoice.document_number}-nrs-qr.png".replace("/", "-")
        _reference(root, QR_ID, invoice.qr_payload, attachment=qr_png(invoice.qr_payload), filename=name)
    _party(_el(root, "cac:AccountingSupplierParty"), supplier)
    _party(_el(root, "cac:AccountingCustomerParty"), buyer)
    # A UBL 2.1 CreditNote has no DueDate: Peppol puts it in the payment means, "1" (UNCL 4461: instrument not
    # defined) when the note does not say how it is paid.
    if invoice.payment_means or (invoice.due_date and credit):
        means = _el(root, "cac:PaymentMeans")
        _el(means, "cbc:PaymentMeansCode", invoice.payment_means or UNDEFINED_MEANS)
        if invoice.due_date and credit:
            _el(means, "cbc:PaymentDueDate", invoice.due_date.isoformat())
    if invoice.payment_terms_note:
        _el(_el(root, "cac:PaymentTerms"), "cbc:Note", invoice.payment_terms_note)

    adjustments = allowance_charges_of(invoice.allowance_charges)
    # The schemas order these two differently: a CreditNote's exchange rate comes before its allowances.
    if foreign and credit:
        _exchange_rate(root, currency, invoice.exchange_rate)
    for item in adjustments:  # the document-level discounts and charges, each with its tax category
        node = _el(root, "cac:AllowanceCharge")
        _el(node, "cbc:ChargeIndicator", "true" if item.charge else "false")
        _el(node, "cbc:AllowanceChargeReason", item.reason)
        _amount(node, "cbc:Amount", item.amount, currency)
        _tax_category(node, "cac:TaxCategory", item.tax_category, item.tax_rate)
    if foreign and not credit:
        _exchange_rate(root, currency, invoice.exchange_rate)
    totals = document_totals(
        ((line.amounts, line.tax_category, Decimal(line.tax_rate), line.withholding_rate) for line in lines),
        adjustments,
    )
    tax_total = _el(root, "cac:TaxTotal")
    _amount(tax_total, "cbc:TaxAmount", totals.tax, currency)
    for group in totals.groups:
        subtotal = _el(tax_total, "cac:TaxSubtotal")
        _amount(subtotal, "cbc:TaxableAmount", group.taxable, currency)
        _amount(subtotal, "cbc:TaxAmount", group.tax, currency)
        _tax_category(subtotal, "cac:TaxCategory", group.category, group.rate)
    if foreign:  # Peppol's VAT in the tax currency: a second TaxTotal with the amount alone, as NRS gets it
        naira = invoice.tax_total_ngn
        if naira is None:
            naira = in_naira(totals.tax, invoice.exchange_rate)
        _amount(_el(root, "cac:TaxTotal"), "cbc:TaxAmount", naira, NAIRA)
    if totals.withheld and not credit:  # UBL 2.1's Invoice has a total of the taxes the buyer withholds
        withheld = _el(root, "cac:WithholdingTaxTotal")
        _amount(withheld, "cbc:TaxAmount", totals.withheld, currency)
        for group in totals.withheld_groups:
            _withholding_subtotal(withheld, group.taxable, group.tax, group.rate, currency)
    monetary = _el(root, "cac:LegalMonetaryTotal")
    _amount(monetary, "cbc:LineExtensionAmount", totals.line_extension, currency)
    _amount(monetary, "cbc:TaxExclusiveAmount", totals.tax_exclusive, currency)
    _amount(monetary, "cbc:TaxInclusiveAmount", totals.tax_inclusive, currency)
    if totals.allowances:
        _amount(monetary, "cbc:AllowanceTotalAmount", totals.allowances, currency)
    if totals.charges:
        _amount(monetary, "cbc:ChargeTotalAmount", totals.charges, currency)
    if totals.withheld:
        # What the buyer withholds is settled with NRS, not paid to the supplier: as a prepaid amount the totals
        # reconcile as EN 16931 reads them (payable = tax-inclusive − prepaid).
        _amount(monetary, "cbc:PrepaidAmount", totals.withheld, currency)
    _amount(monetary, "cbc:PayableAmount", totals.payable, currency)

    for number, line in enumerate(lines, start=1):
        node = _el(root, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")
        _el(node, "cbc:ID", number)
        _el(
            node,
            "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity",
            _plain(line.quantity),
            unitCode=unit_code(line.unit) or ONE,
        )
        _amount(node, "cbc:LineExtensionAmount", line.line_extension, currency)
        for charge, amount, reason in ((False, line.discount, "Discount"), (True, line.fee, "Fee")):
            if amount:
                allowance = _el(node, "cac:AllowanceCharge")
                _el(allowance, "cbc:ChargeIndicator", "true" if charge else "false")
                _el(allowance, "cbc:AllowanceChargeReason", reason)
                _amount(allowance, "cbc:Amount", amount, currency)
        withheld_rate = line.withholding_rate
        if withheld_rate and line.tax_category not in DEDUCTED_CATEGORIES and not credit:
            # Each line says what is withheld on it, so a reader need not guess which lines the document's
            # withholding subtotals (grouped by rate alone) were summed from.
            amounts = line.amounts
            withheld = _el(node, "cac:WithholdingTaxTotal")
            _amount(withheld, "cbc:TaxAmount", amounts.withheld, currency)
            _withholding_subtotal(withheld, amounts.line_extension, amounts.withheld, withheld_rate, currency)
        item = _el(node, "cac:Item")
        _el(item, "cbc:Name", line.description)
        if line.item_code:
            _el(_el(item, "cac:SellersItemIdentification"), "cbc:ID", line.item_code)
        for code, scheme in ((line.hsn_code, "HS"), (line.isic_code, "ISIC")):
            if code:
                _el(_el(item, "cac:CommodityClassification"), "cbc:ItemClassificationCode", code, listID=scheme)
        _tax_category(item, "cac:ClassifiedTaxCategory", line.tax_category, line.tax_rate)
        if line.category:
            prop = _el(item, "cac:AdditionalItemProperty")
            _el(prop, "cbc:Name", "Category")
            _el(prop, "cbc:Value", line.category)
        _amount(_el(node, "cac:Price"), "cbc:PriceAmount", line.unit_price, currency)
        # PriceAmount keeps kobo; a price with finer decimals is written exactly instead.
        price = node.find("cac:Price/cbc:PriceAmount", NS)
        if Decimal(line.unit_price) != to_kobo(line.unit_price):
            price.text = _plain(line.unit_price)

    problems = schema_errors(root)
    if problems:
        raise ValueError("The UBL export is not valid UBL 2.1: " + " ".join(problems))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- import -----------------------------------------------------------------------------------------------------


def _parser():
    # No DTDs, no entities, no network: an uploaded file must not reach outside itself.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _text(node, path: str) -> str:
    found = node.find(path, NS) if node is not None else None
    return (found.text or "").strip() if found is not None and found.text else ""


def _decimal(text: str):
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _number(value: Decimal) -> str:
    """The body's numbers as text (JSON-safe, exact): invoice_create reads them as Decimal."""
    return _plain(value)


def _state_code(address) -> str:
    code = _text(address, "cbc:CountrySubentityCode")
    if code:
        return code
    given = _text(address, "cbc:CountrySubentity")
    if not given:
        return ""
    found = State.objects.filter(code__iexact=given).first() or State.objects.filter(name__iexact=given).first()
    return found.code if found else given


def _lga_code(address, state: str) -> str:
    given = _text(address, "cbc:District")
    if not given:
        return ""
    found = Lga.objects.filter(code__iexact=given).first()
    if found is None and state:
        found = Lga.objects.filter(state_id=state, name__iexact=given).first()
    return found.code if found else given


def _customer(root, errors: list) -> dict:
    party = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    address = party.find("cac:PostalAddress", NS) if party is not None else None
    name = _text(party, "cac:PartyLegalEntity/cbc:RegistrationName") or _text(party, "cac:PartyName/cbc:Name")
    if not name:
        errors.append(
            "The buyer has no name: add cbc:RegistrationName in cac:PartyLegalEntity (or cbc:Name in "
            "cac:PartyName) of cac:AccountingCustomerParty."
        )
    street = _text(address, "cbc:StreetName")
    more = _text(address, "cbc:AdditionalStreetName")
    state = _state_code(address)
    return {
        "name": name,
        "tin": _text(party, "cac:PartyTaxScheme/cbc:CompanyID"),
        "email": _text(party, "cac:Contact/cbc:ElectronicMail"),
        "phone": _text(party, "cac:Contact/cbc:Telephone"),
        "address": f"{street}, {more}" if street and more else street or more,
        "city": _text(address, "cbc:CityName"),
        "postal_code": _text(address, "cbc:PostalZone"),
        "state": state,
        "lga": _lga_code(address, state),
        "country": _text(address, "cac:Country/cbc:IdentificationCode"),
    }


def _tax_of(tax, where: str, element: str, errors: list, nrs_categories: frozenset) -> tuple[str, Decimal | None]:
    """A UBL tax category (`element`, e.g. cac:ClassifiedTaxCategory) as (NRS tax category, rate): our own
    exports name the NRS category in cbc:Name; another system's file is read by its UNCL 5305 cbc:ID."""
    tax_code, tax_name = _text(tax, "cbc:ID").upper(), _text(tax, "cbc:Name").upper()
    rate = _decimal(_text(tax, "cbc:Percent"))
    if tax_name in nrs_categories:
        scheme = tax_name
    elif tax_code in TAX_CATEGORIES_READ:
        scheme = TAX_CATEGORIES_READ[tax_code]
    else:
        errors.append(
            f"{where}: the tax category “{tax_code}” (cbc:ID of {element}) cannot be sent to NRS: "
            "use S (standard rate), Z (zero rate) or E (exempt)."
        )
        scheme = ""
    if rate is None:
        rate = Decimal(0) if scheme in ("ZERO_VAT", "EXEMPTED", "ZERO_GST") else None
        if rate is None:
            errors.append(f"{where} has no tax rate: add cbc:Percent to {element}, e.g. 7.5.")
    return scheme, rate


def _line(node, number: int, quantity_tag: str, errors: list, nrs_categories: frozenset) -> dict:
    where = f"Line {number}"
    quantity_node = node.find(f"cbc:{quantity_tag}", NS)
    quantity = _decimal(_text(node, f"cbc:{quantity_tag}"))
    if quantity is None:
        errors.append(f"{where} has no quantity: add cbc:{quantity_tag} with a number, e.g. 2.")
    unit = (quantity_node.get("unitCode") or "").strip() if quantity_node is not None else ""
    price = _decimal(_text(node, "cac:Price/cbc:PriceAmount"))
    if price is None:
        errors.append(f"{where} has no price: add cbc:PriceAmount in cac:Price, the price of one unit.")
    base = _decimal(_text(node, "cac:Price/cbc:BaseQuantity")) or Decimal(1)
    if price is not None and base != 1:
        price = price / base  # the price is per BaseQuantity units; ours is per unit
    discount, fee = Decimal(0), Decimal(0)
    for allowance in node.findall("cac:AllowanceCharge", NS):
        amount = _decimal(_text(allowance, "cbc:Amount"))
        if amount is None:
            errors.append(f"{where}: an allowance or charge has no amount: add cbc:Amount to cac:AllowanceCharge.")
        elif _text(allowance, "cbc:ChargeIndicator") == "true":
            fee += amount
        else:
            discount += amount
    item = node.find("cac:Item", NS)
    description = _text(item, "cbc:Name") or _text(item, "cbc:Description")
    if not description:
        errors.append(f"{where} has no description: add cbc:Name in cac:Item, what was sold.")
    codes = {"HS": "", "ISIC": ""}
    for code in node.findall("cac:Item/cac:CommodityClassification/cbc:ItemClassificationCode", NS):
        scheme = (code.get("listID") or "").upper()
        if scheme in codes and not codes[scheme]:
            codes[scheme] = (code.text or "").strip()
    category = ""
    for prop in node.findall("cac:Item/cac:AdditionalItemProperty", NS):
        if _text(prop, "cbc:Name").lower() == "category":
            category = _text(prop, "cbc:Value")
    tax = node.find("cac:Item/cac:ClassifiedTaxCategory", NS)
    if tax is None:
        errors.append(
            f"{where} has no tax: add cac:ClassifiedTaxCategory to cac:Item with cbc:ID (S, Z or E) and cbc:Percent."
        )
        scheme, rate = "", None
    else:
        scheme, rate = _tax_of(tax, where, "cac:ClassifiedTaxCategory", errors, nrs_categories)
    stated = _decimal(_text(node, "cbc:LineExtensionAmount"))
    if None not in (quantity, price, stated):
        ours = to_kobo(quantity * price - discount + fee)
        if abs(ours - stated) > Decimal("0.01"):
            errors.append(
                f"{where}: cbc:LineExtensionAmount is {stated:f}, but quantity × price − allowances + charges is "
                f"{ours:f}. Correct the amount, the quantity or the price."
            )
    line = {
        "description": description,
        "quantity": _number(quantity) if quantity is not None else None,
        "unit_price": _number(price) if price is not None else None,
        "discount": _number(discount),
        "fee": _number(fee),
        "hsn_code": codes["HS"],
        "isic_code": codes["ISIC"],
        "category": category,
        "tax_scheme": scheme,
        "tax_rate": _number(rate) if rate is not None else None,
        "unit_of_measure": unit,
    }
    return line


def _exchange_rate_of(root, currency: str, errors: list) -> str | None:
    """The naira per one unit of a foreign document's currency, from cac:TaxExchangeRate; None when the file gives
    none (the business's rates table on the issue date is used then, as for any invoice without a rate)."""
    tax_currency = _text(root, "cbc:TaxCurrencyCode").upper()
    if tax_currency and tax_currency != NAIRA:
        errors.append(
            f"The tax currency is {tax_currency} (cbc:TaxCurrencyCode): Nigerian VAT is accounted in naira, so "
            "make it NGN, or leave it out."
        )
    node = root.find("cac:TaxExchangeRate", NS)
    if node is None or currency in ("", NAIRA):
        return None
    given = _text(node, "cbc:CalculationRate")
    if not given:
        return None
    source, target = _text(node, "cbc:SourceCurrencyCode").upper(), _text(node, "cbc:TargetCurrencyCode").upper()
    operator = _text(node, "cbc:MathematicOperatorCode")
    rate = _decimal(given)
    problems = []
    if source != currency.upper() or target != NAIRA:
        problems.append(
            f"cac:TaxExchangeRate converts {source} to {target}, but the invoice is in {currency} and its VAT in "
            f"naira: make cbc:SourceCurrencyCode {currency} and cbc:TargetCurrencyCode NGN."
        )
    if operator and operator.lower() != MULTIPLY.lower():
        problems.append(
            f"cac:TaxExchangeRate divides (cbc:MathematicOperatorCode “{operator}”): give the rate as naira for one "
            f"{currency} in cbc:CalculationRate, with cbc:MathematicOperatorCode Multiply."
        )
    if rate is None or rate <= 0:
        problems.append(
            f"The exchange rate “{given}” (cbc:CalculationRate in cac:TaxExchangeRate) is not a rate: write the "
            f"naira for one {currency} as a number above zero, such as 1530.00."
        )
    errors.extend(problems)
    return None if problems else _number(rate)


def _payment(root, errors: list) -> dict:
    """How and on what terms the buyer pays: the first cac:PaymentMeans's code (NRS takes UNCL 4461 codes; "1",
    not defined, says nothing) and the cac:PaymentTerms notes."""
    means = _text(root, "cac:PaymentMeans/cbc:PaymentMeansCode").upper()
    if means == UNDEFINED_MEANS:
        means = ""
    known = lookup.payment_means()
    if means and means not in known:
        examples = ", ".join(f"{code} ({name.lower()})" for code, name in list(known.items())[:4])
        errors.append(
            f"The payment means {means} (cbc:PaymentMeansCode in cac:PaymentMeans) is not one NRS takes: use one "
            f"such as {examples}, or leave cac:PaymentMeans out."
        )
    notes = [_text(terms, "cbc:Note") for terms in root.findall("cac:PaymentTerms", NS)]
    return {"payment_means": means, "payment_terms_note": "\n".join(note for note in notes if note)}


def _allowance_charges(root, errors: list, nrs_categories: frozenset) -> list[dict]:
    """The document's own allowances (discounts) and charges (delivery…), each with its tax category and rate
    when the file gives one (the checks tax it at the lines' single rate when it does not)."""
    items = []
    for number, node in enumerate(root.findall("cac:AllowanceCharge", NS), start=1):
        charge = _text(node, "cbc:ChargeIndicator").lower() in ("true", "1")
        where = f"The document's {'charge' if charge else 'allowance'} {number} (cac:AllowanceCharge)"
        amount = _decimal(_text(node, "cbc:Amount"))
        if amount is None or amount <= 0:
            errors.append(f"{where} has no amount above zero: give cbc:Amount, such as 5000.00.")
        reason = _text(node, "cbc:AllowanceChargeReason")
        code = _text(node, "cbc:AllowanceChargeReasonCode")
        if not reason and code:
            reason = f"{'Charge' if charge else 'Allowance'}, reason code {code}"
        if not reason:
            errors.append(f"{where} does not say what it is for: add cbc:AllowanceChargeReason, such as Delivery.")
        scheme, rate = "", None
        tax = node.find("cac:TaxCategory", NS)
        if tax is not None:
            scheme, rate = _tax_of(tax, where, "cac:TaxCategory", errors, nrs_categories)
        items.append(
            {
                "charge_indicator": charge,
                "amount": _number(amount) if amount is not None else None,
                "reason": reason,
                "tax_scheme": scheme,
                "tax_rate": _number(rate) if rate is not None else None,
            }
        )
    return items


def _withholding_rate(total, where: str, errors: list) -> Decimal | None:
    """The one rate (cbc:Percent) of a cac:WithholdingTaxTotal's subtotals."""
    rates = {_decimal(_text(sub, "cac:TaxCategory/cbc:Percent")) for sub in total.findall("cac:TaxSubtotal", NS)}
    if len(rates) != 1 or None in rates:
        errors.append(
            f"{where}: its withholding tax (cac:WithholdingTaxTotal) needs one cac:TaxSubtotal whose "
            "cac:TaxCategory gives the rate withheld in cbc:Percent, such as 10."
        )
        return None
    return rates.pop()


def _withholding(root, nodes: list, lines: list[dict], errors: list) -> None:
    """Fill each line's `withholding_rate` from the file.

    A line's own cac:WithholdingTaxTotal says it (Flowpoint's export writes one on each line withheld on). A file
    with the document's cac:WithholdingTaxTotal alone gives subtotals by rate, each on the sum of the amounts of
    the lines withheld at that rate (integrations/nrs/totals.py: document_totals): a subtotal is read back onto
    the lines whose amounts make its taxable amount (all the lines not yet withheld on; else the lines of one tax
    category and rate; else one line), and refused in words when no such lines, or more than one set, fit."""
    extension = {}
    for index, line in enumerate(lines):
        if line["quantity"] is None or line["unit_price"] is None:
            return  # refused already: amounts cannot be matched
        extension[index] = to_kobo(
            Decimal(line["quantity"]) * Decimal(line["unit_price"]) - Decimal(line["discount"]) + Decimal(line["fee"])
        )
    withheld: dict[int, Decimal] = {}
    own = False  # whether any line carries its own withholding
    for index, (node, line) in enumerate(zip(nodes, lines, strict=True)):
        if line["tax_scheme"] in DEDUCTED_CATEGORIES:  # an older withholding line: withheld at its tax rate
            withheld[index] = Decimal(line["tax_rate"] or 0)
            continue
        total = node.find("cac:WithholdingTaxTotal", NS)
        if total is not None:
            own = True
            rate = _withholding_rate(total, f"Line {index + 1}", errors)
            if rate is not None:
                withheld[index] = rate
                line["withholding_rate"] = _number(rate)

    subtotals = root.findall("cac:WithholdingTaxTotal/cac:TaxSubtotal", NS)
    left: dict[Decimal, Decimal] = {}  # rate → taxable the document's subtotals give, less the lines known
    for sub in subtotals:
        rate = _decimal(_text(sub, "cac:TaxCategory/cbc:Percent"))
        taxable = _decimal(_text(sub, "cbc:TaxableAmount"))
        if rate is None or taxable is None:
            errors.append(
                "A withholding subtotal (cac:TaxSubtotal in cac:WithholdingTaxTotal) needs the amount withheld on "
                "in cbc:TaxableAmount and the rate in cbc:Percent of its cac:TaxCategory, such as 10."
            )
            return
        left[rate] = left.get(rate, Decimal(0)) + to_kobo(taxable)
    if not subtotals:
        return  # the lines say it all, or nothing is withheld
    for index, rate in withheld.items():
        left[rate] = left.get(rate, Decimal(0)) - extension[index]
    for rate, taxable in left.items():
        if not taxable:
            continue
        found = None if own or taxable < 0 else _withheld_lines(taxable, lines, extension, withheld)
        if found is None:
            errors.append(_unattributed(rate, taxable, own))
            continue
        for index in found:
            withheld[index] = rate
            lines[index]["withholding_rate"] = _number(rate)


def _unattributed(rate: Decimal, taxable: Decimal, own: bool) -> str:
    percent = f"{_plain(rate)}%"
    if own or taxable < 0:
        return (
            f"The withholding tax at {percent} (cbc:TaxableAmount in cac:WithholdingTaxTotal) does not add up to the "
            f"lines withheld on at {percent} (each line's own cac:WithholdingTaxTotal): it is {abs(taxable):f} "
            f"{'more' if taxable > 0 else 'less'}. Correct the subtotal's cbc:TaxableAmount or the lines'."
        )
    return (
        f"The withholding tax at {percent} (cac:TaxSubtotal in cac:WithholdingTaxTotal) is on {taxable:f}, which "
        "is not the amount of one line, of one tax category's lines, or of all the lines left, so which lines it is "
        "withheld on cannot be told: add a cac:WithholdingTaxTotal to each of those cac:InvoiceLine (with the rate "
        "in cbc:Percent of its cac:TaxSubtotal's cac:TaxCategory), or correct the subtotal's cbc:TaxableAmount."
    )


def _withheld_lines(taxable: Decimal, lines: list, extension: dict, withheld: dict) -> list[int] | None:
    """The lines (indexes) a document withholding subtotal's taxable amount is the sum of, when one set fits."""
    free = [index for index in extension if index not in withheld]
    if free and sum(extension[index] for index in free) == taxable:
        return free
    groups: dict[tuple, list[int]] = {}
    for index in free:
        groups.setdefault((lines[index]["tax_scheme"], lines[index]["tax_rate"]), []).append(index)
    fitting = [group for group in groups.values() if sum(extension[index] for index in group) == taxable]
    if len(fitting) == 1:
        return fitting[0]
    single = [index for index in free if extension[index] == taxable]
    return single if len(single) == 1 else None


def _additional(root, description: str) -> str:
    for reference in root.findall("cac:AdditionalDocumentReference", NS):
        if _text(reference, "cbc:DocumentDescription") == description:
            return _text(reference, "cbc:ID")
    return ""


def ubl_to_invoice_body(xml_bytes: bytes) -> dict:
    """A UBL 2.1 Invoice or CreditNote as invoice_create's body (the API's shape; numbers as exact text).

    Refuses, with UblError, a file that is not XML, not a UBL 2.1 Invoice or CreditNote, not valid against the
    UBL 2.1 schema, or that lacks what an invoice needs. What NRS gave the sender (the IRN, the QR code) is not
    read: the invoice is certified anew. A line's saved item is not carried either (it belongs to the sender).
    """
    try:
        root = etree.fromstring(xml_bytes, _parser())
    except etree.XMLSyntaxError as exc:
        raise UblError([f"The file is not readable XML (line {exc.lineno}): {exc.msg}. Export it again."]) from exc
    tag = etree.QName(root)
    if (tag.namespace, tag.localname) not in ((NS["inv"], "Invoice"), (NS["cn"], "CreditNote")):
        raise UblError(
            [
                f"The file is not a UBL 2.1 invoice or credit note: its first element is “{tag.localname}”. "
                "Export an Invoice or CreditNote in UBL 2.1 (Peppol BIS Billing 3.0)."
            ]
        )
    problems = schema_errors(root)
    if problems:
        raise UblError(["The file is not valid UBL 2.1, as the official schema reads it:", *problems])

    errors: list[str] = []
    credit = tag.localname == "CreditNote"
    if credit:
        code = _text(root, "cbc:CreditNoteTypeCode") or "381"
        invoice_type = "credit_note" if code == "381" else None
        allowed = "381 (credit note)"
        where = "cbc:CreditNoteTypeCode"
    else:
        code = _text(root, "cbc:InvoiceTypeCode") or "380"
        invoice_type = INVOICE_TYPES_READ.get(code)
        allowed = "380 (invoice), 383 (debit note) or 384 (corrected invoice, read as a debit note)"
        where = "cbc:InvoiceTypeCode"
    if invoice_type is None:
        errors.append(f"The document type {code} ({where}) cannot be sent to NRS: use {allowed}.")

    currency = _text(root, "cbc:DocumentCurrencyCode")
    if not currency:
        errors.append("The currency is missing: add cbc:DocumentCurrencyCode, e.g. NGN.")
    due = _text(root, "cbc:DueDate") or _text(root, "cac:PaymentMeans/cbc:PaymentDueDate")
    customer = _customer(root, errors)
    kind = _additional(root, KIND_DESCRIPTION).upper()
    if kind not in ("B2B", "B2G", "B2C"):
        kind = "B2B" if customer["tin"] else "B2C"
    body = {
        "invoice_kind": kind,
        "invoice_type": invoice_type or "invoice",
        "document_number": _text(root, "cbc:ID"),
        "issue_date": _text(root, "cbc:IssueDate"),
        "due_date": due or None,
        "currency": currency,
        "po_reference": _text(root, "cac:OrderReference/cbc:ID") or _text(root, "cbc:BuyerReference"),
        "note": "\n".join(n.text.strip() for n in root.findall("cbc:Note", NS) if n.text and n.text.strip()),
        "customer": customer,
    }
    if invoice_type in ("credit_note", "debit_note"):
        reference = root.find("cac:BillingReference/cac:InvoiceDocumentReference", NS)
        irn = _text(reference, "cbc:UUID")
        if not irn:
            number = _text(reference, "cbc:ID")
            errors.append(
                "A credit or debit note names the certified invoice it corrects by its IRN: add cbc:UUID with the "
                "IRN NRS gave that invoice"
                + (f" (invoice {number})" if number else "")
                + " to cac:InvoiceDocumentReference in cac:BillingReference."
            )
        body["original_irn"] = irn
        # Its issue date too: Flowpoint finds its own invoice by IRN alone, one issued elsewhere needs the date.
        body["original_issue_date"] = _text(reference, "cbc:IssueDate") or None
    line_tag = "cac:CreditNoteLine" if credit else "cac:InvoiceLine"
    quantity_tag = "CreditedQuantity" if credit else "InvoicedQuantity"
    rate = _exchange_rate_of(root, currency, errors)
    if rate is not None:
        body["exchange_rate"] = rate
    body.update(_payment(root, errors))
    nrs_categories = frozenset(TaxCategory.objects.values_list("code", flat=True))
    body["allowance_charges"] = _allowance_charges(root, errors, nrs_categories)
    nodes = root.findall(line_tag, NS)
    body["lines"] = [
        _line(node, number, quantity_tag, errors, nrs_categories) for number, node in enumerate(nodes, start=1)
    ]
    _withholding(root, nodes, body["lines"], errors)
    if errors:
        raise UblError(errors)
    return body
