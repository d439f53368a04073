"""Your account in a browser: signed in on two devices, the first sees both, signs the other out (its next page is
the sign-in page), and the page holds at 1366 and 390 px (no sideways scroll, no serious axe finding). The API key
form with its new access and network fields is checked at both widths too."""

import os

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import member
from tests.e2e.test_invoicing import signed_in
from tests.e2e.test_phone_and_accessibility import DESKTOP, PHONE, axe_findings, overflow

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("SCREENSHOTS_DIR", "")


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_a_person_sees_where_they_are_signed_in_and_signs_another_device_out(browser, live_server, tenant):
    user = member(tenant, "clerk")
    laptop = signed_in(browser, live_server, user)
    other = signed_in(browser, live_server, user)

    laptop.locator("#business-switcher > summary").click()  # the account is in the business menu
    laptop.get_by_role("link", name=user.email).click()
    expect(laptop.get_by_role("heading", name="Where you're signed in")).to_be_visible()
    rows = laptop.locator("#session-list > li")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("This device")
    expect(rows.first).to_contain_text("127.0.0.1")
    for size in (DESKTOP, PHONE):
        laptop.set_viewport_size(size)
        assert overflow(laptop) <= 0, f"the account page scrolls sideways at {size['width']} px"
        assert axe_findings(laptop) == [], size
        _shot(laptop, f"account-sessions-{size['width']}")
    laptop.set_viewport_size(DESKTOP)

    rows.nth(1).get_by_role("button", name="Sign out this session").click()
    expect(laptop.get_by_text("is signed out.")).to_be_visible()
    expect(laptop.locator("#session-list > li")).to_have_count(1)
    expect(laptop.get_by_text("You are signed in on this device only.")).to_be_visible()

    other.goto(reverse("account_security"))
    expect(other).to_have_url(f"{live_server.url}/login/?next=/account/")


def test_the_api_key_form_offers_access_and_networks_at_both_widths(browser, live_server, tenant):
    page = signed_in(browser, live_server, member(tenant, "admin"))
    page.goto(reverse("settings_api_keys"))
    page.get_by_label("Name").fill("Reporting")
    page.get_by_label("Access").select_option("read_only")
    page.get_by_label("Allowed IP addresses or networks (optional)").fill("203.0.113.0/24\nour office")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_text("Not an IP address or network: our office")).to_be_visible()
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        assert overflow(page) <= 0, f"the API key form scrolls sideways at {size['width']} px"
        assert axe_findings(page) == [], size
        _shot(page, f"api-key-form-{size['width']}")
    page.set_viewport_size(DESKTOP)
    page.get_by_label("Allowed IP addresses or networks (optional)").fill("203.0.113.0/24")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key")).to_be_visible()
    expect(page.locator("table")).to_contain_text("Read only")
    expect(page.locator("table")).to_contain_text("From 203.0.113.0/24 only")
