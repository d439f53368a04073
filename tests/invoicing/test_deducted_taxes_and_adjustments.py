"""Withholding tax, document allowances and charges, payment means and terms, fees and units (issue 21, items 1
and 3), for the three worked examples of docs/worked-examples.md, through every way in: the editor, the API, a
CSV file; and every way out: the NRS document (its keys against NRS.md's field list, and the sandbox in strict
mode accepting it on the real submission path), the invoice page and the PDF. Each figure is the doc's."""

import copy
import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from integrations.nrs.fields import unknown_keys
from integrations.nrs.sandbox.models import SandboxInvoice
from integrations.nrs.sandbox.services import DocumentInvalid, document_check
from integrations.nrs.totals import AllowanceCharge, document_totals, line_amounts
from invoicing import batch_tasks, tasks
from invoicing.batches.format import COLUMNS
from invoicing.errors import InvoiceError
from invoicing.models import GateRules, Invoice
from invoicing.pdf import render_invoice_pdf
from invoicing.services import Actor, invoice_create
from invoicing.submission import invoice_document
from tenants import services as tenant_services
from tests.api.conftest import key_client
from tests.conftest import member, set_faults
from tests.invoicing.conftest import body
from tests.pdftext import line_with, pdf_lines
from tests.worked_examples import worked_example

CREATE = "/api/v1/invoices/create"

# The worked examples as create bodies: what an integrator sends (the editor and the CSV give the same).
CASES = {
    "consulting-withholding": {
        "lines": [
            {
                "description": "Management consulting",
                "quantity": "20",
                "unit_price": "25000",
                "isic_code": "7020",
                "tax_scheme": "STANDARD_VAT",
                "tax_rate": "7.5",
                "withholding_rate": "10",
                "unit_of_measure": "hours",
            }
        ],
    },
    "allowance-charge": {
        "lines": [
            {
                "description": "A4 copier paper",
                "quantity": "10",
                "unit_price": "12000",
                "hsn_code": "4802.56",
                "tax_scheme": "STANDARD_VAT",
                "tax_rate": "7.5",
                "unit_of_measure": "box",
            },
            {
                "description": "Paint",
                "quantity": "4",
                "unit_price": "7500",
                "hsn_code": "3208.10",
                "tax_scheme": "STANDARD_VAT",
                "tax_rate": "7.5",
                "unit_of_measure": "each",
            },
        ],
        "allowance_charges": [
            {"charge_indicator": False, "amount": "15000", "reason": "Loyalty discount"},
            {"charge_indicator": True, "amount": "5000", "reason": "Delivery"},
        ],
        "payment_means": "30",
        "payment_terms_note": "Net 30 days",
    },
    "fee-kilograms": {
        "lines": [
            {
                "description": "Portland cement",
                "quantity": "2500",
                "unit_price": "120",
                "fee": "2500",
                "hsn_code": "2523.29",
                "tax_scheme": "STANDARD_VAT",
                "tax_rate": "7.5",
                "unit_of_measure": "kg",
            }
        ],
    },
}
NAMES = list(CASES)


def case_body(name: str, number: str = "") -> dict:
    data = body(document_number=number or f"WX-{NAMES.index(name) + 1}")
    data.pop("po_reference", None)
    data.update(copy.deepcopy(CASES[name]))
    return data


def figures(name: str, invoice: Invoice) -> dict:
    """The example's figures as Flowpoint computed and saved them, read back through the NRS document."""
    with scope(tenant=invoice.tenant):
        lines = list(invoice.lines.order_by("position"))
        totals = invoice_document(invoice)["legal_monetary_total"]
    if name == "consulting-withholding":
        return {
            "Line amount": lines[0].line_extension,
            "VAT 7.5%": invoice.tax_total,
            "Total (tax-inclusive)": Decimal(totals["tax_inclusive_amount"]),
            "Withholding tax 10%": invoice.withholding_total,
            "Amount payable": Decimal(totals["payable_amount"]),
        }
    if name == "allowance-charge":
        return {
            "Line 1 amount": lines[0].line_extension,
            "Line 2 amount": lines[1].line_extension,
            "Lines (line extension)": invoice.line_extension,
            "Discount: Loyalty discount": Decimal(invoice.allowance_charges[0]["amount"]),
            "Charge: Delivery": Decimal(invoice.allowance_charges[1]["amount"]),
            "Tax-exclusive": Decimal(totals["tax_exclusive_amount"]),
            "VAT 7.5%": invoice.tax_total,
            "Amount payable": invoice.payable,
        }
    return {"Line amount": lines[0].line_extension, "VAT 7.5%": invoice.tax_total, "Amount payable": invoice.payable}


