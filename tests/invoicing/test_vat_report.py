"""VAT for the period: the report's figures equal a sum computed here, independently, over the documents the test
made (this business's invoices and notes, and the invoices it received), on the page, in the CSV and in the XLSX."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope
from openpyxl import load_workbook

from invoicing.balance import output_vat
from invoicing.models import Invoice
from invoicing.purchases.vat import vat_report
from invoicing.services import Actor, invoice_create
from tests.conftest import member
from tests.factories import received_invoice
from tests.invoicing.conftest import body

NOV_START, NOV_END = date(2026, 11, 1), date(2026, 11, 30)


def issued(tenant, number, *, status="CERTIFIED", issue_date="2026-11-05", lines=((1, 50000),), **changes):
    """An invoice or note made by the real service (as a draft), then put in `status` as NRS would have."""
    data = body(document_number=number, issue_date=issue_date, due_date=None, **changes)
    data["lines"] = [{**data["lines"][0], "quantity": q, "unit_price": p} for q, p in lines]
    invoice = invoice_create(tenant=tenant, data=data, actor=Actor(), draft=True)
    with scope(tenant=tenant):
        Invoice.objects.filter(pk=invoice.pk).update(status=status, certified_at=timezone.now())
        invoice.refresh_from_db()
    return invoice


@pytest.fixture
def month_of_documents(ready_tenant, other_tenant):
    """November 2026 for Kola Foods: sales to two customers with a credit and a debit note, purchases from two
    suppliers with a credit note and a disputed invoice, and documents that must not count."""
    acme = {"customer__name": "Acme Ltd", "customer__tin": "12345678-0001"}
    zenith = {"customer__name": "Zenith Stores Ltd", "customer__tin": "22222222-0001"}
    big = issued(ready_tenant, "INV-N1", lines=((3, 125000.50), (2, 999.99)), **acme)
    sales = [
        big,
        issued(ready_tenant, "INV-N2", issue_date="2026-11-30", lines=((7, 33333.33),), **zenith),
        issued(ready_tenant, "INV-N3", status="REPORTED", lines=((1, 1000),), **acme),
        issued(
            ready_tenant,
            "CN-N1",
            invoice_type="credit_note",
            original_invoice_id=str(big.pk),
            note="Returned",
            lines=((1, 125000.50),),
            **acme,
        ),
        issued(
            ready_tenant,
            "DN-N1",
            invoice_type="debit_note",
            original_invoice_id=str(big.pk),
            note="Freight",
            lines=((1, 20000),),
            **acme,
        ),
    ]
    not_counted = [
        issued(ready_tenant, "INV-OCT", issue_date="2026-10-31", **acme),  # another month
        issued(ready_tenant, "INV-DEC", issue_date="2026-12-01", **acme),
        issued(ready_tenant, "INV-DRAFT", status="DRAFT", **acme),  # never went to NRS
        issued(ready_tenant, "INV-FAIL", status="FAILED", **zenith),  # refused by NRS
        issued(other_tenant, "INV-OTHER", **acme),  # another business's sales
    ]
    cement = dict(supplier_name="Dangote Supplies Ltd", supplier_tin="87654321-0001")
    steel = dict(supplier_name="Lagos Steel Works Plc", supplier_tin="55555555-0001")
    purchases = [
        received_invoice(
            ready_tenant, document_number="DS-1", issue_date=date(2026, 11, 2), status="accepted", **cement
        ),
        received_invoice(
            ready_tenant,
            document_number="DS-2",
            issue_date=date(2026, 11, 28),
            invoice_type="credit_note",
            lines=(("Returned bags", "2523.29", "7", "5000.00"),),
            status="acknowledged",
            **cement,
        ),
        received_invoice(
            ready_tenant,
            document_number="LSW-1",
            issue_date=date(2026, 11, 15),
            status="new",
            lines=(("Steel rods", "7214.20", "40", "12500.50"), ("Binding wire", "7217.10", "3", "4333.33")),
            **steel,
        ),
        received_invoice(
            ready_tenant,
            document_number="LSW-DB",
            issue_date=date(2026, 11, 16),
            invoice_type="debit_note",
            lines=(("Freight surcharge", "7214.20", "1", "15000"),),
            status="accepted",
            **steel,
        ),
    ]
    disputed = received_invoice(
        ready_tenant,
        document_number="LSW-2",
        issue_date=date(2026, 11, 20),
        status="disputed",
        dispute_reason="Never delivered",
        lines=(("Steel beams", "7216.31", "5", "80000"),),
        **steel,
    )
    not_counted += [
        received_invoice(ready_tenant, document_number="DS-OCT", issue_date=date(2026, 10, 30), **cement),
        received_invoice(other_tenant, document_number="DS-OTHER", issue_date=date(2026, 11, 3), **cement),
    ]
    return sales, purchases, disputed


def sign(doc) -> int:
    return -1 if doc.invoice_type == "credit_note" else 1


def expected(sales, purchases, disputed) -> dict:
    """The figures, summed here without the report's code: by TIN, signed by document type."""
    out, inp = {}, {}
    for doc in sales:
        row = out.setdefault(doc.buyer["tin"], [doc.buyer["name"], 0, Decimal(0), Decimal(0)])
        row[1] += 1
        row[2] += sign(doc) * doc.line_extension
        row[3] += sign(doc) * doc.tax_total
    for doc in purchases:
        row = inp.setdefault(doc.supplier.tin, [doc.supplier.name, 0, Decimal(0), Decimal(0)])
        row[1] += 1
        row[2] += sign(doc) * doc.line_extension
        row[3] += sign(doc) * doc.tax_total
    output = sum(sign(doc) * doc.tax_total for doc in sales)
    input_ = sum(sign(doc) * doc.tax_total for doc in purchases)
    return {
        "output": out,
        "input": inp,
        "output_vat": output,
        "input_vat": input_,
        "net": output - input_,
        "disputed_vat": disputed.tax_total,
    }


