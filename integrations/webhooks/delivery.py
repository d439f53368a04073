"""Sending a delivery: one attempt per task run, retries scheduled as tasks (no worker ever sleeps).

pending → (claimed) sending → POST → succeeded | pending again at +5/10/20/40 s | failed after the 5th failure,
which also pauses the endpoint and e-mails the tenant's admins.
- The row is claimed by a compare-and-swap UPDATE (state pending, attempt due) before any network call: a task
  delivered twice sends once; a late duplicate can only send an attempt that is due anyway.
- A paused endpoint's due deliveries are held, not sent (test events excepted).
- The target is checked again before each attempt, and the client refuses to talk to an internal address it
  connected to, so a host whose DNS now points inside our network is never called (DNS rebinding).
- The body is signed per attempt: its `timestamp` is the moment of this sending, so retries and redeliveries
  pass a receiver's 5-minute replay check; `id` and `emittedAt` never change. Which key signs which header:
  integrations/webhooks/signing.py.
"""

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from integrations.webhooks import safety
from integrations.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from integrations.webhooks.signing import flowpoint_signature, standard_signature

logger = logging.getLogger(__name__)
State = WebhookDelivery.State
USER_AGENT = "Flowpoint-Webhooks/1"
EXCERPT_BYTES = 1024
STUCK_AFTER = timedelta(minutes=5)  # a claimed row older than this lost its worker (WEBHOOK_STUCK_AFTER_SECONDS)


# --- the body and its signatures ----------------------------------------------------------------


def emitted_at_iso(value) -> str:
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def envelope(event: WebhookEvent, sent_ms: int) -> bytes:
    """The exact bytes that are POSTed and signed."""
    body = {
        "id": event.id,
        "type": event.type,
        "status": event.status,
        "source": event.source,
        "timestamp": sent_ms,
        "emittedAt": emitted_at_iso(event.emitted_at),
        "data": event.data,
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def signed_request(event: WebhookEvent, endpoint: WebhookEndpoint, *, now, sent: float | None = None):
    """(body, headers) for one sending; during a rotation grace period the old secret signs as well."""
    sent = time.time() if sent is None else sent
    body = envelope(event, int(sent * 1000))
    secrets_ = [endpoint.secret]
    if endpoint.rotating_until(now):
        secrets_.append(endpoint.previous_secret)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "x-flowpoint-signature": flowpoint_signature(body, secrets_[0]),
        "webhook-id": event.id,
        "webhook-timestamp": str(int(sent)),
        "webhook-signature": " ".join(standard_signature(event.id, int(sent), body, s) for s in secrets_),
    }
    if len(secrets_) > 1:
        headers["x-flowpoint-signature-previous"] = flowpoint_signature(body, secrets_[1])
    return body, headers


# --- an HTTP client that will not talk to internal addresses --------------------------------------


class AddressRefused(Exception):
    """The connection reached a private, loopback or link-local address of a host that is not allowed."""


class _Guarded:
    def _new_conn(self):
        sock = super()._new_conn()
        peer = sock.getpeername()[0]
        if self.host.strip("[]").lower() not in safety.allowed_hosts() and not safety.is_public(peer):
            sock.close()
            raise AddressRefused(
                f"{self.host} now resolves to {peer}, a private, loopback or link-local address: not called."
            )
        return sock


class _GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


@dataclass
class Outcome:
    status_code: int | None
    duration_ms: int
    excerpt: str
    error: str

    @property
    def ok(self) -> bool:
        return not self.error


def post(url: str, body: bytes, headers: dict) -> Outcome:
    """One POST: 2xx within the timeout is success; anything else says what went wrong."""
    limit = safety.timeout()
    problem = safety.url_problem(url)
    if problem:
        return Outcome(None, 0, "", f"Not sent: {problem}")
    session = requests.Session()
    session.trust_env = False  # no proxies from the environment: we must see the address we connect to
    adapter = _GuardedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    started = time.monotonic()
    status, excerpt, error = None, "", ""
    try:
        with session.post(
            url, data=body, headers=headers, timeout=(limit, limit), allow_redirects=False, stream=True
        ) as response:
            status = response.status_code
            excerpt = response.raw.read(EXCERPT_BYTES, decode_content=True)[:EXCERPT_BYTES].decode("utf-8", "ignore")
    except AddressRefused as exc:
        error = str(exc)
    except requests.Timeout:
        error = f"No response within {limit:g} s (timeout)."
    except requests.exceptions.SSLError as exc:
        error = f"TLS error: {_reason(exc)}"
    except (requests.RequestException, OSError) as exc:
        error = f"Could not connect: {_reason(exc)}"
    finally:
        session.close()
    duration_ms = int((time.monotonic() - started) * 1000)
    if not error and duration_ms > limit * 1000:
        error = f"No complete response within {limit:g} s (timeout)."
    if not error and not 200 <= status < 300:
        hint = " (redirects are not followed: register the final URL)" if 300 <= status < 400 else ""
        error = f"HTTP {status}: the receiver must answer with a 2xx status{hint}."
    return Outcome(status, duration_ms, excerpt, error)


