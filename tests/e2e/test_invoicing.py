"""In the browser, with a real django-q2 worker and the sandbox over HTTP: a clerk issues a two-line B2B
invoice, an approver approves it, NRS (the sandbox) certifies it, and the downloaded PDF carries the IRN and a
QR code that the sandbox decrypts to that IRN. Maker-checker refuses a self-approval."""

import io
import re

import pytest
import zxingcpp
from django_scopes import scopes_disabled
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from integrations.nrs.sandbox.models import SandboxBusiness
from integrations.nrs.sandbox.services import qr_decrypt
from invoicing.models import GateRules, Invoice
from tests.conftest import member
from tests.e2e.conftest import CHROMIUM_ARGS  # noqa: F401  (the browser fixture's launch flags)
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def signed_in(browser, live_server, user):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header .who")).to_contain_text(user.email)
    return page


def fill_invoice(page, number, lines):
    page.goto("/invoices/new/")
    page.get_by_label("Invoice number").fill(number)
    page.get_by_label("Buyer name").fill("Acme Ltd")
    page.get_by_label("TIN").fill("12345678-0001")
    page.get_by_label("E-mail", exact=True).fill("ap@acme.ng")
    page.get_by_label("Street address").fill("42 Marina Road")
    page.get_by_label("City").fill("Lagos")
    page.get_by_label("Postal code").fill("101001")
    page.get_by_label("State").select_option("NG-LA")
    page.get_by_label("LGA").select_option("NG-LA-LIS")
    for index, (description, code, quantity, price) in enumerate(lines):
        if index:
            page.get_by_role("button", name="+ Add a line").click()
        page.locator(f"[name=lines-{index}-description]").fill(description)
        page.locator(f"[name=lines-{index}-hsn_code]").fill(code)
        page.locator(f"[name=lines-{index}-quantity]").fill(quantity)
        page.locator(f"[name=lines-{index}-unit_price]").fill(price)


def test_clerk_issues_approver_approves_nrs_certifies_and_the_pdf_carries_irn_and_qr(
    browser, live_server, connected_tenant, qcluster, tmp_path
):
    GateRules.objects.create(tenant=connected_tenant, approval_above=0, maker_checker=True)
    clerk, approver = member(connected_tenant, "clerk"), member(connected_tenant, "approver")

    page = signed_in(browser, live_server, clerk)
    fill_invoice(
        page, "INV-E2E-1", [("Consulting services", "8517.11", "2", "25,000"), ("Ball pens", "9608.10", "10", "150")]
    )
    # Live totals, as the clerk types: 51,500.00 + VAT 3,862.50.
    expect(page.locator("[data-total=payable]")).to_have_text("₦55,362.50")
    page.get_by_role("button", name="Submit to NRS").click()
    expect(page.locator(".messages")).to_contain_text("waiting for approval")
    expect(page.locator("h1 .badge")).to_have_text("Awaiting approval")
    invoice_url = page.url

    approving = signed_in(browser, live_server, approver)
    approving.get_by_role("link", name="Queue").click()
    approving.get_by_role("link", name="Invoice INV-E2E-1").click()
    approving.get_by_label("Comment").fill("Within budget")
    approving.get_by_role("button", name="Approve").click()
    expect(approving.locator(".messages")).to_contain_text("queued for NRS")

    # The worker process sends it to the sandbox; the clerk's page shows the outcome.
    for _ in range(40):
        page.goto(invoice_url)
        if page.locator("h1 .badge").inner_text() == "Certified":
            break
        page.wait_for_timeout(500)
    expect(page.locator("h1 .badge")).to_have_text("Certified")
    expect(page.locator("#timeline")).to_contain_text("Signed by NRS")
    expect(page.locator("#timeline")).to_contain_text("Transmitted")
    expect(page.locator("#qr")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    pdf_path = tmp_path / "invoice.pdf"
    download.value.save_as(pdf_path)
    with scopes_disabled():
        invoice = Invoice.objects.get(document_number="INV-E2E-1")
    reader = PdfReader(pdf_path)
    text = "".join(p.extract_text() for p in reader.pages)
    assert invoice.irn in text and "₦55,362.50" in text
    images = [Image.open(io.BytesIO(image.data)) for p in reader.pages for image in p.images]
    decoded = [
        r.text
        for img in images
        for r in zxingcpp.read_barcodes(img.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    ]
    assert decoded, "no QR code found in the PDF"
    business = SandboxBusiness.objects.get(pk=connected_tenant.nrs_business_id)
    payload = qr_decrypt(business, decoded[0])
    assert re.fullmatch(re.escape(invoice.irn) + r"\.\d{10}", payload["irn"])
    assert payload["certificate"] == business.certificate


def test_maker_checker_refuses_self_approval(browser, live_server, connected_tenant):
    GateRules.objects.create(tenant=connected_tenant, approval_above=0, maker_checker=True)
    admin = member(connected_tenant, "admin")
    page = signed_in(browser, live_server, admin)
    fill_invoice(page, "INV-E2E-2", [("Consulting services", "8517.11", "1", "1000")])
    page.get_by_role("button", name="Submit to NRS").click()
    expect(page.locator("h1 .badge")).to_have_text("Awaiting approval")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".messages")).to_contain_text("You created this invoice, so someone else must do its approval")
    expect(page.locator("h1 .badge")).to_have_text("Awaiting approval")
