"""One mapping path: what a QuickBooks or Odoo connector's screen lists as built-in, and what its admin saves there
(tax codes, units, products, cities → LGAs), is exactly what a sync of that connector accepts."""

import html
import re

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from integrations.connectors import books, sync
from integrations.connectors.models import Connector, SourceDocument
from integrations.reference.lookup import tax_category_names
from invoicing.models import Invoice
from tests.connectors import test_odoo, test_quickbooks
from tests.connectors.test_odoo import move
from tests.connectors.test_quickbooks import change, connect, fresh, qb_invoice

# The QuickBooks and Odoo stand-ins and connectors of those kinds' own tests.
qbo, admin, connector = test_quickbooks.qbo, test_quickbooks.admin, test_quickbooks.connector
odoo, odoo_connector = test_odoo.odoo, test_odoo.connector


# What the connector's edit page posts besides the rows: an Odoo connector's settings, and each mapping table's
# formset management data (three empty rows, none saved).
ODOO_SETTINGS = {
    "name": "Books",
    "every_minutes": "30",
    "setting_url": "https://kola.odoo.com",
    "setting_database": "kola",
    "setting_username": "ap@kola.ng",
}
MAPPING_FORMS = {
    f"map-{table}-{count}": value
    for table in ("tax", "unit", "product", "lga")
    for count, value in (("TOTAL_FORMS", "3"), ("INITIAL_FORMS", "0"))
}


def _document(connector):
    with scopes_disabled():
        return SourceDocument.objects.select_related("connector__tenant").get(connector=connector)


def _retry(document):
    with scope(tenant=document.tenant):
        return sync.document_retry(document)


def _line(number):
    with scopes_disabled():
        return Invoice.objects.get(document_number=number).lines.get()


def test_a_quickbooks_tax_code_the_screen_lists_as_built_in_is_standard_vat(admin, connector, qbo):
    """“Standard” is on the screen's built-in list (→ Standard VAT); QuickBooks lines refused it before."""
    connect(admin, connector)
    qbo.add("TaxCode", Name="Standard", Active=True)  # id 3
    qb_invoice(qbo, "2001", tax="3")
    run = sync.connector_sync(fresh(connector))
    assert (run.outcome, run.created, run.failed) == ("ok", 1, 0)
    line = _line("2001")
    assert (line.tax_category, line.tax_rate) == ("STANDARD_VAT", 7.5)


def test_a_pcs_unit_is_a_piece_on_a_quickbooks_line_and_an_odoo_line(admin, connector, qbo, odoo_connector, odoo):
    connect(admin, connector)
    qbo.entities["Item"]["1"]["UQCDisplayText"] = "pcs"  # the item's unit of measure in QuickBooks
    qb_invoice(qbo, "2002")
    assert sync.connector_sync(fresh(connector)).created == 1
    assert _line("2002").unit == "H87"

    made = move(odoo, "INV/2026/00101")
    odoo.records["account.move.line"][made["invoice_line_ids"][0]]["product_uom_id"] = [7, "pcs"]
    assert sync.connector_sync(fresh(odoo_connector)).created == 1
    assert _line("INV/2026/00101").unit == "H87"


def test_a_saved_row_wins_over_the_built_in_one(admin, connector, qbo):
    connect(admin, connector)
    qbo.add("TaxCode", Name="Standard", Active=True)
    qbo.entities["Item"]["1"]["UQCDisplayText"] = "pcs"
    change(
        connector,
        mappings={"product": {"SKU-PHONE": "8517.11"}, "tax": {"STANDARD": "ZERO_VAT"}, "unit": {"PCS": "BX"}},
    )
    qb_invoice(qbo, "2003", tax="3")
    assert sync.connector_sync(fresh(connector)).created == 1
    line = _line("2003")
    assert (line.tax_category, line.tax_rate, line.unit) == ("ZERO_VAT", 0, "BX")


def test_an_unknown_unit_names_the_document_the_line_and_the_fix(odoo_connector, odoo):
    made = move(odoo, "INV/2026/00102")
    odoo.records["account.move.line"][made["invoice_line_ids"][0]]["product_uom_id"] = [9, "Crates"]
    run = sync.connector_sync(fresh(odoo_connector))
    assert (run.created, run.failed) == (0, 1)
    document = _document(odoo_connector)
    assert document.error == (
        "Odoo invoice INV/2026/00102, line 1: the unit “Crates” is not mapped to a UN/ECE unit code. Add it under "
        "Settings → Connectors → Kola's Odoo → Edit settings and mappings → Units (for example H87 for a piece), "
        "then retry this document."
    )
    change(odoo_connector, mappings={"product": {"SKU-PHONE": "8517.11"}, "unit": {"Crates": "CT"}})
    assert _retry(_document(odoo_connector)) == "created"
    assert _line("INV/2026/00102").unit == "CT"


