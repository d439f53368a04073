"""Emission and delivery against a real HTTP receiver on loopback: signatures, the retry schedule on a
controlled clock, the auto-pause, held events, re-enabling, redelivery, idempotent tasks and refused targets."""

import json
import re
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_q.models import Schedule
from django_scopes import scope, scopes_disabled

from integrations.webhooks import delivery as delivery_module
from integrations.webhooks import safety, services, tasks
from integrations.webhooks.delivery import delivery_attempt
from integrations.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from integrations.webhooks.services import webhook_emit
from invoicing import tasks as invoicing_tasks
from invoicing.models import Invoice
from invoicing.services import Actor, invoice_create
from tests.conftest import member
from tests.webhooks.support import (
    SECRET,
    body,
    deliveries,
    expected_hex,
    make_endpoint,
    make_invoice,
    standard_ok,
)

TASK = "integrations.webhooks.tasks.deliver"
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def reload(obj):
    with scopes_disabled():
        return type(obj).objects.get(pk=obj.pk)


def fresh(request) -> bool:
    return abs(time.time() * 1000 - json.loads(request["body"])["timestamp"]) < 5 * 60 * 1000


# --- the real path: an invoice certified by the sandbox -------------------------------------------------


@pytest.mark.usefixtures("queue_inline")
def test_a_certified_invoice_produces_one_signed_delivery(connected_tenant, receiver):
    make_endpoint(connected_tenant, receiver.url, events=["invoice.certified", "invoice.failed"])
    invoice = invoice_create(tenant=connected_tenant, data=body(), actor=Actor())
    with scopes_disabled():
        invoice = Invoice.objects.get(pk=invoice.pk)
    if invoice.status == "PENDING":  # the submission task ran after commit only if the queue did
        invoicing_tasks.submit_invoice(str(invoice.pk))
        invoice.refresh_from_db()
    assert invoice.status == "CERTIFIED"
    with scopes_disabled():
        emitted = WebhookEvent.objects.filter(invoice_id=invoice.pk, type="invoice.certified").exists()
    if not emitted:  # until invoicing.services.event() calls webhook_emit on commit
        webhook_emit(invoice=invoice, kind="invoice.certified")

    assert receiver.wait_for(1, timeout=5)
    time.sleep(0.2)
    assert len(receiver.requests) == 1, "exactly one delivery"
    request = receiver.requests[0]
    headers, raw = request["headers"], request["body"]
    assert request["method"] == "POST" and request["path"] == "/hooks/flowpoint"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Flowpoint-Webhooks/1"
    assert headers["x-flowpoint-signature"] == expected_hex(raw)
    assert re.fullmatch(r"[0-9a-f]{64}", headers["x-flowpoint-signature"])
    assert "x-flowpoint-signature-previous" not in headers
    assert standard_ok(request)
    assert not standard_ok(request, secret="another-secret-0123456789")
    event = json.loads(raw)
    assert list(event) == ["id", "type", "status", "source", "timestamp", "emittedAt", "data"]
    assert event["id"].startswith("evt_") and headers["webhook-id"] == event["id"]
    assert (event["type"], event["status"], event["source"]) == ("invoice.certified", "certified", "nrs.transmit")
    assert fresh(request) and abs(int(headers["webhook-timestamp"]) - event["timestamp"] / 1000) < 1
    assert ISO_MS.match(event["emittedAt"])
    data = event["data"]
    assert data["invoiceId"] == str(invoice.pk) and data["irn"] == invoice.irn
    assert data["documentNumber"] == "INV-2026-001" and data["invoiceKind"] == "B2B"
    assert data["invoiceType"] == "invoice" and data["status"] == "CERTIFIED"
    assert data["issueDate"] == "2026-04-25" and data["currency"] == "NGN"
    assert data["totals"] == {
        "lineExtensionAmount": "50000.00",
        "taxAmount": "3750.00",
        "payableAmount": "53750.00",
        "amountPaid": "0.00",
        "amountDue": "53750.00",
    }
    assert data["paymentStatus"] == "UNPAID" and data["paymentReported"] is False
    assert data["customer"] == {"name": "Acme Ltd", "tin": "12345678-0001"}
    (row,) = deliveries(connected_tenant)
    assert row.state == "succeeded" and row.attempts == 1 and row.last_status == 204