def reload(invoice_id) -> Invoice:
    with scopes_disabled():
        return Invoice.objects.get(pk=invoice_id)


# --- the arithmetic ------------------------------------------------------------------------------------


def test_the_totals_module_gives_the_worked_examples_figures():
    consulting = line_amounts(quantity=20, unit_price=25000, tax_rate="7.5", withholding_rate=10)
    totals = document_totals([(consulting, "STANDARD_VAT", "7.5", 10)])
    assert (totals.tax_inclusive, totals.withheld, totals.payable) == (
        Decimal("537500.00"),
        Decimal("50000.00"),
        Decimal("487500.00"),
    )
    assert worked_example("consulting-withholding")["Amount payable"] == totals.payable

    paper = line_amounts(quantity=10, unit_price=12000, tax_rate="7.5")
    paint = line_amounts(quantity=4, unit_price=7500, tax_rate="7.5")
    adjustments = [
        AllowanceCharge(False, Decimal("15000"), "Loyalty discount", "STANDARD_VAT", Decimal("7.5")),
        AllowanceCharge(True, Decimal("5000"), "Delivery", "STANDARD_VAT", Decimal("7.5")),
    ]
    totals = document_totals([(paper, "STANDARD_VAT", "7.5"), (paint, "STANDARD_VAT", "7.5")], adjustments)
    assert (totals.tax_exclusive, totals.tax, totals.payable) == (
        Decimal("140000.00"),
        Decimal("10500.00"),
        Decimal("150500.00"),
    )
    [group] = totals.groups
    assert (group.taxable, group.tax) == (Decimal("140000.00"), Decimal("10500.00"))


def test_an_older_body_s_withholding_tax_line_is_taken_off_what_the_buyer_pays_not_added(ready_tenant):
    """Before: WITHHOLDING_TAX was added like VAT (500,000 + 50,000 = 550,000). It is withheld: 450,000."""
    data = body(document_number="WHT-OLD")
    data["lines"] = [
        {
            "description": "Consulting",
            "quantity": 1,
            "unit_price": 500000,
            "isic_code": "7020",
            "tax_scheme": "WITHHOLDING_TAX",
            "tax_rate": 10,
        }
    ]
    invoice = invoice_create(tenant=ready_tenant, data=data, actor=Actor())
    assert (invoice.tax_total, invoice.withholding_total, invoice.payable) == (
        Decimal("0.00"),
        Decimal("50000.00"),
        Decimal("450000.00"),
    )
    with scope(tenant=ready_tenant):
        document = invoice_document(invoice)
    assert document["legal_monetary_total"]["payable_amount"] == Decimal("450000.00")
    assert document["tax_total"][1]["tax_subtotal"][0]["tax_category"] == {"id": "WITHHOLDING_TAX", "percent": 10}


# --- the API ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_the_api_creates_each_example_with_its_figures(ready_tenant, name):
    api = key_client(ready_tenant)
    response = api.post(CREATE, case_body(name), format="json")
    assert response.status_code == 202, response.content
    invoice = reload(response.json()["invoiceId"])
    assert figures(name, invoice) == worked_example(name)
    detail = api.get(f"/api/v1/invoices/{invoice.pk}").json()
    expected = worked_example(name)
    assert detail["totals"]["payableAmount"] == f"{expected['Amount payable']:.2f}"
    if name == "consulting-withholding":
        assert (detail["totals"]["taxInclusiveAmount"], detail["totals"]["withholdingAmount"]) == (
            "537500.00",
            "50000.00",
        )
        assert (detail["lines"][0]["withholdingRate"], detail["lines"][0]["withholdingAmount"]) == ("10", "50000.00")
    if name == "allowance-charge":
        assert (detail["totals"]["allowanceTotalAmount"], detail["totals"]["chargeTotalAmount"]) == (
            "15000.00",
            "5000.00",
        )
        assert (detail["paymentMeans"], detail["paymentTermsNote"]) == ("30", "Net 30 days")
        assert [item["reason"] for item in detail["allowanceCharges"]] == ["Loyalty discount", "Delivery"]
    if name == "fee-kilograms":
        assert (detail["lines"][0]["fee"], detail["lines"][0]["unitOfMeasure"]) == ("2500.00", "kg")


