"""In the browser: an accountant of two businesses switches between them from the header's business menu, on a
wide screen (the header on one line, an admin's longest) and on a phone (the business named outside the folded
menu); each business's invoices and bell follow, and nothing goes sideways."""

import os

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from tenants.models import Membership
from tenants.notifications import notify
from tests.conftest import member
from tests.e2e.test_buyer_email import signed_in
from tests.factories import TenantFactory, invoices_in

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("SCREENSHOTS_DIR", "")


def _numbered(tenant, number):
    from django_scopes import scopes_disabled

    from invoicing.models import Invoice

    (invoice,) = invoices_in(tenant, "DRAFT")
    with scopes_disabled():
        Invoice.objects.filter(pk=invoice.pk).update(document_number=number)


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_an_accountant_switches_business_from_the_header_menu(browser, live_server, width, height):
    kola = TenantFactory(name="Kola Foods Ltd")
    eko = TenantFactory(name="Eko Traders & Sons Nigeria Ltd")
    accountant = member(kola, "admin", email="ngozi@accountants.ng")  # Kola first: the session starts there
    with scope(tenant=eko):
        Membership.objects.create(tenant=eko, user=accountant, role="clerk")
    _numbered(kola, "KOLA-0001")
    _numbered(eko, "EKO-0001")
    for n in range(3):
        notify(eko, [accountant], "webhook_paused", f"Eko notice {n}", "", "", f"eko-{n}")

    page = signed_in(browser, live_server, accountant, width, height)
    switcher = page.locator("#business-switcher")
    expect(switcher.locator("summary")).to_be_visible()  # on a phone too: not folded into the menu
    expect(switcher.locator("summary")).to_contain_text("Kola Foods Ltd")
    expect(switcher.locator("summary")).to_contain_text("3")  # unread in the other business
    expect(page.locator("#bell-count")).to_have_count(0)  # none in Kola
    header = page.locator("header").bounding_box()
    if width >= 1366:  # an admin's header, every link and the switcher, on one line
        assert header["height"] < 70, header
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    switcher.locator("summary").click()
    other = page.get_by_role("button", name="Eko Traders & Sons Nigeria Ltd")
    expect(other).to_be_visible()
    expect(other).to_contain_text("Clerk")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"switcher-{width}.png"))
    other.click()

    expect(page.get_by_text("You are now working in Eko Traders & Sons Nigeria Ltd.")).to_be_visible()
    expect(switcher.locator("summary")).to_contain_text("Eko Traders & Sons Nigeria Ltd")
    expect(page.locator("#bell-count")).to_contain_text("3")
    page.goto("/invoices/")
    expect(page.get_by_text("EKO-0001")).to_be_visible()
    expect(page.get_by_text("KOLA-0001")).to_have_count(0)
    if width < 760:  # a clerk's menu in Eko, on a phone: no Settings
        page.locator("header .navmenu > summary").click()
    expect(page.get_by_role("link", name="Settings", exact=True)).to_have_count(0)

    # Back to Kola, from the list of businesses.
    page.goto("/businesses/")
    page.get_by_role("button", name="Switch to Kola Foods Ltd").click()
    expect(switcher.locator("summary")).to_contain_text("Kola Foods Ltd")
    page.goto("/invoices/")
    expect(page.get_by_text("KOLA-0001")).to_be_visible()
    expect(page.get_by_text("EKO-0001")).to_have_count(0)
