from django.db import models

from tenants.models import TenantOwned


class NrsCall(TenantOwned):
    """One HTTP call to NRS, as sent and as answered (secrets redacted), so a user sees what NRS said."""

    class Outcome(models.TextChoices):
        OK = "ok"
        REJECTED = "rejected"
        BAD_CREDENTIALS = "bad_credentials"
        TRANSIENT = "transient"
        NOT_FOUND = "not_found"

    endpoint = models.CharField(max_length=40)  # e.g. "sign", "confirm"
    method = models.CharField(max_length=6)
    url = models.CharField(max_length=500)
    reference = models.CharField(max_length=120, blank=True, db_index=True)  # the IRN, when there is one
    request_body = models.TextField(blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)  # null: no answer (timeout…)
    response_body = models.TextField(blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    message = models.TextField(blank=True)  # NRS's details / public message, or the network error
    duration_ms = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.method} {self.endpoint} → {self.status_code or '—'} {self.outcome}"


class NrsHost(models.Model):
    """One NRS host as every worker process and machine sees it: the database is what they all share.

    `limit` is how many calls may be in flight to the host now (adaptive: NRS's 429/503 halve it, answers
    grow it back to NRS_HOST_CONCURRENCY). The circuit opens after NRS_CIRCUIT_FAILURES failures in a row of
    the host itself (no connection, no answer, 5xx): invoices then wait instead of failing, and one probe
    now and then tests NRS. Each claim of invoices for the host writes `claimed_at` first: that row lock
    (PostgreSQL) or write lock (SQLite) makes the count of calls in flight and the claim one step.
    """

    class Circuit(models.TextChoices):
        CLOSED = "closed"
        OPEN = "open"

    base_url = models.CharField(max_length=300, unique=True)
    limit = models.PositiveIntegerField()
    limit_changed_at = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)  # NRS's Retry-After
    circuit = models.CharField(max_length=6, choices=Circuit.choices, default=Circuit.CLOSED)
    failures = models.PositiveIntegerField(default=0)  # host failures in a row
    failing_since = models.DateTimeField(null=True, blank=True)  # the first of them: "unreachable since"
    next_probe_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.base_url} ({self.circuit})"


class NrsCallSlot(models.Model):
    """A call to an NRS host that is no invoice's submission (a pull of received invoices, a delivery lookup), held
    in the host's limit while it runs, beside the invoices in flight. A worker that dies mid-call leaves its slot to
    expire instead of holding it for ever."""

    host = models.ForeignKey(NrsHost, on_delete=models.CASCADE, related_name="slots")
    purpose = models.CharField(max_length=40)  # e.g. "pull", "delivery": what the call is for, for the logs
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.purpose} at {self.host_id} until {self.expires_at:%H:%M:%S}"
