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