def test_an_unknown_unit_a_payment_means_and_an_allowance_without_its_rate_are_refused_by_name(ready_tenant):
    api = key_client(ready_tenant)
    data = case_body("fee-kilograms")
    data["lines"][0]["unit_of_measure"] = "wheelbarrow"
    refused = api.post(CREATE, data, format="json")
    assert refused.status_code == 400
    said = refused.json()["fields"]["lines[0].unit_of_measure"]
    assert "KGM (kilogram)" in said and "hours" in said

    data = case_body("allowance-charge")
    data["payment_means"] = "77"
    refused = api.post(CREATE, data, format="json")
    assert refused.status_code == 400 and "30 (Credit Transfer)" in refused.json()["fields"]["payment_means"]

    data = case_body("allowance-charge")
    data["lines"][1]["tax_scheme"], data["lines"][1]["tax_rate"] = "ZERO_VAT", "0"
    refused = api.post(CREATE, data, format="json")
    assert refused.status_code == 400
    assert refused.json()["fields"] == {
        "allowance_charges[0].tax_scheme": "required when the lines have several tax rates"
    }
    data["allowance_charges"][0].update(tax_scheme="STANDARD_VAT", tax_rate="7.5")
    data["allowance_charges"][1].update(tax_scheme="STANDARD_VAT")
    assert api.post(CREATE, data, format="json").status_code == 202
    with scopes_disabled():
        assert Invoice.objects.filter(tenant=ready_tenant).count() == 1


def test_review_and_approval_thresholds_compare_the_total_with_its_taxes_before_withholding(ready_tenant):
    # 537,500 with VAT, 487,500 payable: a threshold of 500,000 is crossed by the invoice's value.
    GateRules.objects.update_or_create(tenant=ready_tenant, defaults={"approval_above": Decimal("500000")})
    invoice = invoice_create(tenant=ready_tenant, data=case_body("consulting-withholding"), actor=Actor())
    assert invoice.status == "PENDING_APPROVAL"


# --- the editor ------------------------------------------------------------------------------------------


def adjustment_rows(items: list) -> dict:
    """The editor's discount and charge rows for `allowance_charges` items, amounts as people type them (15,000)."""
    data = {"adjustments-TOTAL_FORMS": str(len(items)), "adjustments-INITIAL_FORMS": "0"}
    for index, item in enumerate(items):
        data[f"adjustments-{index}-kind"] = "charge" if item["charge_indicator"] else "discount"
        data[f"adjustments-{index}-amount"] = f"{Decimal(item['amount']):,}"
        data[f"adjustments-{index}-reason"] = item["reason"]
        data[f"adjustments-{index}-tax_scheme"] = item.get("tax_scheme", "")  # "": the same VAT as the lines
        data[f"adjustments-{index}-tax_rate"] = item.get("tax_rate", "")
    return data


def editor_data(name: str) -> dict:
    case = case_body(name, number=f"ED-{NAMES.index(name) + 1}")
    customer = case["customer"]
    data = {
        "invoice_kind": "B2B",
        "invoice_type": "invoice",
        "document_number": case["document_number"],
        "issue_date": case["issue_date"],
        "due_date": case["due_date"],
        "currency": "NGN",
        "payment_terms_note": case.get("payment_terms_note", ""),
        "payment_means": case.get("payment_means", ""),
        "action": "submit",
        "lines-TOTAL_FORMS": str(len(case["lines"])),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "500",
    }
    for key in ("name", "tin", "email", "address", "city", "postal_code", "country"):
        data[f"customer_{key}"] = customer.get(key, "")
    data.update(adjustment_rows(case.get("allowance_charges", [])))
    for index, line in enumerate(case["lines"]):
        for key in ("description", "quantity", "unit_price", "fee", "tax_scheme", "tax_rate", "unit_of_measure"):
            data[f"lines-{index}-{key}"] = line.get(key, "")
        data[f"lines-{index}-hsn_code"] = line.get("hsn_code") or line.get("isic_code")
        data[f"lines-{index}-withholding_rate"] = line.get("withholding_rate", "0")
    return data


