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


# --- received invoices in another currency: the VAT the supplier stated in naira --------------------------------

IMPORTS = dict(supplier_name="Accra Tech Exports Ltd", supplier_tin="33333333-0001", currency="USD")
DEVICES = (("Laptops", "8471.30", "2", "500.00"), ("Docking stations", "8471.80", "3", "120.25"))


@pytest.fixture
def foreign_purchases(ready_tenant):
    """November 2026: a naira invoice from Dangote, and four USD invoices from Accra Tech. The supplier's document
    states the VAT in naira where it converted at a rate (integrations/nrs/payload.py's last tax_total entry).

    By hand: USD-1 is 2 × $500.00 + 3 × $120.25 = $1,360.75, VAT 7.5% = $102.05625 → $102.06; at ₦1,530.50 the
    supplier states ₦156,202.83 (102.06 × 1,530.50). The rate that implies is 156,202.83 / 102.06 = 1,530.50, so
    before VAT is 1,360.75 × 1,530.50 = ₦2,082,627.875 → ₦2,082,627.88. USD-0 is zero-rated: VAT $0.00, stated
    ₦0.00, from which no rate follows. USD-APART states nothing in naira; USD-DISPUTED is disputed."""
    naira = received_invoice(ready_tenant, document_number="DS-1", issue_date=date(2026, 11, 2), status="accepted")
    counted = received_invoice(
        ready_tenant,
        document_number="USD-1",
        lines=DEVICES,
        exchange_rate=Decimal("1530.50"),
        status="accepted",
        **IMPORTS,
    )
    zero_rated = received_invoice(
        ready_tenant,
        document_number="USD-0",
        lines=(("Software licence", "8523.49", "1", "800.00"),),
        tax_rate="0",
        exchange_rate=Decimal("1530.50"),
        status="acknowledged",
        **IMPORTS,
    )
    apart = received_invoice(ready_tenant, document_number="USD-APART", lines=DEVICES, status="accepted", **IMPORTS)
    disputed = received_invoice(
        ready_tenant,
        document_number="USD-DISPUTED",
        lines=DEVICES,
        exchange_rate=Decimal("1530.50"),
        status="disputed",
        dispute_reason="Wrong quantity",
        **IMPORTS,
    )
    return naira, counted, zero_rated, apart, disputed


def test_a_usd_invoice_stating_its_vat_in_naira_counts_that_naira_vat(ready_tenant, foreign_purchases):
    naira, counted, zero_rated, apart, disputed = foreign_purchases
    assert (naira.line_extension, naira.tax_total) == (Decimal("500000.00"), Decimal("37500.00"))
    assert (counted.line_extension, counted.tax_total) == (Decimal("1360.75"), Decimal("102.06"))
    with scope(tenant=ready_tenant):
        report = vat_report(NOV_START, NOV_END)
    # ₦37,500.00 + ₦156,202.83 + ₦0.00; before VAT ₦500,000.00 + ₦2,082,627.88 (USD-0's is not known).
    assert report.input_vat == Decimal("193702.83")
    assert report.input_net == Decimal("2582627.88")
    assert report.input_net_not_known == 1
    accra = next(row for row in report.input if row.tin == "33333333-0001")
    assert (accra.documents, accra.net, accra.vat, accra.stated_in_naira, accra.net_not_known) == (
        2,
        Decimal("2082627.88"),
        Decimal("156202.83"),
        2,
        1,
    )
    stated = {doc.document_number: (doc.vat, doc.vat_naira, doc.net_naira) for doc in report.stated_in_naira}
    assert stated == {
        "USD-1": (Decimal("102.06"), Decimal("156202.83"), Decimal("2082627.88")),
        "USD-0": (Decimal("0.00"), Decimal("0.00"), None),
    }
    # Without a naira statement: apart and not counted, as before. Disputed: not counted at all.
    assert [doc.document_number for doc in report.unconverted] == ["USD-APART"]
    assert [doc.document_number for doc in report.disputed] == ["USD-DISPUTED"]
    assert report.net == Decimal("-193702.83") and report.position == "VAT credit"


