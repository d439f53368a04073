"""The tax cases through UBL and back: each worked example of docs/worked-examples.md that UBL can carry is certified
here, exported (valid against the OASIS UBL 2.1 schemas), read back with ubl_to_invoice_body and created in another
business's books, which must then hold the example's own figures: withholding tax on a line, a discount and a
charge on the whole invoice with payment means and terms, a US-dollar and a euro invoice at their exchange rates
(with no rates table at the importing business), an exempt line beside a standard one. And the files that cannot
say these things unambiguously are refused in words naming the element and the fix."""

from decimal import Decimal

import pytest
from django_scopes import scope, scopes_disabled
from lxml import etree

from integrations.connectors.ubl import NS, UblError, invoice_to_ubl, ubl_to_invoice_body
from integrations.reference.models import VatExemption
from invoicing.errors import InvoiceError
from invoicing.models import Invoice
from tests.conftest import sandbox_business
from tests.connectors.test_ubl import certified, official_schema
from tests.invoicing.test_deducted_taxes_and_adjustments import case_body
from tests.invoicing.test_deducted_taxes_and_adjustments import figures as adjustment_figures
from tests.invoicing.test_foreign_currency import EUR_LINE, foreign_body
from tests.invoicing.test_foreign_currency import figures as currency_figures
from tests.invoicing.test_vat_exemption import HANDSETS, HORSES, two_lines
from tests.invoicing.test_vat_exemption import figures as exempt_figures
from tests.worked_examples import worked_example

pytestmark = pytest.mark.usefixtures("connected_tenant")


def exempt_and_standard(number):
    # NRS's list as the sync leaves it: breeding horses (0101.2100) are VAT exempt.
    VatExemption.objects.get_or_create(code="0101.2100", defaults={"name": "Pure-bred breeding horses"})
    return two_lines(HORSES, HANDSETS, document_number=number)


# Each example: its create body and how its figures are read off an invoice, labelled as the doc labels them.
EXAMPLES = {
    "consulting-withholding": (
        lambda: case_body("consulting-withholding", "UBL-WHT-1"),
        lambda invoice: adjustment_figures("consulting-withholding", invoice),
    ),
    "allowance-charge": (
        lambda: case_body("allowance-charge", "UBL-ADJ-1"),
        lambda invoice: adjustment_figures("allowance-charge", invoice),
    ),
    "usd-invoice": (
        lambda: foreign_body(document_number="UBL-USD-1", exchange_rate="1530.00"),
        currency_figures,
    ),
    "eur-invoice": (
        lambda: foreign_body("EUR", EUR_LINE, document_number="UBL-EUR-1", exchange_rate="1712.345678"),
        currency_figures,
    ),
    "vat-exempt-and-standard-lines": (lambda: exempt_and_standard("UBL-EXEMPT-1"), exempt_figures),
}


def fresh(invoice) -> Invoice:
    with scopes_disabled():
        return Invoice.objects.get(pk=invoice.pk)


def exported(tenant, data) -> tuple[Invoice, etree._Element]:
    invoice = certified(tenant, data)
    with scope(tenant=tenant):
        xml = invoice_to_ubl(invoice)
    root = etree.fromstring(xml)
    schema = official_schema(etree.QName(root).localname)
    assert schema.validate(root), schema.error_log
    return invoice, root


@pytest.fixture
def importer(key_file):
    """Another business, with no exchange rates of its own: what it gets is what the file says."""
    return sandbox_business(key_file, name="Ade Trading Ltd", telephone="+2348011111111")


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_worked_example_comes_back_from_ubl_with_its_figures(connected_tenant, importer, name):
    make_body, figures = EXAMPLES[name]
    original, root = exported(connected_tenant, make_body())
    expected = worked_example(name)
    assert figures(fresh(original)) == expected

    read = ubl_to_invoice_body(etree.tostring(root))
    again = fresh(certified(importer, read))
    assert figures(again) == expected
    assert (again.payable, again.tax_total, again.withholding_total, again.tax_total_ngn, again.payable_ngn) == (
        original.payable,
        original.tax_total,
        original.withholding_total,
        original.tax_total_ngn,
        original.payable_ngn,
    )


