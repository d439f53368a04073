"""Where you're signed in, from outside (HTTP): real sign-ins from two devices, the list, signing one out (its next
request is signed out), signing out everywhere else, and a password change or reset signing the others out."""

import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_scopes import scopes_disabled

from portal.models import UserSession
from portal.sessions import describe_device
from tenants.models import AuditEvent
from tests.conftest import member
from tests.factories import PASSWORD

LAPTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


def signed_in(user, agent, address):
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    response = client.post(reverse("login"), {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    assert client.get(reverse("dashboard")).status_code == 200
    return client


def is_signed_in(client) -> bool:
    response = client.get(reverse("account_security"))
    return response.status_code == 200


def _rows(page: str) -> list[str]:
    return re.findall(r'<li class="card session[^"]*">(.*?)</li>', page, re.S)


def test_devices_in_plain_words():
    assert describe_device(LAPTOP) == "Chrome on Windows"
    assert describe_device(PHONE) == "Safari on iPhone"
    assert describe_device("curl/8.5.0") == "A program (curl)"
    assert describe_device("") == "An unknown device"


@pytest.mark.django_db
def test_the_list_shows_each_device_and_signs_one_out(tenant):
    user = member(tenant, "clerk")
    laptop = signed_in(user, LAPTOP, "203.0.113.10")
    phone = signed_in(user, PHONE, "2001:db8::7")
    other_person = signed_in(member(tenant, "admin"), LAPTOP, "198.51.100.99")

    page = laptop.get(reverse("account_security")).content.decode()
    rows = _rows(page)
    assert len(rows) == 2, rows  # the other person's session is not listed
    assert "Chrome on Windows" in rows[0] and "This device" in rows[0] and "203.0.113.10" in rows[0]
    assert "Safari on iPhone" in rows[1] and "2001:db8::7" in rows[1] and "This device" not in rows[1]
    assert "198.51.100.99" not in page and "Sign out everywhere else" in page

    # Someone else's session cannot be signed out: 404, and it stays signed in.
    with scopes_disabled():
        theirs = UserSession.objects.exclude(user=user).get()
    assert laptop.post(reverse("account_session_sign_out", args=[theirs.pk])).status_code == 404
    assert is_signed_in(other_person)

    phone_row = UserSession.objects.get(user=user, user_agent=PHONE)
    response = laptop.post(reverse("account_session_sign_out", args=[phone_row.pk]), follow=True)
    assert "Safari on iPhone is signed out." in response.content.decode()
    assert not is_signed_in(phone)  # its next request is signed out
    assert is_signed_in(laptop)
    with scopes_disabled():
        entry = AuditEvent.objects.get(tenant=tenant, kind="account.session_signed_out")
    assert "Safari on iPhone from 2001:db8::7" in entry.message and entry.actor == user


@pytest.mark.django_db
def test_sign_out_everywhere_else_keeps_this_device(tenant):
    user = member(tenant, "admin")
    laptop = signed_in(user, LAPTOP, "203.0.113.10")
    phones = [signed_in(user, PHONE, f"203.0.113.{n}") for n in (20, 21)]
    response = laptop.post(reverse("account_sessions_sign_out_others"), follow=True)
    assert "Signed out everywhere else (2 sessions)." in response.content.decode()
    assert is_signed_in(laptop) and not any(is_signed_in(p) for p in phones)
    page = laptop.get(reverse("account_security")).content.decode()
    assert len(_rows(page)) == 1 and "You are signed in on this device only." in page
    with scopes_disabled():
        assert AuditEvent.objects.filter(tenant=tenant, kind="account.session_signed_out").count() == 2


@pytest.mark.django_db
def test_a_password_change_signs_the_other_sessions_out(tenant):
    user = member(tenant, "reviewer")
    laptop = signed_in(user, LAPTOP, "203.0.113.10")
    phone = signed_in(user, PHONE, "203.0.113.20")

    wrong = laptop.post(
        reverse("account_password"),
        {"old_password": "not it", "new_password1": "Brand-new-pass-42", "new_password2": "Brand-new-pass-42"},
    )
    assert wrong.status_code == 200 and "old password was entered incorrectly" in wrong.content.decode()
    assert is_signed_in(phone)

    response = laptop.post(
        reverse("account_password"),
        {"old_password": PASSWORD, "new_password1": "Brand-new-pass-42", "new_password2": "Brand-new-pass-42"},
        follow=True,
    )
    assert "Your password is changed. Your other sessions (1) are signed out." in response.content.decode()
    assert is_signed_in(laptop) and not is_signed_in(phone)
    with scopes_disabled():
        kinds = list(AuditEvent.objects.filter(tenant=tenant, actor=user).values_list("kind", flat=True))
    assert "account.password_changed" in kinds and "account.session_signed_out" in kinds

    # A business admin finds them in the audit log under their own filter.
    admin = Client()
    admin.force_login(member(tenant, "admin"))
    log = admin.get(reverse("settings_audit"), {"kind": "account"}).content.decode()
    assert "Sign-ins and passwords" in log
    assert f"{user.email} changed their password" in log and "Safari on iPhone from 203.0.113.20 signed out" in log


@pytest.mark.django_db
def test_a_password_reset_signs_every_session_out(tenant):
    user = member(tenant, "clerk")
    laptop = signed_in(user, LAPTOP, "203.0.113.10")
    user.refresh_from_db()  # the token covers the last sign-in time
    link = reverse(
        "password_reset_confirm",
        args=[urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)],
    )
    browser = Client()
    first = browser.get(link)
    assert first.status_code == 302, first.content.decode()[-1500:]
    form_url = first["Location"]
    done = browser.post(form_url, {"new_password1": "Reset-pass-9876", "new_password2": "Reset-pass-9876"})
    assert done.status_code == 302, done.content[:300]
    assert not is_signed_in(laptop)
    with scopes_disabled():
        assert AuditEvent.objects.filter(tenant=tenant, kind="account.password_reset").exists()


@pytest.mark.django_db
def test_last_seen_is_written_at_most_once_a_minute(tenant):
    user = member(tenant, "clerk")
    laptop = signed_in(user, LAPTOP, "203.0.113.10")
    row = UserSession.objects.get(user=user)
    seen = row.last_seen_at
    laptop.get(reverse("account_security"))
    row.refresh_from_db()
    assert row.last_seen_at == seen


@pytest.mark.django_db
def test_turning_two_factor_off_signs_out_the_other_sessions(tenant):
    from tests.tenants.test_two_factor import enrol

    user = member(tenant, "admin")
    phone = signed_in(user, PHONE, "198.51.100.7")  # signed in on the phone first
    laptop = signed_in(user, LAPTOP, "203.0.113.10")
    enrol(laptop, user)
    off = laptop.post(reverse("settings_security"), {"action": "disable", "password": PASSWORD}, follow=True)
    assert "Two-factor sign-in is off" in off.content.decode()
    assert is_signed_in(laptop) and not is_signed_in(phone)
    with scopes_disabled():
        assert AuditEvent.objects.filter(tenant=tenant, kind="account.session_signed_out").exists()
