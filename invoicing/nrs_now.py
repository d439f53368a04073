"""An NRS call made while a person or an integrator waits (validate-only with NRS, the NRS-copy check).

Such a call must not hang a request and must not add to NRS's trouble: it respects the host's circuit (open, or
paused after a 429/503: refused at once), takes a slot of the host's limit shared with the invoices in flight
(invoicing/dispatch.host_slot), and waits a short time only. When NRS cannot be asked now it raises
NrsUnavailable: a 503 in the API's error shape, with the seconds to wait (Retry-After).
"""

import math

from django.conf import settings
from django.utils import timezone

from integrations.nrs import hosts
from integrations.nrs.client import NrsClient
from integrations.nrs.errors import NrsTransient
from invoicing.dispatch import host_slot
from invoicing.errors import InvoiceError

# A person waits for this answer: a few seconds, not the submission engine's half a minute.
CONNECT_SECONDS = 3.0
READ_SECONDS = 8.0
# When NRS gave no time of its own: about the circuit's probe interval.
DEFAULT_WAIT_SECONDS = 30


class NrsUnavailable(InvoiceError):
    """NRS cannot be asked now (circuit open, host busy, no answer in time): try again after `retry_after` s."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__("NRS_UNAVAILABLE", message, status=503)
        self.retry_after = max(1, math.ceil(retry_after or DEFAULT_WAIT_SECONDS))


def _seconds_until(when, now) -> float | None:
    return (when - now).total_seconds() if when and when > now else None


def nrs_now(tenant, purpose: str, call):
    """`call(client)` for `tenant` now, within the host's circuit and limit, with a short timeout.

    NRS's own refusals (NrsRejected, NrsNotFound, NrsBadCredentials) reach the caller; NRS being away or busy
    is NrsUnavailable."""
    client = NrsClient(tenant)
    client.timeout = (
        min(settings.NRS_CONNECT_TIMEOUT, CONNECT_SECONDS),
        min(settings.NRS_READ_TIMEOUT, READ_SECONDS),
    )
    now = timezone.now()
    state = hosts.state(client.base_url, fresh=True)
    if state.open:
        raise NrsUnavailable(
            "NRS is not answering at the moment; nothing was sent. Try again shortly.",
            _seconds_until(state.next_probe_at, now),
        )
    if state.paused_until and state.paused_until > now:
        raise NrsUnavailable(
            "NRS asked for fewer requests for a moment; nothing was sent. Try again shortly.",
            _seconds_until(state.paused_until, now),
        )
    with host_slot(client.base_url, purpose) as room:
        if not room:
            raise NrsUnavailable("NRS is busy with this platform's invoices; try again in a few seconds.", 5)
        try:
            return call(client)
        except NrsTransient as exc:
            raise NrsUnavailable(
                "NRS did not answer in time; nothing changed. Try again shortly.", exc.retry_after
            ) from None
