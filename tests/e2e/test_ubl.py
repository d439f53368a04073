"""In the browser: a clerk downloads a certified invoice as UBL, then imports UBL files from the invoice list and
sees, per file, the invoice made or the reason it was not."""

import os

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from integrations.connectors.ubl import ubl_to_invoice_body
from tests.conftest import member, sandbox_business
from tests.connectors.test_ubl import b2b_body, certified

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("UBL_SHOTS")  # a folder: keep screenshots of the pages at 1366 and 390 px to look at


def shots(page, name):
    if SHOTS:
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)


def test_clerk_downloads_ubl_and_imports_files(page, sign_in, connected_tenant, key_file, tmp_path):
    from integrations.connectors.ubl import invoice_to_ubl

    source = sandbox_business(key_file, name="Ade Trading Ltd", telephone="+2348011111111")
    with scope(tenant=source):
        (tmp_path / "INV-WEB-1.xml").write_bytes(invoice_to_ubl(certified(source, b2b_body("INV-WEB-1"))))
    (tmp_path / "scan.xml").write_bytes(b"<Invoice")
    mine = certified(connected_tenant, b2b_body("INV-MINE-1"))
    sign_in(member(connected_tenant, "clerk"))

    page.goto(f"/invoices/{mine.pk}/")
    shots(page, "ubl-detail")
    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_download() as download:
        page.get_by_role("link", name="Download UBL (XML)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "INV-MINE-1.xml" and ubl_to_invoice_body(saved.read_bytes())["document_number"] == "INV-MINE-1"

    page.goto("/invoices/")
    shots(page, "ubl-list")
    page.get_by_role("link", name="Import UBL").click()
    expect(page.locator("h1")).to_have_text("Import UBL invoices")
    page.get_by_label("UBL files (.xml)").set_input_files([str(tmp_path / "INV-WEB-1.xml"), str(tmp_path / "scan.xml")])
    page.get_by_role("button", name="Import").click()
    results = page.locator("#ubl-results")
    expect(results).to_contain_text("INV-WEB-1.xml: imported as invoice INV-WEB-1")
    expect(results).to_contain_text("scan.xml: not imported")
    expect(results).to_contain_text("The file is not readable XML")
    shots(page, "ubl-import")
    results.get_by_role("link", name="invoice INV-WEB-1").click()
    expect(page.locator("h1")).to_contain_text("INV-WEB-1")
