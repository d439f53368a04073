"""The webhook API's request shapes and the outbound events Flowpoint POSTs to an integrator's URL (services.py
builds them, delivery.py signs and sends them), as OpenAPI components and webhooks. The API's answers
(WebhookSubscription, WebhookDelivery) are declared with their rendering in integrations/webhooks/api.py.
"""

from invoicing.api.purchases import PURCHASE_EXAMPLE
from invoicing.api.vocabulary import INVOICE_STATUS, INVOICE_TYPE, KIND, PAYMENT_STATUS
from invoicing.events import EVENT_TYPES, PURCHASE_RECEIVED
from portal.openapi import (
    DATE,
    INVOICE_ID_EXAMPLE,
    IRN_EXAMPLE,
    MONEY,
    TIMESTAMP,
    UUID,
    boolean,
    component,
    integer,
    nullable,
    obj,
    ref,
    text,
    webhook,
)

# --- The subscription API ----------------------------------------------------------------------------------


WEBHOOK_EVENT_TYPE = component("WebhookEventType", text(enum=list(EVENT_TYPES)))
# What GET answers carry besides the writable fields: a body may send them back unchanged (read-only, ignored).
READ_ONLY = ("id", "secretSet", "secretRotatingUntil", "pausedAt", "pausedReason", "createdAt", "updatedAt", "links")

_SUBSCRIPTION_FIELDS = {
    "url": text("HTTPS callback URL.", format="uri"),
    "events": {"type": "array", "items": ref("WebhookEventType"), "minItems": 1},
    "secret": text(
        "Signing secret: at least 16 characters, or a Standard Webhooks key (whsec_ + base64 of 24–64 bytes). "
        "Required at registration; write-only (never echoed).",
        minLength=16,
    ),
    "active": boolean("true re-enables an endpoint paused after failed deliveries."),
    **{name: {"readOnly": True} for name in READ_ONLY},
}

WEBHOOK_SUBSCRIPTION_INPUT = component(
    "WebhookSubscriptionInput",
    obj(
        _SUBSCRIPTION_FIELDS,
        required=["url", "events", "secret"],
        additionalProperties=False,
        description="On PATCH every field is optional (send what changes). Other fields are refused (400).",
    ),
)

# PATCH of a webhook endpoint: the same fields, none required.
WEBHOOK_SUBSCRIPTION_PATCH = component(
    "WebhookSubscriptionPatch",
    obj(
        _SUBSCRIPTION_FIELDS,
        additionalProperties=False,
        description="Any fields of WebhookSubscriptionInput: send what changes. Other fields are refused (400).",
    ),
)


WEBHOOK_INPUT_EXAMPLE = {
    "url": "https://erp.example.ng/flowpoint/events",
    "events": ["invoice.certified", "invoice.failed"],
    "secret": "whsec_BwgJCgsMDQ4PEBESExQVFhcYGRobHB0e",  # a Standard Webhooks key: whsec_ + base64 of 24 bytes
}

# --- Outbound events ---------------------------------------------------------------------------------------


WEBHOOK_EVENT = component(
    "WebhookEvent",
    obj(
        {
            "id": text("Event id: dedupe on it (delivery is at-least-once).", examples=["evt_01J9Z3"]),
            "type": ref("WebhookEventType"),
            "status": text("Root status, matching the event lifecycle: pending, certified or failed."),
            "source": text("Which lifecycle step emitted the event.", examples=["nrs.sign"]),
            "timestamp": integer("Unix time in milliseconds: reject deliveries older than 5 minutes."),
            "emittedAt": text("ISO 8601.", format="date-time"),
            "data": obj(
                {
                    "invoiceId": UUID,
                    "irn": nullable(text()),
                    "documentNumber": text(),
                    "invoiceKind": KIND,
                    "invoiceType": INVOICE_TYPE,
                    "status": INVOICE_STATUS,
                    "issueDate": nullable(DATE),
                    "currency": text(),
                    "totals": obj(
                        {
                            "lineExtensionAmount": MONEY,
                            "taxAmount": MONEY,
                            "payableAmount": MONEY,
                            "amountPaid": MONEY,
                            "amountDue": MONEY,
                        }
                    ),
                    "paymentStatus": PAYMENT_STATUS,
                    "paymentReported": boolean(),
                    "customer": obj({"name": text(), "tin": text()}),
                    "certifiedAt": TIMESTAMP,
                    "nrsError": obj(
                        {"reason": text(), "details": text()}, description="invoice.failed only: NRS's error."
                    ),
                    "deliveredAt": {
                        **TIMESTAMP,
                        "description": "invoice.acknowledged only: when NRS delivered it to the buyer's access point.",
                    },
                    "buyerAcknowledgedAt": {
                        **TIMESTAMP,
                        "description": "invoice.acknowledged only: when the buyer confirmed receipt to NRS.",
                    },
                },
                description="The invoice as an ERP needs it, without calling the API again.",
            ),
        },
        required=["id", "type", "status", "source", "timestamp", "emittedAt", "data"],
    ),
)


WEBHOOK_EVENTS = {
    # type: (root status, source, invoice status, summary) — as integrations/webhooks/services.py emits them
    "invoice.pending": ("pending", "api.create", "PENDING", "Accepted and queued for NRS submission."),
    "invoice.certified": (
        "certified",
        "nrs.transmit",
        "CERTIFIED",
        "Certified by NRS (B2C: reported, source nrs.sign).",
    ),
    "invoice.failed": (
        "failed",
        "nrs.submit",
        "FAILED",
        "NRS submission failed; retry with POST /invoices/{id}/retry.",
    ),
    "invoice.payment_updated": ("certified", "payment.update", "CERTIFIED", "A payment state was reported to NRS."),
    "invoice.acknowledged": (
        "certified",
        "nrs.transmit_lookup",
        "CERTIFIED",
        "The buyer confirmed to NRS that it received your B2B / B2G invoice (seen by Flowpoint's delivery check).",
    ),
}