@pytest.mark.parametrize("name", NAMES)
def test_the_editor_submits_each_example_and_the_page_shows_its_figures(client, ready_tenant, name):
    client.force_login(member(ready_tenant, "clerk"))
    response = client.post(reverse("invoice_new"), editor_data(name))
    assert response.status_code == 302, response.content.decode()[:3000]
    with scopes_disabled():
        invoice = Invoice.objects.get(tenant=ready_tenant)
    assert figures(name, invoice) == worked_example(name)
    page = client.get(response["Location"]).content.decode()
    if name == "consulting-withholding":
        assert "Withholding tax 10%" in page and "−₦50,000.00" in page
        assert "Amount payable" in page and "₦487,500.00" in page and "20 hour" in page
    if name == "allowance-charge":
        assert "Discount: Loyalty discount" in page and "−₦15,000.00" in page
        assert "Charge: Delivery" in page and "+₦5,000.00" in page and "₦150,500.00" in page
        assert "Bank transfer" in page and "Net 30 days" in page
    if name == "fee-kilograms":
        assert "2,500 kilogram" in page and "incl. fee ₦2,500.00" in page and "₦325,187.50" in page
    assert "WITHHOLDING_TAX" not in page and "KGM" not in page


def test_the_editor_shows_the_fee_unit_withholding_and_payment_fields(client, ready_tenant):
    client.force_login(member(ready_tenant, "clerk"))
    html = client.get(reverse("invoice_new")).content.decode()
    for name in (
        "lines-0-fee",
        "lines-0-unit_of_measure",
        "lines-0-withholding_rate",
        "adjustments-0-kind",
        "adjustments-0-reason",
        "adjustments-0-amount",
        "adjustments-0-tax_scheme",
        "adjustments-0-tax_rate",
        "payment_means",
        "payment_terms_note",
    ):
        assert f'name="{name}"' in html, name
    assert ">Bank transfer<" in html and 'data-total="withheld"' in html


def test_the_editor_puts_an_unknown_unit_beside_its_field(client, ready_tenant):
    client.force_login(member(ready_tenant, "clerk"))
    data = editor_data("fee-kilograms")
    data["lines-0-unit_of_measure"] = "wheelbarrow"
    page = client.post(reverse("invoice_new"), data).content.decode()
    assert "There is no such unit" in page
    with scopes_disabled():
        assert not Invoice.objects.filter(tenant=ready_tenant).exists()


# --- the CSV ---------------------------------------------------------------------------------------------


def csv_rows(name: str) -> list[dict]:
    case = case_body(name, number=f"CSV-{NAMES.index(name) + 1}")
    first = {
        "invoice_kind": "B2B",
        "document_number": case["document_number"],
        "issue_date": case["issue_date"],
        "due_date": case["due_date"],
        "payment_terms_note": case.get("payment_terms_note", ""),
        "payment_means": case.get("payment_means", ""),
        **{f"customer_{key}": value for key, value in case["customer"].items()},
    }
    for item in case.get("allowance_charges", []):
        prefix = "charge" if item["charge_indicator"] else "allowance"
        first[f"{prefix}_amount"], first[f"{prefix}_reason"] = item["amount"], item["reason"]
    rows = []
    for index, line in enumerate(case["lines"]):
        row = dict(first) if index == 0 else {"document_number": case["document_number"]}
        row.update({f"line_{key}": value for key, value in line.items()})
        rows.append(row)
    return rows


def csv_file(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.get(column, "") for column in COLUMNS])
    return out.getvalue().encode()


def upload(client, key, content) -> dict:
    headers = {"X-Flowpoint-Key": key}
    response = client.post("/api/v1/invoices/upload/csv", data=content, content_type="text/csv", headers=headers)
    assert response.status_code == 202, response.json()
    batch_id = response.json()["batchId"]
    assert batch_tasks.validate_batch(batch_id) == "validated"
    return client.get(f"/api/v1/invoices/batches/{batch_id}", headers=headers).json()


@pytest.fixture
def api_key(ready_tenant):
    with scope(tenant=ready_tenant):
        return tenant_services.api_key_create(tenant=ready_tenant, name="ERP")[1]


@pytest.mark.usefixtures("queue_inline")
def test_a_csv_file_creates_each_example_with_its_figures(
    client, ready_tenant, api_key, django_capture_on_commit_callbacks
):
    batch = upload(client, api_key, csv_file([row for name in NAMES for row in csv_rows(name)]))
    assert (batch["valid"], batch["errors"]) == (3, [])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/invoices/upload/csv/submit",
            {"batchId": batch["batchId"]},
            content_type="application/json",
            headers={"X-Flowpoint-Key": api_key},
        )
    assert response.status_code == 202
    for name in NAMES:
        with scopes_disabled():
            invoice = Invoice.objects.get(document_number=f"CSV-{NAMES.index(name) + 1}")
        assert figures(name, invoice) == worked_example(name)


