"""Playwright fixtures for the browser tests: one Chromium per session, a fresh context per test.

Debian's Chromium is used as installed (/usr/bin/chromium); nothing is downloaded.
"""

import pytest
from playwright.sync_api import expect

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS  # noqa: E402, F401  (used by the e2e tests)
from tests.factories import PASSWORD

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
def page(browser, live_server):
    """A page in its own browser context (own cookies), with relative URLs resolved against the live server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def sign_in(page):
    """Sign in through the /login/ form, as a person would."""

    def _sign_in(user, password=PASSWORD):
        page.goto("/login/")
        page.get_by_label("E-mail").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("header .who")).to_contain_text(user.email)
        return page

    return _sign_in