def test_a_saved_row_that_is_not_an_nrs_category_is_refused_in_words(admin, connector, qbo):
    """Only old data can hold one (the save checks every row): it is never sent on."""
    connect(admin, connector)
    change(connector, mappings={"product": {"SKU-PHONE": "8517.11"}, "tax": {"VAT 7.5%": "VAT75"}})
    qb_invoice(qbo, "2004")
    assert sync.connector_sync(fresh(connector)).failed == 1
    assert _document(connector).error == (
        "QuickBooks invoice 2004, line 1: the tax code “VAT 7.5%” is mapped to “VAT75”, which is not an NRS tax "
        "category. Correct it under Settings → Connectors → Kola's QuickBooks → Edit settings and mappings → Tax "
        "codes, then retry this document."
    )


def test_two_saved_rows_differing_only_in_case(admin_client, tenant):
    """Saved before the save refused them: the row spelt as the document spells it, else the alphabetically
    first; the save now refuses such a pair in words."""
    with scope(tenant=tenant):
        connector = Connector.objects.create(
            tenant=tenant,
            kind="odoo",
            name="Books",
            settings={"url": "https://kola.odoo.com", "database": "kola", "username": "ap@kola.ng"},
            mappings={"tax": {"vat": "EXEMPTED", "VAT": "ZERO_VAT"}},
        )
    read = [books.tax_category(connector, [code], document="Odoo invoice 1", line=1) for code in ("vat", "VAT", "Vat")]
    assert read == ["EXEMPTED", "ZERO_VAT", "ZERO_VAT"]  # "VAT" sorts before "vat"

    data = {
        **ODOO_SETTINGS,
        "map-tax-0-source": "VAT",
        "map-tax-0-code": "STANDARD_VAT",
        "map-tax-1-source": "vat ",
        "map-tax-1-code": "ZERO_VAT",
    }
    data.update(MAPPING_FORMS)
    page = admin_client.post(reverse("connector_edit", args=[connector.pk]), data)
    assert page.status_code == 200
    assert "“VAT” and “vat” are the same code to Flowpoint: keep one row." in html.unescape(page.content.decode())
    with scope(tenant=tenant):
        assert Connector.objects.get().mappings == {"tax": {"vat": "EXEMPTED", "VAT": "ZERO_VAT"}}


def test_a_city_mapped_to_its_lga_on_the_screen_lets_the_invoice_through(admin, connector, qbo):
    connect(admin, connector)
    qbo.entities["Customer"]["1"]["BillAddr"]["City"] = "Victoria Island"  # in Eti-Osa, not an LGA's name
    qb_invoice(qbo, "2005")
    assert sync.connector_sync(fresh(connector)).failed == 1
    assert _document(connector).error == (
        "QuickBooks invoice 2005: NRS needs the local government area (LGA) of the buyer Acme Ltd, and the city "
        "“Victoria Island” is not one. Map that city to its LGA under Settings → Connectors → Kola's QuickBooks → "
        "Edit settings and mappings → LGAs, or save the buyer as a customer in Flowpoint with its LGA, then retry "
        "this document."
    )

    edit = reverse("connector_edit", args=[connector.pk])
    form = admin.get(edit).content.decode()
    assert 'id="mapping-lga"' in form and "City in your system" in form and ">Eti-Osa</option>" in form
    data = {
        "name": "Kola's QuickBooks",
        "every_minutes": "15",
        "setting_realm_id": fresh(connector).settings["realm_id"],
        "map-product-0-source": "SKU-PHONE",
        "map-product-0-code": "8517.11",
        "map-lga-0-source": "Victoria Island",
        "map-lga-0-code": "NG-LA-EOS",
    }
    data.update(MAPPING_FORMS)
    data.update({"map-product-TOTAL_FORMS": "4", "map-product-INITIAL_FORMS": "1"})  # as the page sends its saved row
    assert 'name="map-product-INITIAL_FORMS" value="1"' in form
    saved = admin.post(edit, data)
    assert saved.status_code == 302, saved.content.decode()
    assert fresh(connector).mappings == {"product": {"SKU-PHONE": "8517.11"}, "lga": {"Victoria Island": "NG-LA-EOS"}}
    again = admin.get(edit).content.decode()
    assert 'value="Victoria Island"' in again and '<option value="NG-LA-EOS" selected>Eti-Osa</option>' in again

    assert _retry(_document(connector)) == "created"
    with scopes_disabled():
        buyer = Invoice.objects.get(document_number="2005").buyer
    assert (buyer["address"]["state"], buyer["address"]["lga"]) == ("NG-LA", "NG-LA-EOS")


