"""The admin API for webhooks: shapes, validation, one endpoint per tenant, who may call it, and URL rules."""

import pytest
from django.db import connection
from django_scopes import scope, scopes_disabled
from rest_framework.test import APIClient

from integrations.webhooks import safety
from integrations.webhooks.models import WebhookEndpoint
from integrations.webhooks.services import webhook_emit
from portal.crypto import decrypt
from tenants import services as tenant_services
from tenants.models import AuditEvent
from tests.conftest import member
from tests.factories import PASSWORD
from tests.webhooks.support import SECRET, deliveries, make_endpoint, make_invoice

BASE = "/api/v1/integrations/webhooks"


@pytest.fixture
def admin_api(tenant, receiver):
    api = APIClient()
    api.login(email=member(tenant, "admin").email, password=PASSWORD)
    return api


def create(api, **overrides):
    return api.post(
        BASE,
        {"url": overrides.pop("url"), "events": ["invoice.certified"], "secret": SECRET, **overrides},
        format="json",
    )


def test_create_read_update_delete(admin_api, receiver, tenant):
    response = create(admin_api, url=receiver.url, events=["invoice.failed", "invoice.certified", "invoice.failed"])
    assert response.status_code == 201, response.content
    created = response.json()
    pk = created["id"]
    assert created["url"] == receiver.url
    assert created["events"] == ["invoice.certified", "invoice.failed"]  # known order, no duplicates
    assert created["active"] is True and created["secretSet"] is True and created["secretRotatingUntil"] is None
    assert "secret" not in created

    listed = admin_api.get(BASE).json()
    assert listed["total"] == 1 and listed["limit"] == 50 and listed["offset"] == 0
    assert listed["items"][0]["id"] == pk

    response = admin_api.patch(f"{BASE}/{pk}", {"events": ["invoice.payment_updated"], "active": False}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["events"] == ["invoice.payment_updated"] and response.json()["active"] is False
    assert response.json()["pausedReason"].startswith("Paused by")

    response = admin_api.patch(f"{BASE}/{pk}", {"secret": "rotated-secret-abcdefghij"}, format="json")
    assert response.json()["secretRotatingUntil"] is not None

    assert admin_api.delete(f"{BASE}/{pk}").status_code == 204
    assert admin_api.get(f"{BASE}/{pk}").status_code == 404
    with scope(tenant=tenant):
        kinds = list(AuditEvent.objects.order_by("created_at", "id").values_list("kind", flat=True))
    assert kinds == [
        "webhook.created",
        "webhook.updated",
        "webhook.paused",
        "webhook.secret_rotated",
        "webhook.deleted",
    ]
    with scope(tenant=tenant):
        rotated = AuditEvent.objects.get(kind="webhook.secret_rotated")
    assert rotated.changes == {"secret": "changed"} and SECRET not in str(rotated.__dict__)


def test_a_second_endpoint_is_a_409(admin_api, receiver):
    assert create(admin_api, url=receiver.url).status_code == 201
    response = create(admin_api, url=receiver.url + "/2")
    assert response.status_code == 409
    assert "one callback URL per business" in response.json()["error"] and response.json()["code"] == "webhook_exists"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"secret": None}, "secret", "required"),
        ({"secret": "short"}, "secret", "at least 16"),
        ({"secret": " padded-secret-0123456789 "}, "secret", "spaces"),
        ({"events": []}, "events", "at least one"),
        ({"events": ["invoice.deleted"]}, "events", "Unknown event type 'invoice.deleted'"),
        ({"events": "invoice.certified"}, "events", "at least one"),
        ({"active": "yes"}, "active", "true or false"),
        ({"url": "ftp://erp.example.ng/x"}, "url", "https://"),
        ({"colour": "red"}, "colour", "unknown field"),
    ],
)
def test_invalid_bodies_are_400_with_fields(admin_api, receiver, change, field, words):
    body = {"url": receiver.url, "events": ["invoice.certified"], "secret": SECRET, **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = admin_api.post(BASE, body, format="json")
    assert response.status_code == 400
    data = response.json()
    assert words in data["fields"][field] and data["error"]


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://93.184.216.34/hook", "Use an https:// URL"),
        ("https://127.0.0.1/hook", "127.0.0.1, a private, loopback or link-local address"),
        ("https://localhost:8443/hook", "loopback"),
        ("https://10.1.2.3/hook", "10.1.2.3, a private"),
        ("https://192.168.0.10/hook", "192.168.0.10, a private"),
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254, a private, loopback or link-local"),
        ("https://[::1]/hook", "::1, a private"),
        ("https://internal.example.ng/hook", "10.0.0.7, a private"),
        ("https://nowhere.invalid/hook", "could not be found (DNS)"),
        ("https://user:pw@erp.example.ng/hook", "Leave user names and passwords out"),
        ("erp.example.ng/hook", "starting with https://"),
    ],
)
def test_url_rules(admin_api, settings, monkeypatch, url, words):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    real = safety.resolve

    def resolve(host, port):
        if host == "internal.example.ng":
            return ["10.0.0.7"]
        if host.endswith(".invalid"):
            import socket

            raise socket.gaierror("not found")
        return real(host, port)

    monkeypatch.setattr(safety, "resolve", resolve)
    response = create(admin_api, url=url)
    assert response.status_code == 400, response.content
    assert words in response.json()["fields"]["url"]


