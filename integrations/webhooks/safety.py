"""Where Flowpoint may send webhooks: HTTPS to public addresses, or hosts an operator allows.

Checked when a URL is registered and again before every attempt (a host's DNS can change to point inside
our network after registration); the delivery client also checks the address it actually connected to.
"""

import socket
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings

from portal.addresses import is_public, resolve

RETRY_BACKOFF = (5, 10, 20, 40)  # seconds before attempts 2–5 (spec: ~5 s, ~10 s, ~20 s, ~40 s)
MAX_ATTEMPTS = len(RETRY_BACKOFF) + 1  # after the 5th failure of one delivery the endpoint is paused


def allowed_hosts() -> set[str]:
    """Hosts reachable over plain http and on internal addresses (settings.WEBHOOK_ALLOWED_HOSTS)."""
    return {h.strip().strip("[]").lower() for h in getattr(settings, "WEBHOOK_ALLOWED_HOSTS", []) if h.strip()}


def timeout() -> float:
    return float(getattr(settings, "WEBHOOK_TIMEOUT", 10.0))


def secret_grace() -> timedelta:
    return timedelta(hours=getattr(settings, "WEBHOOK_SECRET_GRACE_HOURS", 24))


def url_problem(url: str) -> str | None:
    """What is wrong with a webhook URL, in words that say how to fix it; None when it may be used."""
    example = "https://erp.example.ng/flowpoint/webhooks"
    if not isinstance(url, str) or not url.strip():
        return f"Enter the URL Flowpoint should POST events to, such as {example}."
    if len(url) > 500:
        return "The URL is longer than 500 characters; use a shorter one."
    if url != url.strip() or any(ch.isspace() for ch in url):
        return "The URL must not contain spaces."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"That is not a valid URL (check the port). Use a full URL such as {example}."
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"Enter a full URL starting with https://, such as {example}."
    if parts.username or parts.password:
        return "Leave user names and passwords out of the URL: every delivery is signed with your secret instead."
    host = parts.hostname.lower()
    allowed = host in allowed_hosts()
    if parts.scheme == "http" and not allowed:
        return (
            "Use an https:// URL: webhooks are sent only over HTTPS. "
            "(Plain http works only for hosts an operator lists in WEBHOOK_ALLOWED_HOSTS.)"
        )
    if allowed:
        return None
    try:
        addresses = resolve(host, port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError):
        return f"The host {host} could not be found (DNS). Check the spelling, or try again once its DNS is set up."
    internal = [a for a in addresses if not is_public(a)]
    if internal:
        return (
            f"{host} resolves to {internal[0]}, a private, loopback or link-local address, which Flowpoint does "
            "not call. Use a public host name; an operator can allow an internal host in WEBHOOK_ALLOWED_HOSTS."
        )
    return None
