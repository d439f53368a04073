"""The editor suggests "VAT exempt" for goods on NRS's VAT exemption list: a hint under the line with the list's
words, and one click that sets the line's tax to VAT exempt at 0%, the totals following."""

import pytest
from playwright.sync_api import expect

from integrations.reference.models import VatExemption
from tests.conftest import member
from tests.e2e.test_line_editor import DESKTOP, PHONE, screenshots

pytestmark = pytest.mark.e2e


def test_an_hs_code_on_the_exemption_list_suggests_vat_exempt_in_one_click(page, sign_in, connected_tenant):
    VatExemption.objects.create(code="0101.2100", name="Pure-bred breeding horses")
    sign_in(member(connected_tenant, "clerk"))
    page.goto("/invoices/new/")
    row = page.locator("tr.line-row").first
    hint = row.locator("[data-exempt-hint]")

    row.get_by_label("Description (or find a saved item)").fill("Breeding horses")
    row.locator("[name$='-quantity']").fill("2")
    row.get_by_label("Unit price").fill("1,500,000")
    expect(page.locator("[data-total=tax]")).to_have_text("₦225,000.00")  # 7.5% until the code is known
    expect(hint).to_be_hidden()
    row.get_by_label("HS / ISIC code").fill("0101.21")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("NRS lists these goods as VAT exempt: Pure-bred breeding horses.")
    screenshots(page, "vat-exempt-hint")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.set_viewport_size(DESKTOP)

    hint.get_by_role("button", name="Use VAT exempt").click()
    expect(row.get_by_label("Tax")).to_have_value("EXEMPTED")
    expect(row.get_by_label("Tax").locator("option:checked")).to_have_text("VAT exempt")
    expect(row.get_by_label("Rate %")).to_have_value("0")
    expect(hint).to_be_hidden()
    expect(page.locator("[data-total=tax]")).to_have_text("₦0.00")
    expect(page.locator("[data-total=payable]")).to_have_text("₦3,000,000.00")

    row.get_by_label("HS / ISIC code").fill("8517.11")  # not on the list: no suggestion
    row.get_by_label("Tax").select_option("STANDARD_VAT")
    expect(hint).to_be_hidden()
