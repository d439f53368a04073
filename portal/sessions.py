"""Django's database sessions (settings.SESSION_ENGINE), refusing a session cookie that holds a NUL character.

Django's own keys are [a-z0-9]; only a forged cookie holds a NUL, and it would reach the session query, which
PostgreSQL refuses (a 500 on every page and every API route). Such a key is no session, like any other invalid one.
"""

import ipaddress
import re
import time

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key):
        return super()._validate_session_key(key) and "\x00" not in key


# --- "Where you're signed in": each signed-in session's device, address and last use ----------------------------

_SEEN = "_last_seen"  # in the session: when its UserSession row was last written (epoch seconds)
_SEEN_AS = "_fp_seen_as"  # the session key that row was written under
SEEN_EVERY = 60  # seconds: a session's "last seen" is written at most once a minute


class SessionActivityMiddleware:
    """Records a signed-in session's device, address and last use (after AuthenticationMiddleware).

    The time of the last write is kept in the session itself, so a request within a minute of it writes nothing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and request.session.session_key:
            now = time.time()
            key = request.session.session_key
            # Again after a minute, or at once when the key changed (a sign-in or a second factor cycles it).
            if now - request.session.get(_SEEN, 0) >= SEEN_EVERY or request.session.get(_SEEN_AS) != key:
                record_activity(request)
                request.session[_SEEN], request.session[_SEEN_AS] = now, key
        return self.get_response(request)


def record_activity(request) -> None:
    from portal.models import UserSession
    from portal.throttle import client_ip

    address = client_ip(request)
    UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": request.user,
            "user_agent": request.headers.get("User-Agent", "")[:400],
            "ip_address": address if _is_ip(address) else None,
            "last_seen_at": timezone.now(),
        },
    )


def _is_ip(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


_BROWSERS = (  # the first that matches: Edge and Opera say "Chrome" too, Chrome says "Safari"
    (r"Edg(e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"SamsungBrowser/", "Samsung Internet"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/", "Chrome"),
    (r"Safari/", "Safari"),
)
_SYSTEMS = (
    (r"iPhone", "iPhone"),
    (r"iPad", "iPad"),
    (r"Android", "Android"),
    (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh", "Mac"),
    (r"CrOS", "Chromebook"),
    (r"Linux", "Linux"),
)


def describe_device(user_agent: str) -> str:
    """A browser's User-Agent in plain words: "Chrome on Windows", "Safari on iPhone", "A program (curl)"."""
    agent = user_agent or ""
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, agent)), None)
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or f"A browser on {system}"
    if agent:
        return f"A program ({agent.split('/')[0].split()[0][:40]})"
    return "An unknown device"
