"""The buyer's side in webhooks: `purchase.received` when a supplier's invoice reaches a business, and, for the
supplier, `invoice.acknowledged` when the buyer confirmed receipt to NRS. Real deliveries to the loopback receiver,
verified with the `standardwebhooks` package as an integrator would; another business's endpoint gets nothing."""

import base64
import html
import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from standardwebhooks import Webhook

from integrations.webhooks.delivery import emitted_at_iso
from integrations.webhooks.models import WebhookEvent
from invoicing.services import event
from tests.api.conftest import key_client
from tests.conftest import member
from tests.factories import TenantFactory
from tests.purchases_factory import make_received_invoice
from tests.webhooks.support import deliveries, expected_hex, make_endpoint, make_invoice

WHSEC = "whsec_" + base64.b64encode(bytes(range(40, 72))).decode()  # a Standard Webhooks key: 32 bytes
OTHER_SECRET = "other-business-secret-0123456789"


@pytest.fixture
def other_business(other_receiver):
    """Another business whose endpoint takes every event type there is."""
    from invoicing.events import EVENT_TYPES

    tenant = TenantFactory(name="Other Business Ltd", tin="99999999-0001")
    make_endpoint(tenant, other_receiver.url, events=list(EVENT_TYPES), secret=OTHER_SECRET)
    return tenant


def verified(request) -> dict:
    """The delivery as a receiver checks it: Standard Webhooks headers and the reference's own signature."""
    payload = Webhook(WHSEC).verify(request["body"], request["headers"])
    assert request["headers"]["x-flowpoint-signature"] == expected_hex(request["body"], WHSEC)
    assert request["headers"]["webhook-id"] == payload["id"]
    return payload


@pytest.mark.usefixtures("queue_inline")
def test_a_received_invoice_is_delivered_once_as_purchase_received(
    ready_tenant, receiver, other_receiver, other_business, django_capture_on_commit_callbacks
):
    make_endpoint(ready_tenant, receiver.url, events=["purchase.received"], secret=WHSEC)
    with django_capture_on_commit_callbacks(execute=True):
        received = make_received_invoice(ready_tenant, number="SI-2026-0612", publish=True)
    assert receiver.wait_for(1, timeout=5)

    (request,) = receiver.requests
    payload = verified(request)
    assert (payload["type"], payload["status"], payload["source"]) == ("purchase.received", "received", "nrs.pull")
    assert payload["id"].startswith("evt_") and payload["emittedAt"].endswith("Z")
    # The data is the received invoice exactly as the API lists it (one shape for both).
    (listed,) = key_client(ready_tenant).get("/api/v1/purchases").json()["items"]
    assert payload["data"] == listed
    assert payload["data"]["irn"] == received.irn and payload["data"]["payableAmount"] == "43000.00"
    assert payload["data"]["supplier"] == {"name": "Ikeja Office Supplies Ltd", "tin": "23456789-0001"}

    assert other_receiver.requests == []
    assert [d.event.type for d in deliveries(other_business)] == []
    with scopes_disabled():
        assert WebhookEvent.objects.filter(tenant=other_business).count() == 0


@pytest.mark.usefixtures("queue_inline")
def test_an_endpoint_not_subscribed_to_it_gets_no_purchase_event(
    ready_tenant, receiver, django_capture_on_commit_callbacks
):
    make_endpoint(ready_tenant, receiver.url, events=["invoice.certified"], secret=WHSEC)
    with django_capture_on_commit_callbacks(execute=True):
        make_received_invoice(ready_tenant, number="SI-2026-0613", publish=True)
    assert deliveries(ready_tenant) == []
    with scope(tenant=ready_tenant):
        assert list(WebhookEvent.objects.values_list("type", flat=True)) == ["purchase.received"]  # recorded


