import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled

from tenants.models import ApiKey, Membership, Tenant


def test_create_tenant_prints_json_with_the_tenant_id():
    out = StringIO()
    call_command(
        "create_tenant",
        "--name",
        "Kola Foods Ltd",
        "--admin-email",
        "Ops@Kola.ng",
        "--admin-password",
        "x-pass-12345",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    tenant = Tenant.objects.get(pk=data["tenantId"])
    assert tenant.name == "Kola Foods Ltd" and data["adminEmail"] == "ops@kola.ng" and data["adminCreated"]
    with scopes_disabled():
        membership = Membership.objects.get(tenant=tenant)
    assert membership.role == "admin" and membership.user.check_password("x-pass-12345")


def test_create_tenant_rejects_a_bad_email():
    with pytest.raises(CommandError, match="not a valid e-mail"):
        call_command("create_tenant", "--name", "X", "--admin-email", "nope", "--admin-password", "p")


def test_seed_demo_creates_the_demo_once_and_prints_working_logins(settings, tmp_path, monkeypatch):
    from integrations.nrs.management.commands import seed_demo

    monkeypatch.setattr(seed_demo, "CREDENTIALS_FILE", tmp_path / "demo.json")
    first, second = StringIO(), StringIO()
    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)
    assert Tenant.objects.filter(name="Demo Trading Ltd").count() == 1
    key = json.loads((tmp_path / "demo.json").read_text())["apiKey"]
    assert key in first.getvalue() and key in second.getvalue()
    assert "admin@demo.flowpoint.local / demo-admin-pass" in second.getvalue()
    with scopes_disabled():
        roles = set(Membership.objects.values_list("role", flat=True))
        assert roles == {"admin", "clerk"}
        assert ApiKey.objects.get().prefix == key[:16]
