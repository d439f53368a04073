"""Admin API bodies: camelCase in and out (as the spec's responses are); parsing only."""

from datetime import UTC

from rest_framework import serializers

from integrations.reference.models import Country, Lga, State
from tenants.models import ApiKey, CryptoKey, Location, Tenant
from tenants.validators import validate_phone, validate_service_id, validate_tin


def _iso(value):
    """Timestamps in API responses are ISO 8601 UTC."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


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


def profile_data(tenant: Tenant) -> dict:
    return {
        "id": str(tenant.pk),
        "legalName": tenant.name,
        "tin": tenant.tin,
        "email": tenant.email,
        "effectiveEmail": tenant.effective_email(),
        "telephone": tenant.telephone,
        "description": tenant.description,
        "nrsBusinessId": str(tenant.nrs_business_id) if tenant.nrs_business_id else None,
        "nrsServiceId": tenant.nrs_service_id,
        "environment": tenant.environment,
        "nrsCredentialsConfigured": tenant.has_nrs_credentials,
        "nrsCredentialsUpdatedAt": _iso(tenant.nrs_credentials_updated_at),
    }


class NrsCredentialsSerializer(serializers.Serializer):
    apiKey = serializers.CharField(max_length=500, source="api_key")
    apiSecret = serializers.CharField(max_length=500, source="api_secret")


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
        return data


def location_data(location: Location) -> dict:
    return {
        "id": location.pk,
        "street": location.street,
        "city": location.city,
        "postalZone": location.postal_zone,
        "state": location.state_id,
        "lga": location.lga_id,
        "country": location.country_id,
        "isPrimary": location.is_primary,
    }


def crypto_key_data(key: CryptoKey) -> dict:
    return {
        "id": key.pk,
        "fingerprint": key.fingerprint,
        "isActive": key.is_active,
        "uploadedAt": _iso(key.uploaded_at),
        "uploadedBy": key.uploaded_by.email if key.uploaded_by else None,
    }


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    expiresAt = serializers.DateTimeField(source="expires_at", required=False, allow_null=True)


def api_key_data(key: ApiKey) -> dict:
    return {
        "id": key.pk,
        "name": key.name,
        "prefix": key.prefix,
        "status": key.status,
        "createdAt": _iso(key.created_at),
        "expiresAt": _iso(key.expires_at),
        "revokedAt": _iso(key.revoked_at),
        "lastUsedAt": _iso(key.last_used_at),
    }


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField()
