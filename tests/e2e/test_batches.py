"""In the browser, with a real django-q2 worker and the sandbox over HTTP: a clerk uploads a CSV with one bad
row, sees that row marked with its message beside the cell, submits the valid invoices, and watches the progress
bar reach 100 % as NRS certifies them."""

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from invoicing.models import Batch, Invoice
from tests.conftest import member
from tests.invoicing.test_batches import csv_bytes, good_row

pytestmark = pytest.mark.e2e
WAIT_MS = 60_000  # the worker polls every 0.5 s; on a busy 2-core machine a step can take a while


def test_clerk_uploads_sees_the_bad_row_submits_and_the_bar_reaches_100(
    page, sign_in, connected_tenant, qcluster, tmp_path
):
    sign_in(member(connected_tenant, "clerk"))
    rows = [good_row(1), good_row(2, line_unit_price="abc"), good_row(3, invoice_kind="B2G")]
    path = tmp_path / "april.csv"
    path.write_bytes(csv_bytes(rows))

    page.goto("/invoices/upload/")
    expect(page.get_by_role("link", name="Download the template")).to_have_attribute(
        "href", "/api/v1/invoices/upload/csv/template"
    )
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.locator("h1")).to_contain_text("april.csv")

    # The worker validates; the page follows the progress and shows the preview once checked.
    # Amber, not green: one invoice of three has errors and will be skipped.
    expect(page.locator("#batch-status")).to_have_text("Some invoices have errors", timeout=WAIT_MS)
    expect(page.locator("#batch-status")).to_have_class("badge badge-warn")
    expect(page.locator("#code-lists").get_by_role("link", name="states")).to_have_attribute(
        "href", "/invoices/codes/states/"
    )
    bad = page.locator("#row-3")
    expect(bad).to_have_class("row-error")
    expect(bad.locator("td.cell-error[data-column=line_unit_price]")).to_contain_text("must be a number")
    expect(page.locator("#row-2")).not_to_have_class("row-error")
    expect(page.locator("#errors")).to_contain_text("Row 3 · column “line_unit_price”: must be a number")
    expect(page.locator("[data-count=valid]")).to_have_text("2")
    expect(page.locator("[data-count=invalid]")).to_have_text("1")

    page.get_by_role("button", name="Submit 2 valid invoices").click()
    progress = page.locator("#batch-progress")
    expect(progress).to_have_attribute("aria-valuenow", "100", timeout=WAIT_MS)
    expect(page.locator("#batch-status")).to_have_text("Done; invoices with errors skipped", timeout=WAIT_MS)
    expect(page.locator("[data-count=certified]")).to_have_text("2")
    expect(page.locator("[data-count=failed]")).to_have_text("0")
    expect(page.locator("#row-2 .badge")).to_have_text("Certified")
    expect(page.locator("#row-4 .badge")).to_have_text("Certified")
    expect(page.locator("#row-3 .badge")).to_have_text("Error")
    page.screenshot(path=str(tmp_path / "batch.png"), full_page=True)

    with scopes_disabled():
        batch = Batch.objects.get()
        assert batch.status == "DONE" and batch.finished_at is not None
        assert sorted(Invoice.objects.values_list("document_number", "kind", "status")) == [
            ("CSV-00001", "B2B", "CERTIFIED"),
            ("CSV-00003", "B2G", "CERTIFIED"),
        ]
