"""Goods on NRS's VAT exemption list are VAT exempt, and only they are: checked on create (API, editor, CSV),
suggested in the editor, sent to NRS as EXEMPTED at 0% (the sandbox in strict mode) and shown as "VAT exempt".
Figures are hand-computed; the worked example's table in docs/worked-examples.md is held to them."""

import copy
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from integrations.nrs.fields import unknown_keys
from integrations.nrs.sandbox.models import SandboxInvoice
from integrations.reference import lookup
from integrations.reference.models import VatExemption
from invoicing import tasks
from invoicing.errors import InvoiceError
from invoicing.models import Invoice
from invoicing.pdf import render_invoice_pdf
from invoicing.services import Actor, invoice_create
from tests.api.conftest import key_client
from tests.conftest import member, set_faults
from tests.invoicing.conftest import body
from tests.pdftext import pdf_lines
from tests.worked_examples import worked_example

HORSES = {
    "description": "Breeding horses",
    "hsn_code": "0101.21",
    "quantity": 2,
    "unit_price": "1500000",
    "tax_scheme": "EXEMPTED",
    "tax_rate": "0",
}
HANDSETS = {
    "description": "Telephone handsets",
    "hsn_code": "8517.11",
    "quantity": 4,
    "unit_price": "12500",
    "tax_scheme": "STANDARD_VAT",
    "tax_rate": "7.5",
}


@pytest.fixture
def exemption_list(db):
    """NRS's list as the sync leaves it (trimmed, one row per code): NRS writes the HS code to eight digits."""
    VatExemption.objects.create(code="0101.2100", name="Pure-bred breeding horses")
    VatExemption.objects.create(code="8708.3900", name="Brakes and servo-brakes; parts thereof")


def two_lines(*lines, **changes):
    data = body(**changes)
    data["lines"] = [copy.deepcopy(line) for line in lines]
    return data


def refusal(tenant, data) -> InvoiceError:
    with pytest.raises(InvoiceError) as refused:
        invoice_create(tenant=tenant, data=data, actor=Actor())
    return refused.value


def test_an_hs_code_written_to_any_depth_finds_the_lists_entry(exemption_list):
    assert lookup.vat_exemption("0101.21") == "Pure-bred breeding horses"
    assert lookup.vat_exemption("0101.2100") == "Pure-bred breeding horses"
    assert lookup.vat_exemption("8708.39") == "Brakes and servo-brakes; parts thereof"
    assert lookup.vat_exemption("0101.29") is None and lookup.vat_exemption("8517.11") is None


def test_exempt_goods_charged_vat_are_refused_naming_the_field_and_the_fix(ready_tenant, exemption_list):
    error = refusal(ready_tenant, two_lines(HANDSETS, {**HORSES, "tax_scheme": "STANDARD_VAT", "tax_rate": "7.5"}))
    assert error.message == "Line 2: HS code 0101.21 is VAT-exempt: set tax_scheme to EXEMPTED with tax_rate 0."
    assert error.fields == {
        "lines[1].tax_scheme": "must be EXEMPTED with tax_rate 0: the HS code is on NRS's VAT exemption list"
    }
    zero_rated = refusal(ready_tenant, two_lines({**HORSES, "tax_scheme": "ZERO_VAT"}))  # exempt is not zero-rated
    assert zero_rated.fields == {
        "lines[0].tax_scheme": "must be EXEMPTED with tax_rate 0: the HS code is on NRS's VAT exemption list"
    }


def test_an_exemption_must_be_on_the_list_and_at_zero(ready_tenant, exemption_list):
    error = refusal(ready_tenant, two_lines({**HANDSETS, "tax_scheme": "EXEMPTED", "tax_rate": "0"}))
    assert error.fields == {
        "lines[0].tax_scheme": "must not be EXEMPTED: the HS code is not on NRS's VAT exemption list"
    }
    assert "HS code 8517.11 is not on NRS's VAT exemption list" in error.message
    at_five = refusal(ready_tenant, two_lines({**HORSES, "tax_rate": "5"}))
    assert at_five.fields == {"lines[0].tax_rate": "must be 0 for EXEMPTED"}


def test_before_the_list_is_synced_there_is_nothing_to_check_against(ready_tenant):
    invoice = invoice_create(
        tenant=ready_tenant, data=two_lines({**HANDSETS, "tax_scheme": "EXEMPTED", "tax_rate": "0"}), actor=Actor()
    )
    assert invoice.tax_total == Decimal("0.00")


def figures(invoice) -> dict:
    """An invoice of two_lines(HORSES, HANDSETS) read as docs/worked-examples.md labels its figures."""
    with scope(tenant=invoice.tenant):
        lines = list(invoice.lines.order_by("position"))
    return {
        "Line 1: 2 × 1,500,000.00, breeding horses (HS 0101.21), VAT exempt": lines[0].line_extension,
        "Line 1 VAT (exempt, 0%)": lines[0].tax_amount,
        "Line 2: 4 × 12,500.00, telephone handsets (HS 8517.11), standard VAT": lines[1].line_extension,
        "Line 2 VAT 7.5%": lines[1].tax_amount,
        "Line extension (subtotal)": invoice.line_extension,
        "Tax": invoice.tax_total,
        "Payable": invoice.payable,
    }


