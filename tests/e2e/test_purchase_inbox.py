"""A buyer walks its purchase inbox in Chromium: the list, a received invoice, acknowledging receipt (NRS is told),
disputing another with a reason, and the month's VAT report downloaded as CSV and XLSX."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.conftest import member
from tests.e2e.test_invoicing import signed_in
from tests.factories import TenantFactory, received_invoice

pytestmark = pytest.mark.e2e


class ConfirmingNrs:
    """NRS's transmit confirmation (PATCH /invoice/transmit/{IRN}), answered at once."""

    confirmed: list = []

    def __init__(self, tenant, **kwargs):
        pass

    def transmit_confirm(self, irn):
        ConfirmingNrs.confirmed.append(irn)
        return {}


@pytest.fixture
def buyer(monkeypatch):
    """Business B with two invoices from suppliers in November 2026, and its admin."""
    ConfirmingNrs.confirmed = []
    monkeypatch.setattr("invoicing.purchases.services.NrsClient", ConfirmingNrs)
    tenant = TenantFactory(name="Bola Builders Ltd", tin="24681357-0001")
    cement = received_invoice(tenant, document_number="DS-0451", issue_date=date(2026, 11, 12))
    steel = received_invoice(
        tenant,
        supplier_name="Lagos Steel Works Plc",
        supplier_tin="55555555-0001",
        document_number="LSW-0099",
        issue_date=date(2026, 11, 18),
        lines=(("Steel rods 12 mm", "7214.20", "40", "12500.50"),),
    )
    return tenant, member(tenant, "admin"), cement, steel


def test_a_buyer_walks_the_inbox_acknowledges_disputes_and_downloads_the_vat_report(
    browser, live_server, buyer, tmp_path
):
    tenant, admin, cement, steel = buyer
    page = signed_in(browser, live_server, admin)

    page.get_by_role("link", name="Purchases", exact=True).first.click()
    expect(page.locator("h1")).to_have_text("Purchases")
    rows = page.locator("#purchases tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#purchases")).to_contain_text("Dangote Supplies Ltd")
    expect(page.locator("#purchases")).to_contain_text("₦537,500.00")
    page.get_by_placeholder("Supplier name or TIN, number or IRN").fill("55555555")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("LSW-0099")
    page.goto(reverse("purchase_list"))

    # The received document, as the supplier issued it.
    page.get_by_role("link", name="Dangote Supplies Ltd").click()
    expect(page.locator("h1")).to_contain_text("DS-0451")
    expect(page.locator("#supplier")).to_contain_text("87654321-0001")
    expect(page.locator("#received-lines")).to_contain_text("Cement, 50 kg bags")
    expect(page.locator("#received-total")).to_have_text("₦537,500.00")
    expect(page.locator("#irn")).to_have_text(cement.irn)

    page.get_by_role("button", name="Acknowledge receipt").click()
    expect(page.locator(".messages")).to_contain_text("Receipt acknowledged")
    expect(page.locator("h1 .badge")).to_have_text("Acknowledged")
    expect(page.locator("#acknowledged")).to_contain_text(admin.get_full_name())
    assert ConfirmingNrs.confirmed == [cement.irn]
    page.get_by_role("button", name="Accept").click()
    expect(page.locator("h1 .badge")).to_have_text("Accepted")

    # The other one is disputed: without a reason the form says what is missing, beside the field.
    page.goto(reverse("purchase_detail", args=[steel.pk]))
    page.get_by_role("button", name="Dispute").click()
    expect(page.locator("#id_reason_error")).to_contain_text("Say why you dispute this invoice")
    page.get_by_label("Reason for the dispute").fill("Only 30 rods were delivered")
    page.get_by_role("button", name="Dispute").click()
    expect(page.locator("h1 .badge")).to_have_text("Disputed")
    expect(page.locator("#decided")).to_contain_text("Only 30 rods were delivered")

    # VAT for November: the disputed invoice is listed apart and not counted.
    page.goto(reverse("purchase_list"))
    page.get_by_role("link", name="VAT for the period").click()
    page.get_by_label("Month").fill("2026-11")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("h1")).to_have_text("VAT for November 2026")
    expect(page.locator("#input-vat")).to_contain_text("₦37,500.00")
    expect(page.locator("#disputed")).to_contain_text("LSW-0099")
    expect(page.locator("#net")).to_contain_text("VAT credit ₦37,500.00")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download Excel (XLSX)").click()
    assert download.value.suggested_filename == "vat-2026-11.xlsx"
    path = tmp_path / "vat.xlsx"
    download.value.save_as(path)
    sheet = load_workbook(path).active
    rows = {row[0]: row for row in sheet.iter_rows(values_only=True)}
    assert Decimal(str(rows["Total input VAT"][5])) == Decimal("37500")
    assert Decimal(str(rows["Net position: VAT credit"][5])) == Decimal("-37500")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    path = tmp_path / "vat.csv"
    download.value.save_as(path)
    lines = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert ["Total input VAT", "", "", "1", "500000.00", "37500.00"] in lines
