"""On a phone (390×844) nothing scrolls sideways and the collapsed menu reaches every link; axe-core finds no
serious or critical accessibility violation on the pages a business person uses every day.

axe-core comes bundled with axe-playwright-python (no network): `axe_findings` injects it into the page."""

from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import member
from tests.e2e.conftest import CHROMIUM_ARGS  # noqa: F401  (the browser fixture's launch flags)
from tests.e2e.test_invoicing import fill_invoice, signed_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
SETTINGS_PAGES = (
    "settings_profile",
    "settings_nrs",
    "settings_locations",
    "settings_crypto_keys",
    "settings_gates",
    "settings_team",
    "settings_api_keys",
    "settings_webhooks",
    "settings_connectors",
    "settings_audit",
)
SERIOUS = {"serious", "critical"}


def overflow(page) -> int:
    """How many pixels the page is wider than the viewport (0 when nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def axe_findings(page) -> list[str]:
    """The serious and critical axe-core violations on the page, one readable line each (empty when none).

    Any page can be checked with it, signed in or not: the public verify page joins the list by calling
    `axe_findings(page)` after `page.goto("/verify/<IRN>")`."""
    results = Axe().run(page)
    return [
        f"{v['impact']} {v['id']}: {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


@pytest.fixture
def certified_invoice(browser, live_server, connected_tenant, qcluster):
    """A B2B invoice with three lines, certified by the sandbox through the worker; its page's URL."""
    admin = member(connected_tenant, "admin")
    page = signed_in(browser, live_server, admin)
    lines = [
        ("Installation and commissioning of the solar inverter bank", "8504.40", "1", "1,250,000"),
        ("Consulting services", "8517.11", "12", "45,000"),
        ("Ball pens", "9608.10", "200", "150"),
    ]
    fill_invoice(page, "INV-PHONE-1", lines)
    page.get_by_role("button", name="Submit to NRS").click()
    invoice_url = page.url
    for _ in range(40):
        page.goto(invoice_url)
        if page.locator("h1 .badge").inner_text() == "Certified":
            break
        page.wait_for_timeout(500)
    expect(page.locator("h1 .badge")).to_have_text("Certified")
    page.context.close()
    return admin, invoice_url


@pytest.fixture
def received_url(connected_tenant):
    """The purchase inbox of the same business: a new invoice with long names and a disputed one."""
    from datetime import date

    from tests.factories import received_invoice

    received = received_invoice(
        connected_tenant,
        supplier_name="Federal Consolidated Building Materials and Engineering Supplies Nigeria Plc",
        document_number="FCBM-2026-000451",
        issue_date=date(2026, 11, 12),
        lines=(
            ("Installation and commissioning of the solar inverter bank, phase two", "8504.40", "1", "1250000"),
            ("Cement, 50 kg bags", "2523.29", "1000", "5000"),
        ),
    )
    received_invoice(connected_tenant, document_number="DS-9", issue_date=date(2026, 11, 20), status="disputed")
    # In US dollars: two with the VAT stated in naira (one zero-rated, so its amount before VAT in naira is not
    # known), one without: the VAT report's longest rows and notes.
    imports = dict(
        supplier_name="Trans-Atlantic Industrial Equipment Export and Logistics Company Ltd",
        supplier_tin="33333333-0001",
        currency="USD",
        issue_date=date(2026, 11, 14),
    )
    rate = Decimal("1530.50")
    received_invoice(connected_tenant, document_number="TAIE-2026-000117", exchange_rate=rate, **imports)
    received_invoice(connected_tenant, document_number="TAIE-2026-000118", exchange_rate=rate, tax_rate="0", **imports)
    received_invoice(connected_tenant, document_number="TAIE-2026-000119", **imports)
    return reverse("purchase_detail", args=[received.pk])


def everyday_pages(invoice_url, received_url):
    """The pages checked at both sizes: (what, URL)."""
    return [
        ("purchase inbox", reverse("purchase_list")),
        ("received invoice", received_url),
        ("suppliers", reverse("supplier_list")),
        ("VAT report", reverse("vat_report") + "?month=2026-11"),
        ("dashboard", "/"),
        ("invoice list", reverse("invoice_list")),
        ("invoice editor", reverse("invoice_new")),
        ("invoice page", invoice_url),
        *((name, reverse(name)) for name in SETTINGS_PAGES),
        ("customers", reverse("customer_list")),
        ("items", reverse("item_list")),
        ("approval queue", reverse("invoice_queue")),
        ("CSV upload", reverse("batch_upload")),
        # The code lists a CSV file may use: long codes and names in tables that scroll inside their card.
        ("states list", reverse("codes_states")),
        ("LGAs of one state", reverse("codes_lgas") + "?state=NG-LA"),
        ("HS codes found by words", reverse("codes_hs_codes") + "?q=telephone"),
        ("service codes", reverse("codes_service_codes")),
        ("tax categories", reverse("codes_tax_categories")),
        ("NRS sandbox", reverse("sandbox_console")),
    ]


