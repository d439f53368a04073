"""Every change of settings, keys and team is recorded (who, when, what); the audit log shows it with the
invoice events, filters it, exports it as CSV, and never shows a secret or another tenant's rows."""

import csv
import io

from django.urls import reverse
from django_scopes import scopes_disabled

from invoicing.services import Actor, invoice_create
from tenants.models import AuditEvent, Membership
from tests.conftest import member
from tests.invoicing.conftest import body


def events(tenant):
    with scopes_disabled():
        return list(AuditEvent.objects.filter(tenant=tenant).order_by("id"))


def test_settings_keys_and_team_changes_are_recorded_with_who_and_what(admin_client, admin_user, tenant):
    admin_client.post(reverse("settings_profile"), {"name": tenant.name, "tin": "12345678-0001", "telephone": ""})
    admin_client.post(reverse("settings_nrs"), {"form": "credentials", "api_key": "live-k-1", "api_secret": "live-s-2"})
    admin_client.post(reverse("settings_api_keys"), {"name": "Sage ERP"})
    clerk = member(tenant, "clerk")
    with scopes_disabled():
        membership = Membership.objects.get(user=clerk)
    admin_client.post(reverse("member_role", args=[membership.pk]), {"role": "approver"})
    admin_client.post(reverse("settings_gates"), {"review": "all", "maker_checker": "on"})
    recorded = events(tenant)
    kinds = [e.kind for e in recorded]
    assert kinds == [
        "settings.profile_updated",
        "settings.nrs_credentials_set",
        "api_key.created",
        "team.role_changed",
        "settings.review_rules_changed",
    ]
    assert all(e.actor == admin_user for e in recorded)
    assert recorded[0].changes == {"tin": ["", "12345678-0001"]}
    assert recorded[1].changes == {"nrs_api_key": "changed", "nrs_api_secret": "changed"}
    assert recorded[3].changes == {"role": ["clerk", "approver"]}
    assert recorded[4].changes["review"] == ["never", "all"]
    assert "live-k-1" not in str([(e.message, e.changes) for e in recorded])


def test_audit_log_merges_filters_and_exports(admin_client, admin_user, tenant, key_file):
    from tests.factories import make_ready

    make_ready(tenant, key_file)
    invoice_create(tenant=tenant, data=body(), actor=Actor(admin_user))
    page = admin_client.get(reverse("settings_audit")).content.decode()
    assert "settings.profile_updated" in page and "invoice.created" in page and "INV-2026-001" in page
    only_invoices = admin_client.get(reverse("settings_audit"), {"kind": "invoice"}).content.decode()
    assert "invoice.pending" in only_invoices and "crypto_key.uploaded" not in only_invoices
    by_admin = admin_client.get(reverse("settings_audit"), {"user": admin_user.pk}).content.decode()
    assert "invoice.created" in by_admin and "crypto_key.uploaded" not in by_admin  # make_ready had no user
    future = admin_client.get(reverse("settings_audit"), {"from": "2999-01-01"}).content.decode()
    assert "Nothing recorded for these filters" in future
    export = admin_client.get(reverse("settings_audit"), {"kind": "invoice", "format": "csv"})
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0][0] == "time (Africa/Lagos)"
    assert {r[1] for r in rows[1:]} == {"invoice.created", "invoice.pending"}
    assert all(r[0].endswith("+01:00") for r in rows[1:])


def test_audit_log_is_admin_only_and_per_tenant(client, tenant, other_tenant):
    admin_a = member(tenant, "admin")
    client.force_login(admin_a)
    client.post(reverse("settings_api_keys"), {"name": "Secret System A"})
    client.force_login(member(tenant, "clerk"))
    assert client.get(reverse("settings_audit")).status_code == 403
    client.force_login(member(other_tenant, "admin"))
    assert "Secret System A" not in client.get(reverse("settings_audit")).content.decode()
