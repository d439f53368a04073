"""Two-factor sign-in in Chromium: enrol an authenticator app, sign in with its code (computed by pyotp, as the
phone would), use a recovery code once, and an admin requiring two-factor sign-in for every member."""

import os
import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.conftest import member
from tests.e2e.test_phone_and_accessibility import axe_findings
from tests.factories import PASSWORD, TenantFactory

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


def screenshot(page, path):
    """A full-page screenshot for a human to look at, written only when E2E_SCREENSHOTS=1."""
    if os.environ.get("E2E_SCREENSHOTS") == "1":
        page.screenshot(path=path, full_page=True)


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def password_step(page, user):
    page.goto("/login/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page):
    page.get_by_role("button", name="Sign out").first.click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def enrol(page, tmp_path, name) -> tuple[pyotp.TOTP, list[str]]:
    page.goto("/account/security/")
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text().replace(" ", ""))
    for label, size in (("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        assert overflow(page) == 0, label
        assert axe_findings(page) == [], f"enrolment at {label}"
        screenshot(page, tmp_path / f"{name}-enrol-{label}.png")
    page.set_viewport_size(LAPTOP)
    page.get_by_label("Code from the app").fill(totp.now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_text("Two-factor sign-in is on. Keep your recovery codes")).to_be_visible()
    codes = page.locator("#recovery-codes li code").all_inner_texts()
    assert len(codes) == 10
    for label, size in (("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        assert overflow(page) == 0, label
        assert axe_findings(page) == [], f"recovery codes at {label}"
        screenshot(page, tmp_path / f"{name}-codes-{label}.png")
    page.set_viewport_size(LAPTOP)
    expect(page.get_by_role("link", name="Download")).to_have_attribute("download", "flowpoint-recovery-codes.txt")
    page.reload()
    expect(page.locator("#recovery-codes")).to_have_count(0)  # shown once
    return totp, codes


def test_enrol_sign_in_with_a_code_and_a_recovery_code_once(page, sign_in, tmp_path):
    tenant = TenantFactory(name="Kola Foods Ltd")
    admin = member(tenant, "admin")
    sign_in(admin)
    totp, codes = enrol(page, tmp_path, "admin")
    sign_out(page)

    # Password, then the code the app shows (the next one: the current one was spent confirming the app).
    password_step(page, admin)
    expect(page.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()
    for label, size in (("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        assert overflow(page) == 0, label
        assert axe_findings(page) == [], f"code page at {label}"
        screenshot(page, tmp_path / f"code-{label}.png")
    page.set_viewport_size(LAPTOP)
    page.goto("/invoices/")  # nothing opens before the code
    expect(page.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    time.sleep(1.1)  # django-otp makes a device wait a second after a wrong code
    page.get_by_label("Code").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/invoices/$"))
    expect(page.locator("header .who")).to_contain_text(admin.email)
    sign_out(page)

    # A recovery code signs in once.
    password_step(page, admin)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("You used a recovery code; each works only once. 9 left.")).to_be_visible()
    expect(page.locator("header .who")).to_contain_text(admin.email)
    sign_out(page)

    password_step(page, admin)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()


def test_an_admin_requiring_two_factor_sends_a_member_without_it_to_enrolment(page, sign_in, tmp_path):
    tenant = TenantFactory(name="Kola Foods Ltd")
    admin = member(tenant, "admin")
    clerk = member(tenant, "clerk", email="clerk@kolafoods.ng")
    sign_in(admin)
    page.goto("/account/security/")
    page.get_by_label("Require two-factor sign-in for every member").check()
    page.locator("#require-two-factor").get_by_role("button", name="Save").click()
    expect(page.get_by_text("Every member now needs two-factor sign-in.")).to_be_visible()
    sign_out(page)

    password_step(page, clerk)
    expect(page).to_have_url(re.compile(r"/account/security/$"))
    expect(page.get_by_text("Kola Foods Ltd requires two-factor sign-in.")).to_be_visible()
    page.goto("/invoices/")  # nothing else until enrolled
    expect(page).to_have_url(re.compile(r"/account/security/$"))
    expect(page.get_by_text("Kola Foods Ltd requires two-factor sign-in for every member")).to_be_visible()
    enrol(page, tmp_path, "clerk")
    page.goto("/invoices/")
    expect(page).to_have_url(re.compile(r"/invoices/$"))
