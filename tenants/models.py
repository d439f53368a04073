import ipaddress
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from portal.crypto import EncryptedTextField
from tenants.validators import validate_phone, validate_service_id, validate_tin


class Tenant(models.Model):
    """A business using Flowpoint: its profile is the supplier party of every invoice it issues."""

    class Environment(models.TextChoices):
        SANDBOX = "sandbox", _("Sandbox (testing)")
        LIVE = "live", _("Live")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("legal name"), max_length=200)
    tin = models.CharField(_("TIN"), max_length=20, blank=True, validators=[validate_tin])
    email = models.EmailField(_("business e-mail"), blank=True)
    telephone = models.CharField(_("telephone"), max_length=20, blank=True, validators=[validate_phone])
    description = models.TextField(_("business description"), blank=True, max_length=1000)
    nrs_business_id = models.UUIDField(_("NRS business ID"), null=True, blank=True)
    nrs_service_id = models.CharField(_("NRS service ID"), max_length=8, blank=True, validators=[validate_service_id])
    environment = models.CharField(max_length=10, choices=Environment.choices, default=Environment.SANDBOX)
    nrs_api_key = EncryptedTextField(blank=True)
    nrs_api_secret = EncryptedTextField(blank=True)
    nrs_credentials_updated_at = models.DateTimeField(null=True, blank=True)
    # NRS says when the credentials stop working; the admin enters it (tenants/expiry.py warns before the day).
    nrs_credentials_valid_until = models.DateField(_("NRS credentials valid until"), null=True, blank=True)
    onboarded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped with every change to the locations, crypto keys or review rules (invoicing/setup.py), so that
    # processes can keep a copy of them that the next request after a change knows to be out of date.
    setup_version = models.PositiveIntegerField(default=0, editable=False)
    # An admin's choice: every member must sign in with a second factor (tenants/two_factor.py).
    require_two_factor = models.BooleanField(_("require two-factor sign-in for every member"), default=False)

    def __str__(self):
        return self.name

    @property
    def has_nrs_credentials(self) -> bool:
        return bool(self.nrs_api_key and self.nrs_api_secret)

    @property
    def is_sandbox(self) -> bool:
        return self.environment == self.Environment.SANDBOX

    def effective_email(self) -> str:
        """The business e-mail, or (as the spec says) the first admin's when none is set."""
        if self.email:
            return self.email
        admin = (
            Membership.objects.with_scope(tenant=self)
            .filter(role=Membership.Role.ADMIN)
            .select_related("user")
            .order_by("created_at")
            .first()
        )
        return admin.user.email if admin else ""


class TenantManager(ScopedManager(tenant="tenant").__class__):
    """django-scopes' manager: queries must run inside a tenant scope, and see that tenant's rows only.

    Inserts skip the scope's filter: every row names its own tenant, and building a filter that an INSERT
    ignores was a twentieth of an invoice create.
    """

    def create(self, **kwargs):
        return models.QuerySet(self.model, using=self._db).create(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        return models.QuerySet(self.model, using=self._db).bulk_create(objs, *args, **kwargs)


class TenantOwned(models.Model):
    """Base of every tenant-owned row: queries must run inside a tenant scope (django-scopes)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

    objects = TenantManager()

    class Meta:
        abstract = True


class Membership(TenantOwned):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Admin")
        APPROVER = "approver", _("Approver")
        REVIEWER = "reviewer", _("Reviewer")
        CLERK = "clerk", _("Clerk")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="one_membership_per_user")]

    def __str__(self):
        return f"{self.user} ({self.role}) @ {self.tenant_id}"


class Invitation(TenantOwned):
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Membership.Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.email} ({self.role})"

    @property
    def is_open(self) -> bool:
        return not self.accepted_at and not self.revoked_at and self.expires_at > timezone.now()


class Location(TenantOwned):
    """A place the business trades from; the primary one is the supplier's NRS postal address."""

    street = models.CharField(_("street address"), max_length=200)
    city = models.CharField(max_length=100)
    postal_zone = models.CharField(_("postal code"), max_length=20)
    state = models.ForeignKey("reference.State", on_delete=models.PROTECT)
    lga = models.ForeignKey("reference.Lga", on_delete=models.PROTECT, verbose_name=_("LGA"))
    country = models.ForeignKey("reference.Country", on_delete=models.PROTECT, to_field="alpha_2")
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_primary", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant"], condition=Q(is_primary=True), name="one_primary_location")
        ]

    def __str__(self):
        return f"{self.street}, {self.city}"

    def clean(self):
        if self.lga_id and self.state_id and self.lga.state_id != self.state_id:
            raise ValidationError(
                {
                    "lga": f"{self.lga.name} is in {self.lga.state.name}, not {self.state.name}. "
                    f"Choose an LGA of {self.state.name}."
                }
            )


