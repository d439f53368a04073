"""The one domain error: what a service raises when it refuses, for every app.

A machine code (the reference's `reason` or `code`, e.g. "duplicate_invoice"), a sentence for people, the HTTP status
an API answers with, and per-field messages. Views turn it into a form error; API views into the JSON error body.
Each app names its own kind (InvoiceError, MasterDataError, WebhookError) so that a view catches only what its
service can raise, while anything handling errors in general (logs, the API's last resort) knows one shape.
"""


class DomainError(Exception):
    default_status = 400

    def __init__(self, code: str, message: str, *, status: int | None = None, fields: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or self.default_status
        self.fields = fields or {}

    def __repr__(self):
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, status={self.status})"
