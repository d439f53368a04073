"""Rate limits (fixed one-minute windows) with draft-7 headers, counted where every web process sees them.

With Redis the counters are INCRs in Redis. Without it, an atomic upsert in the database (INSERT … ON CONFLICT
… RETURNING, on SQLite and PostgreSQL alike), because the database cache's incr is a read-then-write that two
processes could both pass. Either way, all the limits a request falls under are counted in one round trip:
the middleware counts once the route is known (`process_view`), with the route's per-tenant limit if it has
one. On SQLite that is one write per request, not one per limit; writes there take turns.

Limits (the spec's table): per IP 10/min on /api/v1/auth/*, 120/min on other /api/v1/*; per tenant 60/min
on invoice create, 5/min on CSV submit.
"""

import os
import time
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from portal.throttle import client_ip

WINDOW = 60
LIMITS = {"auth": 10, "api": 120, "invoice_create": 60, "csv_submit": 5}


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
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO portal_ratecounter (key, window_start, count) VALUES "
            + ", ".join(["(%s, %s, 1)"] * len(keys))
            + " ON CONFLICT (key, window_start) DO UPDATE SET count = portal_ratecounter.count + 1 "
            "RETURNING key, count",
            [value for key in keys for value in (key, window_start)],
        )
        counts = dict(cursor.fetchall())
    return [counts[key] for key in keys]


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
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM portal_ratecounter WHERE window_start < %s", [int(now) - 2 * WINDOW])
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