def test_a_foreign_invoice_carries_its_rate_and_its_vat_in_naira(connected_tenant, importer):
    invoice, root = exported(connected_tenant, foreign_body(document_number="UBL-USD-2", exchange_rate="1530.00"))
    assert root.findtext("cbc:TaxCurrencyCode", namespaces=NS) == "NGN"
    rate = root.find("cac:TaxExchangeRate", NS)
    assert [(child.tag.split("}")[1], child.text) for child in rate] == [
        ("SourceCurrencyCode", "USD"),
        ("TargetCurrencyCode", "NGN"),
        ("CalculationRate", "1530"),
        ("MathematicOperatorCode", "Multiply"),
    ]
    in_dollars, in_naira = root.findall("cac:TaxTotal", NS)
    assert in_dollars.find("cbc:TaxAmount", NS).attrib["currencyID"] == "USD"
    assert in_dollars.findtext("cbc:TaxAmount", namespaces=NS) == "75.00"
    assert in_naira.find("cbc:TaxAmount", NS).attrib["currencyID"] == "NGN"
    assert Decimal(in_naira.findtext("cbc:TaxAmount", namespaces=NS)) == worked_example("usd-invoice")["VAT in naira"]
    assert in_naira.find("cac:TaxSubtotal", NS) is None  # the naira entry is the amount alone, as NRS gets it

    read = ubl_to_invoice_body(etree.tostring(root))
    assert (read["currency"], read["exchange_rate"]) == ("USD", "1530")

    # Without the rate, the importing business's rates table is asked, and it has none: refused in its words.
    root.remove(root.find("cac:TaxExchangeRate", NS))
    read = ubl_to_invoice_body(etree.tostring(root))
    assert "exchange_rate" not in read
    with pytest.raises(InvoiceError) as refused:
        certified(importer, read)
    assert "exchange_rate" in refused.value.fields

    # A credit note (whose schema puts the exchange rate before the allowances) with a discount: $100.00 − $10.00
    # = $90.00, VAT $6.75, $96.75; at ₦1,530.00 the VAT is ₦10,327.50.
    note = foreign_body(
        document_number="UBL-USD-CN-1",
        exchange_rate="1530.00",
        invoice_type="credit_note",
        original_invoice_id=str(invoice.pk),
        line={"quantity": 1, "unit_price": "100.00", "tax_rate": 7.5},
    )
    note["allowance_charges"] = [{"charge_indicator": False, "amount": "10", "reason": "Returned in good order"}]
    credit, root = exported(connected_tenant, note)
    assert etree.QName(root).localname == "CreditNote"
    assert root.findtext("cac:TaxExchangeRate/cbc:CalculationRate", namespaces=NS) == "1530"
    assert [total.findtext("cbc:TaxAmount", namespaces=NS) for total in root.findall("cac:TaxTotal", NS)] == [
        "6.75",
        "10327.50",
    ]
    read = ubl_to_invoice_body(etree.tostring(root))
    assert (read["exchange_rate"], read["allowance_charges"][0]["amount"]) == ("1530", "10")
    assert (credit.payable, credit.tax_total_ngn) == (Decimal("96.75"), Decimal("10327.50"))


