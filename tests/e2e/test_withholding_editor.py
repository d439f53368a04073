"""In the browser: the editor's live totals for the worked examples (docs/worked-examples.md) as the clerk types,
worked out in the page exactly as the server will: withholding tax taken off the amount payable, a discount and
a charge on the whole invoice (rows of their own) taxed at the lines' rate, and a line's fee."""

import pytest
from playwright.sync_api import expect

from tests.conftest import member
from tests.worked_examples import worked_example

pytestmark = pytest.mark.e2e


def naira(amount) -> str:
    return f"₦{amount:,.2f}"


def test_the_live_totals_take_withholding_off_and_add_the_charge(page, sign_in, tenant):
    sign_in(member(tenant, "clerk"))
    page.goto("/invoices/new/")
    expect(page.locator("[data-total=withheld]")).to_be_hidden()
    page.locator("[name=lines-0-description]").fill("Management consulting")
    page.locator("[name=lines-0-hsn_code]").fill("7020")
    page.locator("[name=lines-0-quantity]").fill("20")
    page.locator("[name=lines-0-unit_price]").fill("25,000")
    page.locator("[name=lines-0-unit_of_measure]").fill("hours")
    page.locator("[name=lines-0-withholding_rate]").fill("10")

    figures = worked_example("consulting-withholding")
    expect(page.locator("[data-total=tax]")).to_have_text(naira(figures["VAT 7.5%"]))
    expect(page.locator("[data-total=inclusive]")).to_have_text(naira(figures["Total (tax-inclusive)"]))
    expect(page.locator("[data-total=withheld]")).to_have_text("−" + naira(figures["Withholding tax 10%"]))
    expect(page.locator("[data-total=payable]")).to_have_text(naira(figures["Amount payable"]))

    # Example (c): a fee on the line, no withholding.
    page.locator("[name=lines-0-withholding_rate]").fill("0")
    page.locator("[name=lines-0-quantity]").fill("2500")
    page.locator("[name=lines-0-unit_price]").fill("120")
    page.locator("[name=lines-0-fee]").fill("2,500")
    figures = worked_example("fee-kilograms")
    expect(page.locator("[data-total=withheld]")).to_be_hidden()
    expect(page.locator("[data-total=subtotal]")).to_have_text(naira(figures["Line amount"]))
    expect(page.locator("[data-total=payable]")).to_have_text(naira(figures["Amount payable"]))

    # Example (b)'s document discount and charge, on lines of 150,000.00 at 7.5 %.
    page.locator("[name=lines-0-fee]").fill("0")
    page.locator("[name=lines-0-quantity]").fill("1")
    page.locator("[name=lines-0-unit_price]").fill("150,000")
    rows = page.locator("#adjustments tr.adjustment-row")
    rows.nth(0).get_by_label("Reason").fill("Loyalty discount")
    rows.nth(0).get_by_label("Amount").fill("15,000")
    page.get_by_role("button", name="+ Add a discount or charge").click()
    rows.nth(1).get_by_label("Discount or charge", exact=True).select_option(label="Charge")
    rows.nth(1).get_by_label("Reason").fill("Delivery")
    rows.nth(1).get_by_label("Amount").fill("5,000")
    figures = worked_example("allowance-charge")
    expect(page.locator("[data-total=allowance]")).to_have_text("−" + naira(figures["Discount: Loyalty discount"]))
    expect(page.locator("[data-total=charge]")).to_have_text(naira(figures["Charge: Delivery"]))
    expect(page.locator("[data-total=tax]")).to_have_text(naira(figures["VAT 7.5%"]))
    expect(page.locator("[data-total=payable]")).to_have_text(naira(figures["Amount payable"]))
