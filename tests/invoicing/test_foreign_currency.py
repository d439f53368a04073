"""Foreign-currency invoices: the document in its currency, its VAT and total in naira at an exchange rate (given,
or the business's rates table on the issue date, kept on the invoice), on every path in and out.

Hand-computed figures (docs/worked-examples.md "Foreign currency"):
- usd-invoice: 2 × $500.00 = $1,000.00, VAT 7.5% = $75.00, total $1,075.00; at ₦1,530 per US$1 the amount before
  VAT is ₦1,530,000.00, VAT ₦114,750.00, total ₦1,644,750.00.
- eur-invoice: 3 × €333.33 = €999.99, VAT 74.99925 → €75.00, total €1,074.99; at ₦1,712.345678 per €1:
  ₦1,712,328.55 before VAT (1,712,328.55454322), VAT ₦128,425.93 (128,425.92585), total ₦1,840,754.48.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from integrations.nrs.fields import unknown_keys
from integrations.nrs.payload import tax_currency_entry
from integrations.nrs.sandbox.models import SandboxInvoice
from integrations.nrs.sandbox.services import DocumentInvalid, document_check
from invoicing import tasks
from invoicing.errors import InvoiceError
from invoicing.exchange_rates import rate_add
from invoicing.models import ExchangeRate, Invoice
from invoicing.pdf import render_invoice_pdf
from invoicing.purchases.pull import _read
from invoicing.purchases.vat import report_rows, vat_report
from invoicing.services import Actor, invoice_create
from invoicing.submission import invoice_document
from tests.api.conftest import key_client
from tests.conftest import member, set_faults
from tests.factories import received_invoice
from tests.invoicing.conftest import body
from tests.invoicing.test_batches import api_key, csv_bytes, good_row, submit, validated
from tests.invoicing.test_invoice_screens import editor_post
from tests.pdftext import pdf_lines
from tests.worked_examples import worked_example

USD_LINE = {"quantity": 2, "unit_price": "500.00", "tax_rate": 7.5}
EUR_LINE = {"quantity": 3, "unit_price": "333.33", "tax_rate": 7.5}


def foreign_body(currency="USD", line=USD_LINE, **changes):
    data = body(currency=currency, issue_date="2026-11-20", due_date="2026-12-20", **changes)
    data["lines"] = [{**data["lines"][0], **line}]
    return data


def figures(invoice) -> dict:
    """The invoice's figures, labelled as the worked example labels them."""
    with scope(tenant=invoice.tenant):
        (line,) = invoice.lines.all()
    from integrations.nrs.totals import in_naira

    return {
        f"Line 1: {line.quantity.normalize():f} × {line.unit_price}": line.line_extension,
        "Subtotal": invoice.line_extension,
        "VAT 7.5%": invoice.tax_total,
        "Total": invoice.payable,
        "Exchange rate (naira per 1 unit)": invoice.exchange_rate,
        "Amount before VAT in naira": in_naira(invoice.line_extension, invoice.exchange_rate),
        "VAT in naira": invoice.tax_total_ngn,
        "Total in naira": invoice.payable_ngn,
    }


def reload(invoice):
    with scopes_disabled():
        return Invoice.objects.get(pk=invoice.pk)


def add_rate(tenant, currency, rate, valid_from):
    with scope(tenant=tenant):
        return rate_add(tenant=tenant, currency=currency, rate=Decimal(rate), valid_from=valid_from)


# --- the figures, by the service -----------------------------------------------------------------------------


def test_the_worked_examples_are_what_the_service_computes(ready_tenant):
    usd = invoice_create(tenant=ready_tenant, data=foreign_body(exchange_rate="1,530.00"), actor=Actor())
    assert figures(reload(usd)) == worked_example("usd-invoice")
    eur = invoice_create(
        tenant=ready_tenant,
        data=foreign_body("EUR", EUR_LINE, document_number="INV-EUR-1", exchange_rate=1712.345678),
        actor=Actor(),
    )
    assert figures(reload(eur)) == worked_example("eur-invoice")


