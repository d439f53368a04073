"""The line editor as a clerk uses it: the description is its own wide, labelled input that also finds saved
items (one result per row: name, price in naira, tax by its name); a credit note is named as one, dated today in
Lagos and asks why; a B2C invoice asks only for the buyer's name, e-mail and telephone."""

import os

import pytest
from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import expect

from invoicing import master_data
from tests.conftest import member
from tests.e2e.test_money import certified

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def screenshots(page, name):
    """For a person to look at both widths (written only when E2E_SCREENSHOTS=1)."""
    if os.environ.get("E2E_SCREENSHOTS") == "1":
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            page.screenshot(path=f"/tmp/editor-{name}-{label}.png", full_page=True)
        page.set_viewport_size(DESKTOP)


def test_a_credit_note_form_is_named_as_one_dated_today_and_asks_why(page, sign_in, connected_tenant):
    original = certified(connected_tenant, document_number="INV-NOTE-1", line__unit_price=100000)
    sign_in(member(connected_tenant, "clerk"))
    page.goto(f"/invoices/new/?type=credit_note&original={original.pk}")

    expect(page.locator("h1")).to_have_text("New credit note")
    number = page.get_by_label("Credit note number")
    expect(number).to_have_value("")
    expect(page.locator("#invoice-editor")).not_to_contain_text("INV-2026-001")
    expect(page.get_by_label("Issue date")).to_have_value(timezone.localdate().isoformat())
    screenshots(page, "credit-note")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.set_viewport_size(DESKTOP)

    number.fill("CN-NOTE-1")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".has-error")).to_contain_text("Say why this note corrects the invoice.")

    page.get_by_label("Reason for the credit note").fill("Two units returned damaged")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("h1 .badge")).to_have_text("Draft")
    expect(page.locator("#note-reason")).to_have_text("Reason: Two units returned damaged")
    page.get_by_role("link", name="Edit").first.click()
    expect(page.get_by_role("button", name="Submit credit note")).to_be_visible()


def test_a_b2c_invoice_asks_only_for_the_buyers_name_and_contact(page, sign_in, connected_tenant):
    sign_in(member(connected_tenant, "clerk"))
    page.goto("/invoices/new/")
    expect(page.get_by_label("TIN")).to_be_visible()
    page.get_by_label("Invoice for").select_option("B2C")
    for light in ("Buyer name", "Telephone"):
        expect(page.get_by_label(light)).to_be_visible()
    expect(page.get_by_label("E-mail", exact=True)).to_be_visible()
    for b2b in ("TIN", "Street address", "City", "Postal code", "State", "LGA"):
        expect(page.get_by_label(b2b, exact=True)).to_be_hidden()
    screenshots(page, "b2c")
    page.get_by_label("Invoice for").select_option("B2B")
    expect(page.get_by_label("TIN")).to_be_visible()


def test_a_look_up_result_is_one_row_with_name_price_and_tax(page, sign_in, connected_tenant):
    with scope(tenant=connected_tenant):
        master_data.item_create(
            tenant=connected_tenant,
            data={"name": "Installation and commissioning", "unitPriceKobo": 45_000_000, "hsCode": "8517.11"},
        )
    sign_in(member(connected_tenant, "clerk"))
    page.goto("/invoices/new/")
    description = page.get_by_label("Description (or find a saved item)").first
    widths = page.locator("#lines thead th").evaluate_all("cells => cells.map(c => c.getBoundingClientRect().width)")
    assert widths[0] == max(widths), widths  # the description is the widest column

    description.press_sequentially("Inst", delay=50)
    option = page.get_by_role("listbox").get_by_role("option").first
    expect(option).to_contain_text("Installation and commissioning")
    expect(option).to_contain_text("₦450,000.00 · Standard VAT")
    name, detail = option.locator(".lookup-name").bounding_box(), option.locator(".lookup-detail").bounding_box()
    assert name["height"] < 30 and abs(name["y"] - detail["y"]) < 10, (name, detail)  # one line, side by side
    screenshots(page, "look-up")

    option.click()
    expect(description).to_have_value("Installation and commissioning")
    expect(page.locator("[name=lines-0-unit_price]")).to_have_value("450000.00")
    expect(page.locator("[name=lines-0-hsn_code]")).to_have_value("8517.11")


def test_hs_and_isic_codes_are_found_by_words_or_code(page, sign_in, connected_tenant):
    sign_in(member(connected_tenant, "clerk"))
    page.goto("/invoices/new/")
    code = page.locator("[name=lines-0-hsn_code]")
    options = page.get_by_role("listbox").get_by_role("option")

    code.press_sequentially("computer programming", delay=20)  # a service, by its words: its ISIC class
    expect(options.first).to_contain_text("6201")
    expect(options.first).to_contain_text("Computer programming activities")
    options.first.click()
    expect(code).to_have_value("6201")

    code.fill("")
    code.press_sequentially("8517.1", delay=50)  # goods, by the start of their HS code
    expect(options.filter(has_text="Line telephone sets with cordless handsets")).to_have_count(1)
    screenshots(page, "code-search")
    options.filter(has_text="8517.11").first.click()
    expect(code).to_have_value("8517.11")


def test_on_a_phone_the_code_search_results_take_the_line_cards_width(page, sign_in, connected_tenant):
    sign_in(member(connected_tenant, "clerk"))
    page.set_viewport_size(PHONE)
    page.goto("/invoices/new/")
    code = page.locator("[name=lines-0-hsn_code]")
    code.press_sequentially("telephone", delay=20)
    options = page.get_by_role("listbox").get_by_role("option")
    expect(options.filter(has_text="Line telephone sets with cordless handsets")).to_have_count(1)

    results = page.locator(".lookup-list:not([hidden])").bounding_box()
    card = page.locator("#lines tr.line-row").first.bounding_box()
    field = code.bounding_box()
    # The code's cell is half the card; its results use the card's whole width, inside the screen…
    assert field["width"] < card["width"] / 2, (field, card)
    assert results["width"] >= card["width"] - 30, (results, card)
    assert card["x"] <= results["x"] and results["x"] + results["width"] <= card["x"] + card["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # …just under the field typed in, and a description reads on one or two lines, not five.
    assert field["y"] + field["height"] <= results["y"] <= field["y"] + field["height"] + 10, (field, results)
    first = options.filter(has_text="8517.11").locator(".lookup-detail").bounding_box()
    assert first["height"] < 45, first
    screenshots(page, "code-search-phone")

    page.set_viewport_size(PHONE)
    options.filter(has_text="8517.11").click()
    expect(code).to_have_value("8517.11")
