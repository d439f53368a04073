"""Admin API bodies: camelCase in and out (as the spec's responses are). Requests are parsed by the serializers;
answers are Shapes (portal/shapes.py), whose declaration is both the rendering and the OpenAPI component."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from integrations.reference.models import Country, Lga, State
from portal.openapi import TIMESTAMP, UUID, boolean, integer, nullable, text
from portal.shapes import Field, Shape, iso
from tenants.models import ApiKey, Tenant
from tenants.validators import future_or_empty, validate_phone, validate_postal_code, validate_service_id, validate_tin

# The admin's own note of when NRS said the key or the credentials stop working (the dashboard warns before).
_DAY = text(
    "The day NRS said it stops working, as the admin noted it; null when not noted.",
    format="date",
    examples=["2027-03-31"],
)
VALID_UNTIL = nullable(_DAY)
READ_ONLY_HELP = (
    "A read-only key gets 403 on every write; it may still check a body with POST /api/v1/invoices/validate."
)


@extend_schema_field(_DAY)  # DRF's allow_null adds the null
class ValidUntilField(serializers.DateField):
    """`validUntil` in a request: optional; null clears it; a date already past is refused (the portal's rule)."""

    def __init__(self, **kwargs):
        super().__init__(source="valid_until", required=False, allow_null=True, validators=[future_or_empty], **kwargs)


def _day(value):
    return value.isoformat() if value else None


class ProfileSerializer(serializers.Serializer):
    legalName = serializers.CharField(source="name", max_length=200)
    tin = serializers.CharField(max_length=20, allow_blank=True, validators=[validate_tin])
    email = serializers.EmailField(allow_blank=True)
    telephone = serializers.CharField(max_length=20, allow_blank=True, validators=[validate_phone])
    description = serializers.CharField(max_length=1000, allow_blank=True)
    nrsBusinessId = serializers.UUIDField(
        source="nrs_business_id",
        allow_null=True,
        error_messages={"invalid": "The NRS business ID is a UUID, such as 3f1c2e9a-7b4d-4c1e-9a2f-1b2c3d4e5f60."},
    )
    nrsServiceId = serializers.CharField(
        source="nrs_service_id", max_length=8, allow_blank=True, validators=[validate_service_id]
    )
    environment = serializers.ChoiceField(choices=Tenant.Environment.choices)

    def validate_tin(self, value):
        return value.strip()


PROFILE = Shape(
    "Profile",
    {
        "id": Field(UUID, lambda tenant: str(tenant.pk)),
        "legalName": Field(text(), lambda tenant: tenant.name),
        "tin": Field(text(), lambda tenant: tenant.tin),
        "email": Field(text(), lambda tenant: tenant.email),
        "effectiveEmail": Field(
            text("The e-mail NRS gets: the business e-mail, else the portal admin's."),
            lambda tenant: tenant.effective_email(),
        ),
        "telephone": Field(text(), lambda tenant: tenant.telephone),
        "description": Field(text(), lambda tenant: tenant.description),
        "nrsBusinessId": Field(
            nullable(UUID), lambda tenant: str(tenant.nrs_business_id) if tenant.nrs_business_id else None
        ),
        "nrsServiceId": Field(text(), lambda tenant: tenant.nrs_service_id),
        "environment": Field(text(enum=["sandbox", "live"]), lambda tenant: tenant.environment),
        "nrsCredentialsConfigured": Field(boolean(), lambda tenant: tenant.has_nrs_credentials),
        "nrsCredentialsUpdatedAt": Field(TIMESTAMP, lambda tenant: iso(tenant.nrs_credentials_updated_at)),
    },
)
profile_data = PROFILE.render


class NrsCredentialsSerializer(serializers.Serializer):
    apiKey = serializers.CharField(max_length=500, source="api_key")
    apiSecret = serializers.CharField(max_length=500, source="api_secret")
    validUntil = ValidUntilField()


class CryptoKeyUploadSerializer(serializers.Serializer):
    """The upload's fields besides the file itself (which tenant_crypto_keys reads)."""

    validUntil = ValidUntilField()


NRS_CREDENTIALS_STATUS = Shape(
    "NrsCredentialsStatus",
    {
        "configured": Field(boolean(), lambda tenant: tenant.has_nrs_credentials),
        "updatedAt": Field(TIMESTAMP, lambda tenant: iso(tenant.nrs_credentials_updated_at)),
        "validUntil": Field(VALID_UNTIL, lambda tenant: _day(tenant.nrs_credentials_valid_until)),
    },
    description="Write-only credentials: only whether they are set, never their value.",
)


class LocationSerializer(serializers.Serializer):
    street = serializers.CharField(max_length=200)
    city = serializers.CharField(max_length=100)
    postalZone = serializers.CharField(max_length=20, source="postal_zone")
    state = serializers.SlugRelatedField(
        slug_field="code",
        queryset=State.objects.all(),
        error_messages={"does_not_exist": "Unknown state code {value}; use an ISO code such as NG-LA."},
    )
    lga = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Lga.objects.select_related("state"),
        error_messages={"does_not_exist": "Unknown LGA code {value}; use an NRS code such as NG-LA-IKJ."},
    )
    country = serializers.SlugRelatedField(
        slug_field="alpha_2",
        queryset=Country.objects.all(),
        required=False,
        error_messages={"does_not_exist": "Unknown country code {value}; use ISO alpha-2 such as NG."},
    )
    isPrimary = serializers.BooleanField(source="is_primary", required=False)

    def validate(self, data):
        state, lga = data.get("state"), data.get("lga")
        if self.instance is not None:
            state = state or self.instance.state
            lga = lga or self.instance.lga
        if state and lga and lga.state_id != state.pk:
            raise serializers.ValidationError(
                {"lga": f"{lga.name} is in {lga.state.name}, not {state.name}. Choose an LGA of {state.name}."}
            )
        postal_zone = data.get("postal_zone", self.instance.postal_zone if self.instance is not None else "")
        country = data.get("country") or (self.instance.country if self.instance is not None else None)
        try:  # the portal's location form's rule, defined once
            validate_postal_code(postal_zone, country.pk if country else None)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"postalZone": error.messages[0]}) from None
        return data


