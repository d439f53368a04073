"""QuickBooks Online, against a local stand-in of Intuit's OAuth 2.0 service and Accounting API
(tests/standins/quickbooks.py): connect through the portal, read invoices and credit memos since the watermark, map
them, certify them at the embedded NRS sandbox, and write the IRN back to QuickBooks."""

import json
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from integrations.connectors import sync
from integrations.connectors.models import Connector, SourceDocument
from integrations.connectors.tasks import write_back
from invoicing import tasks
from invoicing.models import Invoice
from tests.conftest import member
from tests.standins import quickbooks as standin


@pytest.fixture
def qbo(settings, monkeypatch):
    with standin.Server() as server:
        settings.QUICKBOOKS_CLIENT_ID, settings.QUICKBOOKS_CLIENT_SECRET = standin.CLIENT_ID, standin.CLIENT_SECRET
        settings.QUICKBOOKS_OAUTH_URL = f"{server.url}/.well-known/openid_configuration/"
        settings.QUICKBOOKS_BASE_URL = f"{server.url}/v3"
        # The stand-in speaks plain HTTP on this machine; Intuit's endpoints are HTTPS, which oauthlib insists on.
        monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
        books = server.standin
        books.add("TaxCode", Name="VAT 7.5%", Active=True)
        books.add("TaxCode", Name="GST 8%", Active=True)
        books.add("Item", Name="Smartphone X2", Sku="SKU-PHONE", Type="Inventory", UnitPrice=50000)
        books.add(
            "Customer",
            DisplayName="Acme Ltd",
            CompanyName="Acme Ltd",
            PrimaryTaxIdentifier="XXXXXXXX0001",  # masked, as QuickBooks answers it
            PrimaryEmailAddr={"Address": "ap@acme.ng"},
            PrimaryPhone={"FreeFormNumber": "+2348012345678"},
            BillAddr={
                "Line1": "42 Marina Road",
                "City": "Ikeja",
                "CountrySubDivisionCode": "Lagos",
                "PostalCode": "101001",
                "Country": "Nigeria",
            },
        )
        yield books


def qb_invoice(
    books, number, *, tax="1", quantity=2, price=50000, entity="Invoice", currency=("NGN", "Nigerian Naira"), **extra
):
    return books.add(
        entity,
        DocNumber=number,
        TxnDate="2026-12-01",
        DueDate="2026-12-31",
        CurrencyRef={"value": currency[0], "name": currency[1]},
        CustomerRef={"value": "1", "name": "Acme Ltd"},
        CustomField=[{"DefinitionId": "1", "Name": "TIN", "Type": "StringType", "StringValue": "12345678-0001"}],
        PrivateNote="Delivered by van 3",
        Line=[
            {
                "Id": "1",
                "LineNum": 1,
                "Description": "Smartphone X2, black",
                "Amount": quantity * price,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": "1", "name": "Smartphone X2"},
                    "Qty": quantity,
                    "UnitPrice": price,
                    "TaxCodeRef": {"value": tax},
                },
            },
            {"Amount": quantity * price, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}},
        ],
        TotalAmt=quantity * price,
        **extra,
    )


@pytest.fixture
def admin(connected_tenant):
    client = Client()
    client.force_login(member(connected_tenant, "admin"))
    return client


@pytest.fixture
def connector(connected_tenant):
    with scope(tenant=connected_tenant):
        return Connector.objects.create(
            tenant=connected_tenant,
            kind="quickbooks",
            name="Kola's QuickBooks",
            mappings={"product": {"SKU-PHONE": "8517.11"}},
        )


def connect(admin, connector):
    """An admin clicks "Connect to QuickBooks" on the connector's page, allows access at Intuit (the stand-in), and
    comes back."""
    page = admin.get(reverse("connector_detail", args=[connector.pk])).content.decode()
    link = reverse("quickbooks_connect", args=[connector.pk])
    assert f'href="{link}"' in page and "Connect to QuickBooks" in page
    asked = admin.get(link)
    assert asked.status_code == 302
    at_intuit = requests.get(asked["Location"], allow_redirects=False, timeout=5)
    back = urlparse(at_intuit.headers["Location"])
    return asked, admin.get(f"{back.path}?{back.query}")


def fresh(connector):
    with scopes_disabled():
        return Connector.objects.select_related("tenant").get(pk=connector.pk)


