"""Answers the sandbox never gives, but a real NRS or a proxy in front of it might (`responses`)."""

import pytest
import responses

from integrations.nrs.client import NrsClient
from integrations.nrs.errors import NrsBadCredentials, NrsRejected, NrsTransient

BASE = "https://nrs.example"


@pytest.fixture
def client(tenant):
    tenant.nrs_api_key, tenant.nrs_api_secret = "k", "s"
    return NrsClient(tenant, base_url=BASE)


@responses.activate
def test_an_html_page_from_a_proxy_is_transient(client):
    responses.get(f"{BASE}/api/v1/invoice/confirm/X", body="<html>502 Bad Gateway</html>", status=200)
    with pytest.raises(NrsTransient, match="without a JSON envelope"):
        client.confirm("X")


@responses.activate
def test_an_error_code_inside_a_200_envelope_counts(client):
    responses.post(
        f"{BASE}/api/v1/invoice/validate",
        json={"code": 400, "data": None, "error": {"details": "invoicerequest.invoice.irn is required"}},
    )
    with pytest.raises(NrsRejected, match="irn is required"):
        client.validate({})


@responses.activate
def test_rate_limiting_is_transient_and_403_is_bad_credentials(client):
    responses.get(f"{BASE}/api/v1/invoice/confirm/A", json={"code": 429, "message": "too many requests"}, status=429)
    responses.get(f"{BASE}/api/v1/invoice/confirm/B", json={"code": 403, "message": "forbidden"}, status=403)
    with pytest.raises(NrsTransient):
        client.confirm("A")
    with pytest.raises(NrsBadCredentials):
        client.confirm("B")


@responses.activate
def test_credentials_travel_in_headers_only(client):
    responses.get(f"{BASE}/api", json={"healthy": True})
    client.health()
    sent = responses.calls[0].request
    assert sent.headers["x-api-key"] == "k" and sent.headers["x-api-secret"] == "s"
    assert "k" not in sent.url.split("/")[-1]
