"""/api/v1/integrations/connectors: a portal admin's session only (an API key gets 403 on every route), secrets
write-only, every refusal naming its field."""

import json

import pytest
from django_scopes import scope, scopes_disabled
from rest_framework.test import APIClient

from integrations.connectors import sync
from integrations.connectors.models import Connector, SourceDocument
from invoicing.models import Invoice
from tests.api.conftest import assert_error_shape, new_key
from tests.conftest import member
from tests.connectors.conftest import odoo
from tests.factories import make_ready
from tests.invoicing.conftest import body

SECRET = "odoo-api-key-never-answered-91c"
BASE = "/api/v1/integrations/connectors"
ODOO = {
    "name": "Head office books",
    "kind": "odoo",
    "settings": {"url": "https://kola.odoo.com", "database": "kola", "username": "ap@kola.ng"},
    "secrets": {"api_key": SECRET},
    "mappings": {"tax": {"VAT 7.5%": "STANDARD_VAT"}, "unit": {"Units": "C62"}},
    "everyMinutes": 30,
}


@pytest.fixture
def admin(tenant):
    client = APIClient()
    client.force_login(member(tenant, "admin"))
    return client


def _routes(connector, document_id=1):
    one = f"{BASE}/{connector.pk}"
    return [
        ("get", BASE),
        ("post", BASE),
        ("get", one),
        ("patch", one),
        ("delete", one),
        ("get", f"{one}/runs"),
        ("get", f"{one}/documents"),
        ("post", f"{one}/sync"),
        ("post", f"{one}/documents/{document_id}/retry"),
    ]


def test_an_api_key_gets_403_on_every_connector_route_and_changes_nothing(tenant):
    connector = odoo(tenant)
    keyed = APIClient(headers={"X-Flowpoint-Key": new_key(tenant)})
    for method, path in _routes(connector):
        body = assert_error_shape(getattr(keyed, method)(path, ODOO, format="json"), 403)
        assert "API keys cannot use admin routes" in body["error"], (method, path)
    clerk = APIClient()
    clerk.force_login(member(tenant, "clerk"))
    for method, path in _routes(connector):
        assert_error_shape(getattr(clerk, method)(path, ODOO, format="json"), 403)
    with scopes_disabled():
        assert list(Connector.objects.values_list("name", "state")) == [("Head office books", "active")]


def test_create_read_update_delete_and_the_secret_is_never_answered(admin, tenant):
    created = admin.post(BASE, ODOO, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert SECRET not in created.content.decode() and "secrets" not in data
    assert data["secretsSet"] == ["api_key"] and data["kind"] == "odoo" and data["everyMinutes"] == 30
    assert data["mappings"] == ODOO["mappings"] and data["state"] == "active" and data["lastRun"] is None
    with scope(tenant=tenant):
        saved = Connector.objects.get(pk=data["id"])
    assert json.loads(saved.credentials) == {"api_key": SECRET}

    listed = admin.get(BASE).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == data["id"]
    one = f"{BASE}/{data['id']}"
    # A partial change keeps the rest: the other settings, and the secret when none is sent.
    changed = admin.patch(one, {"settings": {"database": "kola2"}, "state": "paused", "secrets": {}}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["settings"] == {**ODOO["settings"], "database": "kola2"}
    assert changed.json()["state"] == "paused" and changed.json()["nextRunAt"] is None
    assert changed.json()["secretsSet"] == ["api_key"]
    for answer in (admin.get(one), admin.get(BASE), changed):
        assert SECRET not in answer.content.decode()
    assert_error_shape(admin.post(f"{one}/sync"), 409, code="connector_paused")
    admin.patch(one, {"state": "active"}, format="json")
    assert admin.post(f"{one}/sync").status_code == 202

    assert admin.delete(one).status_code == 204
    assert_error_shape(admin.get(one), 404)
    assert admin.get(BASE).json()["total"] == 0


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"name": "  "}, "name", "Enter a name"),
        ({"kind": "sage"}, "kind", "must be one of sftp, quickbooks, odoo"),
        ({"everyMinutes": 1}, "everyMinutes", "at least 5"),
        ({"settings": {"url": "kola.odoo.com", "database": "k", "username": "u"}}, "settings.url", "web address"),
        ({"settings": {"url": "https://kola.odoo.com"}}, "settings.database", "Enter Database"),
        ({"settings": {**ODOO["settings"], "host": "x"}}, "settings.host", "Not a setting of this kind"),
        ({"secrets": {"password": "x"}}, "secrets.password", "Not a secret of this kind"),
        ({"mappings": {"tax": {"VAT": "VAT"}}}, "mappings.tax", "is not an NRS tax category"),
        ({"mappings": {"colour": {}}}, "mappings", "colour"),
        ({"colour": "red"}, "colour", "unknown field"),
    ],
)
def test_a_refused_create_names_the_field(admin, tenant, change, field, words):
    response = admin.post(BASE, {**ODOO, **change}, format="json")
    body = assert_error_shape(response, 400)
    assert field in body["fields"], body
    assert words in body["fields"][field] or words in body["error"], body
    with scope(tenant=tenant):
        assert not Connector.objects.exists()


