import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django_scopes import scopes_disabled

from tenants import services
from tenants.models import Membership, Tenant
from tests.conftest import member
from tests.factories import PASSWORD

User = get_user_model()


def test_signup_creates_user_tenant_and_admin_membership_then_starts_onboarding(client):
    response = client.post(
        reverse("signup"),
        {
            "business_name": "Kola Foods Ltd",
            "full_name": "Kola Adeyemi",
            "email": "Kola@KolaFoods.ng",
            "password": "jollof-rice-2026",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("onboarding")
    user = User.objects.get(email="kola@kolafoods.ng")
    tenant = Tenant.objects.get(name="Kola Foods Ltd")
    with scopes_disabled():
        membership = Membership.objects.get(user=user)
    assert membership.tenant == tenant and membership.role == "admin"
    # Signed in: the dashboard shows the business.
    assert "Kola Foods Ltd" in client.get(reverse("dashboard")).content.decode()


def test_signup_errors_name_the_field_and_keep_what_was_typed(client, admin_user):
    response = client.post(
        reverse("signup"),
        {"business_name": "Kola Foods Ltd", "full_name": "Kola", "email": admin_user.email, "password": "123"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "already exists" in html
    assert "This password is too short" in html
    assert 'value="Kola Foods Ltd"' in html  # nothing typed is lost
    assert Tenant.objects.filter(name="Kola Foods Ltd").count() == 0


def assert_start_page(client):
    """Signed out, `/` is the start page for visitors, never the business's dashboard."""
    html = client.get(reverse("dashboard")).content.decode()
    assert "What Flowpoint does" in html and "Sign out" not in html


def test_login_and_logout(client, admin_user):
    response = client.post(reverse("login"), {"email": admin_user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200
    client.post(reverse("logout"))
    assert_start_page(client)


def test_failed_logins_are_throttled_even_for_the_right_password(client, admin_user, settings):
    settings.LOGIN_THROTTLE_FAILURES = 5
    for _ in range(5):
        response = client.post(reverse("login"), {"email": admin_user.email, "password": "wrong-password"})
        assert response.status_code == 200
        assert "do not match" in response.content.decode()
    blocked = client.post(reverse("login"), {"email": admin_user.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts" in blocked.content.decode()
    assert_start_page(client)  # still signed out


def test_password_reset_by_email(client, admin_user):
    client.post(reverse("password_reset"), {"email": admin_user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-pass-77", "new_password2": "a-brand-new-pass-77"},
    )
    assert response.status_code == 302
    assert client.login(email=admin_user.email, password="a-brand-new-pass-77")


def _invite(client, email, role):
    client.post(reverse("settings_team"), {"email": email, "role": role})
    assert mail.outbox, "no invitation e-mail was sent"
    return re.search(r"http://testserver(/invite/\S+/)", mail.outbox[-1].body).group(1)


def test_invitation_by_email_gives_the_chosen_role(admin_client, tenant):
    link = _invite(admin_client, "bola@example.ng", "approver")
    assert "as Approver" in mail.outbox[-1].body
    admin_client.post(reverse("logout"))
    page = admin_client.get(link)
    assert "bola@example.ng" in page.content.decode()
    response = admin_client.post(link, {"full_name": "Bola Ade", "password": "approver-pass-2026"})
    assert response.status_code == 302
    with scopes_disabled():
        membership = Membership.objects.get(user__email="bola@example.ng")
    assert membership.tenant == tenant and membership.role == "approver"
    # A used link is dead.
    admin_client.post(reverse("logout"))
    assert admin_client.get(link).status_code == 404


def test_existing_user_accepts_invitation_after_signing_in(admin_client, tenant, other_tenant, client):
    existing = member(other_tenant, "admin", email="multi@example.ng")
    link = _invite(admin_client, "multi@example.ng", "clerk")
    client.force_login(existing)
    response = client.post(link)
    assert response.status_code == 302
    with scopes_disabled():
        assert Membership.objects.get(user=existing, tenant=tenant).role == "clerk"


def test_inviting_a_current_member_is_refused(admin_client, clerk_user):
    response = admin_client.post(reverse("settings_team"), {"email": clerk_user.email, "role": "clerk"})
    assert "already a member" in response.content.decode()


def test_last_admin_cannot_be_demoted(admin_client, admin_user, tenant):
    with scopes_disabled():
        membership = Membership.objects.get(user=admin_user)
    response = admin_client.post(reverse("member_role", args=[membership.pk]), {"role": "clerk"}, follow=True)
    assert "at least one admin" in response.content.decode()
    with scopes_disabled():
        membership.refresh_from_db()
    assert membership.role == "admin"


def test_a_new_persons_acceptance_is_one_transaction_no_account_without_its_membership(
    admin_client, tenant, monkeypatch
):

    link = _invite(admin_client, "tunde@example.ng", "clerk")
    invitation = services.invitation_by_token(link.strip("/").rsplit("/", 1)[-1])

    def broken_audit(*args, **kwargs):
        raise RuntimeError("the audit write failed")

    monkeypatch.setattr(services, "audit", broken_audit)
    with pytest.raises(RuntimeError):
        services.invitation_signup(invitation=invitation, full_name="Tunde Bello", password="clerk-pass-2026")
    assert not User.objects.filter(email="tunde@example.ng").exists()
    assert services.invitation_by_token(link.strip("/").rsplit("/", 1)[-1]) is not None  # still open

    monkeypatch.undo()
    user = services.invitation_signup(invitation=invitation, full_name="Tunde Bello", password="clerk-pass-2026")
    with scopes_disabled():
        assert Membership.objects.get(user=user).role == "clerk" and user.first_name == "Tunde"


def test_the_start_page_says_what_flowpoint_does_and_how_to_begin(client, admin_user):
    html = client.get("/").content.decode()
    for words in ("NRS", "Issue", "Certify", "Send", "Receive", "For whom", "How to begin"):
        assert words in html, words
    assert f'href="{reverse("signup")}"' in html and f'href="{reverse("login")}"' in html
    client.post(reverse("login"), {"email": admin_user.email, "password": PASSWORD})
    signed_in = client.get("/").content.decode()
    assert "What Flowpoint does" not in signed_in and "Sign out" in signed_in  # the dashboard, as before
