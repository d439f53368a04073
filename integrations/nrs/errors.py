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
    for a sign, ask confirm first: NRS may have signed it although we got no answer."""

    outcome = "transient"
    retryable = True


class NrsNotFound(NrsError):
    """The IRN, entity or route is unknown to NRS."""

    outcome = "not_found"
