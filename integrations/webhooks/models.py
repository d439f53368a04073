"""Webhook endpoints (one per tenant), the events Flowpoint emits, and their deliveries with every attempt."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.crypto import EncryptedTextField
from tenants.models import TenantOwned

# The event types an endpoint can subscribe to are invoicing's (invoicing/events.py); this one is ours.
TEST_EVENT_TYPE = "webhook.test"


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(16)


class WebhookEndpoint(TenantOwned):
    """The tenant's callback URL (the spec allows one per tenant) and what it subscribes to."""

    url = models.CharField(_("URL"), max_length=500)
    events = models.JSONField(default=list)  # subset of invoicing.events.EVENT_TYPES
    secret = EncryptedTextField()
    # During a rotation the old secret still signs (x-flowpoint-signature-previous) until this moment.
    previous_secret = EncryptedTextField(blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="one_webhook_endpoint_per_tenant")]

    def __str__(self):
        return self.url

    def rotating_until(self, now):
        """When the old secret stops signing, if a rotation is still in its grace period."""
        if self.previous_secret and self.previous_secret_until and self.previous_secret_until > now:
            return self.previous_secret_until
        return None


class WebhookEvent(TenantOwned):
    """One emitted event, recorded whether or not an endpoint exists or is active."""

    id = models.CharField(primary_key=True, max_length=40, default=new_event_id, editable=False)
    type = models.CharField(max_length=40)
    status = models.CharField(max_length=20)  # the envelope's root status: pending, certified, failed, …
    source = models.CharField(max_length=40)  # the lifecycle step that emitted it, e.g. nrs.sign
    data = models.JSONField(default=dict)
    invoice_id = models.UUIDField(null=True, blank=True, db_index=True)  # no FK: events outlive what they describe
    emitted_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-emitted_at"]

    def __str__(self):
        return f"{self.type} {self.id}"


class WebhookDelivery(TenantOwned):
    """One event sent to one endpoint: up to five attempts per round, every one recorded."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")  # claimed by a worker; a sweeper frees it if the worker died
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        HELD = "held", _("Held (endpoint paused)")

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    is_test = models.BooleanField(default=False)  # one attempt, sent even while paused, never pauses
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)  # all attempts ever made (= attempt rows)
    # Failed attempts since the last success, re-enable or redelivery: drives the backoff and the auto-pause.
    consecutive_failures = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sending_since = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)  # HTTP status of the last attempt
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="one_delivery_per_event_endpoint")]
        indexes = [
            models.Index(fields=["endpoint", "state"]),
            models.Index(fields=["state", "next_attempt_at"]),
        ]
        verbose_name_plural = "webhook deliveries"

    def __str__(self):
        return f"{self.event_id} → {self.endpoint_id} ({self.state})"


class WebhookAttempt(TenantOwned):
    """One HTTP POST of a delivery: what came back (or why nothing did)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True)  # at most 1 KB of the response body
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="one_attempt_per_number")]

    def __str__(self):
        return f"attempt {self.number} of {self.delivery_id}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300 and not self.error
