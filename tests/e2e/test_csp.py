"""The Content-Security-Policy in Chromium: every page a person uses works under it, and the browser reports no
violation anywhere (a blocked inline style, script or request would be one).

Violations are recorded two ways: a `securitypolicyviolation` listener installed before any page script runs,
and Chromium's own console line ("Refused to … Content Security Policy"), which also covers pages left by a
form submission before their listener could be read. Every problem is gathered and asserted at the end, so one
failure lists them all.
"""

import os
import re

import pytest
from django.conf import settings
from django_scopes import scope, scopes_disabled
from playwright.sync_api import expect

from invoicing import batch_tasks, master_data
from invoicing.models import Batch
from portal.openapi_urls import DOCS_CSP
from tests.conftest import member
from tests.factories import PASSWORD, TenantFactory, make_ready
from tests.invoicing.conftest import ACME_CUSTOMER
from tests.invoicing.test_batches import csv_bytes, good_row

pytestmark = pytest.mark.e2e

LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " refused " + (e.blockedURI || "?") + " at " +
    e.sourceFile + ":" + e.lineNumber);
}, true);
"""


class PolicyWatch:
    def __init__(self, page):
        self.page = page
        self.problems = []
        page.add_init_script(LISTEN)
        page.on("console", self._console)

    def _console(self, message):
        if "Content Security Policy" in message.text:
            self.problems.append(f"{self.page.url}: console: {message.text[:300]}")

    def collect(self):
        """The violations the current page reported; call it before leaving the page."""
        for violation in self.page.evaluate("window.__cspViolations ? window.__cspViolations.splice(0) : []"):
            self.problems.append(f"{self.page.url}: {violation}")

    def visit(self, path, policy=None):
        self.collect()
        response = self.page.goto(path)
        header = response.headers.get("content-security-policy")
        if header != (policy or settings.CONTENT_SECURITY_POLICY):
            self.problems.append(f"{path}: answered {response.status} with Content-Security-Policy {header!r}")
        return self.page


def screenshot(page, name):
    """For a person to look at the styling (written only when E2E_SCREENSHOTS=1)."""
    if os.environ.get("E2E_SCREENSHOTS") == "1":
        page.screenshot(path=f"/tmp/csp-{name}.png", full_page=True)


@pytest.fixture
def business(key_file):
    tenant = make_ready(TenantFactory(name="Kola Foods Ltd"), key_file)
    with scope(tenant=tenant):
        master_data.customer_create(
            tenant=tenant,
            data=ACME_CUSTOMER,
        )
        master_data.item_create(
            tenant=tenant, data={"name": "Rice, 50 kg bag", "unitPriceKobo": 150_000, "hsCode": "1006.30"}
        )
    return tenant


def test_every_page_works_under_the_policy_without_a_violation(page, live_server, business, tmp_path):
    watch = PolicyWatch(page)
    admin = member(business, "admin")
    admin.is_staff = True  # an operator: the sandbox's fault-injection page is theirs
    admin.save()

    watch.visit("/signup/")
    expect(page.get_by_role("button", name="Create account")).to_be_visible()
    watch.visit("/status")
    expect(page.locator("#status-line")).to_have_class(re.compile("status-ok"))  # app.js polled /health
    watch.visit("/login/")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header .who")).to_contain_text(admin.email)

    watch.visit("/")
    expect(page.locator("#chart svg").first).to_be_visible()  # two charts: invoices, and VAT
    screenshot(page, "dashboard")

    # The invoice editor: the buyer found as they type, totals that follow the quantity typed.
    watch.visit("/invoices/new/")
    page.get_by_label("Find a saved customer").press_sequentially("Ac", delay=50)
    expect(page.get_by_role("listbox").get_by_role("option").first).to_contain_text("Acme Ltd")
    page.get_by_role("listbox").get_by_role("option").first.click()
    expect(page.get_by_label("Buyer name")).to_have_value("Acme Ltd")
    page.get_by_label("Invoice number").fill("INV-CSP-1")
    page.locator("[name=lines-0-description]").fill("Consulting services")
    page.locator("[name=lines-0-hsn_code]").fill("8517.11")
    page.locator("[name=lines-0-unit_price]").fill("25,000")
    quantity = page.locator("[name=lines-0-quantity]")
    quantity.fill("")
    quantity.press_sequentially("2")
    expect(page.locator("[data-total=payable]")).to_have_text("₦53,750.00")
    quantity.press_sequentially("0")  # 20
    expect(page.locator("[data-total=payable]")).to_have_text("₦537,500.00")
    description = page.locator("[name=lines-0-description]")  # the description is also the item look-up
    description.fill("")
    description.press_sequentially("Ri", delay=50)
    expect(page.get_by_role("listbox").get_by_role("option").first).to_contain_text("Rice, 50 kg bag")
    screenshot(page, "invoice-editor")
    watch.collect()
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("h1 .badge")).to_have_text("Draft")

    watch.visit("/invoices/")
    expect(page.get_by_role("link", name=re.compile("INV-CSP-1"))).to_be_visible()
    watch.visit("/invoices/queue/")

    watch.visit("/customers/")
    page.get_by_role("combobox", name="Search").press_sequentially("ac", delay=50)
    expect(page.get_by_role("listbox").get_by_role("option")).to_have_count(1)
    screenshot(page, "customers")
    page.get_by_role("listbox").get_by_role("option").first.click()
    expect(page.get_by_label("Registered name")).to_have_value("Acme Ltd")
    watch.visit("/items/")
    expect(page.locator("#items")).to_contain_text("₦1,500.00")
    screenshot(page, "items")
    watch.visit("/items/new/")

    # CSV: a wrong file is refused on the page; a good one gets its batch page and progress bar.
    watch.visit("/invoices/upload/")
    picture = tmp_path / "photo.csv"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    page.get_by_label("CSV file").set_input_files(str(picture))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.locator("#id_file_error")).to_contain_text("The file is a PNG image, not CSV text.")
    good = tmp_path / "april.csv"
    good.write_bytes(csv_bytes([good_row(1), good_row(2, line_unit_price="abc")]))
    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.locator("h1")).to_contain_text("april.csv")
    with scopes_disabled():
        batch = Batch.objects.get()
    batch_tasks.validate_batch(str(batch.pk))  # as the worker would; the page polls and reloads
    expect(page.locator("#batch-status")).to_have_text("Some invoices have errors")
    expect(page.locator("#row-3")).to_have_class("row-error")
    box = page.locator("#batch-progress rect").bounding_box()
    assert box["width"] > 0.9 * page.locator("#batch-progress").bounding_box()["width"]  # the bar is full
    screenshot(page, "batch")

    for path in (
        "/settings/",
        "/settings/nrs/",
        "/settings/nrs/calls/",
        "/settings/locations/",
        "/settings/crypto-keys/",
        "/settings/team/",
        "/settings/approvals/",
        "/settings/audit/",
        "/onboarding/",
        "/sandbox/",
        "/sandbox/faults/",
    ):
        watch.visit(path)
        expect(page.locator("h1").first).to_be_visible()

    watch.visit("/settings/api-keys/")
    page.get_by_label("Name").fill("Sage ERP")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key-value")).to_contain_text("fp_test_")

    watch.visit("/settings/webhooks/")
    screenshot(page, "webhooks-form")
    page.get_by_label("Endpoint URL").fill(live_server.url + "/hooks/flowpoint")
    page.get_by_label("Generate a strong secret for me (shown once)").check()
    page.get_by_role("button", name="Save endpoint").click()
    expect(page.locator("#new-secret")).to_be_visible()
    screenshot(page, "webhooks")
    watch.visit("/settings/webhooks/edit/")
    expect(page.get_by_label("invoice.certified")).to_be_checked()
    screenshot(page, "webhooks-edit")

    # The API docs under their own policy: Redoc and Swagger UI render the schema.
    watch.visit("/api/docs", policy=DOCS_CSP)
    expect(page.get_by_role("heading", name="Upload a CSV of invoices").first).to_be_visible()
    watch.visit("/api/docs/swagger", policy=DOCS_CSP)
    expect(page.get_by_text("Upload a CSV of invoices").first).to_be_visible()
    screenshot(page, "swagger")
    watch.collect()

    # Redoc always shows its attribution logo from cdn.redoc.ly; the docs' policy refuses it on purpose
    # (portal/openapi_urls.py), and the image simply stays away.
    refused_on_purpose = [p for p in watch.problems if "/api/docs" in p and "https://cdn.redoc.ly/" in p]
    assert [p for p in watch.problems if p not in refused_on_purpose] == []