def test_payment_means_terms_and_document_allowances_are_read_back(connected_tenant):
    _, root = exported(connected_tenant, case_body("allowance-charge", "UBL-ADJ-2"))
    assert root.findtext("cac:PaymentMeans/cbc:PaymentMeansCode", namespaces=NS) == "30"
    assert root.findtext("cac:PaymentTerms/cbc:Note", namespaces=NS) == "Net 30 days"
    read = ubl_to_invoice_body(etree.tostring(root))
    assert (read["payment_means"], read["payment_terms_note"]) == ("30", "Net 30 days")
    assert read["allowance_charges"] == [
        {
            "charge_indicator": False,
            "amount": "15000",
            "reason": "Loyalty discount",
            "tax_scheme": "STANDARD_VAT",
            "tax_rate": "7.5",
        },
        {
            "charge_indicator": True,
            "amount": "5000",
            "reason": "Delivery",
            "tax_scheme": "STANDARD_VAT",
            "tax_rate": "7.5",
        },
    ]

    # Another system's allowance: its UNCL 5305 code only, and a payment means NRS does not take.
    allowance = root.find("cac:AllowanceCharge", NS)
    allowance.find("cac:TaxCategory/cbc:Name", NS).text = "Standard"
    root.find("cac:PaymentMeans/cbc:PaymentMeansCode", NS).text = "57"
    with pytest.raises(UblError) as refused:
        ubl_to_invoice_body(etree.tostring(root))
    assert refused.value.errors == [
        "The payment means 57 (cbc:PaymentMeansCode in cac:PaymentMeans) is not one NRS takes: use one such as "
        "10 (cash), 20 (cheque), 30 (credit transfer), 31 (debit transfer), or leave cac:PaymentMeans out."
    ]
    root.find("cac:PaymentMeans/cbc:PaymentMeansCode", NS).text = "1"  # "not defined": not said
    read = ubl_to_invoice_body(etree.tostring(root))
    assert read["payment_means"] == ""
    assert (read["allowance_charges"][0]["tax_scheme"], read["allowance_charges"][0]["tax_rate"]) == (
        "STANDARD_VAT",
        "7.5",
    )
    allowance.find("cac:TaxCategory/cbc:ID", NS).text = "AE"
    allowance.find("cbc:AllowanceChargeReason", NS).text = ""
    with pytest.raises(UblError) as refused:
        ubl_to_invoice_body(etree.tostring(root))
    assert refused.value.errors == [
        "The document's allowance 1 (cac:AllowanceCharge) does not say what it is for: add "
        "cbc:AllowanceChargeReason, such as Delivery.",
        "The document's allowance 1 (cac:AllowanceCharge): the tax category “AE” (cbc:ID of cac:TaxCategory) "
        "cannot be sent to NRS: use S (standard rate), Z (zero rate) or E (exempt).",
    ]


def without_line_withholding(root):
    """The file as a system that writes the document's withholding total alone would write it."""
    for line in root.findall("cac:InvoiceLine", NS):
        for total in line.findall("cac:WithholdingTaxTotal", NS):
            line.remove(total)
    return root


def withholding_body(number):
    """Two lines, only the second withheld on at 10%: 1 × 200,000.00 consulting (withheld 20,000.00) beside
    5 × 8,000.00 printer paper (40,000.00, nothing withheld); VAT 7.5% on 240,000.00 = 18,000.00, so the buyer
    pays 240,000.00 + 18,000.00 − 20,000.00 = 238,000.00."""
    data = case_body("consulting-withholding", number)
    consulting = {**data["lines"][0], "quantity": "1", "unit_price": "200000"}
    paper = {
        "description": "Printer paper",
        "quantity": "5",
        "unit_price": "8000",
        "hsn_code": "4802.56",
        "tax_scheme": "STANDARD_VAT",
        "tax_rate": "7.5",
    }
    data["lines"] = [paper, consulting]
    return data


def test_a_document_withholding_total_alone_is_read_back_onto_its_lines(connected_tenant, importer):
    original, root = exported(connected_tenant, withholding_body("UBL-WHT-2"))
    assert (original.payable, original.withholding_total) == (Decimal("238000.00"), Decimal("20000.00"))
    lines = root.findall("cac:InvoiceLine", NS)
    assert lines[0].find("cac:WithholdingTaxTotal", NS) is None
    assert lines[1].findtext("cac:WithholdingTaxTotal/cbc:TaxAmount", namespaces=NS) == "20000.00"
    assert [line.get("withholding_rate") for line in ubl_to_invoice_body(etree.tostring(root))["lines"]] == [
        None,
        "10",
    ]

    # The document's total alone (taxable 200,000.00 at 10%): it is the consulting line's amount, and only its.
    read = ubl_to_invoice_body(etree.tostring(without_line_withholding(root)))
    assert [line.get("withholding_rate") for line in read["lines"]] == [None, "10"]
    again = fresh(certified(importer, read))
    assert (again.payable, again.withholding_total, again.tax_total) == (
        Decimal("238000.00"),
        Decimal("20000.00"),
        Decimal("18000.00"),
    )

    # Worked example (a), its one line: the document's total is all the lines.
    _, single = exported(connected_tenant, case_body("consulting-withholding", "UBL-WHT-3"))
    read = ubl_to_invoice_body(etree.tostring(without_line_withholding(single)))
    assert read["lines"][0]["withholding_rate"] == "10"


