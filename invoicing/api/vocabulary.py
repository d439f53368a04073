"""The invoice's code lists as the API documents them, read off the model's choices: one list each, so a status
added to the model is in the schema (and in the webhook events, integrations/webhooks/api_schemas.py) with it."""

from invoicing.models import Invoice, Kind
from portal.openapi import text

KIND = text("B2B, B2C or B2G.", enum=sorted(Kind.values))
INVOICE_TYPE = text(enum=Invoice.Type.values)
INVOICE_STATUS = text(
    "Lifecycle: DRAFT → (PENDING_REVIEW → PENDING_APPROVAL) → PENDING → SUBMITTING → CERTIFIED (B2B/B2G) | "
    "REPORTED (B2C) | FAILED. BLOCKED is a hold before submission.",
    enum=Invoice.Status.values,
)
PAYMENT_STATUS = text("Flowpoint payment state.", enum=sorted(Invoice.Payment.values))
