"""The editor's "Check before submitting": every problem of the invoice beside its field at once, in plain words,
and nothing saved."""

import os
import re

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from invoicing.models import Invoice
from tests.conftest import member

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def test_check_before_submitting_shows_several_problems_at_once_and_saves_nothing(page, sign_in, connected_tenant):
    sign_in(member(connected_tenant, "clerk"))
    page.set_viewport_size(DESKTOP)
    page.goto("/invoices/new/")
    page.get_by_label("Invoice number").fill("INV-CHECK-1")
    page.get_by_label("Buyer name").fill("Acme Ltd")  # a B2B buyer with no TIN, e-mail or address
    page.get_by_label("Description (or find a saved item)").first.fill("Consulting")
    page.locator("[name=lines-0-hsn_code]").fill("9999.99")  # no such code
    page.locator("[name=lines-0-quantity]").fill("1")
    page.locator("[name=lines-0-unit_price]").fill("50000")
    page.get_by_role("button", name="Check before submitting").click()

    expect(page.locator("#check-result")).to_contain_text("problems to fix, each marked beside its field")
    tin = page.locator(".field.has-error").filter(has=page.get_by_label("TIN", exact=True))
    expect(tin).to_have_count(1)
    expect(page.locator(".field.has-error").filter(has=page.get_by_label("City", exact=True))).to_have_count(1)
    code_cell = page.locator("#lines tbody tr").first.locator("td").nth(1)
    expect(code_cell.locator(".error")).to_have_text(
        "There is no such code: type the code or words and pick one from the list."
    )
    text = page.locator("main").inner_text()
    assert not re.search(r"\b[A-Z]+(?:_[A-Z]+)+\b", text), "machine codes on screen"
    assert "customer.tin" not in text and "hsn_code" not in text
    # What was typed stays; nothing was saved.
    expect(page.get_by_label("Invoice number")).to_have_value("INV-CHECK-1")
    with scope(tenant=connected_tenant):
        assert Invoice.objects.count() == 0
    if os.environ.get("E2E_SCREENSHOTS") == "1":
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            page.screenshot(path=f"/tmp/check-check-{label}.png", full_page=True)
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.set_viewport_size(DESKTOP)

    # Completed, the same check says it is ready, and still saves nothing.
    page.get_by_label("TIN", exact=True).fill("12345678-0001")
    page.get_by_label("E-mail", exact=True).fill("ap@acme.ng")
    page.get_by_label("Street address").fill("42 Marina Road")
    page.get_by_label("City", exact=True).fill("Lagos")
    page.get_by_label("Postal code").fill("101001")
    page.locator("[name=lines-0-hsn_code]").fill("8517.11")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Check before submitting").click()
    expect(page.locator("#check-result")).to_contain_text("nothing to fix")
    with scope(tenant=connected_tenant):
        assert Invoice.objects.count() == 0


def test_an_nrs_copy_that_differs_is_flagged_on_the_invoice_and_the_admins_queue(page, sign_in, connected_tenant):
    from integrations.nrs.sandbox.services import stored_document_change
    from invoicing.nrs_copy import nrs_copies_check
    from tests.e2e.test_money import certified

    invoice = certified(connected_tenant, document_number="INV-COPY-1")
    stored_document_change(invoice.irn, ("legal_monetary_total", "payable_amount"), 537500)
    nrs_copies_check()
    sign_in(member(connected_tenant, "admin"))
    for path, flag in ((f"/invoices/{invoice.pk}/", "#nrs-copy"), ("/invoices/queue/", "#nrs-differences")):
        page.set_viewport_size(DESKTOP)
        page.goto(path)
        expect(page.locator(flag)).to_contain_text("Total ₦537,500.00 at NRS, ₦53,750.00 here")
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            if os.environ.get("E2E_SCREENSHOTS") == "1":
                page.screenshot(path=f"/tmp/check-{flag[1:]}-{label}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
