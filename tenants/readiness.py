"""What is still missing before NRS submission can succeed, with the spec's codes and where to fix it."""

from dataclasses import asdict, dataclass
from functools import cache

from django.urls import reverse
from django_scopes import scope

from tenants.models import CryptoKey, Location, Tenant


@dataclass(frozen=True)
class ReadinessItem:
    key: str
    code: str  # the machine code an invoice submission would fail with
    label: str
    ok: bool
    detail: str
    fix_url: str

    def as_api(self) -> dict:
        data = asdict(self)
        data["fixUrl"] = data.pop("fix_url")
        return data


def primary_location(tenant: Tenant) -> Location | None:
    """The address the business trades from, with the state and LGA names the checklist and invoices show."""
    with scope(tenant=tenant):
        return Location.objects.filter(is_primary=True).select_related("state", "lga").first()


def active_key_on_file(tenant: Tenant) -> bool:
    with scope(tenant=tenant):
        return CryptoKey.objects.filter(is_active=True).exists()


def plain_list(words: list[str]) -> str:
    """["a", "b", "c"] as people write it: "a, b and c"."""
    return " and ".join([", ".join(words[:-1]), words[-1]]) if len(words) > 1 else "".join(words)


def missing_summary(items: list[ReadinessItem]) -> str:
    """Every missing item of a checklist in one sentence, each with what to do about it."""
    return " ".join(f"{item.label}: {item.detail}" for item in items if not item.ok)


_UNREAD = object()


@cache
def _url(name: str) -> str:
    return reverse(name)


def tenant_readiness(tenant: Tenant, primary=_UNREAD, has_key: bool | None = None) -> list[ReadinessItem]:
    """The checklist; `primary` and `has_key` (an active crypto key is on file) when the caller knows them."""
    if primary is _UNREAD:
        primary = primary_location(tenant)
    if has_key is None:
        has_key = active_key_on_file(tenant)

    missing_profile = [
        label
        for label, value in (
            ("legal name", tenant.name),
            ("TIN (Tax Identification Number)", tenant.tin),
            ("business e-mail address", tenant.effective_email()),
        )
        if not value
    ]
    return [
        ReadinessItem(
            "business_profile",
            "SUPPLIER_VALIDATION_FAILED",
            "Business profile",
            not missing_profile,
            f"Add the business's {plain_list(missing_profile)}."
            if missing_profile
            else "Legal name, TIN and e-mail are set.",
            _url("settings_profile"),
        ),
        ReadinessItem(
            "primary_location",
            "SUPPLIER_VALIDATION_FAILED",
            "Primary business location",
            primary is not None,
            f"{primary.street}, {primary.city}, {primary.lga.name}, {primary.state.name}."
            if primary
            else "Add the address you trade from: street, city, postal code, state and LGA.",
            _url("settings_locations"),
        ),
        ReadinessItem(
            "nrs_business_id",
            "NO_BUSINESS_ID",
            "NRS business ID",
            tenant.nrs_business_id is not None,
            "Set." if tenant.nrs_business_id else "Copy the business ID (a UUID) from your NRS profile.",
            _url("settings_nrs"),
        ),
        ReadinessItem(
            "nrs_service_id",
            "NO_SERVICE_ID",
            "NRS service ID",
            bool(tenant.nrs_service_id),
            "Set." if tenant.nrs_service_id else "Copy the 8-character service ID from your NRS profile.",
            _url("settings_nrs"),
        ),
        ReadinessItem(
            "nrs_credentials",
            "NO_CREDENTIALS",
            "NRS API key and secret",
            tenant.has_nrs_credentials,
            "Saved (never shown again)."
            if tenant.has_nrs_credentials
            else "Enter the API key and secret NRS issued for your business.",
            _url("settings_nrs"),
        ),
        ReadinessItem(
            "crypto_key",
            "NO_KEYS",
            "NRS crypto-key file",
            has_key,
            "An active key is on file." if has_key else "Upload the crypto_keys.txt file from the NRS portal.",
            _url("settings_crypto_keys"),
        ),
    ]


def tenant_is_ready(tenant: Tenant) -> bool:
    return all(item.ok for item in tenant_readiness(tenant))
