"""The admin API's OpenAPI pieces that are neither a request nor an answer shape: how drf-spectacular describes our
API key authentication, and examples. (Requests are the serializers in tenants/serializers.py; answers are the
Shapes there and in tenants/api.py.)
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from portal.openapi import SECURITY_SCHEMES


class FlowpointKeyScheme(OpenApiAuthenticationExtension):
    """X-Flowpoint-Key (tenants/authentication.py), for any route that does not state its security itself."""

    target_class = "tenants.authentication.ApiKeyAuthentication"
    name = "FlowpointKey"

    def get_security_definition(self, auto_schema):
        return SECURITY_SCHEMES["FlowpointKey"]


# The create answer as the docs show it.
API_KEY_CREATED_EXAMPLE = {
    "id": 7,
    "name": "ERP",
    "prefix": "fp_test_Ab12Cd34",
    "status": "active",
    "createdAt": "2026-04-25T09:30:00Z",
    "expiresAt": None,
    "revokedAt": None,
    "lastUsedAt": None,
    "readOnly": False,
    "allowedNetworks": ["203.0.113.0/24"],
    "key": "fp_test_Ab12Cd34…",
}