def test_the_kind_of_a_connector_cannot_change(admin, tenant):
    connector = odoo(tenant)
    body = assert_error_shape(admin.patch(f"{BASE}/{connector.pk}", {"kind": "sftp"}, format="json"), 400)
    assert "cannot change" in body["fields"]["kind"]


def test_runs_documents_and_a_retry_after_a_fix(admin, tenant, ledger, key_file):
    make_ready(tenant, key_file)
    connector = odoo(tenant)
    ledger.documents = {"0001": {"bad": "Map the unit “Crate” under Mappings → Units."}, "0002": body()}
    sync.connector_sync(connector)
    one = f"{BASE}/{connector.pk}"
    runs = admin.get(f"{one}/runs").json()
    assert runs["total"] == 1 and runs["items"][0] | {"id": 0, "startedAt": 0, "finishedAt": 0} == {
        "id": 0,
        "startedAt": 0,
        "finishedAt": 0,
        "outcome": "partly",
        "seen": 2,
        "created": 1,
        "failed": 1,
        "message": None,
    }
    assert admin.get(one).json()["lastRun"]["outcome"] == "partly"
    errors = admin.get(f"{one}/documents", {"state": "error"}).json()
    assert [d["sourceId"] for d in errors["items"]] == ["0001"] and "Crate" in errors["items"][0]["error"]
    assert_error_shape(admin.get(f"{one}/documents", {"state": "broken"}), 400)

    document = errors["items"][0]
    with scope(tenant=tenant):
        SourceDocument.objects.filter(pk=document["id"]).update(raw=body(document_number="FIXED-1"))
    retried = admin.post(document["links"]["retry"])
    assert retried.status_code == 200 and retried.json()["state"] == "created" and retried.json()["invoiceId"]
    assert_error_shape(admin.post(document["links"]["retry"]), 409, code="document_not_in_error")
    with scope(tenant=tenant):
        assert Invoice.objects.filter(document_number="FIXED-1").count() == 1


def test_another_business_gets_404_on_a_connector_of_the_first(tenant, other_tenant):
    connector = odoo(tenant)
    other = APIClient()
    other.force_login(member(other_tenant, "admin"))
    for method, path in _routes(connector):
        response = getattr(other, method)(path, {"name": "Stolen"}, format="json")
        if path == BASE:
            assert "Head office books" not in response.content.decode()
        else:
            assert_error_shape(response, 404)
    with scopes_disabled():
        assert Connector.objects.get(pk=connector.pk).name == "Head office books"


SFTP = {
    "name": "Drop folder",
    "kind": "sftp",
    "settings": {"host": "sftp.example.ng", "port": 22, "username": "kola", "folder": "/in"},
    "secrets": {"password": "sftp-pass-never-answered"},
}


@pytest.mark.parametrize(
    "kind, body, field",
    [
        ("sftp", {**SFTP, "settings": {**SFTP["settings"], "host": "10.0.0.5"}}, "settings.host"),
        ("sftp", {**SFTP, "settings": {**SFTP["settings"], "host": "127.0.0.1"}}, "settings.host"),
        ("odoo", {**ODOO, "settings": {**ODOO["settings"], "url": "http://169.254.169.254/"}}, "settings.url"),
    ],
)
def test_a_connector_may_not_point_inside_our_network(admin, settings, kind, body, field):
    settings.CONNECTOR_ALLOWED_HOSTS = []  # production: only servers on the internet
    refused = assert_error_shape(admin.post(BASE, body, format="json"), 400)
    assert "inside Flowpoint's own network" in refused["fields"][field]
    with scopes_disabled():
        assert not Connector.objects.exists()
    settings.CONNECTOR_ALLOWED_HOSTS = ["10.0.0.5", "127.0.0.1", "169.254.169.254"]  # an operator allows them
    assert admin.post(BASE, body, format="json").status_code == 201


def test_a_run_checks_the_server_again_and_never_connects_inside(admin, settings, tenant):
    with scope(tenant=tenant):
        connector = Connector.objects.create(
            tenant=tenant,
            kind="sftp",
            name="Moved inside",
            settings={"host": "127.0.0.1", "port": 9, "username": "kola", "folder": "/"},
            credentials=json.dumps({"password": "x"}),
        )
    settings.CONNECTOR_ALLOWED_HOSTS = []
    run = sync.connector_sync(connector)
    assert run.outcome == "failed" and "inside Flowpoint's own network" in run.message


def test_an_sftp_connector_needs_a_password_or_a_private_key(admin):
    refused = assert_error_shape(admin.post(BASE, {**SFTP, "secrets": {}}, format="json"), 400)
    assert refused["fields"] == {"secrets.password": "Enter the password or the private key the source signs in with."}