def test_a_naira_invoice_has_rate_one_and_its_own_figures_in_naira(ready_tenant):
    invoice = reload(invoice_create(tenant=ready_tenant, data=body(), actor=Actor()))
    # The spec's example: 1 × ₦50,000 at 7.5% = ₦53,750.00.
    assert (invoice.exchange_rate, invoice.tax_total_ngn, invoice.payable_ngn) == (
        Decimal("1"),
        Decimal("3750.00"),
        Decimal("53750.00"),
    )
    with pytest.raises(InvoiceError) as refused:
        invoice_create(tenant=ready_tenant, data=body(document_number="INV-2", exchange_rate="1530"), actor=Actor())
    assert "exchange_rate" in refused.value.fields


# --- the API -------------------------------------------------------------------------------------------------


def test_api_create_with_a_rate_shows_it_and_the_naira_figures(ready_tenant):
    api = key_client(ready_tenant)
    response = api.post("/api/v1/invoices/create", foreign_body(exchange_rate="1530"), format="json")
    assert response.status_code in (201, 202), response.json()
    detail = api.get(f"/api/v1/invoices/{response.json()['invoiceId']}").json()
    assert (detail["currency"], detail["exchangeRate"]) == ("USD", "1530")
    totals = detail["totals"]
    assert (totals["lineExtensionAmount"], totals["taxAmount"], totals["payableAmount"]) == (
        "1000.00",
        "75.00",
        "1075.00",
    )
    assert (totals["taxAmountNgn"], totals["payableAmountNgn"]) == ("114750.00", "1644750.00")


def test_api_create_without_a_rate_takes_the_tables_rate_on_the_issue_date_and_keeps_it(ready_tenant):
    add_rate(ready_tenant, "USD", "1500", date(2026, 11, 1))
    add_rate(ready_tenant, "USD", "1530", date(2026, 11, 20))  # the issue date itself
    later = add_rate(ready_tenant, "USD", "1600", date(2026, 11, 21))  # after it: not used
    add_rate(ready_tenant, "EUR", "1700", date(2026, 11, 1))  # another currency: not used
    api = key_client(ready_tenant)
    response = api.post("/api/v1/invoices/create", foreign_body(), format="json")
    assert response.status_code in (201, 202), response.json()
    invoice_id = response.json()["invoiceId"]
    detail = api.get(f"/api/v1/invoices/{invoice_id}").json()
    assert (detail["exchangeRate"], detail["totals"]["taxAmountNgn"]) == ("1530", "114750.00")

    with scope(tenant=ready_tenant):  # the table changes: the invoice issued at 1530 does not
        ExchangeRate.objects.filter(valid_from=date(2026, 11, 20)).update(rate=Decimal("2000"))
        later.delete()
    detail = api.get(f"/api/v1/invoices/{invoice_id}").json()
    assert (detail["exchangeRate"], detail["totals"]["payableAmountNgn"]) == ("1530", "1644750.00")


def test_api_create_without_a_rate_or_a_table_rate_is_a_400_naming_exchange_rate(ready_tenant):
    add_rate(ready_tenant, "USD", "1530", date(2026, 11, 21))  # from the day after the issue date only
    api = key_client(ready_tenant)
    response = api.post("/api/v1/invoices/create", foreign_body(), format="json")
    assert response.status_code == 400
    answer = response.json()
    assert "exchange_rate" in answer["fields"] and "USD" in answer["fields"]["exchange_rate"]
    assert "exchange rate" in answer["error"]
    for wrong in ("0", "-5", "abc"):
        refused = api.post("/api/v1/invoices/create", foreign_body(exchange_rate=wrong), format="json")
        assert refused.status_code == 400 and "exchange_rate" in refused.json()["fields"], refused.json()
    with scopes_disabled():
        assert not Invoice.objects.filter(tenant=ready_tenant).exists()


# --- the NRS document and the sandbox ------------------------------------------------------------------------