# The buyer's side: an invoice a supplier certified with NRS reached your business. Its data is the received
# invoice as GET /api/v1/purchases lists it (the PurchaseSummary shape, declared once with its rendering).
PURCHASE_WEBHOOK_EVENT = component(
    "PurchaseWebhookEvent",
    obj(
        {
            "id": text("Event id: dedupe on it (delivery is at-least-once).", examples=["evt_01J9Z3"]),
            "type": text(const="purchase.received"),
            "status": text("Root status: received.", const="received"),
            "source": text("The pull from NRS that found it.", const="nrs.pull"),
            "timestamp": integer("Unix time in milliseconds: reject deliveries older than 5 minutes."),
            "emittedAt": text("ISO 8601.", format="date-time"),
            "data": ref("PurchaseSummary"),
        },
        required=["id", "type", "status", "source", "timestamp", "emittedAt", "data"],
    ),
)


def _operation(event: str) -> dict:
    """The POST Flowpoint sends for `event`, with an example body."""
    if event == PURCHASE_RECEIVED:
        return _post(
            event,
            "A supplier's invoice (credit or debit note) reached your business through NRS; acknowledge it with "
            "POST /api/v1/purchases/{irn}/acknowledge.",
            "PurchaseWebhookEvent",
            {
                "id": "evt_01J9Z3K6W8Q3",
                "type": event,
                "status": "received",
                "source": "nrs.pull",
                "timestamp": 1777109472000,
                "emittedAt": "2026-04-25T09:31:12.000Z",
                "data": PURCHASE_EXAMPLE,
            },
        )
    root_status, source, status, summary = WEBHOOK_EVENTS[event]
    example = {
        "id": "evt_01J9Z3K6W8Q2",
        "type": event,
        "status": root_status,
        "source": source,
        "timestamp": 1777109472000,
        "emittedAt": "2026-04-25T09:31:12.000Z",
        "data": {
            "invoiceId": INVOICE_ID_EXAMPLE,
            "irn": IRN_EXAMPLE,
            "documentNumber": "INV-2026-001",
            "invoiceKind": "B2B",
            "invoiceType": "invoice",
            "status": status,
            "issueDate": "2026-04-25",
            "currency": "NGN",
            "totals": {
                "lineExtensionAmount": "50000.00",
                "taxAmount": "3750.00",
                "payableAmount": "53750.00",
                "amountPaid": "53750.00" if event == "invoice.payment_updated" else "0.00",
                "amountDue": "0.00" if event == "invoice.payment_updated" else "53750.00",
            },
            "paymentStatus": "PAID" if event == "invoice.payment_updated" else "UNPAID",
            "paymentReported": event == "invoice.payment_updated",
            "customer": {"name": "Acme Ltd", "tin": "12345678-0001"},
            "certifiedAt": None if status in ("PENDING", "FAILED") else "2026-04-25T09:31:12.000Z",
        },
    }
    if event == "invoice.failed":
        example["data"]["nrsError"] = {"reason": "SUBMISSION_ERROR", "details": "NRS did not answer in time."}
    if event == "invoice.acknowledged":
        example["data"]["deliveredAt"] = "2026-04-25T09:31:40.000Z"
        example["data"]["buyerAcknowledgedAt"] = "2026-04-25T11:02:05.000Z"
    return _post(event, summary, "WebhookEvent", example)


def _post(event: str, summary: str, schema: str, example: dict) -> dict:
    operation = {
        "operationId": f"webhook_{event.replace('.', '_')}",
        "summary": event,
        "description": f"{summary} Sent to your registered callback URL. Verify `x-flowpoint-signature` (HMAC-SHA256 "
        "hex of the raw body with your secret), reject `timestamp` older than 5 minutes, dedupe on `id`.",
        "tags": ["Invoice Webhook Events"],
        "parameters": [
            {
                "name": "x-flowpoint-signature",
                "in": "header",
                "required": True,
                "description": "Lower-case hex HMAC-SHA256 of the raw request body, keyed with your signing secret.",
                "schema": text(pattern="^[0-9a-f]{64}$"),
            },
            {
                "name": "x-flowpoint-signature-previous",
                "in": "header",
                "required": False,
                "description": "Only while a secret rotation is in its grace period: the same signature with the "
                "previous secret. Accept either.",
                "schema": text(pattern="^[0-9a-f]{64}$"),
            },
            *(
                {"name": name, "in": "header", "required": True, "description": description, "schema": text()}
                for name, description in (
                    ("webhook-id", "Standard Webhooks: the event id."),
                    ("webhook-timestamp", "Standard Webhooks: Unix seconds of this sending."),
                    ("webhook-signature", "Standard Webhooks: `v1,<base64>` signatures, space-separated."),
                )
            ),
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref(schema), "example": example}},
        },
        "responses": {
            "2XX": {"description": "Received (any 2xx within 10 seconds; the body is ignored — 204 is fine)."},
            "default": {"description": "Any other status, a timeout or a network error: retried (~5, 10, 20, 40 s)."},
        },
    }
    return operation


for _event in EVENT_TYPES:  # every event an endpoint can subscribe to, in the order they are offered
    webhook(_event, _operation(_event))
