"""Sign-up and the onboarding wizard, driven in Chromium against the live server.

Every assertion is about what the person at the browser sees (plus, where it matters, what was
or was not stored).
"""

import base64
import os
import re
import uuid

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from tenants.models import CryptoKey, Location, Tenant
from tests.conftest import make_key_file, member
from tests.factories import TenantFactory

pytestmark = pytest.mark.e2e

STEPS = [
    ("business", "Business profile"),
    ("location", "Location"),
    ("nrs", "NRS identity"),
    ("credentials", "NRS API access"),
    ("keys", "Crypto-key file"),
    ("done", "Checklist"),
]


def screenshot(page, path):
    """A full-page screenshot for a human to look at, written only when E2E_SCREENSHOTS=1."""
    if os.environ.get("E2E_SCREENSHOTS") == "1":
        page.screenshot(path=path, full_page=True)


def expect_step(page, step, done=None):
    """The wizard is on `step`, its progress list marks that step (and only it) as current, and as many
    steps as are complete (`done`; by default every earlier one, as in a walk from the start) as done."""
    names = [name for name, _label in STEPS]
    index = names.index(step)
    done = index if done is None else done
    expect(page).to_have_url(re.compile(rf"/onboarding/{step}/$"))
    progress = page.get_by_role("list", name="Progress")
    current = progress.locator("li.current")
    expect(current).to_have_count(1)
    expect(current).to_contain_text(STEPS[index][1])
    expect(progress.locator('[aria-current="step"]')).to_have_text(re.compile(rf"{index + 1}\s+{STEPS[index][1]}$"))
    expect(progress.locator("li.done")).to_have_count(done)


def save_and_continue(page):
    page.get_by_role("button", name="Save and continue").click()


def field_error(page, field_id):
    """The error text shown inside the form field wrapping the input #field_id."""
    return page.locator(f".field.has-error:has(#{field_id}) .error")


@pytest.fixture
def tenant_admin(page, sign_in):
    """A fresh business whose admin is signed in through the login form."""
    tenant = TenantFactory(name="Kola Foods Ltd")
    sign_in(member(tenant, "admin"))
    return tenant


