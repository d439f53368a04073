"""Which servers a connector may reach: a business names its SFTP server or its Odoo address, and Flowpoint must not
be turned into a way into its own network. Hosts on the internet only, unless an operator allows a host
(CONNECTOR_ALLOWED_HOSTS: an SFTP server or an Odoo in the same private network as this portal, say)."""

import socket

from django.conf import settings
from django.utils.translation import gettext as _

from portal.addresses import is_public, resolve


def allowed_hosts() -> set[str]:
    return {h.strip().strip("[]").lower() for h in settings.CONNECTOR_ALLOWED_HOSTS if h.strip()}


def host_problem(host: str, port: int) -> str | None:
    """Why a connector may not connect to `host`, in words; None when it may (checked at saving and at each run,
    as a name may later resolve elsewhere). A name that does not resolve is left to the connection to report."""
    if not host:
        return None
    if host.strip("[]").lower() in allowed_hosts():
        return None
    try:
        addresses = resolve(host.strip("[]"), port)
    except (socket.gaierror, UnicodeError):
        return None  # not found now: the connection says so at the run; the check repeats there

    if not all(is_public(address) for address in addresses):
        return _(
            "“%(host)s” is an address inside Flowpoint's own network: a connector reaches servers on the internet "
            "only. Use the server's public name or address."
        ) % {"host": host}
    return None
