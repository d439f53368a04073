"""In the browser: a clerk sends a certified invoice to its buyer from the invoice page, and a local SMTP server
(aiosmtpd) receives it with the PDF attached and the verify link; at 1366 and 390 px wide."""

import os

import pytest
from django_q.conf import Conf
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from invoicing.models import Invoice
from invoicing.services import Actor, invoice_create
from tests import mailserver
from tests.conftest import member
from tests.factories import PASSWORD
from tests.invoicing.conftest import body

pytestmark = pytest.mark.e2e

smtp_inbox = mailserver.smtp_inbox  # the fixture, here
SHOTS = os.environ.get("SCREENSHOTS_DIR", "")


def shoot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def signed_in(browser, live_server, user, width, height):
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header .who")).to_contain_text(user.email)
    return page


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_a_clerk_sends_the_invoice_to_the_buyer_and_the_mail_server_receives_it(
    browser, live_server, connected_tenant, smtp_inbox, monkeypatch, width, height
):
    monkeypatch.setattr(Conf, "SYNC", True)  # the tasks run in the live server's thread, as their commit lands
    invoice = invoice_create(tenant=connected_tenant, data=body(), actor=Actor())
    with scopes_disabled():
        invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.status == Invoice.Status.CERTIFIED

    page = signed_in(browser, live_server, member(connected_tenant, "clerk"), width, height)
    page.goto(f"/invoices/{invoice.pk}/")
    address = page.get_by_label("Buyer's e-mail")
    expect(address).to_have_value(invoice.buyer["email"])
    shoot(page, f"send-to-buyer-{width}")
    address.fill("accounts@buyer.ng")
    page.get_by_role("button", name="Send to buyer").click()
    expect(page.get_by_text("on its way to accounts@buyer.ng")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("E-mailed to accounts@buyer.ng with the PDF attached.")
    shoot(page, f"sent-to-buyer-{width}")

    ((recipients, message),) = smtp_inbox.messages
    assert recipients == ["accounts@buyer.ng"]
    assert f"https://portal.example.ng/verify/{invoice.irn}" in message.get_body(("plain",)).get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_payload(decode=True).startswith(b"%PDF")

    page.goto("/customers/new/")
    expect(page.get_by_label("Send each certified invoice to this customer")).not_to_be_checked()
    shoot(page, f"customer-form-{width}")
    page.context.close()