def test_the_nrs_document_is_in_its_currency_with_its_tax_in_naira_as_a_last_entry(ready_tenant):
    invoice = invoice_create(tenant=ready_tenant, data=foreign_body(exchange_rate="1530"), actor=Actor())
    with scope(tenant=ready_tenant):
        document = invoice_document(reload(invoice))
    assert (document["document_currency_code"], document["tax_currency_code"]) == ("USD", "NGN")
    first, naira = document["tax_total"]
    assert first["tax_amount"] == Decimal("75.00") and first["tax_subtotal"][0]["taxable_amount"] == Decimal("1000.00")
    assert naira == {"tax_amount": Decimal("114750.00")}  # no subtotals: UBL's tax-currency TaxTotal
    assert tax_currency_entry(document) == 1
    assert document["legal_monetary_total"] == {
        "line_extension_amount": Decimal("1000.00"),
        "tax_exclusive_amount": Decimal("1000.00"),
        "tax_inclusive_amount": Decimal("1075.00"),
        "payable_amount": Decimal("1075.00"),
    }
    assert document["invoice_line"][0]["price"]["price_unit"] == "USD per EA"  # the line is sold by the unit ("Each")
    assert unknown_keys(document) == []


def test_a_naira_documents_tax_totals_are_unchanged(ready_tenant):
    invoice = invoice_create(tenant=ready_tenant, data=body(), actor=Actor())
    with scope(tenant=ready_tenant):
        document = invoice_document(reload(invoice))
    assert (document["document_currency_code"], document["tax_currency_code"]) == ("NGN", "NGN")
    assert len(document["tax_total"]) == 1 and tax_currency_entry(document) is None


def test_the_strict_sandbox_leaves_the_naira_entry_out_of_the_reconciliation(ready_tenant):
    from integrations.nrs.sandbox.models import SandboxBusiness
    from integrations.nrs.sandbox.services import business_provision

    issued = business_provision(name="Kola Foods Ltd", tin="20198222-0002")
    business = SandboxBusiness.objects.get(pk=issued["business_id"])
    ready_tenant.nrs_business_id = business.business_id
    ready_tenant.nrs_service_id = business.service_id
    ready_tenant.save()
    invoice = invoice_create(tenant=ready_tenant, data=foreign_body(exchange_rate="1530"), actor=Actor())
    with scope(tenant=ready_tenant):
        document = invoice_document(reload(invoice))
    document_check(business, document, strict=True)
    document_check(business, document, strict=False)
    # An entry with subtotals is never the tax-currency one: as part of the sum it breaks the reconciliation.
    wrong = {**document, "tax_total": [document["tax_total"][0], {**document["tax_total"][1], "tax_subtotal": []}]}
    document_check(business, wrong, strict=True)  # empty subtotals: still the naira entry
    counted = {
        **document,
        "tax_total": [document["tax_total"][0], {**document["tax_total"][0], "tax_amount": Decimal("114750.00")}],
    }
    with pytest.raises(DocumentInvalid, match=r"taxtotal\[1\].taxamount must equal the sum of its tax subtotals"):
        document_check(business, counted, strict=True)
    # A naira document's subtotal-less entry is counted like any other (its tax currency is its own).
    same = {**document, "document_currency_code": "NGN"}
    with pytest.raises(DocumentInvalid, match="taxinclusiveamount must equal"):
        document_check(business, same, strict=True)


@pytest.mark.usefixtures("connected_tenant")
def test_a_usd_invoice_is_certified_through_the_strict_sandbox(connected_tenant):
    set_faults(strict=True)
    invoice = invoice_create(tenant=connected_tenant, data=foreign_body(exchange_rate="1530"), actor=Actor())
    assert tasks.submit_invoice(str(invoice.pk)) == "certified"
    assert reload(invoice).status == "CERTIFIED"
    stored = SandboxInvoice.objects.get(irn=reload(invoice).irn).document
    assert (stored["document_currency_code"], stored["tax_currency_code"]) == ("USD", "NGN")
    assert [Decimal(str(entry["tax_amount"])) for entry in stored["tax_total"]] == [
        Decimal("75.00"),
        Decimal("114750.00"),
    ]