def test_public_https_and_allowed_hosts_are_accepted(admin_api, settings, receiver):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    assert safety.url_problem("https://93.184.216.34/hooks") is None  # a public address, no DNS needed
    assert "https://" in safety.url_problem(receiver.url)
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    assert safety.url_problem(receiver.url) is None  # plain http to a host the operator allows
    assert create(admin_api, url=receiver.url).status_code == 201


def test_api_keys_clerks_and_strangers_are_refused(tenant, receiver):
    endpoint = make_endpoint(tenant, receiver.url)
    routes = [
        ("get", BASE),
        ("post", BASE),
        ("get", f"{BASE}/{endpoint.pk}"),
        ("patch", f"{BASE}/{endpoint.pk}"),
        ("delete", f"{BASE}/{endpoint.pk}"),
        ("get", f"{BASE}/{endpoint.pk}/deliveries"),
        ("post", f"{BASE}/{endpoint.pk}/deliveries/1/redeliver"),
    ]
    with scope(tenant=tenant):
        _row, key = tenant_services.api_key_create(tenant=tenant, name="ERP")
    clerk = APIClient()
    clerk.login(email=member(tenant, "clerk").email, password=PASSWORD)
    anonymous = APIClient()
    for method, path in routes:
        response = getattr(APIClient(), method)(path, {"active": True}, format="json", headers={"X-Flowpoint-Key": key})
        assert response.status_code == 403 and "API keys cannot use admin routes" in response.json()["error"], path
        response = getattr(clerk, method)(path, {"active": True}, format="json")
        assert response.status_code == 403 and "Only admins" in response.json()["error"], path
        assert getattr(anonymous, method)(path, {}, format="json").status_code in (401, 403)
    assert WebhookEndpoint.objects.with_scopes_disabled().get().active is True


def test_another_tenants_admin_gets_404_on_the_first_tenants_ids(
    tenant, other_tenant, receiver, django_capture_on_commit_callbacks, key_file
):
    from tests.factories import make_ready

    make_ready(tenant, key_file)
    endpoint = make_endpoint(tenant, receiver.url)
    with django_capture_on_commit_callbacks(execute=False):
        webhook_emit(invoice=make_invoice(tenant), kind="invoice.certified")
    (delivery,) = deliveries(tenant)
    stranger = APIClient()
    stranger.login(email=member(other_tenant, "admin").email, password=PASSWORD)
    for method, path in [
        ("get", f"{BASE}/{endpoint.pk}"),
        ("patch", f"{BASE}/{endpoint.pk}"),
        ("delete", f"{BASE}/{endpoint.pk}"),
        ("get", f"{BASE}/{endpoint.pk}/deliveries"),
        ("post", f"{BASE}/{endpoint.pk}/deliveries/{delivery.pk}/redeliver"),
    ]:
        response = getattr(stranger, method)(path, {"active": False}, format="json")
        assert response.status_code == 404, f"{method} {path}: {response.status_code}"
    assert stranger.get(BASE).json()["items"] == []
    # Their own endpoint cannot reach the first tenant's delivery either.
    theirs = make_endpoint(other_tenant, receiver.url + "/b")
    assert stranger.post(f"{BASE}/{theirs.pk}/deliveries/{delivery.pk}/redeliver").status_code == 404
    with scopes_disabled():
        assert WebhookEndpoint.objects.get(pk=endpoint.pk).active is True