def test_a_later_row_giving_another_allowance_is_an_error_of_that_row(client, api_key):
    rows = csv_rows("allowance-charge")
    rows[1]["allowance_amount"] = "20000"
    batch = upload(client, api_key, csv_file(rows))
    assert batch["errors"] == [
        {
            "row": 3,
            "column": "allowance_amount",
            "message": "differs from row 2 (15000): every row of invoice CSV-2 must repeat the same value or leave "
            "it empty",
            "code": "inconsistent_invoice_fields",
        }
    ]


# --- the NRS document and the sandbox --------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_the_nrs_document_of_each_example_has_only_nrs_fields_and_the_strict_sandbox_certifies_it(
    connected_tenant, name
):
    set_faults(strict=True)
    invoice = invoice_create(tenant=connected_tenant, data=case_body(name), actor=Actor())
    with scope(tenant=connected_tenant):
        document = invoice_document(invoice)
    assert unknown_keys(document) == []
    expected = worked_example(name)
    assert document["legal_monetary_total"]["payable_amount"] == expected["Amount payable"]
    if name == "consulting-withholding":
        added, withheld = document["tax_total"]
        assert added["tax_amount"] == Decimal("37500.00") and withheld["tax_amount"] == Decimal("50000.00")
        assert withheld["tax_subtotal"] == [
            {
                "taxable_amount": Decimal("500000.00"),
                "tax_amount": Decimal("50000.00"),
                "tax_category": {"id": "WITHHOLDING_TAX", "percent": Decimal("10")},
            }
        ]
        assert document["invoice_line"][0]["price"]["price_unit"] == "NGN per HUR"
    if name == "allowance-charge":
        assert document["allowance_charge"] == [
            {"charge_indicator": False, "amount": Decimal("15000.00")},
            {"charge_indicator": True, "amount": Decimal("5000.00")},
        ]
        assert document["payment_means"] == [{"payment_means_code": "30", "payment_due_date": "2026-05-25"}]
        assert document["payment_terms_note"] == "Net 30 days"
        assert document["legal_monetary_total"]["tax_exclusive_amount"] == Decimal("140000.00")
        assert [line["price"]["price_unit"] for line in document["invoice_line"]] == ["NGN per BX", "NGN per EA"]
    if name == "fee-kilograms":
        line = document["invoice_line"][0]
        assert (line["fee_amount"], line["price"]["price_unit"]) == (Decimal("2500"), "NGN per KGM")

    assert tasks.submit_invoice(str(invoice.pk)) == "certified"
    stored = SandboxInvoice.objects.get(irn=invoice.irn)
    assert Decimal(stored.document["legal_monetary_total"]["payable_amount"]) == expected["Amount payable"]


def test_the_strict_sandbox_refuses_withholding_added_to_the_payable_amount(connected_tenant):
    """The old arithmetic, payable = inclusive + withheld, does not reconcile."""
    from integrations.nrs.sandbox.models import SandboxBusiness

    invoice = invoice_create(tenant=connected_tenant, data=case_body("consulting-withholding"), actor=Actor())
    with scope(tenant=connected_tenant):
        document = invoice_document(invoice)
    business = SandboxBusiness.objects.get(business_id=document["business_id"])
    document_check(business, document, strict=True)
    document["legal_monetary_total"]["payable_amount"] = Decimal("587500.00")
    with pytest.raises(DocumentInvalid) as refused:
        document_check(business, document, strict=True)
    assert "payable" in str(refused.value.args).lower() or "payable" in str(refused.value).lower()
    document["legal_monetary_total"]["payable_amount"] = Decimal("487500.00")
    document["allowance_charge"] = [{"charge_indicator": False, "amount": Decimal("100.00")}]
    with pytest.raises(DocumentInvalid):
        document_check(business, document, strict=True)  # tax-exclusive no longer = lines − allowances + charges


