"""Admin API (/api/v1/auth/…, /api/v1/tenant/…): a portal admin's session; API keys get 403."""

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.core.exceptions import ValidationError
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.fields import CharField, UUIDField
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from portal.api_errors import ApiError, refuse_nul
from portal.api_pagination import paginated
from portal.contract import refuse_missing_body
from portal.throttle import login_failed, login_retry_after, login_succeeded
from tenants import serializers as s
from tenants import services
from tenants.middleware import SESSION_TENANT
from tenants.models import ApiKey, CryptoKey, Location
from tenants.permissions import IsTenantAdminSession
from tenants.readiness import tenant_readiness

_API_NAMES = {
    "name": "legalName",
    "nrs_business_id": "nrsBusinessId",
    "nrs_service_id": "nrsServiceId",
    "postal_zone": "postalZone",
    "is_primary": "isPrimary",
    "api_key": "apiKey",
    "api_secret": "apiSecret",
    "expires_at": "expiresAt",
}


def _raise_api(exc: ValidationError):
    if hasattr(exc, "error_dict"):
        fields = {_API_NAMES.get(f, f): " ".join(m) for f, m in exc.message_dict.items()}
        raise ApiError("Some fields are invalid; see fields.", fields=fields)
    raise ApiError(" ".join(exc.messages))


def _checked(serializer, request):
    """Refuses what the schema refuses before DRF would coerce it: a request without a body, and a number
    or a boolean where a text field is declared (DRF would store 0 as "0", and read 5 as a UUID)."""
    refuse_nul(request.data)  # before a related field's look-up: PostgreSQL cannot compare text holding one
    refuse_missing_body(request)
    data = request.data if isinstance(request.data, dict) else {}
    wrong = {
        name: "must be text (a JSON string)"
        for name, field in serializer.fields.items()
        if isinstance(field, CharField | UUIDField)
        and name in data
        and data[name] is not None
        and not isinstance(data[name], str)
    }
    if wrong:
        raise ApiError("Some fields are invalid; see fields.", fields=wrong)
    serializer.is_valid(raise_exception=True)
    return serializer


def _valid(serializer_class, request, **kwargs):
    return _checked(serializer_class(data=request.data, **kwargs), request).validated_data


# --- Auth ------------------------------------------------------------------------------------


def _me(request) -> dict:
    membership = request._request.membership
    user = request.user
    return {
        "user": {"id": user.pk, "email": user.email, "name": user.get_full_name()},
        "tenant": {"id": str(membership.tenant_id), "name": membership.tenant.name} if membership else None,
        "role": membership.role if membership else None,
        "csrfToken": get_token(request._request),
    }


@api_view(["POST"])
@permission_classes([AllowAny])
def auth_login(request):
    data = _valid(s.LoginSerializer, request)
    wait = login_retry_after(request._request, data["email"])
    if wait:
        response = Response(
            {"error": "Too many failed sign-in attempts. Wait, or reset your password.", "reason": "RATE_LIMITED"},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )
        response["Retry-After"] = str(wait)
        return response
    user = authenticate(request._request, email=data["email"], password=data["password"])
    if user is None:
        login_failed(request._request, data["email"])
        raise ApiError("That e-mail and password do not match an account.", status_code=400)
    login_succeeded(request._request, data["email"])
    login(request._request, user)
    membership = services.membership_for(user)
    request._request.membership = membership
    if membership:
        request._request.session[SESSION_TENANT] = str(membership.tenant_id)
    request.user = user  # DRF cached the anonymous user of this request
    return Response(_me(request))


@api_view(["POST"])
@permission_classes([AllowAny])
def auth_logout(request):
    logout(request._request)
    return Response(status=status.HTTP_204_NO_CONTENT)


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def auth_me(request):
    if request._request.api_key is not None:
        raise ApiError("API keys have no portal user; use a portal session.", status_code=403)
    return Response(_me(request))


# --- Tenant ----------------------------------------------------------------------------------


@api_view(["GET", "PATCH"])
@permission_classes([IsTenantAdminSession])
def tenant_profile(request):
    tenant = request._request.tenant
    if request.method == "PATCH":
        data = _valid(s.ProfileSerializer, request, partial=True)
        try:
            services.tenant_update(tenant=tenant, user=request.user, **data)
        except ValidationError as exc:
            tenant.refresh_from_db()
            _raise_api(exc)
    return Response(s.profile_data(tenant))


