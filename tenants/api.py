"""Admin API (/api/v1/auth/…, /api/v1/tenant/…): a portal admin's session; API keys get 403."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.core.exceptions import ValidationError
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.fields import CharField, UUIDField
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from portal.admin_api import AdminCollection, page
from portal.api_errors import ApiError, refuse_nul
from portal.contract import refuse_missing_body
from portal.openapi import (
    UUID,
    boolean,
    error,
    integer,
    json_body,
    nullable,
    obj,
    operation,
    response,
    text,
)
from portal.shapes import Field, Shape
from portal.throttle import login_failed, login_retry_after, login_succeeded
from tenants import api_schemas as schemas
from tenants import serializers as s
from tenants import services
from tenants.expiry import expired
from tenants.middleware import SESSION_TENANT
from tenants.models import ApiKey, CryptoKey, Location
from tenants.permissions import IsTenantAdminSession
from tenants.readiness import tenant_readiness

TAG = "Tenant settings"  # every /tenant/… operation
SETTINGS = {"tags": [TAG], "security": "SESSION"}
LOCATIONS = AdminCollection(TAG, s.LOCATION)
CRYPTO_KEYS = AdminCollection(TAG, s.CRYPTO_KEY)
API_KEYS = AdminCollection(TAG, s.API_KEY)

_API_NAMES = {
    "name": "legalName",
    "nrs_business_id": "nrsBusinessId",
    "nrs_service_id": "nrsServiceId",
    "postal_zone": "postalZone",
    "is_primary": "isPrimary",
    "api_key": "apiKey",
    "api_secret": "apiSecret",
    "expires_at": "expiresAt",
    "allowed_networks": "allowedNetworks",
    "read_only": "readOnly",
    "valid_until": "validUntil",
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


# Who is signed in (the login and `me` answer), rendered from the DRF request.
ME = Shape(
    "Me",
    {
        "user": Field(
            obj({"id": integer(), "email": text(), "name": text()}),
            lambda request: {"id": request.user.pk, "email": request.user.email, "name": request.user.get_full_name()},
        ),
        "tenant": Field(
            nullable(obj({"id": UUID, "name": text()})),
            lambda request: (
                {"id": str(membership.tenant_id), "name": membership.tenant.name}
                if (membership := request._request.membership)
                else None
            ),
        ),
        "role": Field(
            nullable(text(enum=["admin", "approver", "reviewer", "clerk"])),
            lambda request: membership.role if (membership := request._request.membership) else None,
        ),
        "businesses": Field(
            {
                "type": "array",
                "description": "Every business this person belongs to, with their role in each; the portal's business "
                "switcher changes which one the session works in (`tenant`).",
                "items": obj(
                    {"id": UUID, "name": text(), "role": text(enum=["admin", "approver", "reviewer", "clerk"])},
                    required=("id", "name", "role"),
                ),
            },
            lambda request: [
                {"id": str(m.tenant_id), "name": m.tenant.name, "role": m.role}
                for m in services.memberships_of(request.user)
            ],
        ),
        "csrfToken": Field(
            text("Send it as X-CSRFToken on unsafe session requests."), lambda request: get_token(request._request)
        ),
    },
)
_me = ME.render


@extend_schema(
    **operation(
        "Sign in (portal session)",
        operation_id="login",
        tags=["Auth"],
        security="PUBLIC",
        description="Starts a portal session (cookie) for API-driven admin work. Limited to 10 requests/"
        "minute per IP; repeated failures for one e-mail are slowed down (429 with Retry-After).",
        request=json_body(s.LoginSerializer),
        responses={
            200: response(ME.schema, "Signed in: who you are, your business and role, and a CSRF token."),
            400: error(
                "Wrong e-mail or password, or missing fields.",
                ("Wrong password", {"error": "That e-mail and password do not match an account."}),
            ),
        },
        errors=(413, 415),
    )
)
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


@extend_schema(
    **operation(
        "Sign out",
        operation_id="logout",
        tags=["Auth"],
        security="PUBLIC",  # it answers 204 with or without a session: no authentication is required
        request=None,
        responses={
            204: response(None, "Signed out (also when no one was signed in)."),
            403: error(
                "A portal session sent without its X-CSRFToken header.",
                ("CSRF", {"error": "CSRF Failed: CSRF token missing."}),
            ),
        },
    )
)
@api_view(["POST"])
@permission_classes([AllowAny])
def auth_logout(request):
    logout(request._request)
    return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    **operation(
        "Who am I",
        operation_id="me",
        tags=["Auth"],
        security="SESSION",
        description="The signed-in user, business, role and a CSRF token. An API key gets 403.",
        responses={200: response(ME.schema, "The session's user.")},
    )
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def auth_me(request):
    if request._request.api_key is not None:
        raise ApiError("API keys have no portal user; use a portal session.", status_code=403)
    return Response(_me(request))


# --- Tenant ----------------------------------------------------------------------------------


@extend_schema(
    methods=["GET"],
    **operation(
        "Get the business profile",
        operation_id="getTenantProfile",
        **SETTINGS,
        responses={200: response(s.PROFILE.schema, "The business profile.")},
    ),
)
@extend_schema(
    methods=["PATCH"],
    **operation(
        "Update the business profile",
        operation_id="updateTenantProfile",
        **SETTINGS,
        description="The supplier data NRS gets: legal name, TIN, e-mail, telephone, description, NRS "
        "business ID and service ID, environment. Send only what changes.",
        request=json_body(s.ProfileSerializer),
        responses={200: response(s.PROFILE.schema, "The updated profile.")},
        errors=(400, 413, 415),
    ),
)
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


@extend_schema(
    methods=["GET"],
    **operation(
        "NRS credentials status",
        operation_id="getNrsCredentials",
        **SETTINGS,
        responses={200: response(s.NRS_CREDENTIALS_STATUS.schema, "Whether they are set.")},
    ),
)
@extend_schema(
    methods=["PUT"],
    **operation(
        "Set the NRS API key and secret",
        operation_id="setNrsCredentials",
        **SETTINGS,
        description="Write-only: stored encrypted, never echoed. Optional `validUntil`: the day NRS said they stop "
        "working (null clears it; left out, the date on file stays).",
        request=json_body(s.NrsCredentialsSerializer),
        responses={200: response(s.NRS_CREDENTIALS_STATUS.schema, "Saved.")},
        errors=(400, 413, 415),
    ),
)
@api_view(["GET", "PUT"])
@permission_classes([IsTenantAdminSession])
def tenant_nrs_credentials(request):
    tenant = request._request.tenant
    if request.method == "PUT":
        data = _valid(s.NrsCredentialsSerializer, request)
        absent = object()
        valid_until = data.pop("valid_until", absent)
        try:
            services.nrs_credentials_set(tenant=tenant, user=request.user, **data)
        except ValidationError as exc:
            _raise_api(exc)
        if valid_until is not absent:  # left out: the date on file stays
            services.nrs_credentials_valid_until_set(tenant=tenant, valid_until=valid_until, user=request.user)
    # Write-only: the answer says whether credentials are set, never what they are.
    return Response(s.NRS_CREDENTIALS_STATUS.render(tenant))


@LOCATIONS.list("List locations", operation_id="listLocations", answer="Primary first.")
@LOCATIONS.create(
    "Add a location",
    operation_id="createLocation",
    description="The primary location is the supplier's postal address on every invoice (one primary).",
    body=s.LocationSerializer,
    answer="Created.",
)
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
    return page(request, qs, s.location_data)


@LOCATIONS.get("Get a location", operation_id="getLocation", answer="The location.")
@LOCATIONS.update("Update a location", operation_id="updateLocation", body=s.LocationSerializer)
@LOCATIONS.delete("Delete a location", operation_id="deleteLocation")
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


@CRYPTO_KEYS.list("List crypto keys", operation_id="listCryptoKeys", answer="Uploaded keys.")
@CRYPTO_KEYS.operation(  # not json_body: a multipart upload, or the file's text in JSON
    "POST",
    "Upload the NRS crypto-key file",
    operation_id="uploadCryptoKey",
    description="The crypto_keys.txt file from the NRS portal: as multipart field `file`, or its text as "
    "JSON `keyFile`. Stored encrypted; the new key becomes the active one. Optional `validUntil`: the day NRS "
    "said the key stops working (the admins' dashboard warns before it).",
    request={
        "multipart/form-data": obj({"file": text(format="binary"), "validUntil": s.VALID_UNTIL}, required=["file"]),
        "application/json": obj(
            {"keyFile": text("The file's text."), "validUntil": s.VALID_UNTIL}, required=["keyFile"]
        ),
    },
    responses={201: response(s.CRYPTO_KEY.schema, "Uploaded.")},
    errors=(400, 413, 415),
)
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
        # The file is checked first (as before); then the optional date, so a bad date is refused before saving.
        valid_until = _valid(s.CryptoKeyUploadSerializer, request).get("valid_until")
        try:
            key = services.crypto_key_upload(
                tenant=request._request.tenant, content=content, user=request.user, valid_until=valid_until
            )
        except ValidationError as exc:
            raise ApiError(" ".join(exc.messages), fields={"file": " ".join(exc.messages)}) from None
        return Response(s.crypto_key_data(key), status=status.HTTP_201_CREATED)
    qs = CryptoKey.objects.select_related("uploaded_by")
    return page(request, qs, s.crypto_key_data)


@CRYPTO_KEYS.delete("Delete a crypto key", operation_id="deleteCryptoKey")
@api_view(["DELETE"])
@permission_classes([IsTenantAdminSession])
def tenant_crypto_key(request, pk):
    services.crypto_key_delete(crypto_key=get_object_or_404(CryptoKey, pk=pk), user=request.user)
    return Response(status=status.HTTP_204_NO_CONTENT)


@API_KEYS.list("List API keys", operation_id="listApiKeys", answer="The business's keys.")
@API_KEYS.operation(  # answers another shape than the list's: the key's plaintext, this once
    "POST",
    "Create an API key",
    operation_id="createApiKey",
    description="The plaintext `key` is in this answer only; it is stored as a hash.",
    request=json_body(s.ApiKeyCreateSerializer),
    responses={
        201: response(
            s.API_KEY_CREATED.schema, "Created: copy the key now.", ("Created", schemas.API_KEY_CREATED_EXAMPLE)
        )
    },
    errors=(400, 413, 415),
)
@api_view(["GET", "POST"])
@permission_classes([IsTenantAdminSession])
def tenant_api_keys(request):
    if request.method == "POST":
        data = _valid(s.ApiKeyCreateSerializer, request)
        try:
            key, plaintext = services.api_key_create(tenant=request._request.tenant, user=request.user, **data)
        except ValidationError as exc:
            _raise_api(exc)
        # The only time the key is ever shown.
        return Response(s.API_KEY_CREATED.render(s.NewApiKey(key, plaintext)), status=status.HTTP_201_CREATED)
    return page(request, ApiKey.objects.all(), s.api_key_data)


@API_KEYS.operation(  # a DELETE that answers the revoked key, not 204
    "DELETE",
    "Revoke an API key",
    operation_id="revokeApiKey",
    description="Requests with a revoked key get 401 from then on. Answers the revoked key.",
    parameters=[API_KEYS.record_id],
    responses={200: response(s.API_KEY.schema, "Revoked.")},
    errors=(404,),
)
@api_view(["DELETE"])
@permission_classes([IsTenantAdminSession])
def tenant_api_key(request, pk):
    key = services.api_key_revoke(api_key=get_object_or_404(ApiKey, pk=pk), user=request.user)
    return Response(s.api_key_data(key))


@dataclass(frozen=True)
class Checklist:
    items: list  # tenants/readiness.py: what submission needs
    warnings: list  # tenants/expiry.py: what has passed its valid-until date (does not stop submission)


# The checklist (tenants/readiness.py), rendered from its items, and the expiry warnings beside it.
READINESS = Shape(
    "Readiness",
    {
        "ready": Field(
            boolean("Whether NRS submission can succeed."), lambda checklist: all(i.ok for i in checklist.items)
        ),
        "missing": Field(
            {"type": "array", "items": text(), "description": "Machine codes still failing."},
            lambda checklist: sorted({i.code for i in checklist.items if not i.ok}),
        ),
        "items": Field(
            {
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
            lambda checklist: [i.as_api() for i in checklist.items],
        ),
        "warnings": Field(
            {
                "type": "array",
                "description": "What has passed the valid-until date the admin noted: the active crypto-key file, "
                "the NRS credentials. A warning only: `ready` is unchanged, and invoices are still sent until NRS "
                "refuses them.",
                "items": obj(
                    {
                        "key": text("The checklist item it concerns.", examples=["crypto_key"]),
                        "label": text(examples=["NRS crypto-key file"]),
                        "detail": text(
                            examples=[
                                "Expired on 3 Dec 2026, the date you noted. Upload the new file from the NRS "
                                "e-invoicing portal. Invoices are still sent to NRS until NRS refuses them."
                            ]
                        ),
                        "fixUrl": text("Portal page where it is fixed.", examples=["/settings/crypto-keys/"]),
                    }
                ),
            },
            lambda checklist: [w.as_api() for w in checklist.warnings],
        ),
    },
)


@extend_schema(
    **operation(
        "NRS readiness",
        operation_id="getReadiness",
        **SETTINGS,
        description="What is still missing before NRS submission can succeed, with the code a submission "
        "would fail with and where to fix it; `warnings`: what has passed its valid-until date (it does not make "
        "the business not ready).",
        responses={200: response(READINESS.schema, "The checklist.")},
    )
)
@api_view(["GET"])
@permission_classes([IsTenantAdminSession])
def tenant_readiness_view(request):
    tenant = request._request.tenant
    return Response(READINESS.render(Checklist(tenant_readiness(tenant), expired(tenant))))