def test_deliveries_list_newest_first_with_attempts(
    admin_api, tenant, receiver, key_file, django_capture_on_commit_callbacks
):
    from integrations.webhooks.delivery import delivery_attempt
    from tests.factories import make_ready

    make_ready(tenant, key_file)
    endpoint = make_endpoint(tenant, receiver.url)
    receiver.statuses = [500]
    receiver.response_body = b"busy"
    with django_capture_on_commit_callbacks(execute=False):
        first = webhook_emit(invoice=make_invoice(tenant, document_number="A-1"), kind="invoice.certified")
        second = webhook_emit(
            invoice=make_invoice(tenant, document_number="A-2", status="FAILED"), kind="invoice.failed"
        )
    for d in deliveries(tenant):
        delivery_attempt(d.pk)
    page = admin_api.get(f"{BASE}/{endpoint.pk}/deliveries").json()
    assert page["total"] == 2 and [i["eventId"] for i in page["items"]] == [second.id, first.id]
    older = page["items"][1]
    assert older["state"] == "pending" and older["attemptCount"] == 1 and older["lastStatus"] == 500
    assert older["attempts"][0]["statusCode"] == 500 and older["attempts"][0]["responseExcerpt"] == "busy"
    assert older["attempts"][0]["durationMs"] >= 0 and older["nextAttemptAt"]
    assert page["items"][0]["state"] == "succeeded" and page["items"][0]["type"] == "invoice.failed"
    only_pending = admin_api.get(f"{BASE}/{endpoint.pk}/deliveries?state=pending").json()
    assert [i["eventId"] for i in only_pending["items"]] == [first.id]
    assert admin_api.get(f"{BASE}/{endpoint.pk}/deliveries?state=lost").status_code == 400
    assert admin_api.get(f"{BASE}/{endpoint.pk}/deliveries?limit=500").status_code == 400
    # A delivery waiting for its retry is not redelivered on top of it.
    response = admin_api.post(f"{BASE}/{endpoint.pk}/deliveries/{older['id']}/redeliver")
    assert response.status_code == 409 and "already being sent" in response.json()["error"]


def test_no_secret_in_any_api_response_and_encrypted_at_rest(
    admin_api, tenant, receiver, key_file, django_capture_on_commit_callbacks
):
    from integrations.webhooks.delivery import delivery_attempt
    from tests.factories import make_ready

    make_ready(tenant, key_file)
    new_secret = "second-secret-zyxwvutsrqpo"
    bodies = [create(admin_api, url=receiver.url, events=["invoice.certified"]).content]
    pk = WebhookEndpoint.objects.with_scopes_disabled().get().pk
    bodies.append(admin_api.patch(f"{BASE}/{pk}", {"secret": new_secret}, format="json").content)
    with django_capture_on_commit_callbacks(execute=False):
        webhook_emit(invoice=make_invoice(tenant), kind="invoice.certified")
    (delivery,) = deliveries(tenant)
    delivery_attempt(delivery.pk)
    bodies += [
        admin_api.get(BASE).content,
        admin_api.get(f"{BASE}/{pk}").content,
        admin_api.get(f"{BASE}/{pk}/deliveries").content,
        admin_api.post(f"{BASE}/{pk}/deliveries/{delivery.pk}/redeliver").content,
        admin_api.patch(f"{BASE}/{pk}", {"secret": "x"}, format="json").content,  # a 400 does not echo it
        admin_api.patch(f"{BASE}/{pk}", {"url": receiver.url + "/v2"}, format="json").content,
    ]
    for raw in bodies:
        text = raw.decode()
        assert SECRET not in text and new_secret not in text
    assert receiver.requests and all(SECRET not in r["body"].decode() for r in receiver.requests)

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret, previous_secret FROM webhooks_webhookendpoint WHERE id = %s", [pk])
        raw_secret, raw_previous = cursor.fetchone()
    assert new_secret not in raw_secret and SECRET not in raw_previous
    assert decrypt(raw_secret) == new_secret and decrypt(raw_previous) == SECRET