@api_view(["GET", "PUT"])
@permission_classes([IsTenantAdminSession])
def tenant_nrs_credentials(request):
    tenant = request._request.tenant
    if request.method == "PUT":
        data = _valid(s.NrsCredentialsSerializer, request)
        try:
            services.nrs_credentials_set(tenant=tenant, user=request.user, **data)
        except ValidationError as exc:
            _raise_api(exc)
    # Write-only: the answer says whether credentials are set, never what they are.
    return Response({"configured": tenant.has_nrs_credentials, "updatedAt": s._iso(tenant.nrs_credentials_updated_at)})


@api_view(["GET", "POST"])
@permission_classes([IsTenantAdminSession])
def tenant_locations(request):
    if request.method == "POST":
        data = _valid(s.LocationSerializer, request)
        make_primary = data.pop("is_primary", False)
        if "country" not in data:
            data["country_id"] = "NG"
        location = Location(tenant=request._request.tenant, **data)
        try:
            services.location_save(location=location, make_primary=make_primary, user=request.user)
        except ValidationError as exc:
            _raise_api(exc)
        return Response(s.location_data(location), status=status.HTTP_201_CREATED)
    qs = Location.objects.select_related("state", "lga").order_by("-is_primary", "created_at")
    return paginated(request, qs, s.location_data, max_limit=200)


@api_view(["GET", "PATCH", "DELETE"])
@permission_classes([IsTenantAdminSession])
def tenant_location(request, pk):
    location = get_object_or_404(Location, pk=pk)
    if request.method == "DELETE":
        services.location_delete(location=location, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
    if request.method == "PATCH":
        serializer = _checked(s.LocationSerializer(location, data=request.data, partial=True), request)
        data = dict(serializer.validated_data)
        make_primary = data.pop("is_primary", False)
        for field, value in data.items():
            setattr(location, field, value)
        try:
            services.location_save(location=location, make_primary=make_primary, user=request.user)
        except ValidationError as exc:
            _raise_api(exc)
    return Response(s.location_data(location))


@api_view(["GET", "POST"])
@permission_classes([IsTenantAdminSession])
@parser_classes([MultiPartParser, JSONParser])
def tenant_crypto_keys(request):
    if request.method == "POST":
        upload = request.FILES.get("file")
        # A JSON body may be any JSON value: only an object can carry keyFile (a list or a string is a 400).
        key_file = request.data.get("keyFile") if isinstance(request.data, dict) else None
        if upload is not None:
            content = upload.read(settings.CRYPTO_KEY_FILE_MAX_BYTES + 1)
        elif isinstance(key_file, str):
            content = key_file.encode()
        else:
            raise ApiError(
                "Send the NRS key file as multipart field 'file', or its text as JSON 'keyFile'.",
                fields={"file": "required"},
            )
        try:
            key = services.crypto_key_upload(tenant=request._request.tenant, content=content, user=request.user)
        except ValidationError as exc:
            raise ApiError(" ".join(exc.messages), fields={"file": " ".join(exc.messages)}) from None
        return Response(s.crypto_key_data(key), status=status.HTTP_201_CREATED)
    qs = CryptoKey.objects.select_related("uploaded_by")
    return paginated(request, qs, s.crypto_key_data, max_limit=200)


@api_view(["DELETE"])
@permission_classes([IsTenantAdminSession])
def tenant_crypto_key(request, pk):
    services.crypto_key_delete(crypto_key=get_object_or_404(CryptoKey, pk=pk), user=request.user)
    return Response(status=status.HTTP_204_NO_CONTENT)


@api_view(["GET", "POST"])
@permission_classes([IsTenantAdminSession])
def tenant_api_keys(request):
    if request.method == "POST":
        data = _valid(s.ApiKeyCreateSerializer, request)
        try:
            key, plaintext = services.api_key_create(tenant=request._request.tenant, user=request.user, **data)
        except ValidationError as exc:
            _raise_api(exc)
        body = s.api_key_data(key)
        body["key"] = plaintext  # the only time the key is ever shown
        return Response(body, status=status.HTTP_201_CREATED)
    return paginated(request, ApiKey.objects.all(), s.api_key_data, max_limit=200)


@api_view(["DELETE"])
@permission_classes([IsTenantAdminSession])
def tenant_api_key(request, pk):
    key = services.api_key_revoke(api_key=get_object_or_404(ApiKey, pk=pk), user=request.user)
    return Response(s.api_key_data(key))


@api_view(["GET"])
@permission_classes([IsTenantAdminSession])
def tenant_readiness_view(request):
    items = tenant_readiness(request._request.tenant)
    return Response(
        {
            "ready": all(i.ok for i in items),
            "missing": sorted({i.code for i in items if not i.ok}),
            "items": [i.as_api() for i in items],
        }
    )