def test_a_received_foreign_document_keeps_its_vat_in_its_own_currency(ready_tenant):
    received = received_invoice(
        ready_tenant,
        lines=(("Laptops", "8471.30", "2", "500.00"),),
        currency="USD",
        exchange_rate=Decimal("1530"),
    )
    assert _read(received.document)["tax_total"] == Decimal("75.00")  # not 75 + 114,750


# --- the editor, the invoice page, the PDF -------------------------------------------------------------------


@pytest.fixture
def clerk(client, ready_tenant):
    client.force_login(member(ready_tenant, "clerk"))
    return client


USD_EDITOR_LINES = [("Laptop", "8471.30", "2", "500.00")]


def test_the_editor_saves_a_usd_invoice_at_the_rate_typed_and_the_page_shows_both_amounts(clerk, ready_tenant):
    response = clerk.post(
        reverse("invoice_new"), editor_post(currency="USD", exchange_rate="1,530.00", lines=USD_EDITOR_LINES)
    )
    with scopes_disabled():
        invoice = Invoice.objects.get()
    assert response["Location"] == reverse("invoice_detail", args=[invoice.pk])
    assert (invoice.exchange_rate, invoice.tax_total_ngn, invoice.payable_ngn) == (
        Decimal("1530"),
        Decimal("114750.00"),
        Decimal("1644750.00"),
    )
    page = clerk.get(response["Location"]).content.decode()
    assert "USD\xa01,075.00" in page and "₦1,075.00" not in page
    assert "₦1,530.00" in page and "₦114,750.00" in page and "₦1,644,750.00" in page


def test_the_editor_takes_the_tables_rate_or_says_what_is_missing_keeping_what_was_typed(clerk, ready_tenant):
    response = clerk.post(reverse("invoice_new"), editor_post(currency="USD", lines=USD_EDITOR_LINES))
    html = response.content.decode()
    assert response.status_code == 200 and "needs an exchange rate" in html
    assert 'value="Laptop"' in html and 'id="exchange-rate"' in html
    with scopes_disabled():
        assert not Invoice.objects.exists()
    add_rate(ready_tenant, "USD", "1530", date(2026, 11, 1))
    clerk.post(reverse("invoice_new"), editor_post(currency="USD", lines=USD_EDITOR_LINES))
    with scopes_disabled():
        assert Invoice.objects.get().tax_total_ngn == Decimal("114750.00")


def test_the_editor_hides_the_rate_for_naira_and_looks_it_up_for_another_currency(clerk, ready_tenant):
    html = clerk.get(reverse("invoice_new")).content.decode()
    assert 'id="exchange-rate"' in html and "hidden" in html.split('id="exchange-rate"')[1].split(">")[0]
    add_rate(ready_tenant, "USD", "1530", date(2026, 11, 1))
    lookup = reverse("exchange_rate_lookup")
    assert clerk.get(lookup, {"currency": "usd", "date": "2026-11-20"}).json() == {
        "rate": "1530",
        "label": "₦1,530.00",
    }
    assert clerk.get(lookup, {"currency": "USD", "date": "2026-10-31"}).json()["rate"] is None
    assert clerk.get(lookup, {"currency": "NGN", "date": "2026-11-20"}).json()["rate"] is None


def test_the_pdf_shows_the_usd_totals_and_the_vat_in_naira_at_the_rate(ready_tenant):
    invoice = invoice_create(tenant=ready_tenant, data=foreign_body(exchange_rate="1530"), actor=Actor())
    with scope(tenant=ready_tenant):
        lines = pdf_lines(render_invoice_pdf(reload(invoice)))
    assert "Subtotal USD 1,000.00" in lines
    assert "VAT USD 75.00" in lines
    assert "Total USD 1,075.00" in lines
    assert "Naira per 1 USD ₦1,530.00" in lines
    assert "VAT in naira ₦114,750.00" in lines
    assert "Total in naira ₦1,644,750.00" in lines
    assert not any("₦1,075.00" in line or "₦75.00" in line for line in lines)


