"""Settings → Webhooks in the portal: create with a generated secret shown once, edit, rotate, pause and
re-enable, test event, delivery log with redelivery, and who may see it."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from integrations.webhooks.delivery import delivery_attempt
from integrations.webhooks.models import WebhookDelivery, WebhookEndpoint
from integrations.webhooks.services import webhook_emit
from tests.conftest import member
from tests.webhooks.support import SECRET, deliveries, expected_hex, make_endpoint, make_invoice

PAGE = "/settings/webhooks/"


@pytest.fixture
def admin(client, ready_tenant, receiver):
    client.force_login(member(ready_tenant, "admin"))
    return client


def endpoint_of(tenant):
    with scope(tenant=tenant):
        return WebhookEndpoint.objects.get()


def test_register_with_a_generated_secret_shown_exactly_once(admin, ready_tenant, receiver):
    page = admin.get(PAGE).content.decode()
    assert "Register your endpoint" in page and "Generate a strong secret" in page
    response = admin.post(
        PAGE, {"url": receiver.url, "events": ["invoice.certified", "invoice.failed"], "generate": "on"}
    )
    assert response.status_code == 302
    endpoint = endpoint_of(ready_tenant)
    assert endpoint.events == ["invoice.certified", "invoice.failed"] and len(endpoint.secret) >= 40
    first = admin.get(PAGE).content.decode()
    assert endpoint.secret in first and "shown only once" in first
    again = admin.get(PAGE).content.decode()
    assert endpoint.secret not in again and receiver.url in again


def test_form_errors_say_what_to_fix(admin, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    page = admin.post(PAGE, {"url": "http://93.184.216.34/x", "events": ["invoice.certified"]}).content.decode()
    assert "Use an https:// URL" in page
    assert 'name="secret"' in page and "Leave it empty and Flowpoint generates one." in page  # empty is no mistake
    page = admin.post(PAGE, {"url": "https://10.0.0.1/x", "events": ["invoice.certified"], "secret": "s" * 20})
    assert "a private, loopback or link-local address" in page.content.decode()
    assert "s" * 20 not in page.content.decode()  # a typed secret is never rendered back
    assert not WebhookEndpoint.objects.with_scopes_disabled().exists()


def test_the_page_shows_deliveries_with_attempts_and_redelivers(
    admin, ready_tenant, receiver, django_capture_on_commit_callbacks, queue_inline
):
    make_endpoint(ready_tenant, receiver.url)
    receiver.statuses = [503]
    receiver.response_body = b"upstream busy"
    with django_capture_on_commit_callbacks(execute=False):
        event = webhook_emit(invoice=make_invoice(ready_tenant), kind="invoice.certified")
    (delivery,) = deliveries(ready_tenant)
    delivery_attempt(delivery.pk)
    page = admin.get(PAGE).content.decode()
    assert event.id in page and "INV-2026-001" in page
    assert "Pending" in page and "Show 1 attempt" in page and "upstream busy" in page and ">503<" in page
    assert SECRET not in page

    # The retry is not due: nothing to redeliver. Once it has failed for good, one click sends it again.
    with scopes_disabled():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(state="failed", next_attempt_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/settings/webhooks/deliveries/{delivery.pk}/redeliver/", follow=True)
    assert "queued for redelivery" in response.content.decode()
    assert receiver.bodies[-1]["id"] == event.id and len(receiver.requests) == 2
    page = admin.get(PAGE).content.decode()
    assert "Succeeded" in page and "Show 2 attempts" in page


def test_redeliver_every_failed_delivery_in_a_period(
    admin, ready_tenant, receiver, django_capture_on_commit_callbacks, queue_inline
):
    make_endpoint(ready_tenant, receiver.url)
    now = timezone.now()
    ids = []
    with django_capture_on_commit_callbacks(execute=False):
        for n, hours in enumerate((30, 5, 1)):
            invoice = make_invoice(ready_tenant, document_number=f"P-{n}")
            ids.append(webhook_emit(invoice=invoice, kind="invoice.certified", now=now - timedelta(hours=hours)).id)
    with scopes_disabled():
        WebhookDelivery.objects.update(state="failed", next_attempt_at=None)
    start = timezone.localtime(now - timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M")
    end = timezone.localtime(now).strftime("%Y-%m-%dT%H:%M")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/settings/webhooks/deliveries/redeliver-failed/", {"start": start, "end": end}, follow=True
        )
    assert "2 failed deliveries queued again" in response.content.decode()
    assert sorted(b["id"] for b in receiver.bodies) == sorted(ids[1:])
    response = admin.post("/settings/webhooks/deliveries/redeliver-failed/", {"start": end, "end": start}, follow=True)
    assert "The end must be after the start" in response.content.decode()


def test_edit_rotate_pause_reenable_test_and_delete(
    admin, ready_tenant, receiver, django_capture_on_commit_callbacks, queue_inline
):
    make_endpoint(ready_tenant, receiver.url)
    response = admin.post("/settings/webhooks/edit/", {"url": receiver.url + "/v2", "events": ["invoice.failed"]})
    assert response.status_code == 302
    endpoint = endpoint_of(ready_tenant)
    assert endpoint.url.endswith("/v2") and endpoint.events == ["invoice.failed"] and endpoint.secret == SECRET

    new = "typed-rotation-secret-123456"
    assert admin.post("/settings/webhooks/rotate/", {"secret": new}).status_code == 302
    endpoint = endpoint_of(ready_tenant)
    assert endpoint.secret == new and endpoint.previous_secret == SECRET
    page = admin.get("/settings/webhooks/").content.decode()
    assert "rotating: the previous secret also signs until" in page and new not in page and SECRET not in page

    admin.post("/settings/webhooks/pause/")
    page = admin.get(PAGE).content.decode()
    assert "Paused" in page and "Re-enable" in page and "Nothing is being sent" in page

    # The test event goes out even while paused, signed with the current secret.
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post("/settings/webhooks/test/", follow=True)
    assert "type webhook.test" in response.content.decode()
    test = receiver.requests[-1]
    assert receiver.bodies[-1]["type"] == "webhook.test" and receiver.bodies[-1]["data"]["test"] is True
    assert test["headers"]["x-flowpoint-signature"] == expected_hex(test["body"], new)
    assert test["headers"]["x-flowpoint-signature-previous"] == expected_hex(test["body"], SECRET)

    admin.post("/settings/webhooks/enable/")
    assert endpoint_of(ready_tenant).active is True

    confirm = admin.get("/settings/webhooks/delete/").content.decode()
    assert "Delete the webhook endpoint?" in confirm
    admin.post("/settings/webhooks/delete/")
    assert not WebhookEndpoint.objects.with_scopes_disabled().exists()


def test_only_admins_see_the_page_and_never_another_tenants(client, ready_tenant, other_tenant, receiver):
    endpoint = make_endpoint(ready_tenant, receiver.url)
    client.force_login(member(ready_tenant, "clerk"))
    for path in (PAGE, "/settings/webhooks/edit/", "/settings/webhooks/rotate/", "/settings/webhooks/delete/"):
        assert client.get(path).status_code == 403
    assert client.post("/settings/webhooks/pause/").status_code == 403
    assert endpoint_of(ready_tenant).active is True

    client.force_login(member(other_tenant, "admin"))
    page = client.get(PAGE).content.decode()
    assert receiver.url not in page and "Register your endpoint" in page
    assert client.post("/settings/webhooks/pause/").status_code == 404
    assert client.post(f"/settings/webhooks/deliveries/{endpoint.pk}/redeliver/").status_code == 404


def test_no_secret_on_any_page(admin, ready_tenant, receiver, django_capture_on_commit_callbacks):
    make_endpoint(ready_tenant, receiver.url)
    with django_capture_on_commit_callbacks(execute=False):
        webhook_emit(invoice=make_invoice(ready_tenant), kind="invoice.certified")
    delivery_attempt(deliveries(ready_tenant)[0].pk)
    for path in (
        PAGE,
        PAGE + "?state=succeeded",
        "/settings/webhooks/deliveries/",
        "/settings/webhooks/edit/",
        "/settings/webhooks/rotate/",
        "/settings/webhooks/delete/",
    ):
        html = admin.get(path).content.decode()
        assert SECRET not in html, path
        assert not re.search(r'name="secret"[^>]*value=', html)
