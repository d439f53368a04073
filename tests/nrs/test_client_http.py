"""The NRS client against the embedded sandbox over real HTTP (a live server): every endpoint and
every failure class, with each call recorded and no secret in any record or log line."""

import logging
import time
from datetime import date

import pytest
from django_scopes import scope

from integrations.nrs.client import NrsClient
from integrations.nrs.errors import NrsBadCredentials, NrsNotFound, NrsRejected, NrsTransient
from integrations.nrs.sandbox.models import SandboxInvoice, SandboxRequest
from tests.nrs.conftest import calls, document_for, set_faults


@pytest.fixture
def client(connected_tenant):
    return NrsClient(connected_tenant)


def test_health_entity_and_self_health(client, connected_tenant):
    assert client.health() == {"healthy": True}
    entity = client.entity(connected_tenant.nrs_business_id)
    assert entity["service_id"] == connected_tenant.nrs_service_id
    assert entity["irn_template"] == f"{{{{invoice_id}}}}-{connected_tenant.nrs_service_id}-{{{{YYYYMMDD}}}}"


def test_the_whole_lifecycle_of_a_b2b_invoice(client, connected_tenant):
    doc = document_for(connected_tenant)
    doc["accounting_customer_party"]["tin"] = "99887766-0001"  # a buyer that is not this business
    irn = doc["irn"]
    assert client.irn_validate(irn=irn, invoice_reference="INV001", business_id=connected_tenant.nrs_business_id) == {
        "ok": True
    }
    assert client.validate(doc) == {"ok": True}
    assert client.sign(doc) == {"ok": True}
    confirmed = client.confirm(irn)
    assert confirmed["irn"] == irn and confirmed["payment_status"] == "PENDING" and confirmed["transmitted"] is False
    assert client.transmit(irn) == {"ok": True}
    assert client.transmit_lookup(irn)["status"] == "TRANSMITTED"
    with pytest.raises(NrsNotFound, match="not transmitted to this business"):
        client.transmit_confirm(irn)  # only the buyer confirms receipt (tests/nrs/test_sandbox_marketplace.py)
    assert client.transmit_lookup(irn)["status"] == "TRANSMITTED"
    assert client.update_payment(irn, payment_status="PAID", reference="TRX-1") == {"ok": True}
    assert client.download(irn)["payment_status"] == "PAID"
    found = client.search(connected_tenant.nrs_business_id, irn=irn)
    assert found["page"]["totalCount"] == 1 and found["items"][0]["irn"] == irn
    endpoints = [c.endpoint for c in calls(connected_tenant)]
    assert endpoints == [
        "irn_validate",
        "validate",
        "sign",
        "confirm",
        "transmit",
        "transmit_lookup",
        "transmit_confirm",
        "transmit_lookup",
        "update",
        "download",
        "search",
    ]
    outcomes = {c.endpoint: (c.outcome, c.status_code) for c in calls(connected_tenant)}
    assert outcomes.pop("transmit_confirm") == ("not_found", 404)
    assert set(outcomes.values()) == {("ok", 200)}


def test_rejected_documents_carry_nrs_details_and_public_message(client, connected_tenant):
    doc = document_for(connected_tenant)
    doc["accounting_customer_party"]["tin"] = "123"
    with pytest.raises(NrsRejected) as exc:
        client.validate(doc)
    assert (
        exc.value.details == "invoicerequest.invoice.accountingcustomerparty.tin must be at least in length or value 5"
    )
    assert exc.value.public_message.startswith("validation failed")
    assert exc.value.status_code == 400 and not exc.value.retryable
    [call] = calls(connected_tenant)
    assert call.outcome == "rejected" and "at least in length" in call.message and call.response_body
    with pytest.raises(NrsRejected, match="irn validation failed"):
        client.irn_validate(
            irn="X-ZZZZZZZZ-20261120", invoice_reference="X", business_id=connected_tenant.nrs_business_id
        )


def test_a_second_sign_of_one_irn_is_the_ambiguous_try_again_later(client, connected_tenant):
    doc = document_for(connected_tenant)
    client.sign(doc)
    with pytest.raises(NrsTransient, match="kindly try again later"):
        client.sign(doc)
    assert SandboxInvoice.objects.get(irn=doc["irn"]).sign_count == 1


def test_update_payment_rejects_unknown_status_and_unknown_irn(client, connected_tenant):
    doc = document_for(connected_tenant)
    client.sign(doc)
    with pytest.raises(NrsRejected):
        client.update_payment(doc["irn"], payment_status="LATER")
    with pytest.raises(NrsNotFound):
        client.update_payment("NOPE-" + connected_tenant.nrs_service_id + "-20261120", payment_status="PAID")


def test_not_found_for_unknown_irn_entity_and_route(client, connected_tenant):
    with pytest.raises(NrsNotFound):
        client.confirm(f"NOPE1-{connected_tenant.nrs_service_id}-20261120")
    with pytest.raises(NrsNotFound):
        client.transmit(f"NOPE1-{connected_tenant.nrs_service_id}-20261120")
    with pytest.raises(NrsNotFound):
        client.entity("00000000-0000-0000-0000-000000000000")
    with pytest.raises(NrsNotFound, match="no route found for this path"):
        client._call("nowhere", "GET", "/api/v1/not-a-route")