def change(connector, **fields):
    with scopes_disabled():
        Connector.objects.filter(pk=connector.pk).update(**fields)


def stored_row(connector) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM connectors_connector WHERE id = %s", [connector.pk.hex])
        return cursor.fetchone()[0]


def test_connecting_stores_the_tokens_encrypted_and_the_company(admin, connector, qbo):
    asked, answered = connect(admin, connector)
    sent = parse_qs(urlparse(asked["Location"]).query)
    assert sent["client_id"] == [standin.CLIENT_ID] and sent["scope"] == ["com.intuit.quickbooks.accounting"]
    assert sent["redirect_uri"] == ["http://testserver/settings/connectors/quickbooks/callback"]
    assert answered.status_code == 302 and answered["Location"] == reverse("connector_detail", args=[connector.pk])
    assert "QuickBooks is connected" in " ".join(str(m) for m in get_messages(answered.wsgi_request))

    saved = fresh(connector)
    tokens = json.loads(saved.credentials)
    assert set(qbo.access) == {tokens["access_token"]} and qbo.refresh == {tokens["refresh_token"]}
    assert saved.settings["realm_id"] == qbo.realm
    row = stored_row(connector)
    assert tokens["access_token"] not in row and tokens["refresh_token"] not in row and "refresh" not in row


def test_only_an_admin_may_connect(connector, qbo, connected_tenant):
    clerk = Client()
    clerk.force_login(member(connected_tenant, "clerk"))
    assert clerk.get(f"/settings/connectors/{connector.pk}/quickbooks/connect").status_code == 403
    assert qbo.codes == {} and fresh(connector).credentials == ""


def test_without_the_apps_keys_connecting_says_so(admin, connector, qbo, settings):
    settings.QUICKBOOKS_CLIENT_ID = ""
    answered = admin.get(f"/settings/connectors/{connector.pk}/quickbooks/connect")
    assert answered.status_code == 302 and not answered["Location"].startswith("http://127.0.0.1")
    said = " ".join(str(m) for m in get_messages(answered.wsgi_request))
    assert said == "This Flowpoint server has no QuickBooks app keys yet: ask its operator to add them."


def test_an_answer_this_session_did_not_ask_for_stores_nothing(admin, connector, qbo):
    answered = admin.get("/settings/connectors/quickbooks/callback?code=stolen&state=guessed&realmId=1")
    assert "was not started here" in " ".join(str(m) for m in get_messages(answered.wsgi_request))
    assert fresh(connector).credentials == ""


def test_an_invoice_goes_from_quickbooks_to_nrs_and_its_irn_back_once(admin, connector, qbo):
    connect(admin, connector)
    qb_invoice(qbo, "1001")
    run = sync.connector_sync(fresh(connector))
    assert (run.outcome, run.seen, run.created, run.failed) == ("ok", 1, 1, 0)
    with scopes_disabled():
        invoice = Invoice.objects.get(document_number="1001")
        document = SourceDocument.objects.get(connector=connector)
        line = invoice.lines.get()
    assert document.source_id == "Invoice:1" and invoice.buyer["tin"] == "12345678-0001"
    assert (invoice.buyer["name"], invoice.buyer["address"]["state"], invoice.buyer["address"]["lga"]) == (
        "Acme Ltd",
        "NG-LA",
        "NG-LA-IKJ",
    )
    assert (line.description, line.quantity, line.unit_price, line.hsn_code) == (
        "Smartphone X2, black",
        2,
        50000,
        "8517.11",
    )
    assert line.tax_category == "STANDARD_VAT"

    assert tasks.submit_invoice(str(invoice.pk)) == "certified"
    assert write_back(document.pk) == "written"
    invoice.refresh_from_db()
    note = qbo.entities["Invoice"]["1"]["PrivateNote"]
    assert note == f"Delivered by van 3\nNRS e-invoice: IRN {invoice.irn} (certified)"
    assert [update["Id"] for update in qbo.updates] == ["1"] and qbo.updates[0]["sparse"] is True

    # The write-back changed the invoice in QuickBooks, so the next run reads it again; and a run from the start.
    again = sync.connector_sync(fresh(connector))
    assert (again.seen, again.created) == (1, 0)
    change(connector, watermark="")
    assert sync.connector_sync(fresh(connector)).created == 0
    with scopes_disabled():
        assert Invoice.objects.count() == 1

    # A credit memo linked to it becomes a credit note on the certified invoice.
    qb_invoice(qbo, "CM-7", entity="CreditMemo", quantity=1, LinkedTxn=[{"TxnId": "1", "TxnType": "Invoice"}])
    assert sync.connector_sync(fresh(connector)).created == 1
    with scopes_disabled():
        note = Invoice.objects.get(document_number="CM-7")
    assert (note.invoice_type, note.original_id) == ("credit_note", invoice.pk)


