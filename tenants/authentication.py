from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import SAFE_METHODS

from portal.throttle import client_ip
from tenants.middleware import KEY_HEADER

_PROBLEMS = {
    "invalid": "Invalid API key. Send a valid key in the X-Flowpoint-Key header.",
    "revoked": "This API key has been revoked. Create a new key in Settings → API Access.",
    "expired": "This API key has expired. Create a new key in Settings → API Access.",
}


def changes_nothing(view):
    """Marks an API view whose POST only checks what it is sent (validate): a read-only key may call it."""
    view.changes_nothing = True
    return view


def _changes_nothing(request) -> bool:
    match = request._request.resolver_match
    return match is not None and getattr(match.func, "changes_nothing", False)


class ApiKeyUser:
    """The principal of a request made with an API key: the tenant's integration, not a person."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    pk = None

    def __init__(self, api_key):
        self.api_key = api_key

    def __str__(self):
        return f"API key {self.api_key.prefix}…"


class ApiKeyAuthentication(BaseAuthentication):
    """X-Flowpoint-Key, already resolved by TenantMiddleware; missing/invalid/revoked/expired → 401."""

    def authenticate(self, request):
        if KEY_HEADER not in request.headers:
            return None
        django_request = request._request
        api_key = django_request.api_key
        if api_key is None:
            raise exceptions.AuthenticationFailed(_PROBLEMS[django_request.api_key_problem or "invalid"])
        # The key's scopes: a valid key used where it may not be is refused (403), not unknown (401);
        # PermissionDenied becomes the reference's error shape in portal.api_errors.exception_handler.
        address = client_ip(django_request)
        if not api_key.allows_address(address):
            raise exceptions.PermissionDenied(
                f"This API key may not be used from your address ({address}). Call from one of the key's allowed "
                "networks, or create a key that allows this address in Settings → API Access.",
            )
        if api_key.read_only and request.method not in SAFE_METHODS and not _changes_nothing(request):
            raise exceptions.PermissionDenied(
                "This API key is read-only: it can read but not create, change or delete anything. "
                "Use a read-write key for this request (Settings → API Access).",
            )
        return ApiKeyUser(api_key), api_key

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) when credentials are missing.
        return KEY_HEADER
