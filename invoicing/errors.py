from portal.errors import DomainError


class InvoiceError(DomainError):
    """A refused invoice: the reference names its machine code `reason`; `detail` says more, `extra` adds body keys.

    Views turn it into a form error or the API's {"error", "reason", "detail", "fields"} body.
    """

    def __init__(
        self, reason: str, message: str, *, detail: str = "", fields: dict | None = None, status: int = 400, extra=None
    ):
        super().__init__(reason, message, status=status, fields=fields)
        self.extra = extra or {}  # further body keys, e.g. nrsError on a 502
        self.detail = detail

    @property
    def reason(self) -> str:
        return self.code