@pytest.mark.usefixtures("queue_inline")
def test_the_invoice_pipeline_emits_its_own_events(connected_tenant, receiver):
    """Once invoicing.services.event() calls webhook_emit on commit: pending then certified, with no help."""
    make_endpoint(connected_tenant, receiver.url)
    invoice = invoice_create(tenant=connected_tenant, data=body(), actor=Actor())
    with scopes_disabled():
        invoice = Invoice.objects.get(pk=invoice.pk)
    if invoice.status == "PENDING":
        invoicing_tasks.submit_invoice(str(invoice.pk))
    assert receiver.wait_for(2, timeout=5)
    assert [(b["type"], b["status"], b["data"]["invoiceId"]) for b in receiver.bodies] == [
        ("invoice.pending", "pending", str(invoice.pk)),
        ("invoice.certified", "certified", str(invoice.pk)),
    ]


def test_event_types_statuses_and_data(ready_tenant, receiver, django_capture_on_commit_callbacks):
    make_endpoint(ready_tenant, receiver.url, events=["invoice.failed", "invoice.payment_updated"])
    failed = make_invoice(ready_tenant, "FAILED", document_number="F-1")
    reported = make_invoice(ready_tenant, "REPORTED", document_number="C-1", invoice_kind="B2C")
    with django_capture_on_commit_callbacks(execute=True):
        webhook_emit(invoice=failed, kind="invoice.failed")
        webhook_emit(invoice=reported, kind="invoice.payment_updated")
        assert webhook_emit(invoice=reported, kind="invoice.reported").type == "invoice.certified"  # not subscribed
        assert webhook_emit(invoice=reported, kind="nrs.sign") is None  # not a webhook event
    ids = [d.pk for d in deliveries(ready_tenant)]
    assert len(ids) == 2
    for delivery_id in ids:
        delivery_attempt(delivery_id)
    first, second = receiver.bodies
    assert (first["type"], first["status"], first["source"]) == ("invoice.failed", "failed", "nrs.submit")
    assert first["data"]["nrsError"] == {
        "reason": "NRS_REJECTED",
        "details": "buyer TIN 12345678-0001 is not registered",
    }
    assert first["data"]["status"] == "FAILED"
    # The root status is one of the spec's three words; the lifecycle status (REPORTED) is in data.
    assert (second["type"], second["status"], second["source"]) == (
        "invoice.payment_updated",
        "certified",
        "payment.update",
    )
    assert "nrsError" not in second["data"]
    with scope(tenant=ready_tenant):
        assert WebhookEvent.objects.count() == 3  # every event is recorded, subscribed or not


def test_events_are_recorded_without_an_endpoint(ready_tenant):
    invoice = make_invoice(ready_tenant)
    event = webhook_emit(invoice=invoice, kind="invoice.certified")
    with scope(tenant=ready_tenant):
        assert WebhookEvent.objects.get().pk == event.pk
        assert not WebhookDelivery.objects.exists()


# --- the retry schedule, the auto-pause, held events, re-enabling ------------------------------------


