"""In the browser, without signing in: the verify page a buyer reaches from the PDF's plain QR code (decoded with
zbar, as a phone camera app would), its answers for a malformed and an unknown IRN, the start page and the 404
page; each at 1366 px and at 390 px without sideways scrolling."""

import io
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from pypdf import PdfReader
from pyzbar import pyzbar

from invoicing.pdf import render_invoice_pdf
from tests.e2e.conftest import CHROMIUM_ARGS  # noqa: F401  (the browser fixture's launch flags)
from tests.invoicing.test_pdf import make_invoice, make_tenant, nrs  # noqa: F401  (the sandbox business fixture)

pytestmark = pytest.mark.e2e

WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.fixture(params=list(WIDTHS))
def visitor(request, browser, live_server, tmp_path):
    """A signed-out visitor at one width; `shot(name)` saves a full-page screenshot and checks the page does
    not scroll sideways."""
    width, height = WIDTHS[request.param]
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
    page = context.new_page()

    def shot(name):
        page.screenshot(path=str(tmp_path / f"{name}-{request.param}.png"), full_page=True)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{name} is {scroll_width} px wide at {width} px"

    page.shot = shot
    try:
        yield page
    finally:
        context.close()


def test_the_pdfs_plain_qr_code_opens_the_verify_page_with_supplier_and_total(visitor, nrs, live_server, settings):  # noqa: F811
    settings.SITE_URL = live_server.url
    issued, _ = nrs
    invoice = make_invoice(make_tenant(issued), issued)

    images = PdfReader(io.BytesIO(render_invoice_pdf(invoice))).pages[0].images
    scanned = [s.data.decode() for image in images for s in pyzbar.decode(image.image, [pyzbar.ZBarSymbol.QRCODE])]
    url = next(text for text in scanned if text.startswith(live_server.url))  # not NRS's encrypted payload
    assert url == f"{live_server.url}/verify/{invoice.irn}"

    visitor.goto(urlsplit(url).path)
    result = visitor.locator("#verify-result")
    expect(result).to_contain_text("This is a genuine invoice")
    expect(result).to_contain_text("Kola Foods Ltd")
    expect(result).to_contain_text("₦562,500.00")
    expect(result).to_contain_text("20 November 2025")
    expect(visitor.locator(".mainnav")).to_have_count(0)  # a public page: no app navigation
    visitor.shot("verify-found")
    assert_accessible(visitor)


def assert_accessible(page):
    """axe-core finds no serious or critical violation (contrast, names, landmarks, …)."""
    found = Axe().run(page).response["violations"]
    serious = [(v["id"], v["help"]) for v in found if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


def test_a_malformed_and_an_unknown_irn_get_plain_answers(visitor):
    visitor.goto("/verify/this-is-not-an-irn-at-all-but-a-rather-long-string-with-no-spaces-in-it-whatsoever")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("This is not an invoice reference")
    visitor.shot("verify-malformed")

    visitor.goto("/verify/INV001-94ND90NR-20260115")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("We cannot confirm this invoice")
    expect(visitor.locator("#verify-result")).to_contain_text("ask the supplier before you pay it")
    visitor.shot("verify-unknown")
    assert_accessible(visitor)


def test_the_start_page_says_what_flowpoint_does_and_leads_to_sign_up(visitor):
    visitor.goto("/")
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("E-invoicing with NRS")
    for step in ("Issue", "Certify", "Send", "Receive"):
        expect(visitor.get_by_role("heading", name=step, exact=True)).to_be_visible()
    visitor.shot("start")
    assert_accessible(visitor)
    visitor.locator(".start-hero").get_by_role("link", name="Create an account").click()
    expect(visitor).to_have_url(f"{visitor.url.split('/signup')[0]}/signup/")


def test_the_404_page_has_the_layout_and_a_way_on(visitor):
    response = visitor.goto("/no-such-page/")
    assert response.status == 404
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(visitor.locator("main").get_by_role("link", name="Sign in")).to_be_visible()
    visitor.shot("404")
