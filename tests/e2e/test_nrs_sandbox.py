"""In the browser: a sandbox business connects to the embedded NRS sandbox in one click, checks its TIN with
NRS, and sees on the sandbox page what the sandbox received."""

import pytest
from playwright.sync_api import expect

from tests.conftest import member
from tests.factories import TenantFactory

pytestmark = pytest.mark.e2e


def test_connect_to_the_sandbox_then_check_the_tin_and_see_it_in_the_sandbox_log(page, sign_in, live_server, settings):
    settings.NRS_SANDBOX_URL = live_server.url + "/sandbox/nrs"
    tenant = TenantFactory(name="Kola Foods Ltd", tin="20198222-0002")
    sign_in(member(tenant, "admin"))

    page.goto("/onboarding/nrs/")
    page.get_by_role("button", name="Connect to the NRS sandbox").click()
    expect(page.locator(".messages")).to_contain_text("Connected to the NRS sandbox")
    # The wizard resumes at the first step still missing (this business has no location yet).
    expect(page).to_have_url(live_server.url + "/onboarding/location/")
    tenant.refresh_from_db()
    page.goto("/onboarding/done/")
    expect(page.locator("#readiness li[data-key=primary_location]")).to_have_class("missing")
    expect(page.locator("#readiness li[data-key=nrs_service_id]")).to_have_class("ok")
    expect(page.locator("#readiness li[data-key=crypto_key]")).to_have_class("ok")
    expect(page.locator("#readiness li[data-key=nrs_credentials]")).to_have_class("ok")

    page.goto("/settings/")
    page.get_by_role("button", name="Check TIN 20198222-0002 with NRS").click()
    expect(page.locator(".messages")).to_contain_text("NRS knows TIN 20198222-0002: Kola Foods Ltd (ACTIVE)")

    page.get_by_role("link", name="NRS sandbox").click()
    expect(page.locator("table")).to_contain_text("POST /sandbox/nrs/api/v1/utilities/verify-tin/")
    page.goto("/settings/nrs/calls/")
    expect(page.locator("table")).to_contain_text("verify_tin")
    expect(page.locator("body")).not_to_contain_text(tenant.nrs_api_secret)
