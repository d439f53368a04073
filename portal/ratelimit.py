"""Rate limits (fixed one-minute windows) with draft-7 headers, counted where every web process sees them.

With Redis the counters are INCRs in Redis. Without it, an atomic upsert (INSERT … ON CONFLICT … RETURNING),
because the database cache's incr is a read-then-write that two processes could both pass: in PostgreSQL, or
on SQLite in a file of the counters' own (`_counter_file`). Either way, all the limits a request falls under
are counted in one round trip: the middleware counts once the route is known (`process_view`), with the
route's per-tenant limit if it has one.

Limits (the spec's table): per IP 10/min on /api/v1/auth/*, 120/min on other /api/v1/*; per tenant 60/min
on invoice create, 5/min on CSV submit.
"""

import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from portal.sqlite.base import when_unlocked
from portal.throttle import client_ip

WINDOW = 60
# verify_page: per IP on the public /verify/<IRN> page, which reads across businesses and must not be crawled.
LIMITS = {"auth": 10, "api": 120, "invoice_create": 60, "csv_submit": 5, "verify_page": 30}


@dataclass(frozen=True)
class Hit:
    scope: str
    limit: int
    count: int
    reset: int  # seconds until the window ends

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


@cache
def _redis(pid: int):
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)


def _count(keys: list[str], window_start: int) -> list[int]:
    if settings.REDIS_URL:
        pipe = _redis(os.getpid()).pipeline(transaction=False)
        for key in keys:
            pipe.incr(f"rl:{key}:{window_start}")
            pipe.expire(f"rl:{key}:{window_start}", WINDOW + 5)
        return pipe.execute()[::2]
    params = [value for key in keys for value in (key, window_start)]
    if _own_file():
        db = _counter_file()
        rows = when_unlocked(db, lambda: db.execute(_upsert(len(keys), "?"), params).fetchall(), patience=20)
    else:
        with connection.cursor() as cursor:
            cursor.execute(_upsert(len(keys), "%s"), params)
            rows = cursor.fetchall()
    counts = dict(rows)
    return [counts[key] for key in keys]


def _upsert(rows: int, placeholder: str) -> str:
    return (
        "INSERT INTO portal_ratecounter (key, window_start, count) VALUES "
        + ", ".join([f"({placeholder}, {placeholder}, 1)"] * rows)
        + " ON CONFLICT (key, window_start) DO UPDATE SET count = portal_ratecounter.count + 1 RETURNING key, count"
    )


def _own_file() -> bool:
    return connection.vendor == "sqlite" and not connection.is_in_memory_db()


_side = threading.local()


def _counter_file() -> sqlite3.Connection:
    """On SQLite, the counters' own file beside the database (`<database>-ratelimit`), one connection per thread.

    SQLite writes one at a time per file. In the database, a request's count waited for the other web
    worker's invoice transaction: half of all creates under `make bench` did. In a file of its own, a count
    only ever waits for another count, a few microseconds.
    """
    path = f"{connection.settings_dict['NAME']}-ratelimit"
    if getattr(_side, "key", None) != (os.getpid(), path):
        db = sqlite3.connect(path, timeout=20, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(
            "CREATE TABLE IF NOT EXISTS portal_ratecounter (key TEXT NOT NULL, window_start INTEGER NOT NULL, "
            "count INTEGER NOT NULL, PRIMARY KEY (key, window_start))"
        )
        db.execute("PRAGMA busy_timeout = 0")  # when_unlocked waits, in finer steps
        _side.db, _side.key = db, (os.getpid(), path)
    return _side.db


def hits(counters: list[tuple[str, str]], now: float | None = None) -> list[Hit]:
    """Count one request against each (scope, who) limit, in one round trip."""
    now = time.time() if now is None else now
    window_start = int(now // WINDOW * WINDOW)
    counts = _count([f"{scope}:{ident}" for scope, ident in counters], window_start)
    reset = max(1, int(window_start + WINDOW - now))
    return [
        Hit(scope, settings.RATE_LIMITS.get(scope, LIMITS[scope]), count, reset)
        for (scope, _ident), count in zip(counters, counts, strict=True)
    ]


def purge_counters(now: float | None = None) -> int:
    """Drop windows that have ended (database counters only); run by the periodic sweeper."""
    if settings.REDIS_URL:
        return 0
    now = time.time() if now is None else now
    ended = int(now) - 2 * WINDOW
    if _own_file():
        db = _counter_file()
        return when_unlocked(
            db, db.execute, "DELETE FROM portal_ratecounter WHERE window_start < ?", [ended], patience=20
        ).rowcount
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM portal_ratecounter WHERE window_start < %s", [ended])
        return cursor.rowcount


def apply_headers(response, hits: list[Hit]) -> None:
    if not hits:
        return
    tightest = min(hits, key=lambda h: (h.remaining, h.reset))
    response["RateLimit-Policy"] = ", ".join(f"{h.limit};w={WINDOW}" for h in sorted(hits, key=lambda h: h.limit))
    response["RateLimit"] = f"limit={tightest.limit}, remaining={tightest.remaining}, reset={tightest.reset}"
    if tightest.exceeded:
        response["Retry-After"] = str(tightest.reset)


def too_many(hits: list[Hit]) -> JsonResponse:
    tightest = next(h for h in hits if h.exceeded)
    response = JsonResponse(
        {
            "error": f"Rate limit exceeded: {tightest.limit} requests per minute ({tightest.scope}). "
            f"Retry in {tightest.reset} s; back off exponentially.",
            "reason": "RATE_LIMITED",
        },
        status=429,
    )
    apply_headers(response, hits)
    return response


class RateLimitMiddleware:
    """Per-IP limits on /api/v1/*, and the route's per-tenant limit (declared by `tenant_limit`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.rate_hits = []
        if not request.path.startswith("/api/v1/"):
            return self.get_response(request)
        request.rate_counted = False
        response = self.get_response(request)
        if not request.rate_counted:  # no route (a 404), or a middleware answered before the view
            request.rate_hits = hits([_ip_counter(request)])
            if request.rate_hits[0].exceeded:
                return too_many(request.rate_hits)
        apply_headers(response, request.rate_hits)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.path.startswith("/api/v1/"):
            return None
        counters = [_ip_counter(request)]
        scope = getattr(view_func, "tenant_rate_limit", None)
        if scope and getattr(request, "tenant", None) is not None:
            counters.append((scope, str(request.tenant.pk)))
        request.rate_hits = hits(counters)
        request.rate_counted = True
        if any(found.exceeded for found in request.rate_hits):
            return too_many(request.rate_hits)
        return None


def _ip_counter(request) -> tuple[str, str]:
    return ("auth" if request.path.startswith("/api/v1/auth/") else "api", client_ip(request))


def tenant_limit(scope: str):
    """Declares a per-tenant limit on a view (above DRF's @api_view); the middleware counts it with the per-IP
    one, before the view runs."""

    def decorator(view):
        view.tenant_rate_limit = scope
        return view

    return decorator