def test_an_lga_that_is_not_one_is_refused_on_save(admin_client, tenant):
    data = {
        **ODOO_SETTINGS,
        "secret_api_key": "k",
        "map-lga-0-source": "Victoria Island",
        "map-lga-0-code": "NG-LA-NOPE",
    }
    data.update(MAPPING_FORMS)
    page = admin_client.post(reverse("connector_new") + "?kind=odoo", data)
    assert page.status_code == 200 and "Select a valid choice." in page.content.decode()
    with scope(tenant=tenant):
        assert not Connector.objects.exists()


@pytest.mark.parametrize("kind", ["quickbooks", "odoo"])
def test_every_built_in_the_screen_lists_is_what_the_sync_accepts(admin_client, tenant, kind):
    """The screen's list and the sync's acceptance both come from mapping.defaults; read back from the page, each
    listed pair is what the kind's line reading gives (a tax category shown by its name, a unit by its code)."""
    page = admin_client.get(reverse("connector_new") + f"?kind={kind}").content.decode()
    listed = re.search(r'<details class="mapping-defaults">(.*?)</details>', page, re.S).group(1)
    tables = dict(re.findall(r"<h3>(.*?)</h3>\s*<p class=\"defaults\">(.*?)</p>", listed, re.S))
    assert set(tables) == {"Tax codes", "Units"}
    pairs = {
        label: [tuple(html.unescape(part) for part in pair) for pair in re.findall(r">([^<>]+) → ([^<>]+)</span>", row)]
        for label, row in tables.items()
    }
    books_of = Connector(tenant=tenant, kind=kind, name="Books", mappings={})
    names = tax_category_names()
    taxes = {
        source: names[books.tax_category(books_of, [source], document="D", line=1)] for source, _ in pairs["Tax codes"]
    }
    assert taxes == dict(pairs["Tax codes"]) and len(taxes) == 14
    assert "Standard VAT" in taxes.values() and taxes["s"] == taxes["standard"] == "Standard VAT"
    units = {source: books.unit(books_of, source, document="D", line=1) for source, _ in pairs["Units"]}
    assert units == dict(pairs["Units"]) and units["pcs"] == "H87" and len(units) > 40
    # and the spelling a clerk sees differs only in case from what the source writes: still the same
    assert books.tax_category(books_of, [" Standard "], document="D", line=1) == "STANDARD_VAT"


def test_a_city_mapped_to_an_lga_of_another_state_is_refused_in_words(admin, connector, qbo):
    connect(admin, connector)
    change(connector, mappings={"product": {"SKU-PHONE": "8517.11"}, "lga": {"ikeja ": "NG-KN-AJI"}})
    qb_invoice(qbo, "2006")  # the buyer's city is Ikeja, in Lagos
    assert sync.connector_sync(fresh(connector)).failed == 1
    assert _document(connector).error == (
        "QuickBooks invoice 2006: the city “Ikeja” of the buyer Acme Ltd is mapped to the LGA Ajingi of Kano, but "
        "the buyer's state is Lagos. Correct the mapping, or the buyer's address at the source, then retry this "
        "document."
    )


def test_an_sftp_folder_offers_no_mappings_it_would_not_read(admin_client, tenant):
    """Its files are read as the CSV upload and the UBL import read them: its screen promises no mapping."""
    page = admin_client.get(reverse("connector_new") + "?kind=sftp").content.decode()
    assert "Server" in page and 'id="mappings"' not in page and "Built-in mappings" not in page
    for kind in ("quickbooks", "odoo"):
        page = admin_client.get(reverse("connector_new") + f"?kind={kind}").content.decode()
        assert 'id="mappings"' in page and 'id="mapping-lga"' in page, kind
    with scope(tenant=tenant):
        sftp = Connector.objects.create(
            tenant=tenant, kind="sftp", name="Drop folder", settings={"host": "sftp.kola.ng"}
        )
    detail = admin_client.get(reverse("connector_detail", args=[sftp.pk])).content.decode()
    assert ">Edit settings</a>" in detail and "mappings" not in detail.lower()
