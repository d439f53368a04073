"""Rate limits (fixed one-minute windows) with draft-7 headers, counted where every web process sees them.

With Redis the counter is an atomic INCR in the shared cache. Without it, an atomic upsert in the database
(INSERT … ON CONFLICT … RETURNING, on SQLite and PostgreSQL alike), because the database cache's incr is a
read-then-write that two processes could both pass.

Limits (the spec's table): per IP 10/min on /api/v1/auth/*, 120/min on other /api/v1/*; per tenant 60/min
on invoice create, 5/min on CSV submit.
"""

import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
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


def _count(key: str, window_start: int) -> int:
    if settings.REDIS_URL:
        full = f"rl:{key}:{window_start}"
        cache.add(full, 0, timeout=WINDOW + 5)
        return cache.incr(full)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO portal_ratecounter (key, window_start, count) VALUES (%s, %s, 1) "
            "ON CONFLICT (key, window_start) DO UPDATE SET count = portal_ratecounter.count + 1 "
            "RETURNING count",
            [key, window_start],
        )
        return cursor.fetchone()[0]


def hit(scope: str, ident: str, now: float | None = None) -> Hit:
    now = time.time() if now is None else now
    window_start = int(now // WINDOW * WINDOW)
    limit = settings.RATE_LIMITS.get(scope, LIMITS[scope])
    count = _count(f"{scope}:{ident}", window_start)
    return Hit(scope, limit, count, max(1, int(window_start + WINDOW - now)))


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
    """Per-IP limits on /api/v1/*; tenant limits (added by `tenant_limit`) join their headers here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.rate_hits = []
        if request.path.startswith("/api/v1/"):
            scope = "auth" if request.path.startswith("/api/v1/auth/") else "api"
            found = hit(scope, client_ip(request))
            request.rate_hits.append(found)
            if found.exceeded:
                return too_many(request.rate_hits)
        response = self.get_response(request)
        apply_headers(response, request.rate_hits)
        return response


def tenant_limit(scope: str):
    """A per-tenant limit on a DRF view (after authentication, so the tenant is known)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            django_request = request._request
            found = hit(scope, str(django_request.tenant.pk))
            django_request.rate_hits.append(found)
            if found.exceeded:
                return too_many(django_request.rate_hits)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
