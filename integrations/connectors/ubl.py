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
from integrations.nrs.totals import document_totals, to_kobo
from integrations.reference.models import Lga, State, TaxCategory
from integrations.reference.units import unit_code
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
    if invoice.due_date and credit:  # a UBL 2.1 CreditNote has no DueDate: Peppol puts it in the payment means
        means = _el(root, "cac:PaymentMeans")
        _el(means, "cbc:PaymentMeansCode", "1")  # UNCL 4461: instrument not defined
        _el(means, "cbc:PaymentDueDate", invoice.due_date.isoformat())

    adjustments = allowance_charges_of(invoice.allowance_charges)
    for item in adjustments:  # the document-level discounts and charges, each with its tax category
        node = _el(root, "cac:AllowanceCharge")
        _el(node, "cbc:ChargeIndicator", "true" if item.charge else "false")
        _el(node, "cbc:AllowanceChargeReason", item.reason)
        _amount(node, "cbc:Amount", item.amount, currency)
        _tax_category(node, "cac:TaxCategory", item.tax_category, item.tax_rate)
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
    if totals.withheld and not credit:  # UBL 2.1's Invoice has a total of the taxes the buyer withholds
        withheld = _el(root, "cac:WithholdingTaxTotal")
        _amount(withheld, "cbc:TaxAmount", totals.withheld, currency)
        for group in totals.withheld_groups:
            subtotal = _el(withheld, "cac:TaxSubtotal")
            _amount(subtotal, "cbc:TaxableAmount", group.taxable, currency)
            _amount(subtotal, "cbc:TaxAmount", group.tax, currency)
            category = _el(subtotal, "cac:TaxCategory")
            _el(category, "cbc:Name", group.category)
            _el(category, "cbc:Percent", _plain(group.rate))
            _el(_el(category, "cac:TaxScheme"), "cbc:ID", "WHT")
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
    tax_code, tax_name = _text(tax, "cbc:ID").upper(), _text(tax, "cbc:Name").upper()
    rate = _decimal(_text(tax, "cbc:Percent"))
    if tax is None:
        errors.append(
            f"{where} has no tax: add cac:ClassifiedTaxCategory to cac:Item with cbc:ID (S, Z or E) and cbc:Percent."
        )
        scheme = ""
    elif tax_name in nrs_categories:
        scheme = tax_name
    elif tax_code in TAX_CATEGORIES_READ:
        scheme = TAX_CATEGORIES_READ[tax_code]
    else:
        errors.append(
            f"{where}: the tax category “{tax_code}” (cbc:ID of cac:ClassifiedTaxCategory) cannot be sent to NRS: "
            "use S (standard rate), Z (zero rate) or E (exempt)."
        )
        scheme = ""
    if rate is None:
        rate = Decimal(0) if scheme in ("ZERO_VAT", "EXEMPTED", "ZERO_GST") else None
        if rate is None and tax is not None:
            errors.append(f"{where} has no tax rate: add cbc:Percent to cac:ClassifiedTaxCategory, e.g. 7.5.")
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
    nrs_categories = frozenset(TaxCategory.objects.values_list("code", flat=True))
    body["lines"] = [
        _line(node, number, quantity_tag, errors, nrs_categories)
        for number, node in enumerate(root.findall(line_tag, NS), start=1)
    ]
    if errors:
        raise UblError(errors)
    return body
