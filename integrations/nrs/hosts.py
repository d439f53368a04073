"""How each NRS host is doing, as every worker process and machine sees it (the NrsHost row they share).

Every call the client makes reports how it ended (`call_ended`):
- NRS answered (whatever it said): failures in a row start over, an open circuit closes, and a lowered
  limit grows back by a tenth at most once a second;
- NRS said 429 or 503: the host pauses for its Retry-After (or NRS_THROTTLE_PAUSE_SECONDS) and its limit
  halves, at most once a second, since the calls already in flight answer 429 together;
- NRS itself did not answer (no connection, no answer in time, 5xx): one more failure in a row, and at
  NRS_CIRCUIT_FAILURES the circuit opens. While it is open nothing is claimed for the host; one process at a
  time probes NRS's health route every NRS_CIRCUIT_PROBE_SECONDS (`probe_if_due`).
A process reads the row at most every half second (`state`): the dispatcher asks before every claim.
"""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from integrations.nrs.models import NrsHost

logger = logging.getLogger(__name__)
Circuit = NrsHost.Circuit
_STATE_SECONDS = 0.5  # how old a process's copy of a host's state may be
_cache: dict[str, tuple[float, "HostState"]] = {}
_grown_at: dict[str, float] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class HostState:
    base_url: str
    limit: int
    paused_until: datetime | None
    open: bool
    failures: int
    failing_since: datetime | None
    next_probe_at: datetime | None
    last_error: str

    def accepting(self, now: datetime) -> bool:
        """May invoices be claimed for this host now?"""
        return not self.open and not (self.paused_until and self.paused_until > now)


def state(base_url: str, *, fresh: bool = False) -> HostState:
    key = base_url.rstrip("/")
    hit = _cache.get(key)
    if hit and not fresh and time.monotonic() - hit[0] < _STATE_SECONDS:
        return hit[1]
    row = host_row(key)
    found = HostState(
        base_url=key,
        limit=row.limit,
        paused_until=row.paused_until,
        open=row.circuit == Circuit.OPEN,
        failures=row.failures,
        failing_since=row.failing_since,
        next_probe_at=row.next_probe_at,
        last_error=row.last_error,
    )
    with _lock:
        _cache[key] = (time.monotonic(), found)
    return found


def host_row(base_url: str) -> NrsHost:
    key = base_url.rstrip("/")
    row = NrsHost.objects.filter(base_url=key).first()
    if row is None:
        try:
            with transaction.atomic():
                row = NrsHost.objects.create(base_url=key, limit=settings.NRS_HOST_CONCURRENCY)
        except IntegrityError:  # another process made it first
            row = NrsHost.objects.get(base_url=key)
    return row


def clear() -> None:
    """Forget every process copy (tests: a rolled-back transaction took the rows with it)."""
    with _lock:
        _cache.clear()
        _grown_at.clear()


def _forget(key: str) -> None:
    with _lock:
        _cache.pop(key, None)


def call_ended(base_url: str, failure=None) -> None:
    """Every NRS call ends here: `failure` is its NrsTransient, or None when NRS answered at all."""
    key = base_url.rstrip("/")
    if failure is None:
        _answered(key)
        return
    if failure.throttled:
        _throttled(key, failure.retry_after)
    if failure.host_down:
        _failed(key, str(failure))


def _answered(key: str) -> None:
    found = state(key)
    if found.failures or found.open:
        NrsHost.objects.filter(base_url=key).update(
            failures=0, failing_since=None, circuit=Circuit.CLOSED, next_probe_at=None, last_error=""
        )
        _forget(key)
        if found.open:
            logger.warning("NRS at %s answers again: the circuit is closed and waiting invoices go out", key)
        return
    maximum = settings.NRS_HOST_CONCURRENCY
    if found.limit >= maximum or time.monotonic() - _grown_at.get(key, 0.0) < 1.0:
        return
    _grown_at[key] = time.monotonic()
    now = timezone.now()
    NrsHost.objects.filter(base_url=key, limit__lt=maximum).filter(
        Q(limit_changed_at__isnull=True) | Q(limit_changed_at__lte=now - timedelta(seconds=1))
    ).update(limit=Least(F("limit") + max(1, found.limit // 10), Value(maximum)), limit_changed_at=now)
    _forget(key)


def _throttled(key: str, retry_after: float | None) -> None:
    now = timezone.now()
    pause = retry_after if retry_after is not None else settings.NRS_THROTTLE_PAUSE_SECONDS
    until = now + timedelta(seconds=pause)
    host_row(key)
    NrsHost.objects.filter(base_url=key).filter(Q(paused_until__isnull=True) | Q(paused_until__lt=until)).update(
        paused_until=until
    )
    halved = (
        NrsHost.objects.filter(base_url=key)
        .filter(Q(limit_changed_at__isnull=True) | Q(limit_changed_at__lte=now - timedelta(seconds=1)))
        .update(limit=Greatest(Value(1), F("limit") / 2), limit_changed_at=now)
    )
    if halved:
        logger.warning("NRS at %s asks us to slow down: paused %.1f s, calls in flight halved", key, pause)
    _forget(key)


def _failed(key: str, message: str) -> None:
    now = timezone.now()
    host_row(key)
    NrsHost.objects.filter(base_url=key).update(
        failures=F("failures") + 1,
        failing_since=Coalesce(F("failing_since"), Value(now, output_field=DateTimeField())),
        last_error=message[:500],
    )
    opened = NrsHost.objects.filter(
        base_url=key, circuit=Circuit.CLOSED, failures__gte=settings.NRS_CIRCUIT_FAILURES
    ).update(circuit=Circuit.OPEN, next_probe_at=now + timedelta(seconds=settings.NRS_CIRCUIT_PROBE_SECONDS))
    if opened:
        logger.warning("NRS at %s does not answer (%s): the circuit is open, invoices wait for it", key, message)
    _forget(key)


def probe_if_due(base_url: str) -> bool | None:
    """While the circuit is open, one process at a time asks NRS's health route when a probe is due.

    Returns None when no probe was due (or another process took it), else whether NRS answered."""
    key = base_url.rstrip("/")
    found = state(key)
    now = timezone.now()
    if not found.open or (found.next_probe_at and found.next_probe_at > now):
        return None
    won = (
        NrsHost.objects.filter(base_url=key, circuit=Circuit.OPEN)
        .filter(Q(next_probe_at__isnull=True) | Q(next_probe_at__lte=now))
        .update(next_probe_at=now + timedelta(seconds=settings.NRS_CIRCUIT_PROBE_SECONDS))
    )
    _forget(key)
    if not won:
        return None
    try:
        response = requests.get(key + "/api", timeout=(settings.NRS_CONNECT_TIMEOUT, settings.NRS_READ_TIMEOUT))
        healthy = response.status_code == 200 and response.json().get("healthy") is True
        problem = "" if healthy else f"NRS's health check answered HTTP {response.status_code}."
    except (requests.RequestException, ValueError, AttributeError) as exc:
        healthy, problem = False, f"NRS's health check failed: {type(exc).__name__}."
    if healthy:
        _answered(key)
    else:
        NrsHost.objects.filter(base_url=key).update(last_error=problem)
        logger.info("NRS at %s still unreachable: %s", key, problem)
    return healthy
