"""Two-factor sign-in from outside: the pages and sign-in as a person uses them, codes computed as a phone would."""

import re
import time
from base64 import b32encode

import pyotp
import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_scopes import scopes_disabled

from tenants.models import AuditEvent
from tests.conftest import member
from tests.factories import PASSWORD


def next_code(user) -> str:
    """The code the app shows in the next 30 seconds: the one shown now was spent on enrolment (a code is
    accepted once) and the server allows one step of clock drift."""
    device = TOTPDevice.objects.get(user=user)
    return pyotp.TOTP(b32encode(device.bin_key).decode()).at(time.time() + 30)


def enrol(client, user) -> list[str]:
    """Through the security page: scan (read the key shown), confirm with a code; the recovery codes shown once."""
    page = client.get(reverse("settings_security")).content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    response = client.post(
        reverse("settings_security"), {"action": "confirm", "code": pyotp.TOTP(secret).now()}, follow=True
    )
    page = response.content.decode()
    assert "Two-factor sign-in is on" in page
    return re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page)


def sign_in_password(client, user, next_url=""):
    data = {"email": user.email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


@pytest.fixture
def enrolled(client, admin_user):
    client.force_login(admin_user)
    codes = enrol(client, admin_user)
    client.post(reverse("logout"))
    return admin_user, codes


def test_enrolment_shows_a_qr_code_the_key_and_ten_recovery_codes_once(admin_client, admin_user):
    page = admin_client.get(reverse("settings_security")).content.decode()
    assert "<svg" in page and "Set up two-factor sign-in" in page
    codes = enrol(admin_client, admin_user)
    assert len(codes) == 10 and len(set(codes)) == 10
    again = admin_client.get(reverse("settings_security")).content.decode()
    assert codes[0] not in again  # shown only once
    assert "10 recovery codes left" in again
    with scopes_disabled():
        assert AuditEvent.objects.filter(kind="security.two_factor_enrolled", actor=admin_user).exists()


def test_a_wrong_confirmation_code_does_not_turn_it_on(admin_client, admin_user):
    response = admin_client.post(reverse("settings_security"), {"action": "confirm", "code": "000000"})
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=admin_user, confirmed=True).exists()


def test_sign_in_asks_for_the_code_and_member_pages_refuse_until_it_is_given(client, enrolled, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no wait after the wrong code below
    user, _codes = enrolled
    response = sign_in_password(client, user, "/invoices/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("two_factor_verify"))
    # Half signed in: every member page sends back to the code page; the API refuses the session too.
    for url in (reverse("dashboard"), "/invoices/", reverse("settings_team"), reverse("settings_security")):
        refused = client.get(url)
        assert refused.status_code == 302 and refused["Location"].startswith(reverse("two_factor_verify")), url
    assert client.get("/api/v1/invoices").status_code in (401, 403)

    wrong = client.post(reverse("two_factor_verify"), {"code": "000000"})
    assert "That code is not right" in wrong.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302

    right = client.post(reverse("two_factor_verify"), {"code": next_code(user), "next": "/invoices/"})
    assert right.status_code == 302 and right["Location"] == "/invoices/"
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_recovery_code_works_once(client, enrolled):
    user, codes = enrolled
    sign_in_password(client, user)
    response = client.post(reverse("two_factor_verify"), {"code": codes[0].upper()}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert "You used a recovery code" in page and "9 left" in page
    with scopes_disabled():
        assert AuditEvent.objects.filter(kind="security.recovery_code_used", actor=user).exists()

    client.post(reverse("logout"))
    sign_in_password(client, user)
    second = client.post(reverse("two_factor_verify"), {"code": codes[0]})
    assert second.status_code == 200 and "That code is not right" in second.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302


def test_wrong_codes_count_toward_the_sign_in_throttle(client, enrolled, settings):
    settings.LOGIN_THROTTLE_FAILURES = 3
    user, codes = enrolled
    sign_in_password(client, user)
    for _ in range(3):
        assert client.post(reverse("two_factor_verify"), {"code": "111111"}).status_code == 200
    blocked = client.post(reverse("two_factor_verify"), {"code": codes[1]})
    assert blocked.status_code == 429 and "Too many wrong codes" in blocked.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302
    # Signing in with the password again does not clear the count: the password page is throttled as well.
    client.post(reverse("logout"))
    again = sign_in_password(client, user)
    assert again.status_code == 429 and "Too many failed sign-in attempts" in again.content.decode()


def test_disable_needs_the_password(admin_client, admin_user):
    enrol(admin_client, admin_user)
    refused = admin_client.post(reverse("settings_security"), {"action": "disable", "password": "not-it"})
    assert "That is not your password" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=admin_user).exists()
    done = admin_client.post(reverse("settings_security"), {"action": "disable", "password": PASSWORD}, follow=True)
    assert "Two-factor sign-in is off" in done.content.decode()
    assert not TOTPDevice.objects.filter(user=admin_user, confirmed=True).exists()  # a new set-up is offered
    with scopes_disabled():
        assert AuditEvent.objects.filter(kind="security.two_factor_disabled").exists()


def test_new_recovery_codes_replace_the_old_ones(admin_client, admin_user):
    old = enrol(admin_client, admin_user)
    page = admin_client.post(reverse("settings_security"), {"action": "regenerate"}, follow=True).content.decode()
    new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page)
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.filter(device__user=admin_user).values_list("token", flat=True)) == set(new)