LOCATION = Shape(
    "Location",
    {
        "id": Field(integer(), lambda location: location.pk),
        "street": Field(text(), lambda location: location.street),
        "city": Field(text(), lambda location: location.city),
        "postalZone": Field(text(), lambda location: location.postal_zone),
        "state": Field(text(), lambda location: location.state_id),
        "lga": Field(text(), lambda location: location.lga_id),
        "country": Field(text(), lambda location: location.country_id),
        "isPrimary": Field(boolean(), lambda location: location.is_primary),
    },
)
location_data = LOCATION.render

CRYPTO_KEY = Shape(
    "CryptoKey",
    {
        "id": Field(integer(), lambda key: key.pk),
        "fingerprint": Field(text(), lambda key: key.fingerprint),
        "isActive": Field(boolean(), lambda key: key.is_active),
        "uploadedAt": Field(TIMESTAMP, lambda key: iso(key.uploaded_at)),
        "uploadedBy": Field(nullable(text()), lambda key: key.uploaded_by.email if key.uploaded_by else None),
        "validUntil": Field(VALID_UNTIL, lambda key: _day(key.valid_until)),
    },
)
crypto_key_data = CRYPTO_KEY.render


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    expiresAt = serializers.DateTimeField(source="expires_at", required=False, allow_null=True)
    readOnly = serializers.BooleanField(source="read_only", required=False, default=False, help_text=READ_ONLY_HELP)
    allowedNetworks = serializers.ListField(
        source="allowed_networks",
        child=serializers.CharField(max_length=64),
        required=False,
        default=list,
        max_length=50,
        help_text="CIDR networks (IPv4 or IPv6) the key may be used from, e.g. 203.0.113.0/24; "
        "empty or absent: any address. A request from elsewhere gets 403.",
    )


API_KEY = Shape(
    "ApiKey",
    {
        "id": Field(integer(), lambda key: key.pk),
        "name": Field(text(), lambda key: key.name),
        "prefix": Field(text("Visible part: fp_test_… (sandbox) or fp_live_…"), lambda key: key.prefix),
        "status": Field(text(enum=["active", "revoked", "expired"]), lambda key: key.status),
        "createdAt": Field(TIMESTAMP, lambda key: iso(key.created_at)),
        "expiresAt": Field(TIMESTAMP, lambda key: iso(key.expires_at)),
        "revokedAt": Field(TIMESTAMP, lambda key: iso(key.revoked_at)),
        "lastUsedAt": Field(TIMESTAMP, lambda key: iso(key.last_used_at)),
        "readOnly": Field(boolean(READ_ONLY_HELP), lambda key: key.read_only),
        "allowedNetworks": Field(
            {
                "type": "array",
                "items": {"type": "string"},
                "description": "CIDR networks the key may be used from; empty: any address.",
            },
            lambda key: list(key.allowed_networks),
        ),
    },
)
api_key_data = API_KEY.render


class NewApiKey:
    """A key just created: the key's own fields, and its plaintext."""

    def __init__(self, key: ApiKey, plaintext: str):
        self.key, self.plaintext = key, plaintext

    def __getattr__(self, name):
        return getattr(self.key, name)


# The create answer: the key, and its plaintext, the only time it is ever shown.
API_KEY_CREATED = Shape(
    "ApiKeyCreated",
    {"key": Field(text("The plaintext key: shown this once, stored only as a hash."), lambda new: new.plaintext)},
    extends=API_KEY,
    required=["key"],
)


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField()
