"""Settings → Connectors in a browser: an admin adds a connector, runs it, reads the run log, maps the unit a
document was missing, retries it, and the pages hold at 1366 and 390 px (no sideways scroll, no serious axe
finding). The source is kept in memory (the SFTP kind's own browser test drops a file into a real folder)."""

import pytest
from django.db import transaction
from django.urls import reverse
from playwright.sync_api import expect

from integrations.connectors import mapping, services, sync, tasks
from tests.conftest import member
from tests.e2e.test_invoicing import signed_in
from tests.e2e.test_phone_and_accessibility import DESKTOP, PHONE, axe_findings, overflow
from tests.factories import make_ready
from tests.invoicing.conftest import body

pytestmark = pytest.mark.e2e


class Books:
    """An accounting system's invoices, each with the unit as that system writes it."""

    documents = {
        "INV-0001": {"unit": "pcs", "body": body(document_number="BOOKS-1")},
        "INV-0002": {"unit": "Crate", "body": body(document_number="BOOKS-2")},
    }

    def fetch(self, connector):
        found = [
            sync.Listed(key, raw, reference=key) for key, raw in self.documents.items() if key > connector.watermark
        ]
        return sync.Batch(found, watermark=max(self.documents))

    def to_invoice(self, connector, raw):
        data = raw["body"]
        document = f"Books invoice {data['document_number']}"
        data["lines"][0]["unit_of_measure"] = mapping.nrs_code(
            connector, "unit", raw["unit"], document=document, line=1
        )
        return data

    def write_back(self, connector, document, invoice):
        pass


@pytest.fixture
def books(monkeypatch):
    monkeypatch.setitem(sync.KINDS, "odoo", Books())
    # "Run now" runs the task once the click's transaction commits, as the worker would pick it up.
    monkeypatch.setattr(
        services,
        "enqueue_on_commit",
        lambda func, *args, **kw: transaction.on_commit(lambda: tasks.sync_connector(*args)),
    )


def test_an_admin_adds_a_connector_runs_it_and_fixes_a_document_from_the_run_log(
    browser, live_server, tenant, key_file, books
):
    make_ready(tenant, key_file)
    page = signed_in(browser, live_server, member(tenant, "admin"))
    page.goto(reverse("settings_connectors"))
    expect(page.get_by_text("No connectors yet.")).to_be_visible()
    page.get_by_role("link", name="Odoo", exact=True).click()
    page.get_by_role("textbox", name="Name", exact=True).fill("Head office books")
    page.get_by_label("Odoo address").fill("https://kola.odoo.com")
    page.get_by_label("Database").fill("kola")
    page.get_by_role("textbox", name="Username").fill("accounts@kola.ng")
    page.get_by_label("API key").fill("odoo-key-typed-once")
    page.get_by_role("button", name="Add connector").click()
    expect(page.get_by_text("Connector added.")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("Saved (never shown)")
    assert "odoo-key-typed-once" not in page.content()

    page.get_by_role("button", name="Run now").click()
    expect(page.get_by_text("Run started.")).to_be_visible()
    page.reload()
    runs = page.locator("table.connector-runs")
    expect(runs).to_contain_text("Done, with documents to fix")
    documents = page.locator("table.connector-documents")
    expect(documents.locator("tr", has_text="INV-0001")).to_contain_text("Invoice BOOKS-1")
    stuck = documents.locator("tr", has_text="INV-0002")
    expect(stuck).to_contain_text("Books invoice BOOKS-2, line 1: the unit “Crate” is not mapped to a UN/ECE unit code")
    expect(stuck).to_contain_text("Head office books → Edit settings and mappings → Units")

    for size in (DESKTOP, PHONE):  # the run log, the list and the form, with what they hold now
        page.set_viewport_size(size)
        detail = page.url
        for url in (detail, reverse("settings_connectors"), detail + "edit/", reverse("connector_new") + "?kind=sftp"):
            page.goto(url)
            assert overflow(page) <= 0, f"{url} scrolls sideways by {overflow(page)} px at {size['width']} px"
            assert axe_findings(page) == [], f"{url} at {size['width']} px"
        page.goto(detail)
    page.set_viewport_size(DESKTOP)

    # The fix the error names: a row under Edit settings and mappings → Units, then "Retry this document".
    page.get_by_role("link", name="Edit settings and mappings").click()
    page.get_by_label("Units: code in your system").first.fill("Crate")
    page.get_by_label("Units: a UN/ECE unit code").first.fill("BX")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Connector saved.")).to_be_visible()
    page.locator("tr", has_text="INV-0002").get_by_role("button", name="Retry this document").click()
    expect(page.get_by_text("INV-0002 is now an invoice.")).to_be_visible()
    expect(page.locator("tr", has_text="INV-0002")).to_contain_text("Invoice BOOKS-2")
    page.locator("tr", has_text="INV-0002").get_by_role("link", name="Invoice BOOKS-2").click()
    expect(page.locator("h1")).to_contain_text("BOOKS-2")
