"""Money that agrees with itself, as a clerk sees it: a part payment typed as "500,000", the page and a fresh PDF
download both showing it, and a certified credit note lowering the original's amount due while the note's own page
says what it corrects instead of asking for payment."""

import pytest
from django_scopes import scope, scopes_disabled
from playwright.sync_api import expect

from invoicing import master_data, tasks
from invoicing.models import Invoice
from invoicing.services import Actor, invoice_create
from tests.conftest import member
from tests.invoicing.conftest import body
from tests.pdftext import line_with, pdf_lines

pytestmark = pytest.mark.e2e


def certified(tenant, **changes):
    invoice = invoice_create(tenant=tenant, data=body(**changes), actor=Actor())
    tasks.submit_invoice(str(invoice.pk))
    with scopes_disabled():
        invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.is_certified
    return invoice


def pdf_download(page, tmp_path):
    """The PDF the "Download PDF" link gives, as a file."""
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    path = tmp_path / "invoice.pdf"
    download.value.save_as(path)
    return path


def test_a_part_payment_typed_with_separators_shows_on_the_page_and_in_a_fresh_pdf(
    page, sign_in, connected_tenant, tmp_path
):
    invoice = certified(connected_tenant, document_number="INV-PAY-1", line__unit_price=1000000)  # ₦1,075,000.00
    sign_in(member(connected_tenant, "clerk"))
    page.goto(f"/invoices/{invoice.pk}/")
    before = pdf_lines(pdf_download(page, tmp_path))  # rendered before the payment: nothing paid yet
    assert line_with(before, "Amount paid") == "Amount paid ₦0.00"
    assert line_with(before, "Amount due") == "Amount due ₦1,075,000.00"

    page.get_by_label("Payment").select_option("PARTIAL")
    page.get_by_label("Amount paid").fill("abc")
    page.get_by_label("Reference").fill("TRX-77")
    page.get_by_role("button", name="Record payment").click()
    # Refused in business words, beside the field, and what was typed is still there.
    expect(page.locator("#payment")).to_contain_text("Amount paid: enter an amount in naira")
    expect(page.get_by_label("Reference")).to_have_value("TRX-77")
    expect(page.get_by_label("Payment")).to_have_value("PARTIAL")

    page.get_by_label("Amount paid").fill("500,000")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator(".messages")).to_contain_text("Payment recorded")
    expect(page.locator("#paid")).to_have_text("₦500,000.00")
    expect(page.locator("#amount-due")).to_have_text("₦575,000.00")

    # The fresh PDF as pdftotext reads it: each label with its amount, as a person reads the totals box.
    after = pdf_lines(pdf_download(page, tmp_path))
    assert line_with(after, "Amount paid") == "Amount paid ₦500,000.00"
    assert line_with(after, "Amount due") == "Amount due ₦575,000.00"


def test_a_certified_credit_note_reduces_the_original_amount_due(page, sign_in, connected_tenant):
    original = certified(connected_tenant, document_number="INV-CN-1", line__unit_price=100000)  # ₦107,500.00
    credit = certified(
        connected_tenant,
        document_number="CN-CN-1",
        invoice_type="credit_note",
        original_invoice_id=str(original.pk),
        line__unit_price=20000,
    )  # ₦21,500.00
    sign_in(member(connected_tenant, "clerk"))

    page.goto(f"/invoices/{original.pk}/")
    expect(page.locator("#credited")).to_have_text("−₦21,500.00")
    expect(page.locator("#amount-due")).to_have_text("₦86,000.00")

    page.goto(f"/invoices/{credit.pk}/")
    expect(page.locator("#corrects-by")).to_contain_text("Reduces INV-CN-1 by")
    expect(page.locator("#corrects-by")).to_contain_text("₦21,500.00")
    expect(page.locator("#payment")).to_have_count(0)
    expect(page.locator("#amount-due")).to_have_count(0)
    page.get_by_role("link", name="INV-CN-1").click()
    expect(page.locator("#amount-due")).to_have_text("₦86,000.00")


def test_the_item_look_up_shows_the_price_as_money_and_the_tax_by_its_name(page, sign_in, connected_tenant):
    with scope(tenant=connected_tenant):
        master_data.item_create(
            tenant=connected_tenant,
            data={"name": "Installation", "unitPriceKobo": 45_000_000, "hsCode": "8517.11"},
        )
    sign_in(member(connected_tenant, "clerk"))
    page.goto("/invoices/new/")
    page.get_by_label("Find a saved item").first.press_sequentially("Inst", delay=50)
    option = page.get_by_role("listbox").get_by_role("option").first
    expect(option).to_contain_text("Installation")
    expect(option).to_contain_text("₦450,000.00 · Standard VAT")
