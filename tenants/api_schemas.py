"""The admin API's response shapes (tenants/api.py), as OpenAPI components; its request shapes are the serializers
in tenants/serializers.py. Also how drf-spectacular describes our API key authentication.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from portal.openapi import SECURITY_SCHEMES, TIMESTAMP, UUID, boolean, component, integer, nullable, obj, ref, text


class FlowpointKeyScheme(OpenApiAuthenticationExtension):
    """X-Flowpoint-Key (tenants/authentication.py), for any route that does not state its security itself."""

    target_class = "tenants.authentication.ApiKeyAuthentication"
    name = "FlowpointKey"

    def get_security_definition(self, auto_schema):
        return SECURITY_SCHEMES["FlowpointKey"]


ME = component(
    "Me",
    obj(
        {
            "user": obj({"id": integer(), "email": text(), "name": text()}),
            "tenant": nullable(obj({"id": UUID, "name": text()})),
            "role": nullable(text(enum=["admin", "approver", "reviewer", "clerk"])),
            "csrfToken": text("Send it as X-CSRFToken on unsafe session requests."),
        }
    ),
)


PROFILE = component(
    "Profile",
    obj(
        {
            "id": UUID,
            "legalName": text(),
            "tin": text(),
            "email": text(),
            "effectiveEmail": text("The e-mail NRS gets: the business e-mail, else the portal admin's."),
            "telephone": text(),
            "description": text(),
            "nrsBusinessId": nullable(UUID),
            "nrsServiceId": text(),
            "environment": text(enum=["sandbox", "live"]),
            "nrsCredentialsConfigured": boolean(),
            "nrsCredentialsUpdatedAt": TIMESTAMP,
        }
    ),
)


NRS_CREDENTIALS_STATUS = component(
    "NrsCredentialsStatus",
    obj(
        {"configured": boolean(), "updatedAt": TIMESTAMP},
        description="Write-only credentials: only whether they are set, never their value.",
    ),
)


LOCATION = component(
    "Location",
    obj(
        {
            "id": integer(),
            "street": text(),
            "city": text(),
            "postalZone": text(),
            "state": text(),
            "lga": text(),
            "country": text(),
            "isPrimary": boolean(),
        }
    ),
)


CRYPTO_KEY = component(
    "CryptoKey",
    obj(
        {
            "id": integer(),
            "fingerprint": text(),
            "isActive": boolean(),
            "uploadedAt": TIMESTAMP,
            "uploadedBy": nullable(text()),
        }
    ),
)


API_KEY = component(
    "ApiKey",
    obj(
        {
            "id": integer(),
            "name": text(),
            "prefix": text("Visible part: fp_test_… (sandbox) or fp_live_…"),
            "status": text(enum=["active", "revoked", "expired"]),
            "createdAt": TIMESTAMP,
            "expiresAt": TIMESTAMP,
            "revokedAt": TIMESTAMP,
            "lastUsedAt": TIMESTAMP,
        }
    ),
)


API_KEY_CREATED = component(
    "ApiKeyCreated",
    {
        "allOf": [
            ref("ApiKey"),
            obj({"key": text("The plaintext key: shown this once, stored only as a hash.")}, required=["key"]),
        ]
    },
)


READINESS = component(
    "Readiness",
    obj(
        {
            "ready": boolean("Whether NRS submission can succeed."),
            "missing": {"type": "array", "items": text(), "description": "Machine codes still failing."},
            "items": {
                "type": "array",
                "items": obj(
                    {
                        "key": text(),
                        "code": text("The code a submission would fail with (e.g. NO_KEYS)."),
                        "label": text(),
                        "ok": boolean(),
                        "detail": text(),
                        "fixUrl": text("Portal page where it is fixed."),
                    }
                ),
            },
        }
    ),
)


API_KEY_CREATED_EXAMPLE = {
    "id": 7,
    "name": "ERP",
    "prefix": "fp_test_Ab12Cd34",
    "status": "active",
    "createdAt": "2026-04-25T09:30:00Z",
    "expiresAt": None,
    "revokedAt": None,
    "lastUsedAt": None,
    "key": "fp_test_Ab12Cd34…",
}
