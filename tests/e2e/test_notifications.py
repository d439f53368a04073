"""In the browser: the bell shows a reviewer's unread count, on a wide screen and on a phone (outside the folded
menu), the list shows what waits for them, and "Mark all as read" clears the count."""

import os

import pytest
from playwright.sync_api import expect

from invoicing.models import GateRules
from invoicing.services import Actor, invoice_create
from tests.conftest import member
from tests.e2e.test_buyer_email import signed_in
from tests.factories import TenantFactory, make_ready
from tests.invoicing.conftest import body

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("SCREENSHOTS_DIR", "")


def shoot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_the_bell_shows_the_unread_count_and_the_list_clears_it(browser, live_server, key_file, width, height):
    tenant = make_ready(TenantFactory(name="Kola Foods Ltd"), key_file)
    clerk = member(tenant, "clerk", email="clerk@kola.ng")
    reviewer = member(tenant, "reviewer", email="rev@kola.ng")
    GateRules.objects.update_or_create(tenant=tenant, defaults={"review": "all"})
    for number in ("KF-0601", "KF-0602"):
        invoice_create(tenant=tenant, data=body(document_number=number), actor=Actor(clerk))

    page = signed_in(browser, live_server, reviewer, width, height)
    bell = page.locator("#bell")
    expect(bell).to_be_visible()  # on a phone too: it is not folded into the menu
    expect(bell).to_contain_text("2")
    expect(bell).to_have_accessible_name("Notifications 2 unread")
    shoot(page, f"bell-{width}")
    bell.click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    items = page.locator("#notifications li")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("Invoice KF-0602 is waiting for your review")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # nothing sideways
    shoot(page, f"notifications-{width}")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("2 notifications marked read.")).to_be_visible()
    expect(page.locator("#bell-count")).to_have_count(0)
    items.first.get_by_role("button", name="Open").click()
    expect(page).to_have_url(f"{live_server.url}/invoices/{_pk(tenant, 'KF-0602')}/")


def _pk(tenant, number):
    from django_scopes import scope

    from invoicing.models import Invoice

    with scope(tenant=tenant):
        return Invoice.objects.get(document_number=number).pk