def test_new_business_signs_up_and_completes_every_onboarding_step(page, tmp_path):
    business_id = uuid.uuid4()
    key_path = tmp_path / "crypto_keys.txt"
    key_path.write_bytes(make_key_file())

    page.goto("/signup/")
    page.get_by_label("Business legal name").fill("Kola Foods Ltd")
    page.get_by_label("Your full name").fill("Adaeze Okon")
    page.get_by_label("Your work e-mail").fill("adaeze.okon@example.ng")
    page.get_by_label("Password").fill("kola-foods-2026!")
    page.get_by_role("button", name="Create account").click()

    # Signed in, and straight into the wizard at its first step.
    expect_step(page, "business")
    expect(page.get_by_role("status")).to_contain_text("Let's get Kola Foods Ltd ready for NRS")
    expect(page.locator("header .who")).to_contain_text("adaeze.okon@example.ng")
    expect(page.get_by_label("Legal name")).to_have_value("Kola Foods Ltd")
    page.get_by_label("TIN").fill("12345678-0001")
    page.get_by_label("Business e-mail").fill("billing@kolafoods.ng")
    page.get_by_label("Telephone").fill("+2348012345678")
    page.get_by_label("Business description").fill("We roast and pack kola nuts for retail.")
    save_and_continue(page)

    expect_step(page, "location")
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.get_by_label("Country")).to_have_value("NG")  # preselected
    page.get_by_label("Street address").fill("12 Allen Avenue")
    page.get_by_label("City").fill("Ikeja")
    page.get_by_label("Postal code").fill("100001")
    page.get_by_label("State").select_option("NG-LA")
    page.get_by_label("LGA").select_option("NG-LA-IKJ")
    save_and_continue(page)

    expect_step(page, "nrs")
    page.get_by_label("Environment").select_option("sandbox")
    page.get_by_label("NRS business ID").fill(str(business_id))
    page.get_by_label("NRS service ID").fill("94ND90NR")
    save_and_continue(page)

    expect_step(page, "credentials")
    page.get_by_label("NRS API key").fill("nrs-key-123")
    page.get_by_label("NRS API secret").fill("nrs-secret-456")
    save_and_continue(page)

    expect_step(page, "keys")
    page.get_by_label("NRS crypto-key file").set_input_files(key_path)
    save_and_continue(page)

    expect_step(page, "done")
    expect(page.get_by_role("heading", name="You're ready for NRS")).to_be_visible()
    items = page.locator("#readiness li")
    expect(items).to_have_count(6)
    for i in range(6):
        expect(items.nth(i)).to_have_class(re.compile(r"(^|\s)ok(\s|$)"))
    expect(page.locator("#readiness li.missing")).to_have_count(0)
    expect(page.locator('#readiness li[data-key="primary_location"]')).to_contain_text(
        "12 Allen Avenue, Ikeja, Ikeja, Lagos."
    )
    screenshot(page, "/tmp/e2e-done.png")

    with scopes_disabled():
        tenant = Tenant.objects.get(name="Kola Foods Ltd")
        assert (tenant.tin, tenant.email, tenant.telephone) == (
            "12345678-0001",
            "billing@kolafoods.ng",
            "+2348012345678",
        )
        assert tenant.description == "We roast and pack kola nuts for retail."
        assert (tenant.environment, tenant.nrs_business_id, tenant.nrs_service_id) == (
            "sandbox",
            business_id,
            "94ND90NR",
        )
        assert (tenant.nrs_api_key, tenant.nrs_api_secret) == ("nrs-key-123", "nrs-secret-456")
        assert tenant.onboarded_at is not None
        location = Location.objects.get(tenant=tenant)
        assert location.is_primary
        assert (location.street, location.city, location.postal_zone) == ("12 Allen Avenue", "Ikeja", "100001")
        assert (location.state_id, location.lga_id, location.country_id) == ("NG-LA", "NG-LA-IKJ", "NG")
        assert CryptoKey.objects.filter(tenant=tenant, is_active=True).count() == 1

    page.get_by_role("link", name="Go to the dashboard").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Ready for NRS")).to_be_visible()
    expect(page.locator("#readiness")).to_have_count(0)  # nothing left to fix


BAD_KEY_FILES = [
    pytest.param(
        lambda: make_key_file(public_key="not-base64!!"), "public_key is not valid base64", id="public-key-not-base64"
    ),
    pytest.param(
        lambda: make_key_file(public_key=base64.b64encode(b"just some text").decode()),
        "public_key does not contain a PEM public key",
        id="public-key-not-pem",
    ),
    pytest.param(lambda: b"my NRS keys, copied from the portal\n", "The file is not JSON text", id="not-json"),
]


@pytest.mark.parametrize(("content", "message"), BAD_KEY_FILES)
def test_wrong_key_file_is_rejected_with_a_message_and_form_kept(page, tenant_admin, tmp_path, content, message):
    key_path = tmp_path / "crypto_keys.txt"
    key_path.write_bytes(content())

    page.goto("/onboarding/keys/")
    page.get_by_label("NRS crypto-key file").set_input_files(key_path)
    save_and_continue(page)

    expect_step(page, "keys", done=0)  # not moved on to the checklist; nothing is complete yet
    expect(field_error(page, "id_key_file")).to_contain_text(message)
    expect(field_error(page, "id_key_file")).to_contain_text("Upload the crypto_keys.txt file")
    expect(page.get_by_role("status")).to_have_count(0)  # no "Saved."
    expect(page.get_by_label("NRS crypto-key file")).to_be_editable()  # ready for another try
    with scopes_disabled():
        assert not CryptoKey.objects.filter(tenant=tenant_admin).exists()


