"""A clerk adds a customer in Chromium (state, then an LGA of that state) and finds it again as they type."""

import os
import re

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from invoicing.models import Customer
from tests.conftest import member
from tests.factories import TenantFactory

pytestmark = pytest.mark.e2e


def screenshot(page, path):
    """A full-page screenshot for a human to look at, written only when E2E_SCREENSHOTS=1."""
    if os.environ.get("E2E_SCREENSHOTS") == "1":
        page.screenshot(path=path, full_page=True)


def test_clerk_adds_a_customer_then_the_typeahead_finds_it(page, sign_in):
    tenant = TenantFactory(name="Kola Foods Ltd")
    sign_in(member(tenant, "clerk"))

    page.goto("/customers/")
    expect(page.locator(".empty")).to_contain_text("No customers yet")
    page.get_by_role("link", name="Add your first customer").click()
    expect(page).to_have_url(re.compile(r"/customers/new/$"))

    page.get_by_label("Kind").select_option("B2G")
    page.get_by_label("Registered name").fill("Acme Ltd")
    page.get_by_label("TIN").fill("12345678-0001")
    page.get_by_label("E-mail").fill("ap@acme.ng")
    page.get_by_label("Street address").fill("42 Marina Road")
    page.get_by_label("City").fill("Lagos")
    lga = page.get_by_label("LGA")
    page.get_by_label("State").select_option(label="Lagos")
    # Only the LGAs of Lagos are offered now.
    expect(lga.locator("option", has_text="Ikeja")).to_have_count(1)
    expect(lga.locator("option", has_text="Ibadan North")).to_have_count(0)
    lga.select_option(label="Lagos Island")
    page.get_by_role("button", name="Add customer").click()

    expect(page).to_have_url(re.compile(r"/customers/$"))
    expect(page.locator(".messages")).to_contain_text("Customer Acme Ltd added.")
    with scopes_disabled():
        customer = Customer.objects.get(tenant=tenant)
    assert (customer.kind, customer.state_id, customer.lga_id) == ("B2G", "NG-LA", "NG-LA-LIS")

    search = page.get_by_role("combobox", name="Search")
    search.press_sequentially("ac", delay=50)
    options = page.get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Acme Ltd")
    expect(options.first).to_contain_text("12345678-0001")
    screenshot(page, "/tmp/master-typeahead.png")

    # Choosing the match opens the customer.
    search.press("ArrowDown")
    search.press("Enter")
    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))
    expect(page.get_by_label("Registered name")).to_have_value("Acme Ltd")
