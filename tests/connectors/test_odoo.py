"""Odoo, against a local stand-in of its external XML-RPC API (tests/standins/odoo.py): posted customer invoices and
refunds since the watermark become invoices, are certified at the embedded NRS sandbox, and each one's IRN is
posted back on the move."""

import json

import pytest
from django_scopes import scope, scopes_disabled

from integrations.connectors import sync
from integrations.connectors.models import Connector, SourceDocument
from integrations.connectors.tasks import write_back
from invoicing import tasks
from invoicing.models import Invoice
from tests.standins import odoo as standin


@pytest.fixture
def odoo():
    with standin.Server() as server:
        books = server.standin
        books.add("account.tax", name="VAT 7.5%", amount=7.5, amount_type="percent")
        books.add("account.tax", name="WHT 5%", amount=5.0, amount_type="percent")
        books.add("product.product", name="Smartphone X2", default_code="SKU-PHONE")
        books.add(
            "res.partner",
            name="Acme Ltd",
            vat="12345678-0001",
            email="ap@acme.ng",
            phone="+2348012345678",
            street="42 Marina Road",
            street2=False,
            city="Ikeja",
            zip="101001",
            state_id=[25, "Lagos (NG)"],
            country_code="NG",
        )
        books.url = server.url
        yield books


def move(books, number, *, tax=1, move_type="out_invoice", state="posted", reversed_entry=False, quantity=2.0):
    line = books.add(
        "account.move.line",
        name="Smartphone X2, black",
        display_type="product",
        product_id=[1, "[SKU-PHONE] Smartphone X2"],
        quantity=quantity,
        price_unit=50000.0,
        discount=0.0,
        tax_ids=[tax],
        product_uom_id=[1, "Units"],
    )
    note = books.add("account.move.line", name="Delivered by van 3", display_type="line_note", tax_ids=[])
    return books.add(
        "account.move",
        name=number,
        move_type=move_type,
        state=state,
        partner_id=[1, "Acme Ltd"],
        invoice_date="2026-12-01",
        invoice_date_due="2026-12-31",
        currency_id=[120, "NGN"],
        ref="PO-7781",
        narration=False,
        invoice_line_ids=[line["id"], note["id"]],
        reversed_entry_id=reversed_entry,
    )


@pytest.fixture
def connector(connected_tenant, odoo):
    with scope(tenant=connected_tenant):
        return Connector.objects.create(
            tenant=connected_tenant,
            kind="odoo",
            name="Kola's Odoo",
            settings={"url": odoo.url, "db": standin.DB, "username": standin.LOGIN},
            credentials=json.dumps({"api_key": standin.API_KEY}),
            mappings={"product": {"SKU-PHONE": "8517.11"}},
        )


def fresh(connector):
    with scopes_disabled():
        return Connector.objects.select_related("tenant").get(pk=connector.pk)


def change(connector, **fields):
    with scopes_disabled():
        Connector.objects.filter(pk=connector.pk).update(**fields)


def test_a_posted_invoice_goes_from_odoo_to_nrs_and_its_irn_back_once(connector, odoo):
    move(odoo, "INV/2026/00001")
    move(odoo, "INV/2026/00002", state="draft")  # not posted: not read
    run = sync.connector_sync(fresh(connector))
    assert (run.outcome, run.seen, run.created, run.failed) == ("ok", 1, 1, 0)
    with scopes_disabled():
        invoice = Invoice.objects.get()
        document = SourceDocument.objects.get(connector=connector)
        line = invoice.lines.get()
    assert (invoice.document_number, invoice.po_reference, document.source_id) == ("INV/2026/00001", "PO-7781", "1")
    assert (invoice.buyer["tin"], invoice.buyer["address"]["state"], invoice.buyer["address"]["lga"]) == (
        "12345678-0001",
        "NG-LA",
        "NG-LA-IKJ",
    )
    assert (line.description, line.quantity, line.unit_price, line.hsn_code, line.tax_category, line.tax_rate) == (
        "Smartphone X2, black",
        2,
        50000,
        "8517.11",
        "STANDARD_VAT",
        7.5,
    )

    assert tasks.submit_invoice(str(invoice.pk)) == "certified"
    assert write_back(document.pk) == "written"
    invoice.refresh_from_db()
    assert odoo.messages == {1: [f"Certified by NRS. IRN: {invoice.irn}"]}
    assert write_back(document.pk) == "nothing"  # once

    # Repeated and overlapping reads create nothing new.
    assert sync.connector_sync(fresh(connector)).created == 0
    change(connector, watermark="")
    assert sync.connector_sync(fresh(connector)).created == 0
    with scopes_disabled():
        assert Invoice.objects.count() == 1

    # A refund that reverses it becomes a credit note on the certified invoice.
    move(odoo, "RINV/2026/00001", move_type="out_refund", reversed_entry=[1, "INV/2026/00001"], quantity=1.0)
    assert sync.connector_sync(fresh(connector)).created == 1
    with scopes_disabled():
        note = Invoice.objects.get(document_number="RINV/2026/00001")
    assert (note.invoice_type, note.original_id) == ("credit_note", invoice.pk)


def test_an_unmapped_tax_is_shown_in_words_and_retried_after_the_mapping(connector, odoo):
    move(odoo, "INV/2026/00003", tax=2)
    run = sync.connector_sync(fresh(connector))
    assert (run.outcome, run.created, run.failed) == ("partly", 0, 1)
    with scopes_disabled():
        document = SourceDocument.objects.get(connector=connector)
    assert document.error == (
        "Odoo invoice INV/2026/00003, line 1: the tax code “WHT 5%” is not mapped to an NRS tax category. Add it "
        "under Settings → Connectors → Kola's Odoo → Edit settings and mappings → Tax codes (for example standard "
        "VAT), then retry this document."
    )
    change(connector, mappings={"product": {"SKU-PHONE": "8517.11"}, "tax": {"WHT 5%": "REDUCED_VAT"}})
    with scopes_disabled():
        document = SourceDocument.objects.select_related("connector__tenant").get(pk=document.pk)
    with scope(tenant=document.tenant):
        assert sync.document_retry(document) == "created"
    with scopes_disabled():
        line = Invoice.objects.get(document_number="INV/2026/00003").lines.get()
    assert (line.tax_category, line.tax_rate) == ("REDUCED_VAT", 5)


def test_a_wrong_api_key_fails_the_run_in_words_and_moves_nothing(connector, odoo):
    move(odoo, "INV/2026/00004")
    change(connector, credentials=json.dumps({"api_key": "an-old-revoked-key"}))
    run = sync.connector_sync(fresh(connector))
    assert run.outcome == "failed" and fresh(connector).watermark == ""
    assert run.message == (
        "Odoo refused the user “accounts@kolafoods.ng” with this API key on database “kola-books”. Create a new API "
        "key in Odoo (your user → Preferences → Account Security → New API Key) and enter it under Settings → "
        "Connectors."
    )
    with scopes_disabled():
        assert not SourceDocument.objects.exists()


def test_an_unknown_database_or_address_fails_the_run_in_words(connector, odoo):
    change(connector, settings={"url": odoo.url, "db": "kola", "username": standin.LOGIN})
    assert sync.connector_sync(fresh(connector)).message == (
        "Odoo has no database “kola”. Correct it under Settings → Connectors."
    )
    change(connector, settings={"url": "http://127.0.0.1:9", "db": standin.DB, "username": standin.LOGIN})
    assert "could not be reached" in sync.connector_sync(fresh(connector)).message