def test_lga_of_another_state_is_rejected_with_a_message_and_form_kept(page, tenant_admin):
    page.goto("/onboarding/location/")
    page.get_by_label("Street address").fill("4 Azikiwe Road")
    page.get_by_label("City").fill("Aba")
    page.get_by_label("Postal code").fill("450001")
    page.get_by_label("State").select_option("NG-AB")
    lga = page.get_by_label("LGA")
    # A stale or tampered form: the state filter hides Lagos's LGAs, so put Ikeja back by hand.
    lga.evaluate(
        """(select) => {
            let option = Array.from(select.options).find((o) => o.value === "NG-LA-IKJ");
            if (!option) { option = new Option("Ikeja", "NG-LA-IKJ"); select.add(option); }
            select.value = "NG-LA-IKJ";
        }"""
    )
    expect(lga).to_have_value("NG-LA-IKJ")
    save_and_continue(page)

    expect_step(page, "location", done=0)
    expect(field_error(page, "id_lga")).to_contain_text("Ikeja is in Lagos, not Abia")
    expect(page.locator(".field.has-error")).to_have_count(1)  # the LGA is the only thing wrong
    # Nothing typed is lost, and the rejected choice is still shown next to its message.
    expect(page.get_by_label("Street address")).to_have_value("4 Azikiwe Road")
    expect(page.get_by_label("City")).to_have_value("Aba")
    expect(page.get_by_label("Postal code")).to_have_value("450001")
    expect(page.get_by_label("State")).to_have_value("NG-AB")
    expect(page.get_by_label("LGA")).to_have_value("NG-LA-IKJ")
    screenshot(page, "/tmp/e2e-lga-error.png")
    with scopes_disabled():
        assert not Location.objects.filter(tenant=tenant_admin).exists()


def test_malformed_service_id_is_rejected_with_a_message_and_form_kept(page, tenant_admin):
    business_id = str(uuid.uuid4())

    page.goto("/onboarding/nrs/")
    page.get_by_label("NRS business ID").fill(business_id)
    page.get_by_label("NRS service ID").fill("abc123")
    save_and_continue(page)

    expect_step(page, "nrs", done=0)
    expect(field_error(page, "id_nrs_service_id")).to_contain_text("8 uppercase letters or digits")
    expect(field_error(page, "id_nrs_business_id")).to_have_count(0)
    expect(page.get_by_label("NRS business ID")).to_have_value(business_id)
    expect(page.get_by_label("NRS service ID")).to_have_value("abc123")
    tenant_admin.refresh_from_db()
    assert tenant_admin.nrs_business_id is None
    assert tenant_admin.nrs_service_id == ""


def test_lga_dropdown_only_offers_lgas_of_the_chosen_state(page, tenant_admin):
    page.goto("/onboarding/location/")
    state, lga = page.get_by_label("State"), page.get_by_label("LGA")

    def offered():
        return [v for v in lga.locator("option").evaluate_all("(opts) => opts.map((o) => o.value)") if v]

    state.select_option("NG-AB")
    abia = offered()
    assert "NG-AB-ANO" in abia
    assert "NG-LA-IKJ" not in abia
    assert all(code.startswith("NG-AB-") for code in abia), abia
    expect(lga.locator('option[value="NG-AB-ANO"]')).to_have_text("Aba North")
    lga.select_option(label="Aba North")
    expect(lga).to_have_value("NG-AB-ANO")

    # Changing the state again filters from the full list, and drops the LGA chosen for the old state.
    state.select_option("NG-LA")
    lagos = offered()
    assert "NG-LA-IKJ" in lagos
    assert "NG-AB-ANO" not in lagos
    expect(lga).to_have_value("")


def test_location_step_preselects_nigeria_as_the_country(page, tenant_admin):
    page.goto("/onboarding/location/")
    expect(page.get_by_label("Country")).to_have_value("NG", timeout=2_000)