# --- CSV -----------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("queue_inline")
def test_a_csv_row_with_an_exchange_rate_makes_a_usd_invoice_in_naira_at_that_rate(
    client, ready_tenant, django_capture_on_commit_callbacks
):
    ready_tenant.nrs_api_key = ""  # not connected: the invoice is held, nothing is sent
    ready_tenant.save()
    key = api_key(ready_tenant)
    row = good_row(1, currency="USD", exchange_rate="1530", line_quantity="2", line_unit_price="500.00")
    refused = good_row(2, currency="USD", line_quantity="2", line_unit_price="500.00")  # no rate, no table
    batch = validated(client, key, csv_bytes([row, refused]))
    assert [(e["row"], e["column"]) for e in batch["errors"]] == [(3, "exchange_rate")], batch["errors"]
    assert "USD" in batch["errors"][0]["message"]
    with django_capture_on_commit_callbacks(execute=True):
        assert submit(client, key, batch["batchId"]).status_code == 202
    with scopes_disabled():
        invoice = Invoice.objects.get(tenant=ready_tenant)
    assert (invoice.document_number, invoice.currency, invoice.exchange_rate) == ("CSV-00001", "USD", Decimal("1530"))
    assert (invoice.payable, invoice.tax_total_ngn, invoice.payable_ngn) == (
        Decimal("1075.00"),
        Decimal("114750.00"),
        Decimal("1644750.00"),
    )


# --- the VAT report and the dashboard, in naira -------------------------------------------------------------


def certified(tenant, data):
    invoice = invoice_create(tenant=tenant, data=data, actor=Actor(), draft=True)
    with scopes_disabled():
        Invoice.objects.filter(pk=invoice.pk).update(status="CERTIFIED")
    return reload(invoice)


def test_the_vat_report_counts_a_usd_invoice_in_naira_and_lists_a_received_one_without_naira_figures_apart(
    ready_tenant,
):
    from invoicing.balance import output_vat

    # ₦100,000 at 7.5% = ₦7,500 VAT, and the USD example (₦114,750 VAT on ₦1,530,000), to one customer.
    certified(
        ready_tenant, body(document_number="INV-NGN", issue_date="2026-11-05", due_date=None, line__unit_price=100000)
    )
    certified(ready_tenant, foreign_body(document_number="INV-USD", exchange_rate="1530"))
    received_invoice(  # no rate, so the supplier's document states no VAT in naira
        ready_tenant,
        document_number="IMP-1",
        lines=(("Laptops", "8471.30", "2", "500.00"),),
        currency="USD",
        status="accepted",
    )
    with scope(tenant=ready_tenant):
        report = vat_report(date(2026, 11, 1), date(2026, 11, 30))
        dashboard_vat = output_vat(Invoice.objects.all(), date(2026, 11, 1), date(2026, 11, 30))
    assert report.output_vat == Decimal("122250.00")  # 7,500 + 114,750
    assert report.output_net == Decimal("1630000.00")  # 100,000 + 1,530,000
    assert dashboard_vat == Decimal("122250.00")
    assert report.input_vat == Decimal("0") and report.input == []
    (apart,) = report.unconverted
    assert (apart.document_number, apart.currency, apart.vat) == ("IMP-1", "USD", Decimal("75.00"))
    assert report.net == Decimal("122250.00")
    rows = report_rows(report)
    assert any(row[0].startswith("In another currency") and "IMP-1" in row[1] for row in rows)


def test_the_vat_page_says_a_foreign_document_without_a_rate_is_not_counted(client, ready_tenant):
    received_invoice(
        ready_tenant, document_number="IMP-2", lines=(("Laptops", "8471.30", "2", "500.00"),), currency="USD"
    )
    client.force_login(member(ready_tenant, "admin"))
    html = client.get(reverse("vat_report"), {"month": "2026-11"}).content.decode()
    assert "without an exchange rate: not counted" in html
    assert "USD\xa075.00" in html and "the supplier did not state the VAT in naira" in html