def _drive_to_pause(tenant, receiver, capture, t0):
    """A receiver that always fails: five attempts at t0, +5, +10 (+15), +20 (+35), +40 (+75) seconds."""
    receiver.status = 500
    receiver.response_body = b'{"error": "database is down"}'
    endpoint = make_endpoint(tenant, receiver.url)
    invoice = make_invoice(tenant)
    event = webhook_emit(invoice=invoice, kind="invoice.certified", now=t0)
    (delivery,) = deliveries(tenant)
    now = t0
    outcomes, waits = [], []
    for _ in range(5):
        with capture(execute=True):
            outcomes.append(delivery_attempt(delivery.pk, now=now))
        delivery = reload(delivery)
        if delivery.next_attempt_at:
            waits.append((delivery.next_attempt_at - now).total_seconds())
            with scopes_disabled():
                assert Schedule.objects.filter(func=TASK, next_run=delivery.next_attempt_at).count() == 1
            # Not due yet: a task arriving early sends nothing.
            assert delivery_attempt(delivery.pk, now=delivery.next_attempt_at - timedelta(seconds=1)) == "skipped"
            now = delivery.next_attempt_at
    return endpoint, event, delivery, outcomes, waits, now


def test_a_failing_receiver_pauses_the_endpoint_after_exactly_five_attempts(
    ready_tenant, receiver, django_capture_on_commit_callbacks
):
    admin = member(ready_tenant, "admin", email="ada@kola.ng")
    member(ready_tenant, "admin", email="bola@kola.ng")
    member(ready_tenant, "clerk", email="clerk@kola.ng")
    t0 = timezone.now()
    mail.outbox.clear()
    endpoint, event, delivery, outcomes, waits, last = _drive_to_pause(
        ready_tenant, receiver, django_capture_on_commit_callbacks, t0
    )
    assert outcomes == ["retry", "retry", "retry", "retry", "paused"]
    assert waits == [5, 10, 20, 40]
    assert len(receiver.requests) == 5
    assert {b["id"] for b in receiver.bodies} == {event.id}
    assert delivery.state == "failed" and delivery.attempts == 5 and delivery.last_status == 500
    with scopes_disabled():
        attempts = list(WebhookAttempt.objects.filter(delivery=delivery))
    assert [a.number for a in attempts] == [1, 2, 3, 4, 5]
    assert [a.started_at for a in attempts] == [t0 + timedelta(seconds=s) for s in (0, 5, 15, 35, 75)]
    assert all(a.status_code == 500 and "2xx" in a.error for a in attempts)
    assert attempts[0].response_excerpt == '{"error": "database is down"}'

    endpoint = reload(endpoint)
    assert endpoint.active is False and endpoint.paused_at == last
    assert "5 attempts" in endpoint.paused_reason and "HTTP 500" in endpoint.paused_reason
    # The admins are notified (tenants/notifications.py): under the bell, and each by an e-mail task, once.
    from tenants.models import Notification
    from tenants.notifications import send_notification_email

    with scopes_disabled():
        notices = list(Notification.objects.filter(kind="webhook_paused"))
    assert sorted(n.user.email for n in notices) == ["ada@kola.ng", "bola@kola.ng"]
    for _run in range(2):  # a retried task sends nothing more
        for notice in notices:
            send_notification_email(notice.pk)
    assert sorted(address for message in mail.outbox for address in message.to) == ["ada@kola.ng", "bola@kola.ng"]
    assert admin.email in mail.outbox[0].to or admin.email in mail.outbox[1].to
    for message in mail.outbox:
        assert receiver.url in message.subject
        assert receiver.url in message.body and "HTTP 500" in message.body and "Re-enable" in message.body
        assert SECRET not in message.body and SECRET not in message.alternatives[0][0]
    with scope(tenant=ready_tenant):
        from tenants.models import AuditEvent

        assert AuditEvent.objects.filter(kind="webhook.paused").count() == 1

    # A sixth try, even much later, sends nothing.
    assert delivery_attempt(delivery.pk, now=last + timedelta(hours=1)) == "skipped"
    assert len(receiver.requests) == 5


