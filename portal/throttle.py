"""Failed-login throttling, counted in the shared cache so every web process enforces one limit."""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _keys(request, email: str) -> list[str]:
    ident = hashlib.sha256(f"{client_ip(request)}|{(email or '').strip().lower()}".encode()).hexdigest()
    ip = hashlib.sha256(client_ip(request).encode()).hexdigest()
    # Per address+account, and a looser per-address limit against spraying many accounts.
    return [f"login-fail:acct:{ident}", f"login-fail:ip:{ip}"]


def _limits() -> list[int]:
    return [settings.LOGIN_THROTTLE_FAILURES, settings.LOGIN_THROTTLE_FAILURES * 4]


def login_retry_after(request, email: str) -> int:
    """Seconds until another attempt is allowed; 0 when not throttled."""
    now = time.time()
    waits = []
    for key, limit in zip(_keys(request, email), _limits(), strict=True):
        entry = cache.get(key)
        if entry and entry["count"] >= limit:
            waits.append(max(1, int(entry["until"] - now)))
    return max(waits, default=0)


def login_failed(request, email: str) -> None:
    now = time.time()
    window = settings.LOGIN_THROTTLE_WINDOW
    for key in _keys(request, email):
        entry = cache.get(key)
        if not entry or entry["until"] <= now:
            entry = {"count": 0, "until": now + window}
        entry["count"] += 1
        cache.set(key, entry, timeout=int(entry["until"] - now) + 1)


def login_succeeded(request, email: str) -> None:
    cache.delete(_keys(request, email)[0])
