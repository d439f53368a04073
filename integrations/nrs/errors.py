"""What an NRS call can end in, besides success. Callers branch on the type, never on strings."""


class NrsError(Exception):
    """Base of every NRS failure. `details`/`public_message` are NRS's own words when it gave any."""

    outcome = "error"
    retryable = False

    def __init__(self, message: str, *, status_code: int | None = None, details: str = "", public_message: str = ""):
        super().__init__(message)
        self.status_code = status_code
        self.details = details
        self.public_message = public_message


class NrsRejected(NrsError):
    """NRS refused the document or request (validation). Permanent: resending the same fails the same."""

    outcome = "rejected"


class NrsBadCredentials(NrsError):
    """NRS could not validate the API key/secret (it answers 400, not 401). Fix the tenant's set-up."""

    outcome = "bad_credentials"


class NrsTransient(NrsError):
    """Timeout, connection error, 5xx, 'kindly try again later', 'access points are offline'. Retry later;
    for a sign, ask confirm first: NRS may have signed it although we got no answer.

    `host_down`: NRS itself did not answer (no connection, no answer in time, 5xx, no envelope) rather than
    refusing this one request; it feeds the host's circuit. `throttled`: NRS asked everyone to slow down (429,
    503), for `retry_after` seconds when it said so.
    """

    outcome = "transient"
    retryable = True

    def __init__(self, message: str, *, host_down: bool = False, throttled: bool = False, retry_after=None, **kwargs):
        super().__init__(message, **kwargs)
        self.host_down = host_down
        self.throttled = throttled
        self.retry_after = retry_after


class NrsNotFound(NrsError):
    """The IRN, entity or route is unknown to NRS."""

    outcome = "not_found"