def test_a_received_usd_credit_note_stated_in_naira_counts_negative(ready_tenant):
    received_invoice(
        ready_tenant,
        document_number="USD-CN",
        invoice_type="credit_note",
        lines=(("Returned laptop", "8471.30", "1", "500.00"),),  # $37.50 VAT → ₦57,393.75 at ₦1,530.50
        exchange_rate=Decimal("1530.50"),
        status="accepted",
        **IMPORTS,
    )
    with scope(tenant=ready_tenant):
        report = vat_report(NOV_START, NOV_END)
    assert report.input_vat == Decimal("-57393.75")
    assert report.input_net == Decimal("-765250.00")  # $500.00 at the implied ₦1,530.50


def test_the_page_says_which_figures_came_from_the_suppliers_naira_statement(client, ready_tenant, foreign_purchases):
    client.force_login(member(ready_tenant, "clerk"))
    page = client.get(reverse("vat_report"), {"month": "2026-11"}).content.decode()
    summary = page[page.index('id="vat-summary"') : page.index('id="output"')]
    assert "₦193,702.83" in summary
    inputs = page[page.index('id="input"') : page.index('id="stated-in-naira"')]
    assert "Accra Tech Exports Ltd" in inputs and "₦156,202.83" in inputs and "₦2,582,627.88" in inputs
    assert "2 invoices at the VAT the supplier stated in naira; before VAT not known for 1" in inputs
    assert "1 invoice&#x27;s amount not known" in inputs or "1 invoice's amount not known" in inputs
    stated = page[page.index('id="stated-in-naira"') : page.index('id="disputed"')]
    assert "Counted at the VAT the supplier stated in naira" in stated
    assert "USD-1" in stated and "USD\xa0102.06" in stated and "₦156,202.83" in stated and "₦2,082,627.88" in stated
    assert "USD-0" in stated and "not known" in stated
    assert "USD-APART" not in stated and "USD-DISPUTED" not in stated
    apart = page[page.index('id="unconverted"') : page.index('id="net"')]
    assert "USD-APART" in apart and "USD-1" not in apart
    assert "VAT credit ₦193,702.83" in page[page.index('id="net"') :]


def test_the_csv_and_xlsx_rows_say_which_figures_came_from_a_naira_statement(client, ready_tenant, foreign_purchases):
    client.force_login(member(ready_tenant, "clerk"))
    response = client.get(reverse("vat_report"), {"month": "2026-11", "format": "csv"})
    csv_rows = rows_of(list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:])
    response = client.get(reverse("vat_report"), {"month": "2026-11", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    xlsx_rows = rows_of([list(row) for row in sheet.iter_rows(min_row=2, values_only=True)])
    stated = "Of which VAT stated in naira by the supplier"
    for rows in (csv_rows, xlsx_rows):
        assert rows[("Input VAT (purchases)", "Accra Tech Exports Ltd")][1:] == (
            Decimal("2082627.88"),
            Decimal("156202.83"),
        )
        assert rows[("Total input VAT", "")][1:] == (Decimal("2582627.88"), Decimal("193702.83"))
        usd_1 = "Accra Tech Exports Ltd (USD-1, USD 102.06 VAT; before VAT at the rate its naira VAT implies)"
        assert rows[(stated, usd_1)][1:] == (Decimal("2082627.88"), Decimal("156202.83"))
        usd_0 = "Accra Tech Exports Ltd (USD-0, USD 0.00 VAT; before VAT not known)"
        assert rows[(stated, usd_0)][1:] == (None, Decimal("0.00"))
        apart = "In another currency without naira figures, not counted"
        assert rows[(apart, "Accra Tech Exports Ltd (USD-APART, USD)")][2] == Decimal("102.06")
        assert ("Disputed, not counted", "Accra Tech Exports Ltd") in rows  # listed, not in the totals above
        assert rows[("Net position: VAT credit", "")][2] == Decimal("-193702.83")
