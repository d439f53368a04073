"""Settings → Connectors: what an admin sees and changes, and what nobody else may."""

import json
import re

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from integrations.connectors import sync, tasks
from integrations.connectors.mapping import nrs_code
from integrations.connectors.models import Connector, ConnectorRun, SourceDocument
from invoicing.models import Invoice
from tests.conftest import member
from tests.connectors.conftest import odoo
from tests.factories import make_ready
from tests.invoicing.conftest import body

SECRET = "odoo-api-key-never-shown-7f3a"


def _form(**changes):
    data = {
        "name": "Head office books",
        "every_minutes": "30",
        "setting_url": "https://kola.odoo.com",
        "setting_database": "kola",
        "setting_username": "ap@kola.ng",
        "secret_api_key": SECRET,
    }
    for table in ("tax", "unit", "product", "lga"):
        data.update({f"map-{table}-TOTAL_FORMS": "3", f"map-{table}-INITIAL_FORMS": "0"})
    data.update(changes)
    return data


def _saved(tenant):
    with scope(tenant=tenant):
        return Connector.objects.get()


def test_an_admin_adds_a_connector_with_its_secret_and_mappings_and_never_sees_the_secret_again(admin_client, tenant):
    page = admin_client.get(reverse("connector_new") + "?kind=odoo").content.decode()
    assert "Odoo address" in page and "API key" in page
    assert "Built-in mappings" in page and "pcs → H87" in page and "Standard VAT" in page

    response = admin_client.post(
        reverse("connector_new") + "?kind=odoo",
        _form(
            **{
                "map-tax-0-source": "VAT 7.5% S",
                "map-tax-0-code": "STANDARD_VAT",
                "map-unit-0-source": "Boxes",
                "map-unit-0-code": "BX",
                "map-product-0-source": "SKU-9",
                "map-product-0-code": "8517.11",
            }
        ),
    )
    connector = _saved(tenant)
    assert response.status_code == 302 and response["Location"] == reverse("connector_detail", args=[connector.pk])
    assert (connector.kind, connector.every_minutes, connector.settings["database"]) == ("odoo", 30, "kola")
    assert json.loads(connector.credentials) == {"api_key": SECRET}
    assert connector.mappings == {
        "tax": {"VAT 7.5% S": "STANDARD_VAT"},
        "unit": {"Boxes": "BX"},
        "product": {"SKU-9": "8517.11"},
    }
    # The kinds read the mappings through nrs_code: the business's rows, then the built-in ones.
    assert nrs_code(connector, "tax", "vat 7.5% s", document="Odoo invoice 1", line=1) == "STANDARD_VAT"
    assert nrs_code(connector, "unit", "pcs", document="Odoo invoice 1", line=1) == "H87"
    with pytest.raises(sync.MappingError, match="Edit settings and mappings → Products"):
        nrs_code(connector, "product", "SKU-404", document="Odoo invoice 1", line=1)

    audit = admin_client.get(reverse("settings_audit"), {"kind": "connector"}).content.decode()
    assert "Connector “Head office books” added." in audit

    for url in (
        reverse("connector_detail", args=[connector.pk]),
        reverse("connector_edit", args=[connector.pk]),
        reverse("settings_connectors"),
    ):
        shown = admin_client.get(url).content.decode()
        assert SECRET not in shown, url
    edit = admin_client.get(reverse("connector_edit", args=[connector.pk])).content.decode()
    assert "Saved; leave empty to keep it." in edit and 'value="VAT 7.5% S"' in edit

    # Saved again with the secret left empty: it is kept; mappings changed are saved.
    admin_client.post(
        reverse("connector_edit", args=[connector.pk]),
        _form(secret_api_key="", name="Books", **{"map-unit-0-source": "Cartons", "map-unit-0-code": "BX"}),
    )
    connector = _saved(tenant)
    assert connector.name == "Books" and json.loads(connector.credentials) == {"api_key": SECRET}
    assert connector.mappings == {"unit": {"Cartons": "BX"}}