def _reason(exc) -> str:
    text = str(exc)
    return text if len(text) <= 300 else text[:297] + "…"


# --- one attempt ----------------------------------------------------------------------------------


def _claim(delivery_id, now) -> bool:
    # One table, no join: PostgreSQL re-checks this WHERE on the locked row, so two workers never both win.
    with transaction.atomic(), scopes_disabled():
        claimed = WebhookDelivery.objects.filter(pk=delivery_id, state=State.PENDING, next_attempt_at__lte=now).update(
            state=State.SENDING, sending_since=now, updated_at=now
        )
    return claimed == 1


def delivery_attempt(delivery_id, *, now=None) -> str:
    """Make the attempt that is due, if any. Returns what happened (for logs and tests).

    `now` is the clock: tests pass a controlled one. Without it the next retry is counted from the moment
    the failed attempt ended.
    """
    clock = now or timezone.now()
    if not _claim(delivery_id, clock):
        return "skipped"
    with scopes_disabled():
        delivery = WebhookDelivery.objects.select_related("event", "endpoint", "endpoint__tenant").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.active and not delivery.is_test:  # paused since this attempt was scheduled: keep it
        _update(delivery, state=State.HELD, next_attempt_at=None, sending_since=None)
        return "held"
    with scope(tenant=endpoint.tenant):
        body, headers = signed_request(delivery.event, endpoint, now=clock)
        outcome = post(endpoint.url, body, headers)
        ended = now or timezone.now()
        return _record(delivery, outcome, started=clock, ended=ended)


def _record(delivery: WebhookDelivery, outcome: Outcome, *, started, ended) -> str:
    from integrations.webhooks.services import TASK, webhook_pause

    with transaction.atomic():
        number = delivery.attempts + 1  # the row is ours (state sending): no other writer
        WebhookAttempt.objects.create(
            tenant_id=delivery.tenant_id,
            delivery=delivery,
            number=number,
            started_at=started,
            status_code=outcome.status_code,
            duration_ms=outcome.duration_ms,
            response_excerpt=outcome.excerpt,
            error=outcome.error,
        )
        common = {
            "attempts": number,
            "last_status": outcome.status_code,
            "last_error": outcome.error,
            "sending_since": None,
        }
        if outcome.ok:
            _update(
                delivery,
                state=State.SUCCEEDED,
                consecutive_failures=0,
                next_attempt_at=None,
                delivered_at=ended,
                **common,
            )
            return "succeeded"
        failures = delivery.consecutive_failures + 1
        if delivery.is_test or failures >= safety.MAX_ATTEMPTS:
            _update(delivery, state=State.FAILED, consecutive_failures=failures, next_attempt_at=None, **common)
            if not delivery.is_test:
                reason = (
                    f"{failures} attempts in a row failed for event {delivery.event_id} "
                    f"({delivery.event.type}); the last one: {outcome.error}"
                )
                webhook_pause(endpoint=delivery.endpoint, reason=reason, now=ended, notify=True)
                return "paused"
            return "failed"
        when = ended + timedelta(seconds=safety.RETRY_BACKOFF[failures - 1])
        _update(delivery, state=State.PENDING, consecutive_failures=failures, next_attempt_at=when, **common)
        delivery_id = delivery.pk
        transaction.on_commit(lambda: _schedule(TASK, delivery_id, when), robust=True)  # else the sweeper does
        return "retry"


def _schedule(task, delivery_id, when):
    from portal.queueing import enqueue

    enqueue(task, delivery_id, when=when)


def _update(delivery, **changes):
    for field, value in changes.items():
        setattr(delivery, field, value)
    delivery.save(update_fields=[*changes, "updated_at"])


# --- the sweeper ----------------------------------------------------------------------------------


def sweep(*, now=None) -> dict:
    """Free rows a dead worker left in `sending`, and queue due attempts whose task was lost."""
    from integrations.webhooks.services import TASK
    from portal.queueing import enqueue

    now = now or timezone.now()
    # Work this old lost its worker: past any attempt's duration (WEBHOOK_TIMEOUT). The soak (bench/soak.py)
    # shortens it.
    stuck_after = timedelta(seconds=getattr(settings, "WEBHOOK_STUCK_AFTER_SECONDS", STUCK_AFTER.total_seconds()))
    with scopes_disabled():
        stuck = WebhookDelivery.objects.filter(state=State.SENDING, sending_since__lt=now - stuck_after).update(
            state=State.PENDING, next_attempt_at=now, sending_since=None, updated_at=now
        )
        due = list(
            WebhookDelivery.objects.filter(
                state=State.PENDING, next_attempt_at__lte=now - timedelta(minutes=1)
            ).values_list("pk", flat=True)
        )
        if stuck:
            due += list(
                WebhookDelivery.objects.filter(state=State.PENDING, next_attempt_at=now).values_list("pk", flat=True)
            )
    for delivery_id in sorted(set(due)):
        enqueue(TASK, delivery_id)
    if stuck or due:
        logger.info("Webhook sweeper: %d stuck deliveries freed, %d queued", stuck, len(set(due)))
    return {"stuck": stuck, "queued": len(set(due))}
