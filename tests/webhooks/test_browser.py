"""Settings → Webhooks in Chromium: register with a generated secret, send a test event, read the delivery log."""

import os

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from integrations.webhooks.delivery import delivery_attempt
from integrations.webhooks.models import WebhookEndpoint
from integrations.webhooks.services import webhook_emit
from tests.conftest import member
from tests.webhooks.support import deliveries, expected_hex, make_invoice

pytestmark = pytest.mark.e2e


def screenshot(pw_page, path):
    """A full-page screenshot for a human to look at, written only when E2E_SCREENSHOTS=1."""
    if os.environ.get("E2E_SCREENSHOTS") == "1":
        pw_page.screenshot(path=path, full_page=True)


@pytest.mark.usefixtures("queue_inline")
def test_an_admin_registers_an_endpoint_tests_it_and_reads_the_log(page, sign_in, ready_tenant, receiver):
    sign_in(member(ready_tenant, "admin"))
    page.goto("/settings/webhooks/")
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("invoice.pending — Accepted and queued for NRS").uncheck()
    page.get_by_label("Generate a strong secret for me (shown once)").check()
    screenshot(page, "/tmp/webhooks-register.png")
    page.get_by_role("button", name="Save endpoint").click()

    expect(page.locator("#new-secret")).to_contain_text("shown only once")
    secret = page.locator("#new-secret-value").inner_text()
    with scope(tenant=ready_tenant):
        endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == secret and endpoint.events == [
        "invoice.certified",
        "invoice.failed",
        "invoice.payment_updated",
        "invoice.acknowledged",
        "purchase.received",
    ]

    page.get_by_role("button", name="Send test event").click()
    expect(page.locator(".messages")).to_contain_text("type webhook.test")
    assert receiver.wait_for(1)
    assert receiver.requests[0]["headers"]["x-flowpoint-signature"] == expected_hex(
        receiver.requests[0]["body"], secret
    )
    page.reload()
    expect(page.locator("#new-secret")).to_have_count(0)  # shown once only
    expect(page.locator(".wh-log tbody.delivery").first).to_contain_text("webhook.test")
    expect(page.locator(".wh-log tbody.delivery").first).to_contain_text("Succeeded")

    # A certified invoice delivered, and one whose receiver answered 503 (waiting for its retry).
    receiver.statuses = [204, 503]
    receiver.response_body = b'{"error":"ERP is restarting, try again"}'
    for number, kind, status in (
        ("INV-2026-041", "invoice.certified", "CERTIFIED"),
        ("INV-2026-042", "invoice.failed", "FAILED"),
    ):
        webhook_emit(invoice=make_invoice(ready_tenant, status=status, document_number=number), kind=kind)
    for d in deliveries(ready_tenant):
        delivery_attempt(d.pk)
    page.reload()
    rows = page.locator(".wh-log tbody.delivery")
    expect(rows).to_have_count(3)
    failing = rows.filter(has_text="INV-2026-042")
    expect(failing).to_contain_text("Pending")
    expect(failing).to_contain_text("HTTP 503")
    failing.get_by_text("Show 1 attempt").click()
    expect(failing.locator("table.attempts")).to_contain_text("ERP is restarting")
    screenshot(page, "/tmp/webhooks-settings.png")

    rows.filter(has_text="INV-2026-041").get_by_role("button", name="Redeliver").click()
    expect(page.locator(".messages")).to_contain_text("queued for redelivery")
    assert receiver.wait_for(4)
    assert secret not in page.content()