def test_require_two_factor_sends_a_member_without_it_to_enrolment(client, admin_client, tenant):
    response = admin_client.post(
        reverse("settings_security"), {"action": "require", "require_two_factor": "on"}, follow=True
    )
    assert "Every member now needs two-factor sign-in" in response.content.decode()
    tenant.refresh_from_db()
    assert tenant.require_two_factor
    with scopes_disabled():
        assert AuditEvent.objects.filter(kind="security.two_factor_required").exists()

    clerk = member(tenant, role="clerk", email="clerk2@example.ng")
    client.post(reverse("logout"))
    client.force_login(clerk)
    for url in (reverse("dashboard"), "/invoices/", "/customers/"):
        sent = client.get(url)
        assert sent.status_code == 302 and sent["Location"] == reverse("settings_security"), url
    page = client.get(reverse("settings_security")).content.decode()
    assert "requires two-factor sign-in" in page and "Set up two-factor sign-in" in page
    enrol(client, clerk)
    assert client.get(reverse("dashboard")).status_code == 200


def test_only_admins_can_require_two_factor(client, tenant):
    clerk = member(tenant, role="clerk", email="clerk3@example.ng")
    client.force_login(clerk)
    page = client.get(reverse("settings_security")).content.decode()
    assert "Require two-factor sign-in for every member" not in page
    client.post(reverse("settings_security"), {"action": "require", "require_two_factor": "on"})
    tenant.refresh_from_db()
    assert not tenant.require_two_factor


def test_api_keys_are_not_asked_for_a_code(client, enrolled, tenant):
    from tenants import services

    user, _codes = enrolled
    tenant.require_two_factor = True
    tenant.save()
    _key, plaintext = services.api_key_create(tenant=tenant, name="ERP", expires_at=None, user=user)
    response = client.get("/api/v1/invoices", HTTP_X_FLOWPOINT_KEY=plaintext)
    assert response.status_code == 200


PUBLIC_PAGES = {
    "signup",
    "login",
    "logout",
    "status",
    "health",
    "metrics",
    "password_reset",
    "password_reset_done",
    "password_reset_complete",
    "two_factor_verify",
    "api_docs",
    "api_schema",
    "api_redoc",
    "api_swagger",
}


def _plain_routes():
    """Every named page without path parameters."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and entry.name and "<" not in prefix + str(entry.pattern):
                yield entry.name, "/" + prefix + str(entry.pattern)

    return sorted(set(walk(get_resolver().url_patterns)))


def test_no_member_page_opens_for_a_session_that_still_owes_its_code(client, enrolled):
    user, _codes = enrolled
    sign_in_password(client, user)
    opened = []
    for name, path in _plain_routes():
        if name in PUBLIC_PAGES or "^" in path or path.startswith("/api/"):
            continue
        response = client.get(path)
        if response.status_code == 200 and user.email in response.content.decode():
            opened.append(path)
    assert opened == []
    assert client.get("/api/v1/invoices").status_code == 401
