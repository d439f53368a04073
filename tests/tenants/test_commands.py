import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled

from tenants.models import ApiKey, Membership, Notification, Tenant


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
    from invoicing.management.commands import seed_demo

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


def test_seed_demo_leaves_invoices_from_other_businesses_for_the_demos_first_pull(
    settings, sandbox_url, tmp_path, monkeypatch
):
    """Three demo suppliers issue to the demo's TIN through the sandbox; the demo's history (one invoice received
    and accepted) is in its inbox at once, the other two arrive with the worker's first pull, awaiting a decision.
    Seeding again, before or after the pull, adds nothing."""
    from datetime import timedelta

    from django.utils import timezone
    from django_scopes import scope

    from integrations.nrs.sandbox.models import SandboxInvoice
    from invoicing.management.commands import seed_demo
    from invoicing.models import ReceivedInvoice
    from invoicing.purchases.tasks import pull_purchases
    from invoicing.purchases.vat import month_bounds, vat_report

    settings.NRS_SANDBOX_EMBEDDED = True
    monkeypatch.setattr(seed_demo, "CREDENTIALS_FILE", tmp_path / "demo.json")
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    demo = Tenant.objects.get(name="Demo Trading Ltd")
    sent = SandboxInvoice.objects.filter(buyer_tin=demo.tin, transmitted_at__isnull=False)
    assert sorted(sent.values_list("business__name", flat=True)) == [
        "Harbour Freight Nigeria Ltd",
        "Ikeja Cold Chain Ltd",
        "Lagoon Packaging Ltd",
    ]

    def inbox():
        with scope(tenant=demo):
            return {
                r.document_number: (r.supplier.name, r.status, r.currency, r.line_extension, r.tax_total)
                for r in ReceivedInvoice.objects.select_related("supplier")
            }

    history = {"LPK2291": ("Lagoon Packaging Ltd", "accepted", "NGN", Decimal("640000.00"), Decimal("48000.00"))}
    assert inbox() == history
    assert sent.get(irn__startswith="LPK2291-").transmit_confirmed_at is not None  # acknowledged to NRS

    assert pull_purchases(str(demo.pk)) == {"received": 2, "seen": 3, "error": ""}  # the schedule's task
    pulled = {
        "HFN0457": ("Harbour Freight Nigeria Ltd", "new", "USD", Decimal("2750.00"), Decimal("206.25")),
        "ICC1187": ("Ikeja Cold Chain Ltd", "new", "NGN", Decimal("225000.00"), Decimal("16875.00")),
    }
    assert inbox() == history | pulled
    with scope(tenant=demo):  # the admin is told of the two that arrived; the history's notice was read long ago
        unread = Notification.objects.filter(user__email="admin@demo.flowpoint.local", read_at=None)
        assert sorted(n.title for n in unread.filter(kind="purchase_received")) == [
            "Harbour Freight Nigeria Ltd sent you an invoice HFN0457",
            "Ikeja Cold Chain Ltd sent you an invoice ICC1187",
        ]
    call_command("seed_demo", stdout=StringIO())
    assert pull_purchases(str(demo.pk))["received"] == 0 and inbox() == history | pulled
    assert SandboxInvoice.objects.filter(buyer_tin=demo.tin).count() == 3

    # The USD invoice's VAT counts as its supplier stated it in naira: $206.25 × ₦1,530.50 = ₦315,665.63.
    days = {timezone.localdate(timezone.now() - timedelta(days=n)) for n in (1, 2, 3)}
    total = Decimal(0)
    for month in {f"{day:%Y-%m}" for day in days}:
        with scope(tenant=demo):
            report = vat_report(*month_bounds(month))
        total += report.input_vat
    assert total == Decimal("48000.00") + Decimal("315665.63") + Decimal("16875.00")
