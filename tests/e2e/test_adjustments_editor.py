"""Discounts and charges on the whole invoice in the editor, as a clerk uses them: rows added and removed like
lines, each with its reason, amount and the VAT it carries ("As the lines" names the lines' one VAT), the
live amount payable worked out as the server will, the same figure on the saved invoice's page, and the section
whole at a desktop's and a telephone's width."""

import pytest
from playwright.sync_api import expect

from tests.conftest import member
from tests.e2e.test_invoicing import fill_invoice
from tests.e2e.test_line_editor import DESKTOP, PHONE, screenshots

pytestmark = pytest.mark.e2e


def test_two_rows_added_give_the_live_payable_and_the_saved_invoice_the_same(page, sign_in, connected_tenant):
    sign_in(member(connected_tenant, "clerk"))
    page.set_viewport_size(DESKTOP)
    fill_invoice(page, "INV-ADJ-E2E", [("Telephone handsets", "8517.11", "4", "12,500")])
    rows = page.locator("#adjustments tr.adjustment-row")
    expect(rows).to_have_count(1)  # one empty row to start, as the lines have
    add = page.get_by_role("button", name="+ Add a discount or charge")
    add.click()
    add.click()
    expect(rows).to_have_count(3)
    rows.nth(1).get_by_label("Reason").fill("Bulk discount")
    rows.nth(1).get_by_label("Amount").fill("2,345.67")
    rows.nth(2).get_by_label("Discount or charge", exact=True).select_option(label="Charge")
    rows.nth(2).get_by_label("Reason").fill("Delivery")
    rows.nth(2).get_by_label("Amount").fill("4,999.99")
    rows.nth(0).get_by_role("button", name="Remove this discount or charge").click()  # the empty one
    expect(rows).to_have_count(2)
    expect(page.locator("[name=adjustments-TOTAL_FORMS]")).to_have_value("2")
    expect(rows.nth(0).get_by_label("VAT")).to_contain_text("As the lines (Standard VAT 7.5%)")

    # 4 × 12,500.00 = 50,000.00 at 7.5 %: VAT 3,750.00. The discount 2,345.67 at the lines' 7.5 % takes off
    # 175.92525 → 175.93 of VAT; the charge 4,999.99 adds 374.99925 → 375.00. 50,000.00 − 2,345.67 + 4,999.99
    # = 52,654.32; VAT 3,750.00 − 175.93 + 375.00 = 3,949.07; payable 52,654.32 + 3,949.07 = 56,603.39.
    expect(page.locator("[data-total=allowance]")).to_have_text("−₦2,345.67")
    expect(page.locator("[data-total=charge]")).to_have_text("₦4,999.99")
    expect(page.locator("[data-total=tax]")).to_have_text("₦3,949.07")
    expect(page.locator("[data-total=payable]")).to_have_text("₦56,603.39")
    screenshots(page, "adjustments")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.set_viewport_size(DESKTOP)

    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("h1 .badge")).to_have_text("Draft")
    expect(page.locator("#payable")).to_have_text("₦56,603.39")
    expect(page.locator("tr.total-allowance")).to_contain_text("Discount: Bulk discount")
    expect(page.locator("tr.total-charge")).to_contain_text("Charge: Delivery")

    page.get_by_role("link", name="Edit").first.click()  # the draft's rows come back, and the same live total
    expect(rows).to_have_count(2)
    expect(rows.nth(1).get_by_label("Reason")).to_have_value("Delivery")
    expect(rows.nth(1).get_by_label("VAT")).to_have_value("STANDARD_VAT")
    expect(page.locator("[data-total=payable]")).to_have_text("₦56,603.39")


def test_a_row_at_the_lines_vat_asks_for_a_choice_once_the_lines_carry_two(page, sign_in, connected_tenant):
    sign_in(member(connected_tenant, "clerk"))
    fill_invoice(
        page,
        "INV-ADJ-E2E-2",
        [("Telephone handsets", "8517.11", "4", "12,500"), ("Breeding horses", "0101.21", "1", "300,000")],
    )
    page.locator("[name=lines-1-tax_scheme]").select_option("EXEMPTED")
    row = page.locator("#adjustments tr.adjustment-row").first
    row.get_by_label("Reason").fill("Breeder's loyalty discount")
    row.get_by_label("Amount").fill("10,000")
    expect(row.get_by_text("The lines carry different VAT: choose this one's.")).to_be_visible()
    row.get_by_label("VAT").select_option("EXEMPTED")
    expect(row.get_by_label("Rate %")).to_have_value("0")
    expect(row.get_by_text("The lines carry different VAT: choose this one's.")).to_be_hidden()
    # 50,000.00 (VAT 3,750.00) + 300,000.00 exempt − 10,000.00 exempt = 340,000.00; payable 343,750.00.
    expect(page.locator("[data-total=payable]")).to_have_text("₦343,750.00")
    screenshots(page, "adjustments-mixed")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
