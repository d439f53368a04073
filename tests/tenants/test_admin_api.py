"""Admin API (/api/v1/auth/…, /api/v1/tenant/…): session admins only, JSON errors, tenant isolation."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from rest_framework.test import APIClient

from tenants import services
from tenants.models import ApiKey, CryptoKey, Location, Tenant
from tests.api.conftest import nul_like_postgresql  # noqa: F401  (a fixture)
from tests.conftest import make_key_file, member
from tests.factories import PASSWORD, make_ready

ADMIN_ROUTES = [
    ("get", "/api/v1/tenant/profile", None),
    ("patch", "/api/v1/tenant/profile", {"description": "Wholesale food"}),
    ("put", "/api/v1/tenant/nrs-credentials", {"apiKey": "k", "apiSecret": "s"}),
    ("get", "/api/v1/tenant/locations", None),
    ("post", "/api/v1/tenant/locations", None),
    ("get", "/api/v1/tenant/crypto-keys", None),
    ("post", "/api/v1/tenant/crypto-keys", None),
    ("get", "/api/v1/tenant/api-keys", None),
    ("post", "/api/v1/tenant/api-keys", {"name": "ERP"}),
    ("get", "/api/v1/tenant/readiness", None),
]


def _location_body(**extra):
    return {
        "street": "12 Allen Avenue",
        "city": "Ikeja",
        "postalZone": "100001",
        "state": "NG-LA",
        "lga": "NG-LA-IKJ",
        **extra,
    }


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def admin_api(api, admin_user):
    api.force_authenticate(user=None)
    api.login(email=admin_user.email, password=PASSWORD)
    return api


def _key(tenant, **kwargs):
    with scope(tenant=tenant):
        return services.api_key_create(tenant=tenant, name="ERP", **kwargs)


def _call(client, method, path, body, **headers):
    if path.endswith("/locations") and method == "post":
        body = _location_body()
    if path.endswith("/crypto-keys") and method == "post":
        body = {"keyFile": make_key_file().decode()}
    return getattr(client, method)(path, body, format="json", headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
def test_admin_routes_work_for_an_admin_session(admin_api, method, path, body):
    response = _call(admin_api, method, path, body)
    assert response.status_code in (200, 201), response.content


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
def test_admin_routes_refuse_missing_invalid_revoked_and_expired_keys_with_401(api, tenant, method, path, body):
    assert _call(api, method, path, body).status_code == 401
    assert _call(api, method, path, body, **{"X-Flowpoint-Key": "fp_test_nonsense"}).status_code == 401
    revoked, revoked_plain = _key(tenant)
    services.api_key_revoke(api_key=revoked)
    response = _call(api, method, path, body, **{"X-Flowpoint-Key": revoked_plain})
    assert response.status_code == 401 and "revoked" in response.json()["error"]
    expired, expired_plain = _key(tenant)
    with scopes_disabled():
        ApiKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = _call(api, method, path, body, **{"X-Flowpoint-Key": expired_plain})
    assert response.status_code == 401 and "expired" in response.json()["error"]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
def test_admin_routes_refuse_a_valid_api_key_with_403(api, tenant, method, path, body):
    _row, plaintext = _key(tenant)
    response = _call(api, method, path, body, **{"X-Flowpoint-Key": plaintext})
    assert response.status_code == 403
    assert "API keys cannot use admin routes" in response.json()["error"]


@pytest.mark.parametrize("role", ["clerk", "reviewer", "approver"])
@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
def test_admin_routes_refuse_non_admin_members_with_403(api, tenant, role, method, path, body):
    api.force_authenticate(user=None)
    api.login(email=member(tenant, role).email, password=PASSWORD)
    response = _call(api, method, path, body)
    assert response.status_code == 403
    assert "Only admins" in response.json()["error"]


def test_valid_key_use_is_recorded(api, tenant):
    row, plaintext = _key(tenant)
    api.get("/api/v1/tenant/profile", headers={"X-Flowpoint-Key": plaintext})
    with scopes_disabled():
        row.refresh_from_db()
    assert row.last_used_at is not None


# --- auth -------------------------------------------------------------------------------------


def test_login_me_logout(api, admin_user, tenant):
    assert api.get("/api/v1/auth/me").status_code == 401
    response = api.post("/api/v1/auth/login", {"email": admin_user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == admin_user.email
    assert body["tenant"] == {"id": str(tenant.pk), "name": tenant.name} and body["role"] == "admin"
    assert api.get("/api/v1/auth/me").json()["role"] == "admin"
    assert api.post("/api/v1/auth/logout").status_code == 204
    assert api.get("/api/v1/auth/me").status_code == 401


def test_login_errors_are_json_and_failures_are_throttled(api, admin_user, settings):
    settings.LOGIN_THROTTLE_FAILURES = 3
    response = api.post("/api/v1/auth/login", {"email": "not-an-email"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"email", "password"}
    for _ in range(3):
        bad = api.post("/api/v1/auth/login", {"email": admin_user.email, "password": "nope"}, format="json")
        assert bad.status_code == 400
    blocked = api.post("/api/v1/auth/login", {"email": admin_user.email, "password": PASSWORD}, format="json")
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0


def test_session_writes_need_the_csrf_token(admin_user):
    api = APIClient(enforce_csrf_checks=True)
    me = api.post("/api/v1/auth/login", {"email": admin_user.email, "password": PASSWORD}, format="json").json()
    refused = api.patch("/api/v1/tenant/profile", {"description": "x"}, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    token = api.get("/api/v1/auth/me").json()["csrfToken"]
    assert me["csrfToken"]
    ok = api.patch("/api/v1/tenant/profile", {"description": "x"}, format="json", headers={"X-CSRFToken": token})
    assert ok.status_code == 200


# --- profile and credentials ------------------------------------------------------------------


def test_profile_patch_validates_each_field_and_answers_camel_case(admin_api, tenant, admin_user):
    bad = admin_api.patch(
        "/api/v1/tenant/profile",
        {"nrsServiceId": "abc", "nrsBusinessId": "nope", "telephone": "0801", "tin": "1", "environment": "prod"},
        format="json",
    )
    assert bad.status_code == 400
    fields = bad.json()["fields"]
    assert set(fields) == {"nrsServiceId", "nrsBusinessId", "telephone", "tin", "environment"}
    assert "8 uppercase letters or digits" in fields["nrsServiceId"]
    assert "starting with +" in fields["telephone"]
    business_id = str(uuid.uuid4())
    good = admin_api.patch(
        "/api/v1/tenant/profile",
        {
            "legalName": "Kola Foods Ltd",
            "nrsServiceId": "94ND90NR",
            "nrsBusinessId": business_id,
            "tin": "12345678-0001",
        },
        format="json",
    )
    assert good.status_code == 200
    body = good.json()
    assert body["legalName"] == "Kola Foods Ltd" and body["nrsBusinessId"] == business_id
    assert body["email"] == "" and body["effectiveEmail"] == admin_user.email


def test_nrs_credentials_are_never_echoed(admin_api, tenant):
    response = admin_api.put(
        "/api/v1/tenant/nrs-credentials", {"apiKey": "live-key-111", "apiSecret": "live-secret-222"}, format="json"
    )
    assert response.status_code == 200 and response.json()["configured"] is True
    for path in ("/api/v1/tenant/nrs-credentials", "/api/v1/tenant/profile"):
        text = admin_api.get(path).content.decode()
        assert "live-key-111" not in text and "live-secret-222" not in text
    missing = admin_api.put("/api/v1/tenant/nrs-credentials", {"apiKey": "k"}, format="json")
    assert missing.status_code == 400 and "apiSecret" in missing.json()["fields"]


# --- locations --------------------------------------------------------------------------------


def test_locations_crud_with_one_primary_and_lga_state_check(admin_api):
    wrong = admin_api.post("/api/v1/tenant/locations", _location_body(state="NG-AB"), format="json")
    assert wrong.status_code == 400
    assert wrong.json()["fields"]["lga"].startswith("Ikeja is in Lagos, not Abia")
    unknown = admin_api.post("/api/v1/tenant/locations", _location_body(state="NG-XX"), format="json")
    assert "Unknown state code NG-XX" in unknown.json()["fields"]["state"]

    first = admin_api.post("/api/v1/tenant/locations", _location_body(), format="json").json()
    assert first["isPrimary"] is True and first["country"] == "NG"
    second = admin_api.post(
        "/api/v1/tenant/locations", _location_body(state="NG-AB", lga="NG-AB-ASO", city="Aba"), format="json"
    ).json()
    assert second["isPrimary"] is False
    admin_api.patch(f"/api/v1/tenant/locations/{second['id']}", {"isPrimary": True}, format="json")
    listing = admin_api.get("/api/v1/tenant/locations").json()
    assert listing["total"] == 2 and listing["limit"] == 50 and listing["offset"] == 0
    assert [loc["isPrimary"] for loc in listing["items"]] == [True, False]
    assert listing["items"][0]["id"] == second["id"]
    bad_patch = admin_api.patch(f"/api/v1/tenant/locations/{second['id']}", {"lga": "NG-LA-IKO"}, format="json")
    assert bad_patch.status_code == 400 and "not Abia" in bad_patch.json()["fields"]["lga"]
    assert admin_api.delete(f"/api/v1/tenant/locations/{second['id']}").status_code == 204
    assert admin_api.get("/api/v1/tenant/locations").json()["items"][0]["isPrimary"] is True


def test_list_limit_above_the_maximum_is_a_400(admin_api):
    response = admin_api.get("/api/v1/tenant/locations?limit=201")
    assert response.status_code == 400 and "limit" in response.json()["fields"]
    assert admin_api.get("/api/v1/tenant/locations?offset=x").status_code == 400


# --- crypto keys and api keys -----------------------------------------------------------------


def test_crypto_key_upload_as_file_or_text_and_wrong_files_refused(admin_api):
    upload = SimpleUploadedFile("crypto_keys.txt", make_key_file())
    first = admin_api.post("/api/v1/tenant/crypto-keys", {"file": upload}, format="multipart")
    assert first.status_code == 201 and first.json()["isActive"] is True
    second = admin_api.post("/api/v1/tenant/crypto-keys", {"keyFile": make_key_file().decode()}, format="json")
    assert second.status_code == 201
    listing = admin_api.get("/api/v1/tenant/crypto-keys").json()
    assert [k["isActive"] for k in listing["items"]] == [True, False]
    assert all("key_file" not in k and "public_key" not in str(k) for k in listing["items"])
    bad = admin_api.post("/api/v1/tenant/crypto-keys", {"keyFile": "nope"}, format="json")
    assert bad.status_code == 400 and "not JSON text" in bad.json()["error"]
    none = admin_api.post("/api/v1/tenant/crypto-keys", {}, format="json")
    assert none.status_code == 400 and "file" in none.json()["fields"]
    assert admin_api.delete(f"/api/v1/tenant/crypto-keys/{second.json()['id']}").status_code == 204
    assert admin_api.get("/api/v1/tenant/crypto-keys").json()["total"] == 1


@pytest.mark.parametrize("body", [b"[]", b'"keyFile"', b"null", b"true", b"42", b'[{"keyFile": "x"}]'])
def test_crypto_key_upload_of_a_json_body_that_is_not_an_object_is_a_400(admin_api, body):
    # Found by the fuzzer: any JSON value but an object was a 500 (AttributeError on .get).
    response = admin_api.generic("POST", "/api/v1/tenant/crypto-keys", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["fields"] == {"file": "required"}
    assert admin_api.get("/api/v1/tenant/crypto-keys").json()["total"] == 0


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/api/v1/tenant/locations", _location_body(state="NG-LA\x00"), "state"),
        ("post", "/api/v1/tenant/locations", _location_body(lga="\x00"), "lga"),
        ("patch", "/api/v1/tenant/profile", {"legalName": "Kola\x00Foods"}, "legalName"),
        ("post", "/api/v1/tenant/api-keys", {"name": "ERP\x00"}, "name"),
    ],
)
@pytest.mark.usefixtures("nul_like_postgresql")
def test_a_nul_character_is_a_400_naming_the_field(admin_api, method, path, body, field):
    # Found by the fuzzer: a location's state or LGA code holding a NUL was looked up as is, which PostgreSQL
    # refuses: a 500 there (SQLite, which stores NULs, is made to refuse them the same way here).
    response = getattr(admin_api, method)(path, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["fields"] == {field: "must not contain NUL characters (\\u0000)"}


@pytest.mark.usefixtures("nul_like_postgresql")
def test_a_forged_session_cookie_holding_a_nul_is_no_session(api):
    api.cookies["sessionid"] = "abcdefgh\x00ijklmnop"
    response = api.get("/api/v1/auth/me")
    assert response.status_code == 401 and response["Content-Type"] == "application/json"


def test_api_key_shown_once_hashed_and_revocable(admin_api, api, tenant):
    created = admin_api.post(
        "/api/v1/tenant/api-keys", {"name": "Sage ERP", "expiresAt": "2099-01-01T00:00:00Z"}, format="json"
    )
    assert created.status_code == 201
    body = created.json()
    assert body["key"].startswith("fp_test_") and body["prefix"] == body["key"][:16]
    assert body["status"] == "active" and body["expiresAt"] == "2099-01-01T00:00:00Z"
    listing = admin_api.get("/api/v1/tenant/api-keys").json()
    assert body["key"] not in str(listing) and listing["items"][0]["prefix"] == body["prefix"]
    with scopes_disabled():
        assert body["key"] not in ApiKey.objects.get(pk=body["id"]).key_hash
    # The key authenticates (an admin route answers 403, not 401) until revoked.
    assert api.get("/api/v1/tenant/profile", headers={"X-Flowpoint-Key": body["key"]}).status_code == 403
    revoked = admin_api.delete(f"/api/v1/tenant/api-keys/{body['id']}")
    assert revoked.json()["status"] == "revoked"
    assert api.get("/api/v1/tenant/profile", headers={"X-Flowpoint-Key": body["key"]}).status_code == 401
    past = admin_api.post("/api/v1/tenant/api-keys", {"name": "x", "expiresAt": "2001-01-01T00:00:00Z"}, format="json")
    assert past.status_code == 400 and "expiresAt" in past.json()["fields"]


def test_live_tenant_keys_have_the_live_prefix(admin_api, tenant):
    tenant.environment = "live"
    tenant.save()
    assert admin_api.post("/api/v1/tenant/api-keys", {"name": "x"}, format="json").json()["key"].startswith("fp_live_")


# --- readiness --------------------------------------------------------------------------------


def test_readiness_lists_what_is_missing_with_spec_codes_and_fix_links(admin_api, tenant, key_file):
    body = admin_api.get("/api/v1/tenant/readiness").json()
    assert body["ready"] is False
    assert body["missing"] == [
        "NO_BUSINESS_ID",
        "NO_CREDENTIALS",
        "NO_KEYS",
        "NO_SERVICE_ID",
        "SUPPLIER_VALIDATION_FAILED",
    ]
    assert {i["key"]: i["fixUrl"] for i in body["items"]}["crypto_key"] == "/settings/crypto-keys/"
    make_ready(tenant, key_file)
    body = admin_api.get("/api/v1/tenant/readiness").json()
    assert body["ready"] is True and body["missing"] == []


# --- JSON errors on /api/ ---------------------------------------------------------------------


def test_api_errors_are_always_json(admin_api):
    malformed = admin_api.generic("PATCH", "/api/v1/tenant/profile", "{not json", content_type="application/json")
    assert malformed.status_code == 400 and malformed.json()["error"].startswith("Malformed request body")
    not_found = admin_api.get("/api/v1/does-not-exist")
    assert not_found.status_code == 404 and not_found["Content-Type"] == "application/json"
    assert admin_api.get("/api/v1/tenant/locations/999999").json() == {"error": "No Location matches the given query."}
    wrong_method = admin_api.delete("/api/v1/tenant/profile")
    assert wrong_method.status_code == 405 and "error" in wrong_method.json()
    wrong_type = admin_api.generic("PATCH", "/api/v1/tenant/profile", "a=b", content_type="text/plain")
    assert wrong_type.status_code == 415 and "error" in wrong_type.json()
    assert admin_api.get("/api/v1/tenant/profile")["X-Request-Id"]


# --- isolation --------------------------------------------------------------------------------


def test_another_tenants_admin_sees_and_touches_nothing_of_the_first(api, tenant, other_tenant, key_file):
    make_ready(tenant, key_file)
    with scope(tenant=tenant):
        location = Location.objects.get()
        crypto_key = CryptoKey.objects.get()
        api_key, _ = services.api_key_create(tenant=tenant, name="A's key")
    intruder = member(other_tenant, "admin")
    api.login(email=intruder.email, password=PASSWORD)

    assert api.get("/api/v1/tenant/profile").json()["id"] == str(other_tenant.pk)
    for path in ("/api/v1/tenant/locations", "/api/v1/tenant/crypto-keys", "/api/v1/tenant/api-keys"):
        assert api.get(path).json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert api.get(f"/api/v1/tenant/locations/{location.pk}").status_code == 404
    assert api.patch(f"/api/v1/tenant/locations/{location.pk}", {"city": "X"}, format="json").status_code == 404
    assert api.delete(f"/api/v1/tenant/locations/{location.pk}").status_code == 404
    assert api.delete(f"/api/v1/tenant/crypto-keys/{crypto_key.pk}").status_code == 404
    assert api.delete(f"/api/v1/tenant/api-keys/{api_key.pk}").status_code == 404
    readiness = api.get("/api/v1/tenant/readiness").json()
    assert readiness["ready"] is False  # B's own (empty) set-up, not A's
    with scopes_disabled():
        assert Location.objects.filter(pk=location.pk, city="Ikeja").exists()
        assert CryptoKey.objects.filter(pk=crypto_key.pk).exists()
        assert ApiKey.objects.get(pk=api_key.pk).revoked_at is None


# --- valid-until dates ------------------------------------------------------------------------


def _audit_kinds(tenant):
    from tenants.models import AuditEvent

    with scope(tenant=tenant):
        return list(AuditEvent.objects.order_by("pk").values_list("kind", flat=True))


def test_nrs_credentials_valid_until_is_set_read_kept_cleared_and_audited(admin_api, tenant):
    day = (timezone.localdate() + timedelta(days=90)).isoformat()
    body = {"apiKey": "k", "apiSecret": "s"}
    saved = admin_api.put("/api/v1/tenant/nrs-credentials", {**body, "validUntil": day}, format="json")
    assert saved.status_code == 200 and saved.json()["validUntil"] == day
    assert admin_api.get("/api/v1/tenant/nrs-credentials").json()["validUntil"] == day
    assert "settings.nrs_credentials_valid_until" in _audit_kinds(tenant)
    # Left out: the date on file stays; null clears it.
    assert admin_api.put("/api/v1/tenant/nrs-credentials", body, format="json").json()["validUntil"] == day
    cleared = admin_api.put("/api/v1/tenant/nrs-credentials", {**body, "validUntil": None}, format="json")
    assert cleared.json()["validUntil"] is None


def test_a_past_valid_until_is_a_400_naming_the_field_and_nothing_is_saved(admin_api, tenant):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    refused = admin_api.put(
        "/api/v1/tenant/nrs-credentials", {"apiKey": "k", "apiSecret": "s", "validUntil": yesterday}, format="json"
    )
    assert refused.status_code == 400
    assert "That date has passed" in refused.json()["fields"]["validUntil"]
    assert admin_api.get("/api/v1/tenant/nrs-credentials").json()["configured"] is False
    key = admin_api.post(
        "/api/v1/tenant/crypto-keys", {"keyFile": make_key_file().decode(), "validUntil": yesterday}, format="json"
    )
    assert key.status_code == 400 and "That date has passed" in key.json()["fields"]["validUntil"]
    assert admin_api.get("/api/v1/tenant/crypto-keys").json()["total"] == 0


def test_crypto_key_upload_takes_an_optional_valid_until_and_the_answers_show_it(admin_api, tenant):
    day = (timezone.localdate() + timedelta(days=30)).isoformat()
    upload = SimpleUploadedFile("crypto_keys.txt", make_key_file())
    first = admin_api.post("/api/v1/tenant/crypto-keys", {"file": upload, "validUntil": day}, format="multipart")
    assert first.status_code == 201 and first.json()["validUntil"] == day
    second = admin_api.post("/api/v1/tenant/crypto-keys", {"keyFile": make_key_file().decode()}, format="json")
    assert second.status_code == 201 and second.json()["validUntil"] is None
    listing = admin_api.get("/api/v1/tenant/crypto-keys").json()["items"]
    assert [k["validUntil"] for k in listing] == [None, day]


def test_readiness_warns_of_an_expired_key_file_and_credentials_without_blocking(admin_api, tenant, key_file):
    make_ready(tenant, key_file)
    assert admin_api.get("/api/v1/tenant/readiness").json()["warnings"] == []
    past = timezone.localdate() - timedelta(days=2)
    Tenant.objects.filter(pk=tenant.pk).update(nrs_credentials_valid_until=past)
    with scope(tenant=tenant):
        CryptoKey.objects.filter(is_active=True).update(valid_until=past)
    body = admin_api.get("/api/v1/tenant/readiness").json()
    # A warning, not a block: the date is the admin's note; NRS decides whether the key still works.
    assert body["ready"] is True and body["missing"] == []
    day = f"{past.day} {past:%b %Y}"
    assert [(w["key"], w["label"], w["fixUrl"]) for w in body["warnings"]] == [
        ("crypto_key", "NRS crypto-key file", "/settings/crypto-keys/"),
        ("nrs_credentials", "NRS API key and secret", "/settings/nrs/"),
    ]
    assert body["warnings"][0]["detail"].startswith(f"Expired on {day}, the date you noted. Upload the new file")
    assert "Enter the new key and secret from NRS" in body["warnings"][1]["detail"]