# --- the PDF ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_the_pdf_of_each_example_shows_its_figures(ready_tenant, name):
    invoice = invoice_create(tenant=ready_tenant, data=case_body(name), actor=Actor())
    with scope(tenant=ready_tenant):
        lines = pdf_lines(render_invoice_pdf(invoice))
    if name == "consulting-withholding":
        assert "Withholding tax 10% −₦50,000.00" in lines  # the totals; the line says "Withholding tax 10%" too
        assert line_with(lines, "Total") == "Total ₦537,500.00"
        assert line_with(lines, "Amount payable") == "Amount payable ₦487,500.00"
    if name == "allowance-charge":
        assert line_with(lines, "Discount: Loyalty discount") == "Discount: Loyalty discount −₦15,000.00"
        assert line_with(lines, "Charge: Delivery") == "Charge: Delivery +₦5,000.00"
        assert line_with(lines, "Total") == "Total ₦150,500.00"
        assert any("Bank transfer" in line for line in lines) and any("Net 30 days" in line for line in lines)
    if name == "fee-kilograms":
        assert any("kilogram" in line for line in lines)
        assert line_with(lines, "Total") == "Total ₦325,187.50"
    assert not any("WITHHOLDING_TAX" in line or "KGM" in line for line in lines)


def test_invoice_error_is_raised_for_an_allowance_taking_the_invoice_to_zero(ready_tenant):
    data = case_body("fee-kilograms")
    data["allowance_charges"] = [{"charge_indicator": False, "amount": "302500", "reason": "Everything free"}]
    with pytest.raises(InvoiceError) as refused:
        invoice_create(tenant=ready_tenant, data=data, actor=Actor())
    assert refused.value.fields == {"allowance_charges": "allowances must add up to less than the lines' total"}


# --- the UBL export --------------------------------------------------------------------------------------


def test_the_ubl_export_carries_the_withholding_the_allowance_the_charge_and_the_unit_codes(ready_tenant):
    from lxml import etree

    from integrations.connectors.ubl import NS, invoice_to_ubl

    data = case_body("consulting-withholding")
    data["allowance_charges"] = copy.deepcopy(CASES["allowance-charge"]["allowance_charges"])
    invoice = invoice_create(tenant=ready_tenant, data=data, actor=Actor())
    with scope(tenant=ready_tenant):
        root = etree.fromstring(invoice_to_ubl(invoice))  # raises if it were not valid UBL 2.1

    def amount(path):
        return Decimal(root.find(path, NS).text)

    # 500,000 − 15,000 + 5,000 = 490,000; VAT 36,750; inclusive 526,750; withheld 50,000; payable 476,750.
    assert amount("cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount") == Decimal("490000.00")
    assert amount("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount") == Decimal("526750.00")
    assert amount("cac:WithholdingTaxTotal/cbc:TaxAmount") == Decimal("50000.00")
    assert amount("cac:LegalMonetaryTotal/cbc:PayableAmount") == invoice.payable == Decimal("476750.00")
    assert [node.text for node in root.findall("cac:AllowanceCharge/cbc:AllowanceChargeReason", NS)] == [
        "Loyalty discount",
        "Delivery",
    ]
    assert root.find("cac:InvoiceLine/cbc:InvoicedQuantity", NS).get("unitCode") == "HUR"


def test_a_draft_keeps_its_allowance_charge_payment_means_fee_unit_and_withholding_for_the_editor(client, ready_tenant):
    client.force_login(member(ready_tenant, "clerk"))
    data = editor_data("allowance-charge")
    data["action"] = "draft"
    data["lines-0-withholding_rate"] = "5"
    data["lines-1-fee"] = "250"
    assert client.post(reverse("invoice_new"), data).status_code == 302
    with scopes_disabled():
        draft = Invoice.objects.get(tenant=ready_tenant)
    assert draft.status == "DRAFT"
    page = client.get(reverse("invoice_edit", args=[draft.pk])).content.decode()
    assert 'name="adjustments-0-amount" value="15,000.00"' in page
    assert 'name="adjustments-0-reason" value="Loyalty discount"' in page
    assert 'name="adjustments-1-amount" value="5,000.00"' in page
    assert 'name="adjustments-1-reason" value="Delivery"' in page
    assert '<option value="charge" selected>Charge</option>' in page  # the second row is the delivery charge
    assert 'name="adjustments-TOTAL_FORMS" value="2"' in page
    assert '<option value="30" selected>Bank transfer</option>' in page
    assert 'name="lines-0-withholding_rate" value="5"' in page and 'name="lines-1-fee" value="250"' in page
    assert 'name="lines-0-unit_of_measure" value="box"' in page
