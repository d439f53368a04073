"""Connecting a tenant to the sandbox, the TIN check, the sandbox console, and the reference sync."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_scopes import scopes_disabled

from integrations.nrs.sandbox.models import SandboxBusiness, SandboxFaults, SandboxRequest
from integrations.reference.models import HsCode, State, VatExemption
from tenants.models import CryptoKey
from tenants.readiness import tenant_readiness
from tests.conftest import member
from tests.factories import PASSWORD


def test_connect_to_the_sandbox_fills_ids_credentials_and_key_in_one_click(admin_client, tenant):
    page = admin_client.get(reverse("onboarding_step", args=["nrs"])).content.decode()
    assert "Connect to the NRS sandbox" in page
    response = admin_client.post(reverse("nrs_sandbox_connect"), {"next": reverse("onboarding")})
    assert response["Location"] == reverse("onboarding")
    tenant.refresh_from_db()
    business = SandboxBusiness.objects.get(pk=tenant.nrs_business_id)
    assert tenant.nrs_service_id == business.service_id and re.fullmatch(r"[A-Z0-9]{8}", tenant.nrs_service_id)
    assert tenant.has_nrs_credentials
    with scopes_disabled():
        key = CryptoKey.objects.get(tenant=tenant, is_active=True)
    assert business.certificate in key.key_file
    done = {item.key for item in tenant_readiness(tenant) if item.ok}
    assert {"nrs_business_id", "nrs_service_id", "nrs_credentials", "crypto_key"} <= done


def test_live_tenants_are_not_offered_the_sandbox(admin_client, tenant):
    tenant.environment = "live"
    tenant.save()
    assert "Connect to the NRS sandbox" not in admin_client.get(reverse("settings_nrs")).content.decode()
    response = admin_client.post(reverse("nrs_sandbox_connect"), follow=True)
    assert "Switch the environment to Sandbox first" in response.content.decode()
    tenant.refresh_from_db()
    assert tenant.nrs_business_id is None


def test_an_external_sandbox_url_hides_the_one_click_connection(admin_client, settings):
    settings.NRS_SANDBOX_EMBEDDED = False
    assert "Connect to the NRS sandbox" not in admin_client.get(reverse("settings_nrs")).content.decode()


def test_tin_check_asks_nrs_over_http(client, connected_tenant):
    admin = member(connected_tenant, "admin")
    client.force_login(admin)
    response = client.post(reverse("tin_verify"), {"next": reverse("settings_profile")}, follow=True)
    assert f"NRS knows TIN {connected_tenant.tin}" in response.content.decode()
    unknown = client.post(reverse("tin_verify"), {"tin": "0000123-0001"}, follow=True)
    assert "NRS does not know TIN 0000123-0001" in unknown.content.decode()


def test_tin_check_needs_credentials_first(admin_client, tenant):
    tenant.tin = "12345678-0001"
    tenant.save()
    response = admin_client.post(reverse("tin_verify"), follow=True)
    assert "Save your NRS API credentials first" in response.content.decode()


def test_nrs_calls_page_shows_what_nrs_said_for_this_tenant_only(client, connected_tenant, other_tenant):
    from integrations.nrs.client import NrsClient

    NrsClient(connected_tenant).verify_tin("20198222-0002")
    client.force_login(member(connected_tenant, "admin"))
    html = client.get(reverse("nrs_calls")).content.decode()
    assert "verify_tin" in html and "Sandbox Taxpayer 20198222-0002" in html
    client.force_login(member(other_tenant, "admin"))
    assert "verify_tin" not in client.get(reverse("nrs_calls")).content.decode()


def test_sandbox_console_shows_a_business_only_its_own_requests(client, admin_client, tenant, other_tenant):
    admin_client.post(reverse("nrs_sandbox_connect"))
    tenant.refresh_from_db()
    mine = SandboxRequest.objects.create(
        method="POST", path="/sandbox/nrs/api/v1/invoice/sign", status_code=200, business_id=tenant.nrs_business_id
    )
    theirs_business = SandboxBusiness.objects.create(
        name="Other", service_id="OTHER001", private_key_pem="x", public_key_pem="x", certificate="c"
    )
    SandboxRequest.objects.create(
        method="GET", path="/sandbox/nrs/OTHER-PATH", status_code=200, business=theirs_business
    )
    html = admin_client.get(reverse("sandbox_console")).content.decode()
    assert mine.path in html and "OTHER-PATH" not in html
    # Fault injection affects every business: operators only.
    assert admin_client.get(reverse("sandbox_faults")).status_code == 403


def test_operators_set_faults_on_the_sandbox_page(client):
    from tests.factories import UserFactory

    operator = UserFactory(is_staff=True)
    client.login(email=operator.email, password=PASSWORD)
    response = client.post(
        reverse("sandbox_faults"),
        {
            "latency_ms": 50,
            "error_rate": 0.2,
            "timeout_rate": 0.05,
            "offline_rate": 0,
            "lost_response_rate": 0.05,
            "throttle_rate": 0.1,
            "retry_after_seconds": 3,
            "strict": "on",
        },
    )
    assert response.status_code == 302
    faults = SandboxFaults.objects.get()
    assert (faults.error_rate, faults.lost_response_rate, faults.strict) == (0.2, 0.05, True)
    assert (faults.throttle_rate, faults.retry_after_seconds) == (0.1, 3)
    bad = client.post(
        reverse("sandbox_faults"),
        {
            "latency_ms": 0,
            "error_rate": 2,
            "timeout_rate": 0,
            "offline_rate": 0,
            "lost_response_rate": 0,
            "throttle_rate": 0,
            "retry_after_seconds": 2,
        },
    )
    assert "less than or equal to 1.0" in bad.content.decode()


def test_sync_pulls_every_list_trims_and_deduplicates(connected_tenant):
    State.objects.filter(pk="NG-LA").update(name="Lagoss")
    HsCode.objects.filter(pk="8517.11").delete()
    out = StringIO()
    call_command("sync_nrs_resources", "--tenant", str(connected_tenant.pk), stdout=out)
    report = out.getvalue()
    assert "states: 37 rows (0 new, 1 updated)" in report
    assert "hs-codes: 5612 rows (1 new, 0 updated)" in report
    assert "lgas: 774 rows (0 new, 0 updated)" in report
    assert "vat-exemptions: 6 rows (6 new, 0 updated)" in report
    assert State.objects.get(pk="NG-LA").name == "Lagos"
    assert VatExemption.objects.filter(pk="8708.3900").exists()  # trailing space trimmed
    assert VatExemption.objects.count() == 6  # 0204.3000 listed twice by NRS, kept once


def test_sync_needs_a_tenant_with_credentials():
    with pytest.raises(CommandError, match="No tenant with NRS credentials"):
        call_command("sync_nrs_resources")


def test_business_users_see_what_the_sandbox_received_but_not_its_fault_controls(admin_client, tenant):
    admin_client.post(reverse("nrs_sandbox_connect"))
    tenant.refresh_from_db()
    SandboxRequest.objects.create(
        method="POST", path="/sandbox/nrs/api/v1/invoice/validate", status_code=200, business_id=tenant.nrs_business_id
    )
    html = admin_client.get(reverse("sandbox_console")).content.decode()
    assert "/sandbox/nrs/api/v1/invoice/validate" in html
    assert reverse("sandbox_faults") not in html and "Fault injection" not in html and "Faults now" not in html

    refused = admin_client.post(
        reverse("sandbox_faults"),
        {
            "latency_ms": 0,
            "error_rate": 1,
            "timeout_rate": 0,
            "offline_rate": 1,
            "lost_response_rate": 0,
            "throttle_rate": 0,
            "retry_after_seconds": 2,
        },
    )
    assert refused.status_code == 403
    assert not SandboxFaults.objects.filter(offline_rate=1).exists()


def test_operators_see_the_fault_controls(client):
    from tests.factories import UserFactory

    operator = UserFactory(is_staff=True)
    client.login(email=operator.email, password=PASSWORD)
    html = client.get(reverse("sandbox_console")).content.decode()
    assert reverse("sandbox_faults") in html and "Faults now" in html


def test_admins_find_the_api_docs_in_settings_and_the_footer(admin_client, client, tenant):
    docs = reverse("api_docs")
    assert admin_client.get(reverse("dashboard")).content.decode().count(f'href="{docs}"') == 1  # the footer
    assert admin_client.get(reverse("settings_api_keys")).content.decode().count(f'href="{docs}"') == 2
    client.login(email=member(tenant, "clerk").email, password=PASSWORD)
    assert f'href="{docs}"' not in client.get(reverse("dashboard")).content.decode()


def test_operators_change_nrs_copy_of_a_signed_invoice_and_members_may_not(client, admin_client):
    from integrations.nrs.sandbox.models import SandboxInvoice
    from tests.factories import UserFactory

    business = SandboxBusiness.objects.create(
        name="Kola", service_id="KOLA0001", private_key_pem="x", public_key_pem="x", certificate="c"
    )
    irn = "INV001-KOLA0001-20260425"
    SandboxInvoice.objects.create(
        business=business, irn=irn, document={"legal_monetary_total": {"payable_amount": 53750}}
    )
    assert admin_client.get(reverse("sandbox_copy_change")).status_code == 403
    operator = UserFactory(is_staff=True)
    client.login(email=operator.email, password=PASSWORD)
    unknown = client.post(reverse("sandbox_copy_change"), {"irn": "NOPE-1", "field": "payable", "value": "1"})
    assert "The sandbox holds no signed invoice with this IRN." in unknown.content.decode()
    done = client.post(reverse("sandbox_copy_change"), {"irn": irn, "field": "payable", "value": "537,500.00"})
    assert done.status_code == 302
    assert SandboxInvoice.objects.get(irn=irn).document["legal_monetary_total"]["payable_amount"] == 537500
