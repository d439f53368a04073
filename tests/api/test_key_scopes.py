"""Scoped API keys, from outside (HTTP): a read-only key reads but never writes; a key limited to IP networks is
refused from anywhere else; both are set in Settings → API Access and in the admin API, and bad networks are named.

(Every write route with a read-only key: the auth matrix, tests/api/test_auth_matrix.py, case (g).)
"""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from invoicing.models import Invoice
from tenants.models import ApiKey, AuditEvent
from tests.api.conftest import assert_error_shape, invoice_body, new_key
from tests.conftest import member


def _get(key, address="127.0.0.1"):
    return APIClient().get("/api/v1/invoices", headers={"X-Flowpoint-Key": key}, REMOTE_ADDR=address)


@pytest.mark.django_db
def test_a_read_only_key_reads_and_is_told_why_a_write_is_refused(tenant):
    key = new_key(tenant, read_only=True)
    assert _get(key).status_code == 200
    response = APIClient().post(
        "/api/v1/invoices/create", invoice_body(document_number="RO-1"), format="json", headers={"X-Flowpoint-Key": key}
    )
    body = assert_error_shape(response, 403)
    assert "read-only" in body["error"] and "read-write key" in body["error"]
    with scopes_disabled():
        assert not Invoice.objects.filter(tenant=tenant).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("networks", "inside", "outside"),
    [
        (["203.0.113.0/24"], "203.0.113.77", "198.51.100.4"),
        (["2001:db8::/32"], "2001:db8:1::5", "2001:db9::5"),
        (["198.51.100.4"], "::ffff:198.51.100.4", "198.51.100.5"),  # one address; IPv4 mapped into IPv6
    ],
)
def test_a_key_limited_to_networks_is_refused_from_outside_them(tenant, networks, inside, outside):
    key = new_key(tenant, allowed_networks=networks)
    assert _get(key, inside).status_code == 200
    body = assert_error_shape(_get(key, outside), 403)
    assert outside in body["error"] and "allowed networks" in body["error"]
    # Refused before the key's business is read: the same for a read-only key's reads.
    assert_error_shape(_get(new_key(tenant, read_only=True, allowed_networks=networks), outside), 403)


@pytest.mark.django_db
def test_the_admin_api_creates_scoped_keys_and_names_a_bad_network(tenant):
    admin = APIClient()
    admin.force_login(member(tenant, "admin"))
    created = admin.post(
        "/api/v1/tenant/api-keys",
        {"name": "Reporting", "readOnly": True, "allowedNetworks": ["203.0.113.0/24", "2001:db8::1"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["readOnly"] is True and body["allowedNetworks"] == ["203.0.113.0/24", "2001:db8::1/128"]
    listed = admin.get("/api/v1/tenant/api-keys").json()["items"][0]
    assert listed["readOnly"] is True and listed["allowedNetworks"] == body["allowedNetworks"]
    refused = APIClient().post(
        "/api/v1/items",
        {"name": "Nope", "unitPriceKobo": 100, "serviceCode": "6201"},
        format="json",
        headers={"X-Flowpoint-Key": body["key"]},
        REMOTE_ADDR="203.0.113.9",
    )
    assert "read-only" in assert_error_shape(refused, 403)["error"]

    plain = admin.post("/api/v1/tenant/api-keys", {"name": "ERP"}, format="json").json()
    assert plain["readOnly"] is False and plain["allowedNetworks"] == []  # the default: as keys always were

    bad = admin.post(
        "/api/v1/tenant/api-keys", {"name": "X", "allowedNetworks": ["10.0.0.0/33", "office"]}, format="json"
    )
    error = assert_error_shape(bad, 400)["fields"]["allowedNetworks"]
    assert "10.0.0.0/33" in error and "office" in error and "203.0.113.0/24" in error
    with scopes_disabled():
        assert not ApiKey.objects.filter(name="X").exists()


@pytest.mark.django_db
def test_settings_api_access_creates_a_read_only_key_for_some_networks(client, tenant):
    client.force_login(member(tenant, "admin"))
    page = client.get(reverse("settings_api_keys")).content.decode()
    assert "Read only" in page and "Allowed IP addresses or networks" in page

    bad = client.post(
        reverse("settings_api_keys"),
        {"name": "Sage ERP", "access": "read_only", "allowed_networks": "203.0.113.0/24\nour office"},
    )
    text = bad.content.decode()
    assert "Not an IP address or network: our office" in text
    assert "our office</textarea>" in text and 'value="Sage ERP"' in text  # nothing typed is lost

    client.post(
        reverse("settings_api_keys"),
        {"name": "Sage ERP", "access": "read_only", "allowed_networks": "203.0.113.0/24, 2001:db8::/32"},
    )
    with scopes_disabled():
        key = ApiKey.objects.get(tenant=tenant, name="Sage ERP")
        assert key.read_only and key.allowed_networks == ["203.0.113.0/24", "2001:db8::/32"]
        assert "read-only" in AuditEvent.objects.get(tenant=tenant, kind="api_key.created").message
    listing = client.get(reverse("settings_api_keys")).content.decode()
    assert "From 203.0.113.0/24, 2001:db8::/32 only" in listing