# --- the rates table in Settings -----------------------------------------------------------------------------


def test_an_admin_keeps_the_rates_table_and_others_cannot(client, ready_tenant):
    client.force_login(member(ready_tenant, "clerk"))
    assert client.get(reverse("settings_exchange_rates")).status_code == 403
    client.force_login(member(ready_tenant, "admin"))
    url = reverse("settings_exchange_rates")
    response = client.post(url, {"currency": "USD", "rate": "1530.5", "valid_from": "2026-11-01"})
    assert response.status_code == 302
    again = client.post(url, {"currency": "USD", "rate": "1600", "valid_from": "2026-11-01"})
    assert "has a rate from this day already" in again.content.decode()
    page = client.get(url).content.decode()
    assert "US Dollar (USD)" in page and "₦1,530.50" in page
    with scope(tenant=ready_tenant):
        row = ExchangeRate.objects.get()
    assert (row.currency_id, row.rate, row.valid_from) == ("USD", Decimal("1530.5"), date(2026, 11, 1))
    client.post(reverse("exchange_rate_delete", args=[row.pk]))
    with scope(tenant=ready_tenant):
        assert not ExchangeRate.objects.exists()


def test_the_admin_api_keeps_the_same_table(ready_tenant):
    from rest_framework.test import APIClient

    admin = APIClient()
    admin.force_login(member(ready_tenant, "admin"))
    url = "/api/v1/tenant/exchange-rates"
    added = admin.post(url, {"currency": "usd", "rate": "1530", "validFrom": "2026-11-01"}, format="json")
    assert added.status_code == 201, added.json()
    assert {k: added.json()[k] for k in ("currency", "rate", "validFrom")} == {
        "currency": "USD",
        "rate": "1530",
        "validFrom": "2026-11-01",
    }
    again = admin.post(url, {"currency": "USD", "rate": 1600, "validFrom": "2026-11-01"}, format="json")
    assert again.status_code == 409 and "validFrom" in again.json()["fields"]
    wrong = admin.post(url, {"currency": "NGN", "rate": "0", "validFrom": "1 Nov"}, format="json")
    assert wrong.status_code == 400 and set(wrong.json()["fields"]) == {"currency", "rate", "validFrom"}
    listed = admin.get(url).json()
    assert (listed["total"], listed["items"][0]["rate"]) == (1, "1530")
    # The table's rate is what an invoice without its own takes.
    invoice = invoice_create(tenant=ready_tenant, data=foreign_body(), actor=Actor())
    assert reload(invoice).tax_total_ngn == Decimal("114750.00")
    assert key_client(ready_tenant).get(url).status_code == 403
    assert admin.delete(f"{url}/{added.json()['id']}").status_code == 204
    assert admin.get(url).json()["total"] == 0


def test_a_draft_moved_to_another_currency_does_not_keep_the_old_currencys_rate(ready_tenant):
    add_rate(ready_tenant, "EUR", "1712.345678", date(2026, 11, 1))
    api = key_client(ready_tenant)
    draft = api.post("/api/v1/invoices/drafts", foreign_body(exchange_rate="1530"), format="json").json()
    url = f"/api/v1/invoices/drafts/{draft['invoiceId']}"
    moved = api.patch(url, {"currency": "EUR", "lines": [{**foreign_body()["lines"][0], **EUR_LINE}]}, format="json")
    assert moved.status_code == 200, moved.json()
    assert (moved.json()["exchangeRate"], moved.json()["totals"]["taxAmountNgn"]) == ("1712.345678", "128425.93")
    naira = api.patch(url, {"currency": "NGN"}, format="json")
    assert naira.status_code == 200 and naira.json()["exchangeRate"] == "1", naira.json()