def test_a_dollar_invoice_takes_its_exchange_rate_from_quickbooks(admin, connector, qbo):
    """QuickBooks' ExchangeRate is home-currency (naira) units for one US dollar: the invoice's rate, with no rates
    table at the business. 2 × $500.00 at VAT 7.5% = $1,075.00; at ₦1,530.00 the VAT is ₦114,750.00 and the total
    ₦1,644,750.00 (docs/worked-examples.md, usd-invoice)."""
    connect(admin, connector)
    qb_invoice(qbo, "1004", price=500, currency=("USD", "United States Dollar"), ExchangeRate=1530)
    qb_invoice(qbo, "1005", price=500, currency=("USD", "United States Dollar"))  # no rate at all
    run = sync.connector_sync(fresh(connector))
    assert (run.created, run.failed) == (1, 1)
    with scopes_disabled():
        invoice = Invoice.objects.get(document_number="1004")
        refused = SourceDocument.objects.get(connector=connector, reference="1005")
    assert (invoice.currency, invoice.exchange_rate) == ("USD", 1530)
    assert (invoice.payable, invoice.tax_total_ngn, invoice.payable_ngn) == (1075, 114750, 1644750)
    assert "USD" in refused.error and "Exchange rates" in refused.error
    assert tasks.submit_invoice(str(invoice.pk)) == "certified"


def test_an_unmapped_tax_code_is_shown_in_words_and_retried_after_the_mapping(admin, connector, qbo):
    connect(admin, connector)
    qb_invoice(qbo, "1002", tax="2")
    run = sync.connector_sync(fresh(connector))
    assert (run.outcome, run.created, run.failed) == ("partly", 0, 1)
    with scopes_disabled():
        document = SourceDocument.objects.get(connector=connector)
    assert document.state == "error" and document.reference == "1002"
    assert document.error == (
        "QuickBooks invoice 1002, line 1: the tax code “GST 8%” is not mapped to an NRS tax category. Add it under "
        "Settings → Connectors → Kola's QuickBooks → Edit settings and mappings → Tax codes (for example standard "
        "VAT), then retry this document."
    )

    change(connector, mappings={"product": {"SKU-PHONE": "8517.11"}, "tax": {"GST 8%": "STANDARD_VAT"}})
    with scopes_disabled():
        document = SourceDocument.objects.select_related("connector__tenant").get(pk=document.pk)
    with scope(tenant=document.tenant):
        assert sync.document_retry(document) == "created"
    with scopes_disabled():
        assert Invoice.objects.filter(document_number="1002").count() == 1


def test_an_expired_access_token_is_refreshed_and_the_new_refresh_token_kept(admin, connector, qbo):
    connect(admin, connector)
    before = json.loads(fresh(connector).credentials)
    qb_invoice(qbo, "1003")
    qbo.expire_access_tokens()  # Intuit's hour is up before our own clock says so

    run = sync.connector_sync(fresh(connector))
    assert (run.outcome, run.created) == ("ok", 1) and qbo.refreshes == 1
    after = json.loads(fresh(connector).credentials)
    assert after["refresh_token"] != before["refresh_token"] and qbo.refresh == {after["refresh_token"]}
    assert after["refresh_token"] not in stored_row(connector)

    # Our own clock: a token we know has expired is refreshed before the call.
    change(connector, credentials=json.dumps({**after, "expires_at": "2020-01-01T00:00:00+00:00"}))
    assert sync.connector_sync(fresh(connector)).outcome == "ok" and qbo.refreshes == 2


def test_a_revoked_connection_fails_the_run_in_words(admin, connector, qbo):
    connect(admin, connector)
    qbo.expire_access_tokens()
    qbo.refresh.clear()  # the company's admin disconnected the app in QuickBooks
    run = sync.connector_sync(fresh(connector))
    assert run.outcome == "failed"
    assert run.message == (
        "QuickBooks no longer accepts this connection (its sign-in expired or was revoked): an admin connects it "
        "again under Settings → Connectors → Connect QuickBooks."
    )
