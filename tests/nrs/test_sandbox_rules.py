"""The sandbox validates like NRS: each rule answers with NRS's own kind of `details`."""

import copy
from decimal import Decimal

import pytest

from integrations.nrs.sandbox.models import SandboxBusiness
from integrations.nrs.sandbox.services import DocumentInvalid, business_provision, document_check
from tests.nrs.conftest import document_for


@pytest.fixture
def business():
    issued = business_provision(name="Kola Foods Ltd", tin="20198222-0002")
    return SandboxBusiness.objects.get(pk=issued["business_id"])


@pytest.fixture
def good(business):
    tenant = type(
        "T",
        (),
        {
            "nrs_business_id": business.business_id,
            "nrs_service_id": business.service_id,
            "name": "Kola Foods Ltd",
            "tin": "20198222-0002",
            "telephone": "+2348012345678",
            "description": "Food",
            "effective_email": lambda self: "billing@kola.ng",
        },
    )()
    return document_for(tenant)


def _details(business, doc, strict=False):
    with pytest.raises(DocumentInvalid) as exc:
        document_check(business, doc, strict=strict)
    return exc.value.details


def test_a_document_built_by_flowpoint_passes_even_in_strict_mode(business, good):
    document_check(business, good, strict=True)


def _without(doc, *path):
    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return doc


def _with(doc, value, *path):
    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    "field",
    [
        "business_id",
        "irn",
        "issue_date",
        "invoice_type_code",
        "document_currency_code",
        "tax_currency_code",
        "accounting_supplier_party",
        "tax_total",
        "legal_monetary_total",
        "invoice_line",
    ],
)
def test_every_mandatory_field(business, good, field):
    assert _details(business, _without(good, field)) == f"invoicerequest.invoice.{field.replace('_', '')} is required"


def test_rules_with_nrs_wording(business, good):
    assert _details(business, _with(good, "1234", "accounting_customer_party", "tin")) == (
        "invoicerequest.invoice.accountingcustomerparty.tin must be at least in length or value 5"
    )
    assert _details(business, _with(good, "NOT_A_TAX", "tax_total", 0, "tax_subtotal", 0, "tax_category", "id")) == (
        "invoicerequest.invoice.taxtotal[0].taxsubtotal[0].taxcategory.id must be a valid tax category, "
        "refer to the invoice resource apis"
    )
    assert "must be a valid hs code" in _details(business, _with(good, "9999.99", "invoice_line", 0, "hsn_code"))
    assert "must be a valid invoice type" in _details(business, _with(good, "999", "invoice_type_code"))
    assert "must be a valid currency" in _details(business, _with(good, "XYZ", "document_currency_code"))
    assert "must be a valid state" in _details(
        business, _with(good, "NG-XX", "accounting_supplier_party", "postal_address", "state")
    )
    assert _details(business, _with(good, "NG-AB-ANO", "accounting_supplier_party", "postal_address", "lga")) == (
        "invoicerequest.invoice.accountingsupplierparty.postaladdress.lga does not belong to the state provided"
    )
    assert "telephone must start with +" in _details(
        business, _with(good, "0801234", "accounting_supplier_party", "telephone")
    )
    b2b_without_buyer = _without(good, "accounting_customer_party")
    assert _details(business, b2b_without_buyer) == "invoicerequest.invoice.accountingcustomerparty is required"
    credit_note = _with(good, "380", "invoice_type_code")
    assert "billingreference is required for credit and debit notes" in _details(business, credit_note)


def test_irn_must_follow_the_business_template(business, good):
    message = "irn validation failed for this business, refer to the template and try again"
    assert _details(business, _with(good, "INV001-ZZZZZZZZ-20261120", "irn")) == message
    assert _details(business, _with(good, f"INV-001-{business.service_id}-20261120", "irn")) == message
    assert (
        _details(business, _with(good, f"INV001-{business.service_id}-20261121", "irn")) == message
    )  # not the issue date


def test_totals_are_lenient_by_default_and_checked_when_strict(business, good):
    wrong = _with(good, Decimal("1.00"), "legal_monetary_total", "tax_inclusive_amount")
    document_check(business, wrong, strict=False)  # MBS accepts the official sample, which does not reconcile
    assert "taxinclusiveamount must equal" in _details(business, wrong, strict=True)
    wrong_line = _with(good, Decimal("499999.99"), "invoice_line", 0, "line_extension_amount")
    assert "lineextensionamount must equal quantity x price" in _details(business, wrong_line, strict=True)
