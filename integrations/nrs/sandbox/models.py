"""The sandbox's own state, as NRS would keep it: businesses, their credentials and keys, invoices."""

import uuid

from django.db import models

from portal.crypto import EncryptedTextField


class SandboxBusiness(models.Model):
    business_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=200)
    tin = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    service_id = models.CharField(max_length=8, unique=True)
    private_key_pem = EncryptedTextField()  # NRS keeps the private half; it decrypts QR payloads
    public_key_pem = models.TextField()
    certificate = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "sandbox businesses"

    def __str__(self):
        return f"{self.name} ({self.service_id})"

    @property
    def irn_template(self) -> str:
        return f"{{{{invoice_id}}}}-{self.service_id}-{{{{YYYYMMDD}}}}"


class SandboxCredential(models.Model):
    business = models.ForeignKey(SandboxBusiness, on_delete=models.CASCADE, related_name="credentials")
    api_key = models.CharField(max_length=64, unique=True)
    secret_hash = models.CharField(max_length=64)  # SHA-256 of the secret
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.api_key[:8]}… for {self.business_id}"


class SandboxInvoice(models.Model):
    business = models.ForeignKey(SandboxBusiness, on_delete=models.CASCADE, related_name="invoices")
    irn = models.CharField(max_length=120, unique=True)
    document = models.JSONField()
    payment_status = models.CharField(max_length=10, default="PENDING")
    payment_reference = models.CharField(max_length=100, blank=True)
    signed_at = models.DateTimeField(auto_now_add=True)
    transmitted_at = models.DateTimeField(null=True, blank=True)
    # Where the transmit routed it: the buyer's TIN. The sandbox business with that TIN pulls it and confirms it.
    buyer_tin = models.CharField(max_length=40, blank=True)
    transmit_confirmed_at = models.DateTimeField(null=True, blank=True)  # by the buyer
    sign_count = models.PositiveIntegerField(default=1)  # >1 would mean a duplicate sign got through

    class Meta:
        ordering = ["-signed_at"]
        indexes = [models.Index(fields=["buyer_tin", "transmitted_at"], name="sandbox_delivered_to")]

    def __str__(self):
        return self.irn


class SandboxRequest(models.Model):
    """What the sandbox received and answered (credentials never stored), for its log page and tests."""

    method = models.CharField(max_length=7)
    path = models.CharField(max_length=300)
    api_key_prefix = models.CharField(max_length=12, blank=True)
    business = models.ForeignKey(SandboxBusiness, on_delete=models.SET_NULL, null=True, blank=True)
    request_body = models.TextField(blank=True)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.TextField(blank=True)
    fault = models.CharField(max_length=20, blank=True)  # the injected fault, if any
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.method} {self.path} → {self.status_code}"


class SandboxFaults(models.Model):
    """Fault injection, set on the sandbox page; one row. Defaults come from settings.NRS_SANDBOX_FAULTS."""

    latency_ms = models.PositiveIntegerField(default=0)
    error_rate = models.FloatField(default=0.0)
    timeout_rate = models.FloatField(default=0.0)
    offline_rate = models.FloatField(default=0.0)
    lost_response_rate = models.FloatField(default=0.0)
    throttle_rate = models.FloatField(default=0.0)  # share of 429s, as NRS would slow a client down
    retry_after_seconds = models.PositiveIntegerField(default=2)  # the Retry-After those 429s carry
    strict = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return "sandbox faults"