@pytest.mark.usefixtures("queue_inline")
def test_the_buyers_acknowledgement_is_delivered_to_the_supplier_as_invoice_acknowledged(
    ready_tenant, receiver, other_receiver, other_business, django_capture_on_commit_callbacks
):
    invoice = make_invoice(ready_tenant, "CERTIFIED", document_number="INV-2026-077")
    make_endpoint(ready_tenant, receiver.url, events=["invoice.acknowledged"], secret=WHSEC)
    delivered, acknowledged = timezone.now() - timedelta(hours=2), timezone.now()
    # What the delivery check does when NRS's transmit lookup says CONFIRMED: the fields, then the timeline entry.
    with django_capture_on_commit_callbacks(execute=True), scope(tenant=ready_tenant), transaction.atomic():
        invoice.delivered_at, invoice.buyer_acknowledged_at = delivered, acknowledged
        invoice.save(update_fields=["delivered_at", "buyer_acknowledged_at"])
        event(invoice, "invoice.acknowledged", "Acknowledged by the buyer.")
    assert receiver.wait_for(1, timeout=5)

    (request,) = receiver.requests
    payload = verified(request)
    assert (payload["type"], payload["status"], payload["source"]) == (
        "invoice.acknowledged",
        "certified",
        "nrs.transmit_lookup",
    )
    data = payload["data"]
    assert (data["invoiceId"], data["irn"], data["documentNumber"]) == (str(invoice.pk), invoice.irn, "INV-2026-077")
    assert data["status"] == "CERTIFIED"
    assert data["buyerAcknowledgedAt"] == emitted_at_iso(acknowledged)  # UTC, milliseconds, as emittedAt
    assert data["deliveredAt"] == emitted_at_iso(delivered)
    assert other_receiver.requests == [] and deliveries(other_business) == []


def test_the_other_invoice_events_carry_no_acknowledgement_fields(ready_tenant):
    from integrations.webhooks.services import webhook_emit

    invoice = make_invoice(ready_tenant, "CERTIFIED")
    emitted = webhook_emit(invoice=invoice, kind="invoice.certified")
    assert "buyerAcknowledgedAt" not in emitted.data and "deliveredAt" not in emitted.data


def test_the_settings_form_and_the_api_offer_both_event_types(client, ready_tenant):
    client.force_login(member(ready_tenant, "admin"))
    page = html.unescape(client.get("/settings/webhooks/").content.decode())
    assert "invoice.acknowledged — Acknowledged by the buyer" in page
    assert "purchase.received — Invoice received from a supplier" in page
    response = client.post(
        "/api/v1/integrations/webhooks",
        json.dumps({"url": "https://93.184.216.34/hooks", "events": ["purchase.received"], "secret": WHSEC}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["events"] == ["purchase.received"]
    refused = client.patch(
        f"/api/v1/integrations/webhooks/{response.json()['id']}",
        json.dumps({"events": ["purchase.recieved"]}),
        content_type="application/json",
    )
    assert refused.status_code == 400 and "purchase.received" in refused.json()["fields"]["events"]


def test_the_schema_describes_both_events_with_their_data(client):
    schema = client.get("/api/v1/schema").json()
    components = schema["components"]["schemas"]
    purchase = schema["webhooks"]["purchase.received"]["post"]["requestBody"]["content"]["application/json"]
    assert purchase["schema"] == {"$ref": "#/components/schemas/PurchaseWebhookEvent"}
    assert components["PurchaseWebhookEvent"]["properties"]["data"] == {"$ref": "#/components/schemas/PurchaseSummary"}
    assert set(purchase["example"]["data"]) <= set(components["PurchaseSummary"]["properties"])
    acknowledged = schema["webhooks"]["invoice.acknowledged"]["post"]["requestBody"]["content"]["application/json"]
    assert acknowledged["example"]["source"] == "nrs.transmit_lookup"
    assert {"deliveredAt", "buyerAcknowledgedAt"} <= set(components["WebhookEvent"]["properties"]["data"]["properties"])
    assert "purchase.received" in components["WebhookEventType"]["enum"]