def test_the_reports_figures_equal_an_independent_sum(ready_tenant, month_of_documents):
    sales, purchases, disputed = month_of_documents
    want = expected(sales, purchases, disputed)
    assert want["output_vat"] == Decimal("37975.07")  # the sum itself, checked by hand once
    with scope(tenant=ready_tenant):
        report = vat_report(NOV_START, NOV_END)
        assert output_vat(Invoice.objects.all(), NOV_START, NOV_END) == report.output_vat  # one definition
    assert report.output_vat == want["output_vat"] and report.input_vat == want["input_vat"]
    assert report.net == want["net"] and report.disputed_vat == want["disputed_vat"]
    assert {r.tin: [r.name, r.documents, r.net, r.vat] for r in report.output} == want["output"]
    assert {r.tin: [r.name, r.documents, r.net, r.vat] for r in report.input} == want["input"]
    assert [doc.document_number for doc in report.disputed] == ["LSW-2"]
    assert report.position == ("VAT payable" if want["net"] > 0 else "VAT credit")


def naira(amount: Decimal) -> str:
    return f"{'-' if amount < 0 else ''}₦{abs(amount):,.2f}"


def test_the_page_shows_both_sections_the_disputed_apart_and_the_net(client, ready_tenant, month_of_documents):
    sales, purchases, disputed = month_of_documents
    want = expected(sales, purchases, disputed)
    client.force_login(member(ready_tenant, "clerk"))
    page = client.get(reverse("vat_report"), {"month": "2026-11"}).content.decode()
    assert "VAT for November 2026" in page
    output = page[page.index('id="output"') : page.index('id="input"')]
    for tin, (name, _n, _net, vat) in want["output"].items():
        assert name in output and tin in output and naira(vat) in output
    assert naira(want["output_vat"]) in output
    inputs = page[page.index('id="input"') : page.index('id="disputed"')]
    for tin, (name, _n, _net, vat) in want["input"].items():
        assert name in inputs and tin in inputs and naira(vat) in inputs
    assert "LSW-2" not in inputs and naira(want["input_vat"]) in inputs
    apart = page[page.index('id="disputed"') : page.index('id="net"')]
    assert "LSW-2" in apart and "not counted as input VAT" in apart and naira(disputed.tax_total) in apart
    net = page[page.index('id="net"') :]
    position = "VAT payable" if want["net"] > 0 else "VAT credit"
    assert f"{position} {naira(abs(want['net']))}" in net


def test_the_month_defaults_to_the_current_lagos_month(client, ready_tenant):
    client.force_login(member(ready_tenant, "clerk"))
    page = client.get(reverse("vat_report")).content.decode()
    assert f"VAT for {timezone.localdate():%B %Y}" in page
    assert "No invoice received for this month counts as input VAT" in page
    assert (
        f"VAT for {timezone.localdate():%B %Y}" in client.get(reverse("vat_report"), {"month": "nope"}).content.decode()
    )


def rows_of(values) -> dict:
    """{(section, name): (documents, before VAT, VAT)} of a CSV or sheet's rows, amounts as Decimal to kobo."""

    def money(cell):
        return None if cell in (None, "") else Decimal(str(cell)).quantize(Decimal("0.01"))

    return {(row[0], row[1] or ""): (row[3], money(row[4]), money(row[5])) for row in values}


def assert_same_figures(rows: dict, header: list, want: dict, disputed):
    assert header == ["Section", "Name", "TIN", "Documents", "Amount before VAT", "VAT"]
    for name, n, net, vat in want["output"].values():
        assert rows[("Output VAT (sales)", name)][1:] == (net, vat), name
        assert int(rows[("Output VAT (sales)", name)][0]) == n
    for name, n, net, vat in want["input"].values():
        assert rows[("Input VAT (purchases)", name)][1:] == (net, vat), name
        assert int(rows[("Input VAT (purchases)", name)][0]) == n
    assert rows[("Total output VAT", "")][2] == want["output_vat"]
    assert rows[("Total input VAT", "")][2] == want["input_vat"]
    assert rows[("Disputed, not counted", disputed.supplier.name)][2] == disputed.tax_total
    position = "VAT payable" if want["net"] > 0 else "VAT credit"
    assert rows[(f"Net position: {position}", "")][2] == want["net"]


def test_the_csv_holds_the_same_figures(client, ready_tenant, month_of_documents):
    sales, purchases, disputed = month_of_documents
    client.force_login(member(ready_tenant, "clerk"))
    response = client.get(reverse("vat_report"), {"month": "2026-11", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="vat-2026-11.csv"' in response["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert all(cell.count(".") == 1 and len(cell.split(".")[1]) == 2 for cell in lines[3][4:])  # 2 decimals
    assert_same_figures(rows_of(lines[1:]), lines[0], expected(sales, purchases, disputed), disputed)


def test_the_xlsx_opens_with_openpyxl_and_holds_the_same_numbers(client, ready_tenant, month_of_documents):
    sales, purchases, disputed = month_of_documents
    client.force_login(member(ready_tenant, "approver"))
    response = client.get(reverse("vat_report"), {"month": "2026-11", "format": "xlsx"})
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="vat-2026-11.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    money_cells = [cell for row in sheet.iter_rows(min_row=3) for cell in row[4:] if cell.value is not None]
    assert money_cells and all(isinstance(c.value, (int, float)) for c in money_cells)  # numbers, not text
    assert all(c.number_format == "#,##0.00" for c in money_cells)
    assert_same_figures(rows_of(values[1:]), values[0], expected(sales, purchases, disputed), disputed)