def test_bad_credentials_are_their_own_outcome(connected_tenant):
    connected_tenant.nrs_api_secret = "wrong-secret"
    with pytest.raises(NrsBadCredentials, match="unable to validate api key") as exc:
        NrsClient(connected_tenant).confirm("X")
    assert exc.value.status_code == 400  # NRS answers 400, not 401
    assert calls(connected_tenant)[-1].outcome == "bad_credentials"


def test_verify_tin_and_resources(client):
    assert client.verify_tin("20198222-0002")["status"] == "ACTIVE"
    with pytest.raises(NrsNotFound):
        client.verify_tin("0000111-0001")
    with pytest.raises(NrsRejected):
        client.verify_tin("12")
    lgas = client.resources("lgas")
    assert len(lgas) == 774 and {"code": "NG-LA-IKJ", "name": "Ikeja", "state_code": "NG-LA"} in lgas
    assert {"code": "STANDARD_VAT", "value": "Standard VAT"} in client.resources("tax-categories")
    with pytest.raises(NrsNotFound):
        client.resources("no-such-list")


def test_server_errors_and_access_points_offline_are_transient(client, connected_tenant):
    set_faults(error_rate=1.0)
    with pytest.raises(NrsTransient) as exc:
        client.confirm("X")
    assert exc.value.status_code == 500 and exc.value.retryable
    set_faults(offline_rate=1.0)
    doc = document_for(connected_tenant)
    client.sign(doc)
    with pytest.raises(NrsTransient, match="access points are offline"):
        client.transmit(doc["irn"])
    set_faults()
    assert client.transmit(doc["irn"]) == {"ok": True}


def test_a_timeout_is_transient_with_no_status(client, connected_tenant, settings):
    settings.NRS_READ_TIMEOUT = 0.3
    set_faults(timeout_rate=1.0)
    started = time.monotonic()
    with pytest.raises(NrsTransient, match="did not answer in time") as exc:
        NrsClient(connected_tenant).health()
    assert time.monotonic() - started < 2 and exc.value.status_code is None
    assert calls(connected_tenant)[-1].status_code is None
    set_faults()
    time.sleep(2.6)  # let the sandbox finish its deliberately slow answer before the database is flushed


def test_a_connection_error_is_transient(connected_tenant):
    with pytest.raises(NrsTransient, match="Could not connect"):
        NrsClient(connected_tenant, base_url="http://127.0.0.1:9").health()
    assert calls(connected_tenant)[-1].outcome == "transient"


def test_a_lost_sign_response_is_transient_and_confirm_shows_it_was_signed(client, connected_tenant):
    set_faults(lost_response_rate=1.0)
    doc = document_for(connected_tenant)
    with pytest.raises(NrsTransient):
        client.sign(doc)
    set_faults()
    assert client.confirm(doc["irn"])["irn"] == doc["irn"]  # reconciliation: it is signed
    assert SandboxRequest.objects.filter(fault="lost_response").count() == 1


def test_added_latency_is_applied(client):
    set_faults(latency_ms=300)
    started = time.monotonic()
    client.health()
    assert time.monotonic() - started >= 0.3


def test_outcomes_are_the_right_type_every_time_under_mixed_faults(client, connected_tenant):
    set_faults(error_rate=0.5)
    for number in range(12):
        doc = document_for(connected_tenant, number=f"MIX{number}", day=date(2026, 11, 20))
        try:
            client.sign(doc)
        except NrsTransient as exc:
            assert exc.status_code == 500
    outcomes = {c.outcome for c in calls(connected_tenant)}
    assert outcomes <= {"ok", "transient"} and len(outcomes) == 2


def test_no_secret_in_any_recorded_call_sandbox_log_or_log_line(client, connected_tenant, caplog):
    caplog.set_level(logging.DEBUG)
    doc = document_for(connected_tenant)
    client.sign(doc)
    client.confirm(doc["irn"])
    with pytest.raises(NrsRejected):
        client.update_payment(doc["irn"], payment_status="NOPE")
    secrets = [connected_tenant.nrs_api_key, connected_tenant.nrs_api_secret]
    with scope(tenant=connected_tenant):
        recorded = [f"{c.url} {c.request_body} {c.response_body} {c.message}" for c in calls(connected_tenant)]
    sandbox_log = [
        f"{r.path} {r.request_body} {r.response_body} {r.api_key_prefix}" for r in SandboxRequest.objects.all()
    ]
    for secret in secrets:
        assert all(secret not in text for text in recorded + sandbox_log)
        assert secret not in caplog.text
    assert "NRS POST sign -> 200 ok" in caplog.text


def test_a_proxy_and_no_proxy_from_the_environment_are_honoured(connected_tenant, monkeypatch):
    """The environment is read once per NRS host, not per call; an operator's HTTP proxy still carries the calls,
    and no_proxy still exempts a host."""
    import http.server
    import json
    import threading

    from integrations.nrs import client as nrs_client

    seen = []

    class Proxy(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)  # a proxy is sent the whole URL
            body = json.dumps({"healthy": True}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_port}")
        monkeypatch.setenv("NO_PROXY", "nrs-direct.invalid")
        nrs_client._environment.cache_clear()
        assert NrsClient(connected_tenant, base_url="http://nrs.invalid").health() == {"healthy": True}
        assert seen == ["http://nrs.invalid/api"]
        with pytest.raises(NrsTransient):  # not via the proxy: straight to a host that does not resolve
            NrsClient(connected_tenant, base_url="http://nrs-direct.invalid").health()
        assert seen == ["http://nrs.invalid/api"]
    finally:
        proxy.shutdown()
        nrs_client._environment.cache_clear()