def test_bad_input_names_the_field_and_keeps_what_was_typed(admin_client, tenant):
    response = admin_client.post(
        reverse("connector_new") + "?kind=odoo",
        _form(setting_url="kola.odoo.com", **{"map-unit-0-source": "Crate", "map-unit-0-code": "CRATE"}),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "must be a web address such as https://mycompany.odoo.com" in page
    assert "“CRATE” (for “Crate”) is not a UN/ECE unit code" in page
    assert 'value="Head office books"' in page and 'value="kola.odoo.com"' in page
    assert SECRET not in page  # a secret is never sent back, even to the form that typed it
    with scope(tenant=tenant):
        assert not Connector.objects.exists()


def test_the_list_shows_each_connector_its_state_and_last_run_in_words(admin_client, tenant):
    connector = odoo(tenant)
    with scope(tenant=tenant):
        ConnectorRun.objects.create(tenant=tenant, connector=connector, outcome="partly", seen=3, created=2, failed=1)
    page = admin_client.get(reverse("settings_connectors")).content.decode()
    assert "Head office books" in page and "Odoo" in page and "Active" in page
    assert "Done, with documents to fix" in page and "3 documents read, 2 invoices created, 1 to fix" in page
    assert "Within a minute" in page  # never run: due at the schedule's next minute
    words = re.sub(r"<script.*?</script>|<[^>]+>", " ", page, flags=re.S)
    assert "partly" not in words and "odoo" not in words  # words, not the machine's codes


def test_pause_resume_and_run_now(admin_client, tenant, ledger, queued, key_file):
    connector = odoo(tenant)
    detail = reverse("connector_detail", args=[connector.pk])
    admin_client.post(reverse("connector_pause", args=[connector.pk]))
    assert _saved(tenant).state == "paused"
    page = admin_client.get(detail).content.decode()
    assert "Paused: nothing is read from this source until you resume it." in page and ">Run now</button>" not in page
    assert tasks.sync_due_connectors() == 0  # the schedule leaves it alone
    response = admin_client.post(reverse("connector_run", args=[connector.pk]), follow=True)
    assert "resume it first" in response.content.decode() and queued == []

    admin_client.post(reverse("connector_resume", args=[connector.pk]))
    assert _saved(tenant).state == "active"
    ledger.documents = {"0001": body(document_number="ODOO-1")}
    make_ready(tenant, key_file)
    response = admin_client.post(reverse("connector_run", args=[connector.pk]), follow=True)
    assert "Run started" in response.content.decode()
    assert queued == [("integrations.connectors.tasks.sync_connector", (str(connector.pk),))]
    assert tasks.sync_connector(*queued[0][1]) == "ok"  # what the worker does with it
    page = admin_client.get(detail).content.decode()
    assert "REF-0001" in page and "Invoice ODOO-1" in page and "Invoice created" in page


def test_a_document_in_error_is_retried_after_a_fix_and_becomes_one_invoice(admin_client, tenant, ledger, key_file):
    make_ready(tenant, key_file)
    connector = odoo(tenant)
    ledger.documents = {"0001": {"bad": "The unit “Crate” has no NRS equivalent yet: map it under Mappings → Units."}}
    sync.connector_sync(connector)
    with scope(tenant=tenant):
        document = SourceDocument.objects.get()
    detail = reverse("connector_detail", args=[connector.pk])
    page = admin_client.get(detail + "?state=error").content.decode()
    assert "The unit “Crate” has no NRS equivalent yet" in page and "Retry this document" in page
    assert "Done, with documents to fix" in page
    assert "No documents in this state." in admin_client.get(detail + "?state=created").content.decode()

    retry = reverse("connector_document_retry", args=[connector.pk, document.pk])
    response = admin_client.post(retry, follow=True)
    assert "still cannot become an invoice" in response.content.decode()

    with scope(tenant=tenant):  # fixed: the document as its source now reads
        SourceDocument.objects.filter(pk=document.pk).update(raw=body(document_number="FIXED-1"))
    response = admin_client.post(retry, follow=True)
    assert "REF-0001 is now an invoice." in response.content.decode()
    response = admin_client.post(retry, follow=True)  # twice: still one invoice
    assert "Only a document waiting for a fix can be retried." in response.content.decode()
    with scopes_disabled():
        assert list(Invoice.objects.filter(tenant=tenant).values_list("document_number", flat=True)) == ["FIXED-1"]
    page = admin_client.get(detail).content.decode()
    assert "Invoice FIXED-1" in page and "Retry this document" not in page


def test_delete_asks_first_and_keeps_the_invoices(admin_client, tenant):
    connector = odoo(tenant)
    url = reverse("connector_delete", args=[connector.pk])
    assert "The invoices it brought in stay" in admin_client.get(url).content.decode()
    assert _saved(tenant)
    response = admin_client.post(url)
    assert response["Location"] == reverse("settings_connectors")
    with scope(tenant=tenant):
        assert not Connector.objects.exists()


def test_a_clerk_gets_403_and_another_business_404(client, tenant, other_tenant):
    connector = odoo(tenant)
    client.force_login(member(tenant, "clerk"))
    for url in (
        reverse("settings_connectors"),
        reverse("connector_new"),
        reverse("connector_detail", args=[connector.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("connector_pause", args=[connector.pk])).status_code == 403

    client.force_login(member(other_tenant, "admin"))
    for name in ("connector_detail", "connector_edit", "connector_delete"):
        assert client.get(reverse(name, args=[connector.pk])).status_code == 404, name
    for name in ("connector_pause", "connector_resume", "connector_run", "connector_delete"):
        assert client.post(reverse(name, args=[connector.pk])).status_code == 404, name
    assert "Head office books" not in client.get(reverse("settings_connectors")).content.decode()
    assert _saved(tenant).state == "active"
