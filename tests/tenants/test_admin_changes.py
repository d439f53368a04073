"""Admin changes made through their services: withdrawing an invitation and setting the review/approval rules
each land in the audit log (who, what) in the transaction that makes them."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from invoicing.models import GateRules
from invoicing.services import gate_rules_save
from tenants.models import AuditEvent, Invitation
from tenants.services import invitation_revoke


def audit_log(client) -> str:
    return client.get(reverse("settings_audit")).content.decode()


def recorded(tenant, kind):
    with scopes_disabled():
        return list(AuditEvent.objects.filter(tenant=tenant, kind=kind).order_by("id"))


def test_withdrawing_an_invitation_kills_the_link_and_shows_in_the_audit_log(admin_client, admin_user, tenant):
    admin_client.post(reverse("settings_team"), {"email": "tunde@example.ng", "role": "clerk"})
    link = re.search(r"http://testserver(/invite/\S+/)", mail.outbox[-1].body).group(1)
    with scopes_disabled():
        invitation = Invitation.objects.get(email="tunde@example.ng")
    response = admin_client.post(reverse("invitation_revoke", args=[invitation.pk]), follow=True)
    assert "Invitation to tunde@example.ng withdrawn." in response.content.decode()
    (entry,) = recorded(tenant, "team.invitation_withdrawn")
    assert entry.actor == admin_user and entry.message == "tunde@example.ng"
    page = audit_log(admin_client)
    assert "team.invitation_withdrawn" in page and "tunde@example.ng" in page
    admin_client.post(reverse("logout"))
    assert admin_client.get(link).status_code == 404


def test_an_invitation_is_not_withdrawn_without_its_audit_entry(tenant, admin_user, monkeypatch):
    with scope(tenant=tenant):
        invitation = Invitation.objects.create(
            tenant=tenant, email="ada@example.ng", role="clerk", token_hash="x" * 64, expires_at="2999-01-01T00:00Z"
        )

    def broken(*args, **kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr("tenants.services.audit", broken)
    with pytest.raises(RuntimeError):
        invitation_revoke(invitation=invitation, user=admin_user)
    with scopes_disabled():
        assert Invitation.objects.get(pk=invitation.pk).revoked_at is None  # one transaction: nothing half-done


def test_review_rules_saved_through_the_page_show_what_changed_in_the_audit_log(admin_client, admin_user, tenant):
    page = reverse("settings_gates")
    admin_client.post(page, {"review": "b2g", "approval_above": "1000000", "maker_checker": "on"})
    (entry,) = recorded(tenant, "settings.review_rules_changed")
    assert entry.actor == admin_user
    assert entry.changes == {"review": ["never", "b2g"], "approval_above": [None, "1000000"]}
    assert entry.message == "review, approval_above"
    log = audit_log(admin_client)
    assert "settings.review_rules_changed" in log and "review, approval_above" in log
    # Saving the same rules again changes nothing and records nothing.
    admin_client.post(page, {"review": "b2g", "approval_above": "1000000.00", "maker_checker": "on"})
    assert len(recorded(tenant, "settings.review_rules_changed")) == 1
    # Unticking maker-checker is a change of its own.
    admin_client.post(page, {"review": "b2g", "approval_above": "1000000"})
    assert recorded(tenant, "settings.review_rules_changed")[-1].changes == {"maker_checker": [True, False]}
    assert tenant.gate_rules.maker_checker is False


def test_review_rules_are_not_saved_without_their_audit_entry(tenant, admin_user, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr("invoicing.services.audit", broken)
    with scope(tenant=tenant), pytest.raises(RuntimeError):
        gate_rules_save(tenant=tenant, user=admin_user, review="all")
    assert not GateRules.objects.filter(tenant=tenant, review="all").exists()  # one transaction: nothing half-done


def test_connecting_the_sandbox_is_recorded_with_the_connection_or_not_at_all(
    admin_client, admin_user, tenant, monkeypatch
):
    admin_client.post(reverse("nrs_sandbox_connect"))
    (entry,) = recorded(tenant, "settings.nrs_sandbox_connected")
    assert entry.actor == admin_user
    assert "settings.nrs_sandbox_connected" in audit_log(admin_client)
    tenant.refresh_from_db()
    connected = tenant.nrs_business_id
    assert connected

    def broken(*args, **kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr("integrations.nrs.services.audit", broken)
    with pytest.raises(RuntimeError):
        admin_client.post(reverse("nrs_sandbox_connect"))
    tenant.refresh_from_db()
    assert tenant.nrs_business_id == connected  # the second connection rolled back with its record
