"""What stops working on a date, and how soon: API keys, the crypto-key file and the NRS credentials.

One list feeds the scheduled warnings (tenants/notifications.py: credentials_expiring), the "expires in N days"
notes on the settings pages and the dashboard's warning once one has expired.

The crypto-key file's certificate and the NRS credentials carry no readable expiry: the admin enters the date NRS
gave (a date, valid through that whole day in Lagos).
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django_scopes import scope, scopes_disabled

from tenants.models import ApiKey, CryptoKey, Notification, Tenant

Kind = Notification.Kind
WARN_DAYS = (1, 7, 30)  # days before the end when the admins are told


def end_of(valid_until: date) -> datetime:
    """The moment a thing 'valid until' this date stops working: the end of that day, Lagos time."""
    return timezone.make_aware(datetime.combine(valid_until, time.max))


def days_left(ends_at: datetime, now: datetime | None = None) -> int:
    """Whole days left, rounded up (0 or less once it has ended)."""
    return math.ceil((ends_at - (now or timezone.now())) / timedelta(days=1))


def calendar_days_left(last_day) -> int:
    """Days from today to the last valid day (a date, or a moment on it), in Lagos: 0 on the day itself."""
    if isinstance(last_day, datetime):
        last_day = timezone.localdate(last_day)
    return (last_day - timezone.localdate()).days


def expiry_note(last_day) -> str:
    """A settings page's note beside a last valid day (a date, or a moment on it), in calendar days of Lagos:
    "Expires in 12 days", "Expires at the end of tomorrow", "Expires at the end of today", "Expired on 3 Dec 2026"."""
    if not last_day:
        return ""
    left = calendar_days_left(last_day)
    if left < 0:
        if isinstance(last_day, datetime):
            last_day = timezone.localdate(last_day)
        return f"Expired on {date_format(last_day, 'j M Y')}"
    if left == 0:
        return "Expires at the end of today"
    if left == 1:
        return "Expires at the end of tomorrow"
    return f"Expires in {left} days"


@dataclass
class Expiring:
    """One thing that stops working at `ends_at`, as its admins are told about it (never a secret, only a name)."""

    tenant: Tenant
    kind: str
    what: str  # "The API key “Sage ERP”", "The NRS crypto-key file", "The NRS API credentials"
    ends_at: datetime
    renew: str  # where and how to renew, in a sentence
    link: str
    key: str  # the notification key's stem: one notification per threshold
    also_tell: list = field(default_factory=list)  # users besides the admins (an API key's creator)


def expiring(now: datetime, within_days: int = max(WARN_DAYS)) -> list[Expiring]:
    """Everything of every business that ends after `now` and within `within_days`."""
    until = now + timedelta(days=within_days)
    found = []
    with scopes_disabled():
        keys = ApiKey.objects.filter(revoked_at__isnull=True, expires_at__gt=now, expires_at__lte=until)
        for key in keys.select_related("tenant", "created_by"):
            found.append(
                Expiring(
                    key.tenant,
                    Kind.KEY_EXPIRING,
                    f"The API key “{key.name}”",
                    key.expires_at,
                    "Create a new key in Settings → API access, put it in the software that uses this one, then "
                    "revoke the old key.",
                    reverse("settings_api_keys"),
                    f"api-key-expiry:{key.pk}",
                    [key.created_by] if key.created_by_id else [],
                )
            )
        first_day, last_day = timezone.localdate(now) - timedelta(days=1), timezone.localdate(until)
        for crypto_key in CryptoKey.objects.filter(
            is_active=True, valid_until__gte=first_day, valid_until__lte=last_day
        ).select_related("tenant"):
            found.append(
                Expiring(
                    crypto_key.tenant,
                    Kind.CRYPTO_KEY_EXPIRING,
                    "The NRS crypto-key file",
                    end_of(crypto_key.valid_until),
                    "Download a new crypto-key file from the NRS e-invoicing portal and upload it in Settings → "
                    "Crypto keys; until then invoices cannot carry an NRS QR code once it has expired.",
                    reverse("settings_crypto_keys"),
                    f"crypto-key-expiry:{crypto_key.pk}:{crypto_key.valid_until.isoformat()}",
                )
            )
        for tenant in Tenant.objects.filter(
            nrs_credentials_valid_until__gte=first_day, nrs_credentials_valid_until__lte=last_day
        ).exclude(nrs_api_key=""):
            found.append(
                Expiring(
                    tenant,
                    Kind.NRS_CREDENTIALS_EXPIRING,
                    "The NRS API credentials",
                    end_of(tenant.nrs_credentials_valid_until),
                    "Ask NRS for a new API key and secret and enter them in Settings → NRS set-up; until then "
                    "invoices cannot be sent to NRS once they have expired.",
                    reverse("settings_nrs"),
                    f"nrs-credentials-expiry:{tenant.nrs_credentials_valid_until.isoformat()}",
                )
            )
    return [item for item in found if now < item.ends_at <= until]


@dataclass(frozen=True)
class Expired:
    """The active crypto-key file or the NRS credentials past the valid-until date the admin noted. A warning, not
    a block: the date is the admin's note and NRS is the judge, so invoices are still sent until NRS refuses."""

    key: str  # as the readiness item it belongs to: "crypto_key", "nrs_credentials"
    label: str  # as that readiness item's label
    ended: date
    what: str  # "The NRS crypto-key file"
    fix: str  # what to do, in a sentence without its place
    place: str  # where in the portal, as a person reads it
    fix_url: str

    @property
    def sentence(self) -> str:
        """The dashboard's warning."""
        return f"{self.what} expired on {date_format(self.ended, 'j M Y')}. {self.fix} in {self.place}."

    @property
    def detail(self) -> str:
        """The readiness answer's warning, beside its link to the page."""
        return (
            f"Expired on {date_format(self.ended, 'j M Y')}, the date you noted. {self.fix}. Invoices are still "
            "sent to NRS until NRS refuses them."
        )

    def as_api(self) -> dict:
        return {"key": self.key, "label": self.label, "detail": self.detail, "fixUrl": self.fix_url}


def expired(tenant: Tenant) -> list[Expired]:
    """The tenant's active crypto-key file and NRS credentials whose valid-until date has passed (Lagos days)."""
    today = timezone.localdate()
    found = []
    with scope(tenant=tenant):
        crypto_key = CryptoKey.objects.filter(is_active=True, valid_until__lt=today).first()
    if crypto_key:
        found.append(
            Expired(
                "crypto_key",
                "NRS crypto-key file",
                crypto_key.valid_until,
                "The NRS crypto-key file",
                "Upload the new file from the NRS e-invoicing portal",
                "Settings → Crypto keys",
                reverse("settings_crypto_keys"),
            )
        )
    if tenant.has_nrs_credentials and tenant.nrs_credentials_valid_until and tenant.nrs_credentials_valid_until < today:
        found.append(
            Expired(
                "nrs_credentials",
                "NRS API key and secret",
                tenant.nrs_credentials_valid_until,
                "The NRS API credentials",
                "Enter the new key and secret from NRS",
                "Settings → NRS set-up",
                reverse("settings_nrs"),
            )
        )
    return found


def expired_warnings(tenant: Tenant) -> list[str]:
    """Plain sentences for the admins' dashboard: the active crypto-key file or the NRS credentials have expired."""
    return [item.sentence for item in expired(tenant)]
