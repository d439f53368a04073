"""/metrics: what an operator's Prometheus reads, parsed by prometheus_client's own parser."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from prometheus_client.parser import text_string_to_metric_families

from integrations.nrs.models import NrsCall, NrsHost
from invoicing.models import Invoice
from tests.conftest import member
from tests.factories import invoices_in

TOKEN = "metrics-token-0123456789abcdef"
Status = Invoice.Status


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client, token=TOKEN):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return response.content.decode()


def families(text) -> dict:
    return {family.name: family for family in text_string_to_metric_families(text)}


def sample(family, name=None, **labels) -> float:
    found = [s.value for s in family.samples if s.name == (name or family.name) and s.labels == labels]
    assert len(found) == 1, (name, labels, family.samples)
    return found[0]


def call(tenant, endpoint, outcome, duration_ms):
    with scopes_disabled():
        NrsCall.objects.create(
            tenant=tenant,
            endpoint=endpoint,
            method="POST",
            url=f"https://nrs.example/api/v1/invoice/{endpoint}",
            outcome=outcome,
            duration_ms=duration_ms,
        )


def test_metrics_read_the_queue_outcomes_latency_and_hosts_from_the_database(client, tenant, other_tenant, token):
    invoices_in(tenant, Status.PENDING, 3)
    invoices_in(other_tenant, Status.PENDING, 1)
    invoices_in(tenant, Status.SUBMITTING, 2)
    invoices_in(tenant, Status.CERTIFIED, 2)
    invoices_in(other_tenant, Status.REPORTED, 1, kind="B2C")
    invoices_in(tenant, Status.FAILED, 1)
    invoices_in(tenant, Status.DRAFT, 4)  # neither waiting nor done: counted nowhere
    oldest = invoices_in(tenant, Status.PENDING, 1)[0]
    with scopes_disabled():
        Invoice.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    for ms in (40, 100, 300, 2000):
        call(tenant, "sign", "ok", ms)
    call(other_tenant, "validate", "transient", 30000)
    call(tenant, "validate", "transient", 45000)
    call(other_tenant, "validate", "rejected", 250)
    NrsHost.objects.create(
        base_url="https://nrs.example",
        limit=12,
        circuit="open",
        failures=7,
        failing_since=timezone.now() - timedelta(minutes=5),
        paused_until=timezone.now() + timedelta(minutes=1),
    )
    NrsHost.objects.create(base_url="https://sandbox.example/nrs", limit=96)

    text = scrape(client)
    found = families(text)

    assert sample(found["flowpoint_nrs_queue_depth"]) == 5  # PENDING, both businesses together
    assert sample(found["flowpoint_nrs_in_flight"]) == 2
    assert 590 <= sample(found["flowpoint_nrs_queue_oldest_age_seconds"]) <= 660
    certified = found["flowpoint_invoices_certified"]
    assert certified.type == "counter" and sample(certified, "flowpoint_invoices_certified_total") == 3
    assert sample(found["flowpoint_invoices_failed"], "flowpoint_invoices_failed_total") == 1

    latency = found["flowpoint_nrs_call_duration_seconds"]
    assert latency.type == "histogram"
    name = "flowpoint_nrs_call_duration_seconds"

    def buckets(**labels):
        return {
            s.labels["le"]: s.value
            for s in latency.samples
            if s.name == name + "_bucket" and {k: v for k, v in s.labels.items() if k != "le"} == labels
        }

    # 40, 100, 300 and 2000 ms: a call of exactly 100 ms is in the 0.1 s bucket (le: less than or equal).
    assert buckets(endpoint="sign", outcome="ok") == {
        "0.05": 1,
        "0.1": 2,
        "0.25": 2,
        "0.5": 3,
        "1.0": 3,
        "2.5": 4,
        "5.0": 4,
        "10.0": 4,
        "30.0": 4,
        "+Inf": 4,
    }
    assert sample(latency, name + "_count", endpoint="sign", outcome="ok") == 4
    assert sample(latency, name + "_sum", endpoint="sign", outcome="ok") == pytest.approx(2.44)
    slow = buckets(endpoint="validate", outcome="transient")
    assert (slow["10.0"], slow["30.0"], slow["+Inf"]) == (0, 1, 2)
    assert sample(latency, name + "_sum", endpoint="validate", outcome="transient") == pytest.approx(75.0)
    assert buckets(endpoint="validate", outcome="rejected")["0.25"] == 1

    assert sample(found["flowpoint_nrs_host_circuit_open"], host="https://nrs.example") == 1
    assert sample(found["flowpoint_nrs_host_circuit_open"], host="https://sandbox.example/nrs") == 0
    assert sample(found["flowpoint_nrs_host_limit"], host="https://nrs.example") == 12
    assert sample(found["flowpoint_nrs_host_paused"], host="https://nrs.example") == 1
    assert sample(found["flowpoint_nrs_host_paused"], host="https://sandbox.example/nrs") == 0
    assert sample(found["flowpoint_nrs_host_failures"], host="https://nrs.example") == 7
    # Platform totals: no label or value names a business.
    assert tenant.name not in text and other_tenant.name not in text and str(tenant.pk) not in text


def test_metrics_of_an_empty_platform_are_zeros_not_missing(client, token):
    found = families(scrape(client))
    assert sample(found["flowpoint_nrs_queue_depth"]) == 0
    assert sample(found["flowpoint_nrs_queue_oldest_age_seconds"]) == 0
    assert sample(found["flowpoint_invoices_certified"], "flowpoint_invoices_certified_total") == 0
    assert found["flowpoint_nrs_call_duration_seconds"].samples == []


def test_metrics_are_off_without_a_token_in_the_environment(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", headers={"Authorization": "Bearer "})
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain") and response.content == b"Not found.\n"


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer wrong-token-0123456789abcdef", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN],
)
def test_metrics_refuse_a_missing_or_wrong_token_with_a_plain_401(client, token, header):
    response = client.get("/metrics", headers={"Authorization": header} if header is not None else {})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert response["Content-Type"].startswith("text/plain") and b"<html" not in response.content.lower()
    assert response.content == b"Unauthorized: send Authorization: Bearer <METRICS_TOKEN>.\n"


def test_a_signed_in_admin_is_no_scraper(client, tenant, token):
    client.force_login(member(tenant, "admin"))
    assert client.get("/metrics").status_code == 401


def test_the_scrape_needs_no_session_and_no_csrf_token(token):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert strict.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 405  # not 403


def test_a_short_token_is_refused_at_start():
    from tests.test_settings_and_health import _run

    result = _run(["manage.py", "check"], METRICS_TOKEN="short")
    assert result.returncode != 0 and "METRICS_TOKEN must be at least 16 characters" in result.stderr