def test_an_exempt_line_and_a_standard_line_are_certified_and_shown_as_vat_exempt(
    connected_tenant, exemption_list, client
):
    set_faults(strict=True)
    answer = key_client(connected_tenant).post(
        "/api/v1/invoices/create", two_lines(HORSES, HANDSETS, document_number="INV-EXEMPT-1"), format="json"
    )
    assert answer.status_code == 202, answer.json()
    with scopes_disabled():
        invoice = Invoice.objects.get(pk=answer.json()["invoiceId"])
    assert tasks.submit_invoice(str(invoice.pk)) == "certified"

    document = SandboxInvoice.objects.get(irn=invoice.irn).document  # what NRS signed, totals reconciled
    assert unknown_keys(document) == []
    (added,) = document["tax_total"]
    assert sorted(
        (s["tax_category"]["id"], Decimal(str(s["tax_category"]["percent"])), Decimal(str(s["taxable_amount"])),
         Decimal(str(s["tax_amount"])))
        for s in added["tax_subtotal"]
    ) == [
        ("EXEMPTED", Decimal("0"), Decimal("3000000.00"), Decimal("0.00")),
        ("STANDARD_VAT", Decimal("7.5"), Decimal("50000.00"), Decimal("3750.00")),
    ]  # fmt: skip
    assert Decimal(str(added["tax_amount"])) == Decimal("3750.00")
    assert Decimal(str(document["legal_monetary_total"]["payable_amount"])) == Decimal("3053750.00")

    assert worked_example("vat-exempt-and-standard-lines") == figures(invoice)

    client.force_login(member(connected_tenant, "clerk"))
    page = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    shown = page.split("Technical details")[0]  # NRS's exchanges, verbatim, are for the technical reader
    assert ">VAT exempt 0%</td>" in shown and "EXEMPTED" not in shown and "Exempted" not in shown
    with scopes_disabled(), scope(tenant=connected_tenant):
        text = pdf_lines(render_invoice_pdf(Invoice.objects.get(pk=invoice.pk)))
    assert any(line.startswith("VAT exempt") and "₦3,000,000.00" in line for line in text), text
    assert "EXEMPTED" not in " ".join(text) and "Exempted" not in " ".join(text)


def editor_form(**line):
    customer = body()["customer"]
    form = {
        "invoice_kind": "B2B",
        "invoice_type": "invoice",
        "document_number": "INV-EDIT-EX",
        "issue_date": "2026-03-10",
        "currency": "NGN",
        **{f"customer_{k}": v for k, v in customer.items()},
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "500",
        "action": "submit",
    }
    form.update({f"lines-0-{k}": v for k, v in {**HORSES, "discount": "0", **line}.items()})
    return form


def test_the_editor_says_so_beside_the_tax_and_saves_the_exempt_line(client, ready_tenant, exemption_list):
    client.force_login(member(ready_tenant, "clerk"))
    page = client.get(reverse("invoice_new")).content.decode()
    assert '"010121": "Pure-bred breeding horses"' in page  # the list the suggestion reads
    assert "Use VAT exempt" in page and '<option value="EXEMPTED">VAT exempt</option>' in page

    refused = client.post(reverse("invoice_new"), editor_form(tax_scheme="STANDARD_VAT", tax_rate="7.5"))
    html = refused.content.decode()
    assert "These goods are VAT exempt: choose “VAT exempt” as the tax, at 0%." in html
    assert "EXEMPTED" not in html.replace('value="EXEMPTED"', "")  # no code in the words

    saved = client.post(reverse("invoice_new"), editor_form())
    assert saved.status_code == 302
    with scopes_disabled():
        invoice = Invoice.objects.get(document_number="INV-EDIT-EX")
    assert (invoice.line_extension, invoice.tax_total, invoice.payable) == (
        Decimal("3000000.00"),
        Decimal("0.00"),
        Decimal("3000000.00"),
    )


def test_a_csv_row_charging_exempt_goods_vat_is_refused_in_the_files_words(client, ready_tenant, exemption_list):
    from tests.api.conftest import new_key
    from tests.invoicing.test_batches import csv_bytes, good_row, validated

    rows = [
        good_row(1, line_hsn_code="0101.21", line_tax_scheme="STANDARD_VAT", line_tax_rate="7.5"),
        good_row(2, line_hsn_code="0101.21", line_tax_scheme="EXEMPTED", line_tax_rate="0"),
    ]
    batch = validated(client, new_key(ready_tenant), csv_bytes(rows))
    assert [(e["row"], e["column"], e["message"]) for e in batch["errors"]] == [
        (2, "line_tax_scheme", "must be “EXEMPTED”, with “0” in column “line_tax_rate”: the HS code is on NRS's VAT "
         "exemption list"),
    ]  # fmt: skip
    assert [i["status"] for i in batch["invoices"]] == ["INVALID", "VALID"]


def test_the_demo_business_starts_with_the_sandboxs_exemption_list(settings, tmp_path, monkeypatch):
    from django.core.management import call_command

    from invoicing.management.commands import seed_demo

    settings.NRS_SANDBOX_EMBEDDED = True
    monkeypatch.setattr(seed_demo, "CREDENTIALS_FILE", tmp_path / "demo-credentials.json")
    call_command("seed_demo", stdout=open(tmp_path / "out.txt", "w"))  # noqa: SIM115
    assert lookup.vat_exemption("0101.21") == "Pure-bred breeding horses"
    assert lookup.vat_exemption("8708.39") == "Brakes and servo-brakes; parts thereof"  # "8708.3900 " trimmed
    assert VatExemption.objects.count() == 6  # 0204.3000, listed twice by NRS, kept once