def test_on_a_phone_nothing_scrolls_sideways_and_the_menu_reaches_settings(
    browser, live_server, certified_invoice, received_url, settings
):
    settings.WEBHOOK_ALLOWED_HOSTS = ["erp.example.ng"]  # no DNS in tests
    admin, invoice_url = certified_invoice
    page = signed_in(browser, live_server, admin)
    # A paused webhook endpoint: its card holds the longest values of the settings pages.
    page.goto(reverse("settings_webhooks"))
    page.get_by_label("Endpoint URL").fill("https://erp.example.ng/flowpoint/webhooks/receive-every-invoice-event")
    page.get_by_label("Generate a strong secret for me (shown once)").check()
    page.get_by_role("button", name="Save endpoint").click()
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Re-enable")).to_be_visible()
    page.get_by_role("button", name="Send test event").click()  # a row in the deliveries table
    expect(page.locator("table.wh-log")).to_contain_text("webhook.test")

    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        for what, url in everyday_pages(invoice_url, received_url):
            page.goto(url)
            assert overflow(page) <= 0, f"the {what} ({url}) scrolls sideways by {overflow(page)} px at {size}"
    page.set_viewport_size(PHONE)

    # Long values wrap between words ("The endpoint is paused", never "i s").
    page.goto(reverse("settings_webhooks"))
    for dd in page.locator(".facts dd").all():
        assert dd.evaluate("el => getComputedStyle(el).wordBreak") != "break-all"

    # The editor: one card per line, every field of it on screen.
    page.goto(reverse("invoice_new"))
    page.get_by_role("button", name="+ Add a line").click()
    for row in page.locator("#lines tr.line-row").all():
        for name in ("description", "quantity", "unit_price", "tax_scheme"):
            box = row.locator(f"[name$='-{name}']").bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], name
        for part in (row.locator(".line-amount"), row.get_by_role("button", name="Remove this line")):
            box = part.bounding_box()
            assert box and box["x"] + box["width"] <= PHONE["width"]

    # The links are folded behind one menu button, opened by the keyboard.
    page.goto("/")
    settings = page.get_by_role("link", name="Settings", exact=True)
    expect(settings).to_be_hidden()
    menu = page.locator("header .navmenu > summary")
    menu.focus()
    page.keyboard.press("Enter")
    expect(settings).to_be_visible()
    for name in ("Queue", "NRS sandbox", "Invoices"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    settings.click()
    expect(page).to_have_url(f"{live_server.url}{reverse('settings_profile')}")

    # Without JavaScript the menu opens all the same (a <details>).
    signed_in_state = page.context.storage_state()
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, java_script_enabled=False, storage_state=signed_in_state
    )
    bare = context.new_page()
    bare.goto("/")
    bare.locator("header .navmenu > summary").click()
    bare.get_by_role("link", name="Settings", exact=True).click()
    expect(bare).to_have_url(f"{live_server.url}{reverse('settings_profile')}")
    context.close()

    # On a desktop the links show without the menu button.
    page.set_viewport_size(DESKTOP)
    page.goto("/")
    expect(menu).to_be_hidden()
    expect(page.get_by_role("link", name="Settings", exact=True)).to_be_visible()


def test_axe_finds_no_serious_violation(browser, live_server, certified_invoice, received_url):
    admin, invoice_url = certified_invoice
    for size in (DESKTOP, PHONE):
        context = browser.new_context(base_url=live_server.url, viewport=size)
        anonymous = context.new_page()
        anonymous.goto(reverse("login"))
        assert axe_findings(anonymous) == [], f"sign-in at {size['width']} px"
        context.close()

    page = signed_in(browser, live_server, admin)
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        for what, url in everyday_pages(invoice_url, received_url):
            page.goto(url)
            assert axe_findings(page) == [], f"{what} at {size['width']} px"