class CryptoKey(TenantOwned):
    """An NRS crypto-key file (public key + certificate) used to encrypt invoice QR codes."""

    key_file = EncryptedTextField()  # the uploaded JSON, verbatim
    fingerprint = models.CharField(max_length=95)  # SHA-256 of the public key (DER), hex pairs
    is_active = models.BooleanField(default=True)
    # The certificate in the file is an opaque token with no readable expiry: the admin enters the date NRS gave.
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_active", "-uploaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant"], condition=Q(is_active=True), name="one_active_crypto_key")
        ]

    def __str__(self):
        return f"{self.fingerprint[:23]}… ({'active' if self.is_active else 'inactive'})"


class ApiKey(TenantOwned):
    """An integrator's key: shown once, stored as a SHA-256 hash, found by that hash."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=20)  # visible part, e.g. fp_test_Ab12Cd34
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # A read-only key may only read (GET/HEAD/OPTIONS); existing keys stay read-write.
    read_only = models.BooleanField(default=False)
    # CIDR networks (IPv4 or IPv6) the key may be used from; empty: from anywhere.
    allowed_networks = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def allows_address(self, address: str) -> bool:
        """Whether a request from `address` may use this key (always, when no networks are set)."""
        if not self.allowed_networks:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if ip.version == 6 and ip.ipv4_mapped:  # ::ffff:203.0.113.5 is the IPv4 address
            ip = ip.ipv4_mapped
        return any(ip in ipaddress.ip_network(network, strict=False) for network in self.allowed_networks)

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"


class AuditEvent(TenantOwned):
    """A change to the tenant's settings, team, keys or webhooks: who (or which key), when, what changed.

    Invoice state changes are InvoiceEvent rows; the audit-log page shows both.
    """

    kind = models.CharField(max_length=60, db_index=True)  # e.g. settings.profile_updated, api_key.revoked
    message = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)  # field -> [old, new]; secrets only as "changed"
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    actor_key = models.ForeignKey("tenants.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.kind} @ {self.created_at:%Y-%m-%d %H:%M}"


class Notification(TenantOwned):
    """Something a member should know (tenants/notifications.py): shown under the bell, e-mailed if they wish."""

    class Kind(models.TextChoices):
        WAITING_FOR_YOU = "waiting_for_you", _("Invoices waiting for your review or approval")
        INVOICE_REJECTED = "invoice_rejected", _("Your invoice was rejected")
        SUBMISSION_FAILED = "submission_failed", _("A submission to NRS failed")
        WEBHOOK_PAUSED = "webhook_paused", _("A webhook endpoint was paused")
        PURCHASE_RECEIVED = "purchase_received", _("An invoice arrived in the purchase inbox")
        RUN_WITH_ERRORS = "run_with_errors", _("A CSV upload or connector run finished with errors")
        B2C_DEADLINE = "b2c_deadline", _("A B2C invoice's 24-hour reporting deadline is near or missed")
        NRS_OUTAGE = "nrs_outage", _("NRS not answering for more than 15 minutes, and back")
        KEY_EXPIRING = "key_expiring", _("An API key expiring in 30, 7 or 1 days")
        NRS_COPY_DIFFERS = "nrs_copy_differs", _("NRS's copy of an invoice differs from this portal's")
        CRYPTO_KEY_EXPIRING = "crypto_key_expiring", _("The NRS crypto-key file expiring in 30, 7 or 1 days")
        NRS_CREDENTIALS_EXPIRING = "nrs_credentials_expiring", _("The NRS API credentials expiring in 30, 7 or 1 days")

    class Delivery(models.TextChoices):
        IN_APP = "in_app", _("In the portal only")
        EMAIL = "email", _("E-mail at once")
        DIGEST = "digest", _("In the daily digest")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)  # a path in the portal
    # The event that caused it (e.g. "rejected:<event id>"): the same event never notifies a user twice.
    key = models.CharField(max_length=200)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.IN_APP)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "user", "key"], name="one_notification_per_event")]
        indexes = [models.Index(fields=["tenant", "user", "read_at"], name="notification_unread")]

    def __str__(self):
        return f"{self.kind} for {self.user_id}: {self.title}"


class NotificationPreference(TenantOwned):
    """A member's choice for one kind: always in the portal; by e-mail at once, in a daily digest, or not."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40, choices=Notification.Kind.choices)
    email = models.BooleanField(default=True)
    digest = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "kind"], name="one_notification_preference_per_kind")
        ]

    def __str__(self):
        return f"{self.kind} for {self.user_id}: e-mail {'digest' if self.digest else self.email}"
