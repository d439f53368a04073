class InvoiceError(Exception):
    """A refusal with the spec's machine code (`reason`), a sentence for people, and per-field messages.

    Views turn it into a form error or the API's {"error", "reason", "detail", "fields"} body.
    """

    def __init__(
        self, reason: str, message: str, *, detail: str = "", fields: dict | None = None, status: int = 400, extra=None
    ):
        super().__init__(message)
        self.extra = extra or {}  # further body keys, e.g. nrsError on a 502
        self.reason = reason
        self.message = message
        self.detail = detail
        self.fields = fields or {}
        self.status = status