def test_events_are_held_while_paused_and_sent_when_re_enabled(
    ready_tenant, receiver, django_capture_on_commit_callbacks, queue_inline, client
):
    t0 = timezone.now() - timedelta(minutes=5)
    endpoint, _event, failed, *_ = _drive_to_pause(ready_tenant, receiver, django_capture_on_commit_callbacks, t0)
    receiver.status = 204
    receiver.response_body = b""
    invoice = make_invoice(ready_tenant, document_number="INV-HELD")
    with django_capture_on_commit_callbacks(execute=True):
        held_event = webhook_emit(invoice=invoice, kind="invoice.certified")
    held = reload(WebhookDelivery.objects.with_scopes_disabled().get(event=held_event))
    assert held.state == "held" and held.attempts == 0
    assert delivery_attempt(held.pk) == "skipped"
    # A retry that became due while paused (its attempt was in flight when the endpoint paused) is held too.
    with django_capture_on_commit_callbacks(execute=False):
        in_flight = webhook_emit(
            invoice=make_invoice(ready_tenant, document_number="INV-FLIGHT"), kind="invoice.failed"
        )
    with scopes_disabled():
        WebhookDelivery.objects.filter(event=in_flight).update(state="pending", next_attempt_at=timezone.now())
        in_flight = WebhookDelivery.objects.get(event=in_flight)
    assert delivery_attempt(in_flight.pk) == "held" and reload(in_flight).state == "held"
    assert len(receiver.requests) == 5  # nothing sent while inactive

    client.force_login(member(ready_tenant, "admin"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(
            f"/api/v1/integrations/webhooks/{endpoint.pk}", {"active": True}, content_type="application/json"
        )
    assert response.status_code == 200 and response.json()["active"] is True
    assert len(receiver.requests) == 7
    assert {b["id"] for b in receiver.bodies[-2:]} == {held_event.id, in_flight.event_id}
    assert reload(held).state == "succeeded" and reload(in_flight).state == "succeeded"
    assert reload(failed).state == "failed"  # a delivery that failed 5 times is sent again only on request

    # Redelivery: the same event id, new attempts, a fresh timestamp.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/integrations/webhooks/{endpoint.pk}/deliveries/{failed.pk}/redeliver")
    assert response.status_code == 202, response.content
    assert len(receiver.requests) == 8
    redelivered = receiver.requests[-1]
    assert json.loads(redelivered["body"])["id"] == failed.event_id == receiver.bodies[0]["id"]
    assert fresh(redelivered) and redelivered["headers"]["x-flowpoint-signature"] == expected_hex(redelivered["body"])
    failed = reload(failed)
    assert failed.state == "succeeded" and failed.attempts == 6


def test_a_task_run_twice_sends_once(ready_tenant, receiver, django_capture_on_commit_callbacks):
    make_endpoint(ready_tenant, receiver.url)
    with django_capture_on_commit_callbacks(execute=False):
        webhook_emit(invoice=make_invoice(ready_tenant), kind="invoice.certified")
    (delivery,) = deliveries(ready_tenant)
    assert tasks.deliver(delivery.pk) == "succeeded"
    assert tasks.deliver(delivery.pk) == "skipped"
    assert len(receiver.requests) == 1

    # A failed attempt: the duplicate finds the retry not yet due.
    receiver.status = 503
    with django_capture_on_commit_callbacks(execute=False):
        webhook_emit(invoice=make_invoice(ready_tenant, document_number="INV-2"), kind="invoice.certified")
    second = deliveries(ready_tenant)[-1]
    now = timezone.now()
    assert delivery_attempt(second.pk, now=now) == "retry"
    assert delivery_attempt(second.pk, now=now) == "skipped"
    assert len(receiver.requests) == 2


def test_two_workers_racing_for_one_attempt_send_once(live_server, ready_tenant, receiver):
    """Committed rows (live_server: a transactional test, run with the other flushing ones) and two threads that
    run the same task at the same moment, each on its own database connection."""
    from django.db import connection

    make_endpoint(ready_tenant, receiver.url)
    webhook_emit(invoice=make_invoice(ready_tenant), kind="invoice.certified")
    (delivery,) = deliveries(ready_tenant)
    receiver.delay = 0.2
    barrier, results = threading.Barrier(2), []

    def worker():
        barrier.wait()
        try:
            results.append(delivery_attempt(delivery.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert sorted(results) == ["skipped", "succeeded"]
    assert len(receiver.requests) == 1


def test_the_sweeper_frees_a_delivery_whose_worker_died(ready_tenant, receiver, django_capture_on_commit_callbacks):
    make_endpoint(ready_tenant, receiver.url)
    with django_capture_on_commit_callbacks(execute=False):
        webhook_emit(invoice=make_invoice(ready_tenant), kind="invoice.certified")
    (delivery,) = deliveries(ready_tenant)
    long_ago = timezone.now() - timedelta(minutes=10)
    with scopes_disabled():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(state="sending", sending_since=long_ago, attempts=1)
    assert tasks.sweep_webhooks()["stuck"] == 1
    assert reload(delivery).state == "pending"
    assert delivery_attempt(delivery.pk) == "succeeded"


# --- failures of the receiver ------------------------------------------------------------------------


def _one_attempt(tenant, url, capture, number="INV-2026-001"):
    make_endpoint(tenant, url)
    with capture(execute=False):
        webhook_emit(invoice=make_invoice(tenant, document_number=number), kind="invoice.certified")
    (delivery,) = deliveries(tenant)
    outcome = delivery_attempt(delivery.pk)
    with scopes_disabled():
        return outcome, WebhookAttempt.objects.get(delivery=delivery)


def test_a_slow_receiver_times_out(ready_tenant, receiver, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_TIMEOUT = 0.5
    receiver.delay = 1.5
    outcome, attempt = _one_attempt(ready_tenant, receiver.url, django_capture_on_commit_callbacks)
    assert outcome == "retry"
    assert attempt.status_code is None and "timeout" in attempt.error
    assert 400 <= attempt.duration_ms < 1400


def test_network_errors_redirects_and_long_responses_fail_the_attempt(
    ready_tenant, other_tenant, key_file, receiver, django_capture_on_commit_callbacks
):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/hook"
    outcome, attempt = _one_attempt(ready_tenant, closed, django_capture_on_commit_callbacks)
    assert outcome == "retry" and attempt.error.startswith("Could not connect")

    from tests.factories import make_ready

    receiver.status = 302
    receiver.response_body = b"x" * 5000
    outcome, attempt = _one_attempt(
        make_ready(other_tenant, key_file), receiver.url, django_capture_on_commit_callbacks, number="B-1"
    )
    assert outcome == "retry" and attempt.status_code == 302 and "redirects are not followed" in attempt.error
    assert attempt.response_excerpt == "x" * 1024


# --- refused targets ---------------------------------------------------------------------------------


def test_a_host_that_now_resolves_inside_is_not_called(
    ready_tenant, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    port = receiver.server.server_port
    monkeypatch.setattr(safety, "resolve", lambda host, port: ["93.184.216.34"])
    endpoint = make_endpoint(ready_tenant, f"https://erp.example.ng:{port}/hooks")
    # DNS rebinding, caught by the check before the attempt:
    monkeypatch.setattr(safety, "resolve", lambda host, port: ["127.0.0.1"])
    with django_capture_on_commit_callbacks(execute=False):
        webhook_emit(invoice=make_invoice(ready_tenant), kind="invoice.certified")
    (delivery,) = deliveries(ready_tenant)
    assert delivery_attempt(delivery.pk) == "retry"
    with scopes_disabled():
        attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert "resolves to 127.0.0.1" in attempt.error and attempt.status_code is None

    # … and by the client, which checks the address it actually connected to.
    monkeypatch.setattr(safety, "resolve", lambda host, port: ["93.184.216.34"])
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        return real("127.0.0.1" if host == "erp.example.ng" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    body, headers = delivery_module.signed_request(delivery.event, endpoint, now=timezone.now())
    outcome = delivery_module.post(endpoint.url, body, headers)
    assert outcome.status_code is None and "now resolves to 127.0.0.1" in outcome.error
    assert receiver.requests == []


# --- secret rotation ---------------------------------------------------------------------------------


def test_during_rotation_both_signatures_verify_and_after_it_only_the_new(
    ready_tenant, receiver, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(ready_tenant, receiver.url)
    new = "a-brand-new-secret-9876543210"
    t0 = timezone.now()
    services.webhook_update(endpoint=endpoint, secret=new, now=t0)
    endpoint = reload(endpoint)
    assert endpoint.secret == new and endpoint.previous_secret == SECRET
    assert endpoint.previous_secret_until == t0 + timedelta(hours=24)

    def send(now):
        with django_capture_on_commit_callbacks(execute=False):
            webhook_emit(
                invoice=make_invoice(ready_tenant, document_number=f"R-{len(receiver.requests)}"),
                kind="invoice.certified",
                now=now,
            )
        assert delivery_attempt(deliveries(ready_tenant)[-1].pk, now=now) == "succeeded"
        return receiver.requests[-1]

    during = send(t0 + timedelta(hours=23))
    h, raw = during["headers"], during["body"]
    assert h["x-flowpoint-signature"] == expected_hex(raw, new)
    assert h["x-flowpoint-signature-previous"] == expected_hex(raw, SECRET)
    assert len(h["webhook-signature"].split()) == 2
    assert standard_ok(during, new) and standard_ok(during, SECRET)

    after = send(t0 + timedelta(hours=24, seconds=1))
    h, raw = after["headers"], after["body"]
    assert h["x-flowpoint-signature"] == expected_hex(raw, new)
    assert "x-flowpoint-signature-previous" not in h
    assert len(h["webhook-signature"].split()) == 1
    assert standard_ok(after, new) and not standard_ok(after, SECRET)


# --- tenants -----------------------------------------------------------------------------------------


def test_a_tenant_never_receives_another_tenants_events(
    ready_tenant, other_tenant, key_file, receiver, other_receiver, django_capture_on_commit_callbacks
):
    from tests.factories import make_ready

    make_ready(other_tenant, key_file)
    make_endpoint(ready_tenant, receiver.url)
    make_endpoint(other_tenant, other_receiver.url, secret="the-other-tenants-secret-000")
    with django_capture_on_commit_callbacks(execute=True):
        mine = webhook_emit(invoice=make_invoice(ready_tenant), kind="invoice.certified")
        theirs = webhook_emit(invoice=make_invoice(other_tenant, document_number="B-1"), kind="invoice.failed")
    for d in deliveries():
        delivery_attempt(d.pk)
    assert [b["id"] for b in receiver.bodies] == [mine.id]
    assert [b["id"] for b in other_receiver.bodies] == [theirs.id]
    assert other_receiver.requests[0]["headers"]["x-flowpoint-signature"] == expected_hex(
        other_receiver.requests[0]["body"], "the-other-tenants-secret-000"
    )
    with scope(tenant=other_tenant):
        assert list(WebhookEvent.objects.values_list("id", flat=True)) == [theirs.id]
        assert WebhookEndpoint.objects.get().url == other_receiver.url


# --- a real worker ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("qcluster")
def test_a_real_worker_delivers(connected_tenant, receiver):
    make_endpoint(connected_tenant, receiver.url, events=["invoice.payment_updated"])
    invoice = make_invoice(connected_tenant)
    event = webhook_emit(invoice=invoice, kind="invoice.payment_updated")  # queued on commit for the worker
    assert receiver.wait_for(1, timeout=30), "the worker did not deliver"
    assert receiver.bodies[0]["id"] == event.id
    assert receiver.requests[0]["headers"]["x-flowpoint-signature"] == expected_hex(receiver.requests[0]["body"])