def test_withholding_that_matches_no_lines_is_refused_naming_the_element(connected_tenant):
    _, root = exported(connected_tenant, withholding_body("UBL-WHT-4"))
    subtotal = root.find("cac:WithholdingTaxTotal/cac:TaxSubtotal", NS)
    subtotal.find("cbc:TaxableAmount", NS).text = "123456.78"

    with pytest.raises(UblError) as refused:  # the lines say what is withheld on them: the total disagrees
        ubl_to_invoice_body(etree.tostring(root))
    assert refused.value.errors == [
        "The withholding tax at 10% (cbc:TaxableAmount in cac:WithholdingTaxTotal) does not add up to the lines "
        "withheld on at 10% (each line's own cac:WithholdingTaxTotal): it is 76543.22 less. Correct the "
        "subtotal's cbc:TaxableAmount or the lines'."
    ]

    with pytest.raises(UblError) as refused:  # the document's total alone: no line, nor set of lines, makes it
        ubl_to_invoice_body(etree.tostring(without_line_withholding(root)))
    assert refused.value.errors == [
        "The withholding tax at 10% (cac:TaxSubtotal in cac:WithholdingTaxTotal) is on 123456.78, which is not the "
        "amount of one line, of one tax category's lines, or of all the lines left, so which lines it is withheld "
        "on cannot be told: add a cac:WithholdingTaxTotal to each of those cac:InvoiceLine (with the rate in "
        "cbc:Percent of its cac:TaxSubtotal's cac:TaxCategory), or correct the subtotal's cbc:TaxableAmount."
    ]


def test_withholding_on_one_of_two_equal_lines_cannot_be_told_apart(connected_tenant):
    data = withholding_body("UBL-WHT-5")
    data["lines"][0].update(quantity="25")  # 25 × 8,000.00 = 200,000.00, the consulting line's amount too
    _, root = exported(connected_tenant, data)
    with pytest.raises(UblError) as refused:
        ubl_to_invoice_body(etree.tostring(without_line_withholding(root)))
    assert "which lines it is withheld on cannot be told" in refused.value.errors[0]


def test_a_tax_exchange_rate_that_is_not_a_rate_is_refused_in_words(connected_tenant):
    _, root = exported(connected_tenant, foreign_body(document_number="UBL-USD-3", exchange_rate="1530.00"))
    rate = root.find("cac:TaxExchangeRate/cbc:CalculationRate", NS)

    rate.text = "one thousand"
    with pytest.raises(UblError) as refused:  # the schema's decimal: named with the value, at its line
        ubl_to_invoice_body(etree.tostring(root))
    words = " ".join(refused.value.errors)
    assert "not valid UBL 2.1" in words and "cbc:CalculationRate" in words and "one thousand" in words

    rate.text = "0"
    with pytest.raises(UblError) as refused:
        ubl_to_invoice_body(etree.tostring(root))
    assert refused.value.errors == [
        "The exchange rate “0” (cbc:CalculationRate in cac:TaxExchangeRate) is not a rate: write the naira for one "
        "USD as a number above zero, such as 1530.00."
    ]

    rate.text = "0.00065"
    root.find("cac:TaxExchangeRate/cbc:MathematicOperatorCode", NS).text = "Divide"
    root.find("cac:TaxExchangeRate/cbc:TargetCurrencyCode", NS).text = "EUR"
    with pytest.raises(UblError) as refused:
        ubl_to_invoice_body(etree.tostring(root))
    assert refused.value.errors == [
        "cac:TaxExchangeRate converts USD to EUR, but the invoice is in USD and its VAT in naira: make "
        "cbc:SourceCurrencyCode USD and cbc:TargetCurrencyCode NGN.",
        "cac:TaxExchangeRate divides (cbc:MathematicOperatorCode “Divide”): give the rate as naira for one USD in "
        "cbc:CalculationRate, with cbc:MathematicOperatorCode Multiply.",
    ]
