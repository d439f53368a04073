"""OpenAPI 3.1 for the whole API (drf-spectacular), annotated in one place.

The API views are DRF function views. Instead of decorating them, `annotate()` walks the URL patterns and
applies `extend_schema(...)` from the table in `_operations()`, keyed by URL name (`api_invoice_create`, …),
one entry per HTTP method. Names that are not (yet) in the URLconf are simply skipped, and a route not in
the table keeps drf-spectacular's bare guess (tests/test_openapi.py lists those).

The published reference (shared/spec/000…) is the contract: field names, status codes, machine codes and
the B2B / B2C request examples here are copied from it; response shapes follow invoicing/api/representations.py,
tenants/serializers.py and the views.

Settings import SPECTACULAR_SETTINGS from here, so importing this module must touch neither DRF nor
drf-spectacular (their settings would be read before ours exist): the schema dicts below are plain data,
and everything that needs those libraries is built on first use.
"""

import copy
import functools
import re

KEY_OR_SESSION = [{"FlowpointKey": []}, {"cookieAuth": []}]
SESSION = [{"cookieAuth": []}]
PUBLIC = []  # written out as `security: []` (no authentication) by `postprocess`


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    """OpenAPI 3.1 (JSON Schema) null: a type list, or anyOf for a $ref."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    schema = dict(schema)
    schema["type"] = [schema["type"], "null"]
    return schema


def obj(properties: dict, required=(), **extra) -> dict:
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    schema.update(extra)
    return schema


def text(description: str = "", **extra) -> dict:
    return {"type": "string", **({"description": description} if description else {}), **extra}


def integer(description: str = "", **extra) -> dict:
    return {"type": "integer", **({"description": description} if description else {}), **extra}


def boolean(description: str = "", **extra) -> dict:
    return {"type": "boolean", **({"description": description} if description else {}), **extra}


def page_of(item: dict, description: str = "") -> dict:
    """The spec's list shape: {"items": [], "total": 142, "limit": 50, "offset": 0}."""
    return obj(
        {
            "items": {"type": "array", "items": item},
            "total": integer("Matching records in all pages."),
            "limit": integer("Page size used."),
            "offset": integer("Records skipped."),
        },
        required=["items", "total", "limit", "offset"],
        **({"description": description} if description else {}),
    )


def found_of(item: dict) -> dict:
    """Typeahead search answers: at most 20 matches, no paging."""
    return obj(
        {"items": {"type": "array", "items": item}, "total": integer("Matches returned (at most 20).")},
        required=["items", "total"],
    )


MONEY = text(
    "Decimal string with 2 places (major units, e.g. naira).", pattern=r"^-?\d+\.\d{2}$", examples=["53750.00"]
)
DECIMAL_IN = {
    "type": ["number", "string"],
    "description": "A number or a decimal string; never rounded through floating point.",
}
DATE = text(format="date", examples=["2026-04-25"])
TIMESTAMP = nullable(text("ISO 8601, UTC.", format="date-time", examples=["2026-04-25T09:30:00Z"]))
UUID = text(format="uuid")
KIND = text("B2B, B2C or B2G.", enum=["B2B", "B2C", "B2G"])
INVOICE_TYPE = text(enum=["invoice", "credit_note", "debit_note"])
INVOICE_STATUS = text(
    "Lifecycle: DRAFT → (PENDING_REVIEW → PENDING_APPROVAL) → PENDING → SUBMITTING → CERTIFIED (B2B/B2G) | "
    "REPORTED (B2C) | FAILED. BLOCKED is a hold before submission.",
    enum=[
        "DRAFT",
        "PENDING_REVIEW",
        "PENDING_APPROVAL",
        "BLOCKED",
        "PENDING",
        "SUBMITTING",
        "CERTIFIED",
        "REPORTED",
        "FAILED",
    ],
)
PAYMENT_STATUS = text("Flowpoint payment state.", enum=["PAID", "PARTIAL", "UNPAID"])

IRN_EXAMPLE = "INV2026001-94ND90NR-20260425"
INT64_MAX = 2**63 - 1  # ids are 64-bit: a bigger one names no record
NO_NUL = r"^[^\u0000]*$"  # text holding NUL (U+0000) is refused everywhere (PostgreSQL cannot store it)
SEARCH_TEXT = r"^\s*[^\s\u0000][^\u0000]*[^\s\u0000]\s*$"  # typeahead q: 2 characters besides the spaces around
INVOICE_ID_EXAMPLE = "5b0c6f1e-2d7a-4c61-9a0e-3f7b8c1d2e4f"

# --- Components -------------------------------------------------------------------------------------------

SCHEMAS = {
    "Error": obj(
        {
            "error": text("Human-readable message."),
            "reason": text("Machine code on invoice routes (e.g. CUSTOMER_VALIDATION_FAILED, RATE_LIMITED)."),
            "code": text("Machine code on master-data routes (e.g. tin_exists)."),
            "detail": text("Optional extra context."),
            "fields": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Problems per request field, keyed by its path (customer.tin, lines[0].unit_price).",
            },
        },
        required=["error"],
        description="Every failed request answers JSON with at least `error`; never an HTML page or a stack trace.",
        examples=[
            {
                "error": "human-readable message",
                "reason": "MACHINE_CODE",
                "code": "machine_code",
                "detail": "optional extra context",
                "fields": {"customer.tin": "required"},
            }
        ],
    ),
    "PaymentError": {
        "allOf": [
            ref("Error"),
            obj(
                {
                    "nrsError": text("What NRS answered."),
                    "paymentReported": boolean("Stays false: nothing changed locally.", const=False),
                },
                required=["nrsError", "paymentReported"],
            ),
        ]
    },
    # Requests ---------------------------------------------------------------------------------------------
    "InvoiceCustomerInput": obj(
        {
            "name": text("Buyer display name. Required for every kind."),
            "tin": text("Standard TIN or RC-XXXXXXX (≥ 5 characters). Required for B2B / B2G."),
            "email": text("Required for B2B / B2G; an address that fails the check is CUSTOMER_VALIDATION_FAILED."),
            "phone": text("Optional; must start with + and the country code (+2348012345678)."),
            "address": text("Street address. Required for B2B / B2G."),
            "city": text("Required for B2B / B2G."),
            "postal_code": text("Required for B2B / B2G."),
            "state": text("Optional NRS state code (GET /api/v1/helpers/states), e.g. NG-LA."),
            "lga": text("Optional NRS LGA code of `state` (GET /api/v1/helpers/lgas), e.g. NG-LA-IKJ."),
            "country": text("ISO alpha-2; default NG.", default="NG"),
        },
        required=["name"],
        description="The buyer. B2B and B2G invoices (B2G is also inferred from a buyer TIN saved as a government "
        "customer) need tin, email, address, city and postal_code, else 400 CUSTOMER_VALIDATION_FAILED; "
        "B2C needs only the name.",
    ),
    "InvoiceLineInput": obj(
        {
            "description": text("What was sold.", minLength=1),
            "quantity": {**DECIMAL_IN, "description": "Greater than 0."},
            "unit_price": {**DECIMAL_IN, "description": "Major units (naira), greater than 0."},
            "hsn_code": text("HS code for goods (GET /api/v1/helpers/hs-codes), e.g. 8517.11."),
            "isic_code": text("Service code for services (GET /api/v1/helpers/service-codes), instead of hsn_code."),
            "tax_scheme": text("Tax category (GET /api/v1/helpers/tax-categories); default STANDARD_VAT."),
            "tax_rate": {**DECIMAL_IN, "description": "Percentage 0–100; default 7.5 for STANDARD_VAT, else 0."},
            "unit_of_measure": text("Unit of measure, e.g. Each."),
            "discount": {**DECIMAL_IN, "description": "Amount off the line, major units; default 0."},
            "fee": {**DECIMAL_IN, "description": "Extra charge on the line, major units; default 0."},
            "category": text("Free text."),
            "item_id": integer(
                "A saved item (GET /api/v1/items): fills whatever the line leaves out.", minimum=1, maximum=INT64_MAX
            ),
        },
        required=["description", "quantity", "unit_price"],
        description="The spec lists description, quantity, unit_price, hsn_code, tax_scheme and tax_rate on every "
        "line. Each line needs an HS code (goods) or a service code (services), else 400 unresolvable_hsn.",
    ),
    "InvoiceRequest": obj(
        {
            "invoice_kind": KIND,
            "invoice_type": INVOICE_TYPE,
            "document_number": text(
                "Human-readable invoice number (not a UUID), unique per business; used to build the IRN.",
                minLength=1,
                maxLength=50,
            ),
            "issue_date": DATE,
            "due_date": DATE,
            "currency": text("ISO 4217; default NGN.", default="NGN"),
            "customer": ref("InvoiceCustomerInput"),
            "customer_id": integer(
                "A saved customer (GET /api/v1/customers): fills the buyer fields left out.",
                minimum=1,
                maximum=INT64_MAX,
            ),
            "lines": {"type": "array", "items": ref("InvoiceLineInput"), "minItems": 1, "maxItems": 500},
            "note": text(maxLength=2000),
            "po_reference": text("Buyer's purchase-order reference.", maxLength=100),
            "original_invoice_id": text("Credit / debit notes: the invoice they amend.", format="uuid"),
            "original_irn": text("Credit / debit notes: the IRN of the invoice they amend."),
        },
        required=[
            "invoice_kind",
            "invoice_type",
            "document_number",
            "issue_date",
            "due_date",
            "currency",
            "customer",
            "lines",
        ],
        description="A Flowpoint invoice request — not raw NRS JSON. The supplier (seller) is always your business: "
        "never send business_id or accounting_supplier_party; Flowpoint fills them from your business profile "
        "and primary location (incomplete → 400 SUPPLIER_VALIDATION_FAILED).",
    ),
    "DraftPatch": {
        "type": "object",
        "description": "Any fields of InvoiceRequest; `customer` is merged into the draft's buyer field by field, "
        "every other field replaces the draft's. The result is re-validated (B2B / B2G buyer fields: "
        "400 CUSTOMER_VALIDATION_FAILED).",
        "properties": {
            "invoice_kind": KIND,
            "invoice_type": INVOICE_TYPE,
            "document_number": text(minLength=1, maxLength=50),
            "issue_date": DATE,
            "due_date": DATE,
            "currency": text(),
            "customer": ref("InvoiceCustomerInput"),
            "customer_id": integer(minimum=1, maximum=INT64_MAX),
            "lines": {"type": "array", "items": ref("InvoiceLineInput"), "minItems": 1},
            "note": text(),
            "po_reference": text(),
        },
    },
    "PaymentRequest": obj(
        {
            "paymentStatus": PAYMENT_STATUS,
            "amountPaid": {
                **DECIMAL_IN,
                "description": "PARTIAL: more than 0 and less than the payable amount. PAID: omit, or the full "
                "payable amount. UNPAID: ignored.",
            },
            "reference": text("Your payment reference (at most 100 characters)."),
        },
        required=["paymentStatus"],
    ),
    "CustomerInput": obj(
        {
            "customerKind": text("Consumers (B2C) are not saved as customers.", enum=["B2B", "B2G"]),
            "name": text(maxLength=200),
            "tin": text("At least 5 characters: letters, digits and hyphens."),
            "email": text(format="email"),
            "phone": text("Optional; +2348012345678."),
            "address": text(),
            "city": text(),
            "postalCode": text(),
            "state": text("Optional NRS state code (NG-LA)."),
            "lga": text("Optional NRS LGA code of `state` (NG-LA-IKJ)."),
            "country": text("ISO alpha-2; default NG.", default="NG"),
        },
        required=["customerKind", "name", "tin", "email"],
    ),
    "ItemInput": obj(
        {
            "name": text(maxLength=200),
            "description": text(maxLength=2000),
            "unitPriceKobo": integer("Unit price in kobo (₦1,500.00 is 150000), greater than 0.", minimum=1),
            "costKobo": integer("What the item costs you, in kobo; optional, not negative.", minimum=0),
            "taxScheme": text("Tax category; default STANDARD_VAT.", default="STANDARD_VAT"),
            "taxRate": {**DECIMAL_IN, "description": "Percentage; default the scheme's rate."},
            "hsCode": text("HS code for goods (8517.11); this or serviceCode is required."),
            "serviceCode": text("Service code for services (6201)."),
            "category": text(),
            "unit": text("Unit of measure code (GET /api/v1/helpers/quantity-units)."),
        },
        required=["name", "unitPriceKobo"],
    ),
    # Responses --------------------------------------------------------------------------------------------
    "InvoiceSummary": obj(
        {
            "invoiceId": UUID,
            "documentNumber": text(),
            "irn": nullable(text("Invoice Reference Number; null on drafts.")),
            "invoiceKind": KIND,
            "invoiceType": INVOICE_TYPE,
            "status": INVOICE_STATUS,
            "issueDate": DATE,
            "currency": text(),
            "payableAmount": MONEY,
            "paymentStatus": PAYMENT_STATUS,
            "customer": ref("Party"),  # name and tin here; the detail adds the address (one shape for both)
            "updatedAt": TIMESTAMP,
            "reason": text("FAILED: the NRS error code; held invoices: the BLOCKED_* reason."),
            "detail": text("With `reason`: what to fix."),
        },
        required=[
            "invoiceId",
            "documentNumber",
            "irn",
            "invoiceKind",
            "invoiceType",
            "status",
            "issueDate",
            "currency",
            "payableAmount",
            "paymentStatus",
            "customer",
            "updatedAt",
        ],
    ),
    "Party": obj(
        {
            "name": text(),
            "tin": text(),
            "email": text(),
            "phone": text(),
            "address": text(),
            "city": text(),
            "postalCode": text(),
            "state": text(),
            "lga": text(),
            "country": text(),
        },
        description="A party as issued on the invoice (copied at creation).",
    ),
    "InvoiceLine": obj(
        {
            "position": integer(),
            "description": text(),
            "quantity": text("Decimal string."),
            "unitPrice": MONEY,
            "discount": MONEY,
            "hsnCode": nullable(text()),
            "isicCode": nullable(text()),
            "taxScheme": text(),
            "taxRate": text("Percentage, decimal string."),
            "unitOfMeasure": nullable(text()),
            "lineExtensionAmount": MONEY,
            "taxAmount": MONEY,
            "itemId": nullable(integer()),
        }
    ),
    "InvoiceDetail": {
        "allOf": [
            ref("InvoiceSummary"),
            obj(
                {
                    "typeCode": text("NRS type code: 381 invoice, 380 credit note, 384 debit note."),
                    "dueDate": nullable(DATE),
                    "note": text(),
                    "poReference": text(),
                    "originalInvoiceId": nullable(UUID),
                    "customer": ref("Party"),
                    "supplier": ref("Party"),
                    "lines": {"type": "array", "items": ref("InvoiceLine")},
                    "totals": obj(
                        {
                            "lineExtensionAmount": MONEY,
                            "taxAmount": MONEY,
                            "payableAmount": MONEY,
                            "amountPaid": MONEY,
                            "amountDue": MONEY,
                        }
                    ),
                    "paymentReported": boolean("Whether the payment state was accepted by NRS."),
                    "nrs": obj(
                        {
                            "attempts": integer("Submission attempts so far."),
                            "signedAt": TIMESTAMP,
                            "transmittedAt": TIMESTAMP,
                            "certifiedAt": TIMESTAMP,
                            "nextAttemptAt": TIMESTAMP,
                            "error": nullable(obj({"reason": text(), "details": text("NRS's own message.")})),
                        }
                    ),
                    "qrPayload": nullable(text("The encrypted NRS QR payload, once certified.")),
                    "b2cReportDeadline": TIMESTAMP,
                    "createdAt": TIMESTAMP,
                    "links": obj({"self": text(), "pdf": nullable(text("Once certified."))}),
                }
            ),
        ],
        "description": "The full invoice: lifecycle status, parties, lines, totals, NRS attempts, links.",
    },
    "InvoiceQueued": obj(
        {"status": text(const="PENDING"), "invoiceId": UUID, "irn": text()},
        required=["status", "invoiceId", "irn"],
        description="Accepted for NRS processing: poll GET /api/v1/invoices/{invoiceId} (or the IRN status) "
        "until CERTIFIED / REPORTED or FAILED, or listen for webhook events.",
    ),
    "InvoiceHeld": obj(
        {
            "status": text(
                "`BLOCKED:<REASON>`, e.g. BLOCKED:PENDING_REVIEW.",
                pattern="^BLOCKED:",
                examples=["BLOCKED:PENDING_REVIEW"],
            ),
            "reason": text(
                "BLOCKED_PENDING_REVIEW, BLOCKED_PENDING_APPROVAL, BLOCKED_CHECKLIST_FAILED (or another hold)."
            ),
            "detail": text("What is missing."),
            "invoiceId": UUID,
            "irn": nullable(text()),
        },
        required=["status", "reason", "invoiceId"],
        description="Saved but not submitted to NRS (review, approval, or validation). Resolve the hold in the "
        "portal, then POST /api/v1/invoices/{id}/retry.",
    ),
    "PaymentResult": obj(
        {
            "paymentStatus": PAYMENT_STATUS,
            "nrsPaymentStatus": text("Sent to NRS.", enum=["PENDING", "PARTIAL", "PAID", "REJECTED"]),
            "amountPaid": MONEY,
            "paymentReported": boolean(const=True),
        },
        required=["paymentStatus", "nrsPaymentStatus", "amountPaid", "paymentReported"],
    ),
    "VerifyResult": obj(
        {
            "valid": boolean(const=True),
            "irn": text(),
            "documentNumber": text(),
            "invoiceType": INVOICE_TYPE,
            "issueDate": DATE,
            "status": text(enum=["CERTIFIED", "REPORTED"]),
            "supplier": obj({"name": text(), "tin": text()}),
            "payableAmount": MONEY,
            "currency": text(),
            "certifiedAt": TIMESTAMP,
        },
        required=["valid", "irn"],
    ),
    "VerifyFailure": obj(
        {
            "error": text("Human-readable message."),
            "valid": boolean(const=False),
            "reason": text(enum=["malformed IRN", "IRN not found"]),
        },
        required=["valid", "reason"],
    ),
    "Customer": obj(
        {
            "id": integer(),
            "customerKind": text(enum=["B2B", "B2G"]),
            "name": text(),
            "tin": text(),
            "email": text(),
            "phone": text(),
            "address": text(),
            "city": text(),
            "postalCode": text(),
            "state": text(),
            "lga": text(),
            "country": text(),
        }
    ),
    "Item": obj(
        {
            "id": integer(),
            "name": text(),
            "description": text(),
            "unitPrice": MONEY,
            "unitPriceKobo": integer(),
            "taxScheme": text(),
            "taxRate": text("Percentage with 2 places."),
            "hsCode": text(),
            "serviceCode": text(),
            "category": text(),
            "unit": text(),
        }
    ),
    "Health": obj({"status": text("API health — not invoice status.", enum=["ok", "degraded"])}, required=["status"]),
    # Admin ------------------------------------------------------------------------------------------------
    "Me": obj(
        {
            "user": obj({"id": integer(), "email": text(), "name": text()}),
            "tenant": nullable(obj({"id": UUID, "name": text()})),
            "role": nullable(text(enum=["admin", "approver", "reviewer", "clerk"])),
            "csrfToken": text("Send it as X-CSRFToken on unsafe session requests."),
        }
    ),
    "Profile": obj(
        {
            "id": UUID,
            "legalName": text(),
            "tin": text(),
            "email": text(),
            "effectiveEmail": text("The e-mail NRS gets: the business e-mail, else the portal admin's."),
            "telephone": text(),
            "description": text(),
            "nrsBusinessId": nullable(UUID),
            "nrsServiceId": text(),
            "environment": text(enum=["sandbox", "live"]),
            "nrsCredentialsConfigured": boolean(),
            "nrsCredentialsUpdatedAt": TIMESTAMP,
        }
    ),
    "NrsCredentialsStatus": obj(
        {"configured": boolean(), "updatedAt": TIMESTAMP},
        description="Write-only credentials: only whether they are set, never their value.",
    ),
    "Location": obj(
        {
            "id": integer(),
            "street": text(),
            "city": text(),
            "postalZone": text(),
            "state": text(),
            "lga": text(),
            "country": text(),
            "isPrimary": boolean(),
        }
    ),
    "CryptoKey": obj(
        {
            "id": integer(),
            "fingerprint": text(),
            "isActive": boolean(),
            "uploadedAt": TIMESTAMP,
            "uploadedBy": nullable(text()),
        }
    ),
    "ApiKey": obj(
        {
            "id": integer(),
            "name": text(),
            "prefix": text("Visible part: fp_test_… (sandbox) or fp_live_…"),
            "status": text(enum=["active", "revoked", "expired"]),
            "createdAt": TIMESTAMP,
            "expiresAt": TIMESTAMP,
            "revokedAt": TIMESTAMP,
            "lastUsedAt": TIMESTAMP,
        }
    ),
    "ApiKeyCreated": {
        "allOf": [
            ref("ApiKey"),
            obj({"key": text("The plaintext key: shown this once, stored only as a hash.")}, required=["key"]),
        ]
    },
    "Readiness": obj(
        {
            "ready": boolean("Whether NRS submission can succeed."),
            "missing": {"type": "array", "items": text(), "description": "Machine codes still failing."},
            "items": {
                "type": "array",
                "items": obj(
                    {
                        "key": text(),
                        "code": text("The code a submission would fail with (e.g. NO_KEYS)."),
                        "label": text(),
                        "ok": boolean(),
                        "detail": text(),
                        "fixUrl": text("Portal page where it is fixed."),
                    }
                ),
            },
        }
    ),
    "WebhookSubscriptionInput": obj(
        {
            "url": text("HTTPS callback URL.", format="uri"),
            "events": {"type": "array", "items": ref("WebhookEventType"), "minItems": 1},
            "secret": text("Signing secret: required at registration; write-only (never echoed).", minLength=16),
            "active": boolean("true re-enables an endpoint paused after failed deliveries."),
            # What GET answers may be sent back unchanged: read-only, ignored.
            **{
                name: {"readOnly": True}
                for name in ("id", "secretSet", "secretRotatingUntil", "pausedAt", "pausedReason", "createdAt")
            },
            "updatedAt": {"readOnly": True},
            "links": {"readOnly": True},
        },
        required=["url", "events", "secret"],
        additionalProperties=False,
        description="On PATCH every field is optional (send what changes). Other fields are refused (400).",
    ),
    "WebhookSubscription": obj(
        {
            "id": integer(),
            "url": text(),
            "events": {"type": "array", "items": ref("WebhookEventType")},
            "active": boolean(),
            "secretSet": boolean("Whether a signing secret is set (it is never shown)."),
            "secretRotatingUntil": nullable(
                text("During a secret rotation, until when the old secret still signs.", format="date-time")
            ),
            "pausedAt": TIMESTAMP,
            "pausedReason": nullable(text("Why deliveries were paused (e.g. 5 failed attempts).")),
            "createdAt": TIMESTAMP,
            "updatedAt": TIMESTAMP,
            "links": obj({"self": text(), "deliveries": text()}),
        },
        description="The business's callback URL (one per business). The secret is never echoed.",
    ),
    "WebhookDelivery": obj(
        {
            "id": integer(),
            "eventId": text(),
            "type": text("Event type (webhook.test for a test delivery)."),
            "status": text("The envelope's root status."),
            "source": text(),
            "emittedAt": TIMESTAMP,
            "invoiceId": nullable(UUID),
            "test": boolean(),
            "state": text(enum=["pending", "sending", "succeeded", "failed", "held"]),
            "attemptCount": integer(),
            "nextAttemptAt": TIMESTAMP,
            "lastStatus": nullable(integer("HTTP status of the last attempt.")),
            "lastError": nullable(text()),
            "deliveredAt": TIMESTAMP,
            "createdAt": TIMESTAMP,
            "attempts": {
                "type": "array",
                "items": obj(
                    {
                        "number": integer(),
                        "startedAt": TIMESTAMP,
                        "statusCode": nullable(integer()),
                        "durationMs": nullable(integer()),
                        "error": nullable(text()),
                        "responseExcerpt": text(),
                    }
                ),
            },
            "links": obj({"redeliver": text()}),
        },
        description="One event sent to the endpoint, with every attempt.",
    ),
    "BatchError": obj(
        {
            "row": nullable(integer("Spreadsheet row (1 is the header); null for file-level problems.")),
            "column": nullable(text()),
            "message": text(),
            "code": text("Machine code, e.g. CUSTOMER_VALIDATION_FAILED or a CSV_* code."),
        }
    ),
    "BatchAccepted": obj(
        {
            "batchId": UUID,
            "status": ref("BatchStatus"),
            "fileName": text(),
            "rows": integer("Data rows (the header not counted)."),
            "invoiceCount": integer("Distinct document numbers."),
            "submitRequested": boolean("Submit as soon as validation is done."),
            "progress": integer("0–100.", minimum=0, maximum=100),
            "links": obj({"self": text()}),
        },
        required=["batchId", "status"],
        description="The upload answer (Location: the batch): validation runs in the background; poll the batch.",
    ),
    "BatchRejected": {
        "allOf": [
            ref("Error"),
            obj(
                {
                    "batchId": UUID,
                    "status": text(const="INVALID"),
                    "errors": {"type": "array", "items": ref("BatchError")},
                }
            ),
        ],
        "description": "The file itself is unusable (reason CSV_INVALID): nothing was validated.",
    },
    "BatchStatus": text(enum=["VALIDATING", "VALIDATED", "INVALID", "SUBMITTING", "DONE"]),
    "Batch": obj(
        {
            "batchId": UUID,
            "status": ref("BatchStatus"),
            "fileName": text(),
            "rows": integer(),
            "invoiceCount": integer(),
            "valid": integer("Invoices that passed validation."),
            "invalid": integer("Invoices with errors."),
            "submitted": integer(),
            "certified": integer(),
            "failed": integer(),
            "held": integer(),
            "pending": integer(),
            "progress": integer("0–100.", minimum=0, maximum=100),
            "summary": text(),
            "errorCount": integer(),
            "errors": {
                "type": "array",
                "items": ref("BatchError"),
                "description": "File-level problems first, then each row's (at most 1000).",
            },
            "invoices": {
                "type": "array",
                "description": "One per document number, in file order (paged by limit / offset).",
                "items": obj(
                    {
                        "documentNumber": text(),
                        "row": integer("First row."),
                        "rows": {"type": "array", "items": integer()},
                        "invoiceId": nullable(UUID),
                        "status": text("The invoice's status once created, else VALID / INVALID / REJECTED …"),
                        "irn": nullable(text()),
                    }
                ),
            },
            "limit": integer(),
            "offset": integer(),
            "submitRequested": boolean(),
            "createdAt": TIMESTAMP,
            "validatedAt": TIMESTAMP,
            "submittedAt": TIMESTAMP,
            "finishedAt": TIMESTAMP,
        },
        required=["batchId", "status"],
        description="A CSV batch: validation progress, per-invoice outcome and per-row errors.",
    ),
    # Webhooks ---------------------------------------------------------------------------------------------
    "WebhookEventType": text(
        enum=["invoice.pending", "invoice.certified", "invoice.failed", "invoice.payment_updated"]
    ),
    "WebhookEvent": obj(
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
                },
                description="The invoice as an ERP needs it, without calling the API again.",
            ),
        },
        required=["id", "type", "status", "source", "timestamp", "emittedAt", "data"],
    ),
}

# PATCH of a webhook endpoint: the same fields, none required.
SCHEMAS["WebhookSubscriptionPatch"] = {
    **{key: value for key, value in SCHEMAS["WebhookSubscriptionInput"].items() if key != "required"},
    "description": "Any fields of WebhookSubscriptionInput: send what changes. Other fields are refused (400).",
}

HEADERS = {
    "X-Request-Id": {
        "description": "Correlates a request with the server logs: yours if you sent a sane one, else a fresh one. "
        "Quote it to support.",
        "schema": text(pattern=r"^[A-Za-z0-9._-]{1,64}$"),
    },
    "RateLimit-Policy": {
        "description": "Draft-7 rate-limit policies in force on this request, e.g. `60;w=60, 120;w=60`.",
        "schema": text(examples=["120;w=60"]),
    },
    "RateLimit": {
        "description": "Draft-7 state of the tightest limit, e.g. `limit=120, remaining=87, reset=23`.",
        "schema": text(examples=["limit=120, remaining=87, reset=23"]),
    },
    "Retry-After": {"description": "Seconds until the window resets.", "schema": integer()},
}

IDEMPOTENCY_KEY = (
    "Makes a creating POST safe to retry: the same key with the same body replays the first answer (with "
    "`Idempotency-Replayed: true`); the same key with another body is 409 IDEMPOTENCY_CONFLICT. Kept at least 24 "
    "hours; at most 255 characters."
)
IDEMPOTENCY_REPLAYED = "`true` when this is the stored answer to an earlier request with the same Idempotency-Key."

# --- The overview (info.description) --------------------------------------------------------------------

DESCRIPTION = """
The tenant integration API for ERP and server-to-server connections. Register an API key in the portal
(**Settings → API Access**), then create and submit invoices, poll status, and receive webhook events on invoice
lifecycle changes.

1. Create an API key in Settings → API Access (portal admin required once).
2. `POST /api/v1/invoices/create` — create and queue a single invoice for NRS submission (HTTP 202).
3. Poll `GET /api/v1/invoices/{irn}/status` or listen for `invoice.certified` / `invoice.failed` webhook events.
4. Use `POST /api/v1/invoices/{id}/retry` to recover from failed NRS submissions.

Base URL: `https://api.flowpoint.ng` (or this instance). The machine-readable schema is at
[`/api/v1/schema`](/api/v1/schema) (JSON; `?format=yaml` for YAML).

# Authentication

| Routes | Authentication |
|---|---|
| `/api/v1/invoices…`, `/customers…`, `/items…`, `/helpers/…` | `X-Flowpoint-Key` (API key) or a portal session |
| `/api/v1/auth/…` | none (login) / portal session |
| `/api/v1/tenant/…`, `/api/v1/integrations/…` | portal **admin** session only: an API key gets **403** |
| `/api/v1/invoices/verify/{irn}`, `/health` | none |

- Send the plaintext key in the `X-Flowpoint-Key` header on every request. Keys are shown once at creation and
  stored only as a hash; `fp_test_…` keys belong to a sandbox business, `fp_live_…` to a live one.
- Revoked or expired keys return **401**. Keys cannot access admin-only settings routes (**403**).
- API keys are not restricted by portal role permissions.
- A portal session (cookie) works too; unsafe methods then need the `X-CSRFToken` header
  (`csrfToken` from `GET /api/v1/auth/me`).

# Common headers

| Header | Direction | Meaning |
|---|---|---|
| `X-Flowpoint-Key: <api_key>` | request | required on every authenticated request |
| `Content-Type: application/json` | request | required on POST/PATCH/PUT JSON bodies (else 415) |
| `Idempotency-Key` | request | on creating POSTs: the same key and body replay the first answer; another body is 409 |
| `X-Request-Id` | both | on every response (yours if you sent one); quote it to support |
| `RateLimit-Policy`, `RateLimit` | response | draft-7 rate-limit state on every `/api/v1` response |
| `Retry-After` | response | seconds to wait, on 429 |
| `Idempotency-Replayed: true` | response | this answer is a replay of an earlier request with the same key |

# Rate limits

Limits use a 1-minute window and expose `RateLimit-*` draft-7 headers. Exceeding limits returns HTTP **429**
(`reason: RATE_LIMITED`) with `Retry-After` — implement exponential backoff.

| Scope (per IP) | Default limit |
|---|---|
| Authentication (`/api/v1/auth/*`) | 10 requests/minute |
| All other `/api/v1/*` | 120 requests/minute |

| Invoice writes (per tenant, keyed on tenant ID, not IP) | Limit |
|---|---|
| `POST /api/v1/invoices/create` | 60 requests/minute |
| `POST /api/v1/invoices/upload/csv/submit` | 5 requests/minute |

# Lists and conventions

Collection GETs return `{ "items": [], "total": 142, "limit": 50, "offset": 0 }`. Query params: `limit`
(default 50), `offset` (default 0), plus the filters documented on each list endpoint; a `limit` above the
route's maximum is a 400.

| Endpoint | Max limit |
|---|---|
| `GET /api/v1/invoices` | 500 |
| `GET /api/v1/customers` | 200 |
| `GET /api/v1/items` | 200 |

`GET /api/v1/invoices` returns certified invoices only. Money in requests: major units as numbers or decimal
strings (`unit_price: 50000`); kobo integers on master data (`unitPriceKobo`); in responses, decimal strings with
2 places. Dates are `YYYY-MM-DD`; timestamps ISO 8601 UTC. Request bodies use snake_case on invoices and
camelCase on master data and admin routes; responses use camelCase.

# Errors

Failed requests return JSON with at least an `error` string. Many invoice routes also include `reason` (machine
code), `detail`, and `fields`. Master-data POST routes use `code` instead of `reason`. Search endpoints return a
plain `error` when `q` is missing or out of range (2–100 characters).

```json
{
  "error": "human-readable message",
  "reason": "MACHINE_CODE",
  "code": "machine_code",
  "detail": "optional extra context",
  "fields": { "customer.tin": "required" }
}
```

| HTTP | When | Next step |
|---|---|---|
| 400 | Validation failed, submission blocked, or bad query (e.g. search `q` too short) | Fix the body or query |
| 401 | Missing or invalid `X-Flowpoint-Key` header | Send a valid API key |
| 403 | Valid API key used on a route that does not accept API keys (e.g. tenant settings) | Use an admin session |
| 404 | Invoice, draft, batch, or IRN not found for this tenant | Check the UUID or IRN |
| 409 | Duplicate document number, draft not editable, customer/item exists, Idempotency-Key reused | Resolve it |
| 413 | JSON body over 5 MB, or a CSV file over 20 MB (`code` `file_too_large`) | Send less (split a CSV) |
| 415 | Body sent with another Content-Type than the route accepts | Send `application/json` |
| 429 | Global or per-tenant rate limit exceeded | Back off and retry; check `RateLimit-*` headers |
| 500 | Unexpected server error | Retry; contact support with the `X-Request-Id` if persistent |
| 502 | NRS payment confirm/update failed (`PATCH /invoices/{id}/payment`) | Read `nrsError`; fix and retry |
| 503 | `GET /health` when the API is unavailable (`{"status": "degraded"}`) | Retry; contact support if persistent |

## Invoice machine codes (`reason`)

| reason | HTTP | Meaning |
|---|---|---|
| `CUSTOMER_VALIDATION_FAILED` | 400 | B2B/B2G buyer fields missing or invalid on create or PATCH draft |
| `SUPPLIER_VALIDATION_FAILED` | 400 | Tenant supplier profile incomplete on POST /create or submit |
| `DOCUMENT_NUMBER_CONFLICT_INVOICE` | 409 | A certified invoice already uses this document number |
| `invalid_document_number` | 400 | Document number failed format rules (e.g. UUID-shaped) |
| `unresolved_b2b_missing_tin` | 400 | B2B invoice could not resolve buyer TIN when saving |
| `unresolved_b2b_customer_address` | 400 | B2B buyer address fields could not be resolved |
| `unresolvable_hsn` | 400 | Line HSN could not be resolved when saving the invoice |
| `unresolvable_unit_price` | 400 | Line unit price could not be resolved |
| `incomplete_unpatchable` | 400 | Invoice validation failed and required fixes could not be applied automatically |
| `ZERO_VALUE` | 400 | Invoice total payable is zero |
| `NO_SERVICE_ID` | 400 | Tenant NRS Service ID not configured |
| `NO_BUSINESS_ID` | 400 | Tenant NRS Business ID not configured |
| `NO_KEYS` | 400 | No active cryptographic keys on the tenant |
| `BLOCKED_PENDING_REVIEW` | 400 | Invoice held for review before NRS submission |
| `BLOCKED_PENDING_APPROVAL` | 400 | Invoice awaiting approval before NRS submission |
| `BLOCKED_CHECKLIST_FAILED` | 400 | Invoice did not pass validation before NRS submission |
| `SUBMISSION_ERROR` | 500/502 | NRS submission failed unexpectedly: `POST /invoices/{id}/retry` |
| `NOT_SIGNED` | 400 | Reconcile called on an invoice not yet certified |
| `NOT_ELIGIBLE` | 400 | Payment report not allowed: the invoice must be certified (B2C: reported) with an IRN |

Flowpoint also answers these (not in the published list):

| reason | HTTP | Meaning |
|---|---|---|
| `NOT_RETRYABLE` | 400 | Retry called on an invoice that is not FAILED (or BLOCKED) |
| `NOT_EDITABLE` | 409 | PATCH / DELETE on a draft that is no longer a draft |
| `CREDIT_NOTE_EXCEEDS_INVOICE` | 400 | A credit note larger than what is left of the invoice it amends |
| `CSV_INVALID` | 400 | The CSV file is unusable: no file, wrong header, not CSV text (`code` `not_csv`) |
| `NO_VALID_INVOICES` | 400 | CSV submit: no invoice of the batch passed validation |
| `BATCH_ALREADY_SUBMITTED` | 409 | CSV submit: that batch was submitted already |
| `IDEMPOTENCY_CONFLICT` | 409 | The Idempotency-Key was used with another body, or that request is still running |
| `RATE_LIMITED` | 429 | A rate limit was exceeded |

## Master data codes (`code`)

Returned by `POST /api/v1/customers` and `POST /api/v1/items`.

| code | HTTP | Meaning |
|---|---|---|
| `missing_field` | 400 | Required field empty |
| `invalid_tin` | 400 | Customer TIN too short or invalid format |
| `invalid_email` | 400 | Email missing or invalid format |
| `invalid_phone` | 400 | Phone does not start with + country code |
| `invalid_state` | 400 | `state` is not a known NRS code |
| `invalid_lga` | 400 | `lga` invalid, or `state` missing when `lga` is sent |
| `invalid_kind` | 400 | `customerKind` is not B2B or B2G |
| `tin_exists` | 409 | Customer with this TIN already exists |
| `invalid_price` | 400 | `unitPriceKobo` missing, zero, or negative |
| `invalid_cost` | 400 | `costKobo` negative when provided |
| `invalid_tax_scheme` | 400 | Unrecognised `taxScheme` value |
| `item_exists` | 409 | Item with this name already exists |
| `create_failed` | 500 | Record insert succeeded but could not be read back |

Also: `invalid_country`, `invalid_tax_rate`, `invalid_hs_code`, `invalid_service_code`, `invalid_unit` (400) for
those item and customer fields, and `invalid_characters` (400) for text holding a NUL character (`\\u0000`, which
no field accepts; invoice routes answer it as `incomplete_unpatchable`). Webhook subscription routes answer
`webhook_exists` (409: one callback URL per business; PATCH it), and on redelivery `endpoint_paused` /
`delivery_in_progress` (409).

# Invoice lifecycle

`DRAFT` → (`PENDING_REVIEW` → `PENDING_APPROVAL`) → `PENDING` (queued) → `SUBMITTING` → `CERTIFIED`
(B2B/B2G: signed and transmitted) | `REPORTED` (B2C) | `FAILED`. A create answer names a hold as
`BLOCKED:<REASON>` (HTTP 201); `FAILED` keeps the NRS error and is what `retry` accepts.

| Create `status` | HTTP | Next step |
|---|---|---|
| `PENDING` | 202 | Poll `GET /invoices/{invoiceId}` until certified or failed |
| `BLOCKED:…` | 201 | Resolve the block in the portal, then retry |

# Invoice webhook events

Flowpoint POSTs JSON to HTTPS URLs you register in **Settings → Webhooks** (portal admin) or with
`POST /api/v1/integrations/webhooks`. These are outbound events — not API endpoints you call (they are listed as
*webhooks* in this schema). Register one callback URL per tenant; it can subscribe to several events
(`invoice.pending`, `invoice.certified`, `invoice.failed`, `invoice.payment_updated`); use PATCH to change them.

- Delivery: HTTP POST with `Content-Type: application/json`; answer any 2xx within 10 seconds (an empty 204 is
  fine; the body is not read).
- Root `status` is `pending`, `certified`, or `failed`; `source` names the lifecycle step that emitted the event.
- The signed body includes `timestamp` (Unix ms) and `emittedAt` (ISO 8601): reject deliveries older than 5
  minutes.
- At-least-once: the same event may arrive more than once — dedupe on the envelope `id`.

| Attempt | When | On failure |
|---|---|---|
| 1 | Immediate | Retry after ~5s |
| 2 | After ~5s backoff | Retry after ~10s |
| 3 | After ~10s backoff | Retry after ~20s |
| 4 | After ~20s backoff | Retry after ~40s |
| 5 | After ~40s backoff | Endpoint auto-paused |

A failed attempt is any non-2xx status, a timeout (> 10 s) or a network error. After 5 failed attempts of one
delivery the endpoint becomes inactive; fix it, then `PATCH /api/v1/integrations/webhooks/{id}` with
`{ "active": true }`.

**Signature.** Every delivery carries `x-flowpoint-signature`: the lower-case hex HMAC-SHA256 of the raw body with
your signing secret. Compare with a timing-safe equality check, then reject any delivery where
`Date.now() - timestamp > 300000`.

```js
const crypto = require('crypto');
const MAX_AGE_MS = 300000; // 5 minutes

function verifyFlowpointWebhook(rawBody, signatureHeader, secret) {
  let event;
  try {
    event = JSON.parse(rawBody);
  } catch {
    return false;
  }
  if (typeof event.timestamp !== 'number') return false;
  if (Date.now() - event.timestamp > MAX_AGE_MS) return false;
  const expected = crypto
    .createHmac('sha256', secret)
    .update(rawBody)
    .digest('hex');
  return crypto.timingSafeEqual(
    Buffer.from(signatureHeader, 'utf8'),
    Buffer.from(expected, 'utf8'),
  );
}
```
"""


def _python_verification() -> str:
    """The Python verifier of docs/webhooks.md (executed by tests/webhooks/test_docs.py), for the API docs."""
    import re
    from pathlib import Path

    doc = Path(__file__).resolve().parent.parent / "docs" / "webhooks.md"
    found = re.search(r"## Verifying a delivery in Python.*?(```python\n.*?```)", doc.read_text(), re.S)
    return f"\n\nIn Python (raw body bytes, before any JSON parsing):\n\n{found.group(1)}\n" if found else ""


TAGS = [
    {
        "name": "Invoices",
        "description": "Create, submit, and track invoices for NRS certification. Use POST /create to submit a "
        "single invoice for NRS. Returns PENDING with invoiceId — poll GET /invoices/{id} or subscribe to webhook "
        "events. Certified invoices appear on GET /invoices.",
    },
    {"name": "Drafts", "description": "Invoices saved without submitting: same body as create; nothing goes to NRS."},
    {
        "name": "CSV batches",
        "description": "Upload a CSV of invoices, see per-row validation errors, then submit the valid ones.",
    },
    {
        "name": "Customers & Items",
        "description": "Master data for repeat customers and catalogue items. Optional — you can inline customer "
        "and line data on invoice create. Use GET /customers/search and GET /items/search for typeahead (q "
        "required, 2–100 characters). List endpoints support optional broader search filters.",
    },
    {
        "name": "Helpers",
        "description": "Reference lookups for standard codes and labels used on invoices — invoice types, tax "
        "categories, payment means, quantity units, product and service codes, and Nigeria states, LGAs, and "
        "countries. Authenticate with your API key. Responses may be cached for a short period (Cache-Control: "
        "private, max-age=3600); stay within rate limits.",
    },
    {
        "name": "Public Endpoints",
        "description": "No authentication required. API health check and public IRN verification.",
    },
    {"name": "Auth", "description": "Portal sign-in for API-driven admin work (session cookie)."},
    {
        "name": "Tenant settings",
        "description": "Business profile, NRS credentials, locations, crypto keys, API keys and readiness. "
        "A portal admin session only: API keys receive 403.",
    },
    {
        "name": "Webhook subscriptions",
        "description": "Where Flowpoint sends invoice events. A portal admin session only: API keys receive 403.",
    },
    {
        "name": "Invoice Webhook Events",
        "description": "Outbound POSTs from Flowpoint to your callback URL (see the overview for retries and "
        "signature verification).",
    },
]

TAG_GROUPS = [
    {"name": "Integrator API", "tags": ["Invoices", "Drafts", "CSV batches", "Customers & Items", "Helpers"]},
    {"name": "Public", "tags": ["Public Endpoints"]},
    {"name": "Admin API (portal session)", "tags": ["Auth", "Tenant settings", "Webhook subscriptions"]},
    {"name": "Webhooks", "tags": ["Invoice Webhook Events"]},
]

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
}

# /health is a plain Django view (not DRF): written out by hand.
HEALTH_PATH = {
    "/health": {
        "get": {
            "operationId": "health",
            "summary": "API health",
            "description": "Unauthenticated uptime check (database and queue reachable); not rate-limited. "
            "`status` here means API health — not invoice or batch status. The portal's /status page polls it.",
            "tags": ["Public Endpoints"],
            "security": [],
            "responses": {
                "200": {
                    "description": "API is operational.",
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                    "content": {"application/json": {"schema": ref("Health"), "example": {"status": "ok"}}},
                },
                "503": {
                    "description": "API health check failed: retry; contact support if persistent.",
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
                    "content": {"application/json": {"schema": ref("Health"), "example": {"status": "degraded"}}},
                },
            },
        }
    }
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Flowpoint API",
    "DESCRIPTION": DESCRIPTION.strip() + _python_verification(),
    "VERSION": "1.0.0",
    # 3.1 for `webhooks` (outbound invoice events) and JSON Schema types (["string", "null"]).
    "OAS_VERSION": "3.1.0",
    "SERVERS": [
        {"url": "/", "description": "This Flowpoint instance"},
        {"url": "https://api.flowpoint.ng", "description": "Flowpoint production"},
    ],
    "TAGS": TAGS,
    "EXTENSIONS_ROOT": {"x-tagGroups": TAG_GROUPS},
    "APPEND_PATHS": HEALTH_PATH,
    "APPEND_COMPONENTS": {"schemas": SCHEMAS, "headers": HEADERS},
    "WEBHOOKS": [f"portal.openapi.WEBHOOK_{name.split('.')[1].upper()}" for name in WEBHOOK_EVENTS],
    "PREPROCESSING_HOOKS": ["portal.openapi.preprocess"],
    # No enum extraction: the schemas above inline their enums on purpose.
    "POSTPROCESSING_HOOKS": ["portal.openapi.postprocess"],
    "SORT_OPERATIONS": False,  # the URLconf's order: create before list, list before detail
    "SORT_OPERATION_PARAMETERS": False,  # path, then limit / offset, then filters, as the table lists them
    "COMPONENT_SPLIT_REQUEST": True,  # the admin serializers become *Request components; responses are ours
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SCHEMA_COERCE_PATH_PK_SUFFIX": True,  # {delivery_pk} → {delivery_id}
    # The docs are public (the published reference is), and a stray or bad key must not make them a 401.
    "SERVE_PUBLIC": True,
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Self-hosted UI assets (drf-spectacular-sidecar): no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {
        "deepLinking": True,
        "persistAuthorization": False,  # never keep a pasted API key in the browser's localStorage
        "displayOperationId": False,
        "tryItOutEnabled": False,
        "validatorUrl": None,  # else Swagger UI asks validator.swagger.io for a badge
    },
    "REDOC_UI_SETTINGS": {
        "expandResponses": "200,201,202",
        "requiredPropsFirst": True,
        "jsonSampleExpandLevel": 4,
        "pathInMiddlePanel": True,
        "hideDownloadButton": False,
        "theme": {
            "colors": {"primary": {"main": "#0b6e4f"}},
            "typography": {
                "fontFamily": '"DejaVu Sans", system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
                "headings": {"fontFamily": '"DejaVu Sans", system-ui, -apple-system, "Segoe UI", sans-serif'},
                "code": {"fontFamily": '"DejaVu Sans Mono", ui-monospace, monospace'},
            },
            "sidebar": {"backgroundColor": "#f5f7fa"},
        },
    },
    # A route someone forgot to document must not fail `manage.py check --deploy`; tests/test_openapi.py
    # fails instead.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
}

# --- The spec's request examples (verbatim, minus the autofilled supplier fields the spec says not to send) --

SPEC_B2B_REQUEST = {
    "invoice_kind": "B2B",
    "invoice_type": "invoice",
    "document_number": "INV-2026-001",
    "issue_date": "2026-04-25",
    "due_date": "2026-05-25",
    "currency": "NGN",
    "customer": {
        "name": "Acme Ltd",
        "tin": "12345678-0001",
        "email": "[email protected]",
        "phone": "+2348012345678",
        "address": "42 Marina Road",
        "city": "Lagos",
        "country": "NG",
        "postal_code": "101001",
    },
    "lines": [
        {
            "description": "Consulting services",
            "quantity": 1,
            "unit_price": 50000,
            "hsn_code": "8517.11",
            "tax_scheme": "STANDARD_VAT",
            "tax_rate": 7.5,
            "unit_of_measure": "Each",
        }
    ],
    "note": "Thank you for your business",
    "po_reference": "PO-7781",
}

SPEC_B2C_REQUEST = {
    "invoice_kind": "B2C",
    "invoice_type": "invoice",
    "document_number": "INV-2026-042",
    "issue_date": "2026-04-25",
    "due_date": "2026-04-25",
    "currency": "NGN",
    "customer": {"name": "Walk-in Customer"},
    "lines": [
        {
            "description": "Consulting services",
            "quantity": 1,
            "unit_price": 50000,
            "hsn_code": "8517.11",
            "tax_scheme": "STANDARD_VAT",
            "tax_rate": 7.5,
            "unit_of_measure": "Each",
        }
    ],
}

# The spec: "B2G: use the same buyer fields … as B2B — set invoice_kind B2G" (with a buyer e-mail that validates).
B2G_REQUEST = copy.deepcopy(SPEC_B2B_REQUEST) | {"invoice_kind": "B2G"}
B2G_REQUEST["customer"]["email"] = "ap@acme.ng"

INVOICE_SUMMARY_EXAMPLE = {
    "invoiceId": INVOICE_ID_EXAMPLE,
    "documentNumber": "INV-2026-001",
    "irn": IRN_EXAMPLE,
    "invoiceKind": "B2B",
    "invoiceType": "invoice",
    "status": "CERTIFIED",
    "issueDate": "2026-04-25",
    "currency": "NGN",
    "payableAmount": "53750.00",
    "paymentStatus": "UNPAID",
    "customer": {"name": "Acme Ltd", "tin": "12345678-0001"},
    "updatedAt": "2026-04-25T09:31:12Z",
}


# --- Built on first use (needs DRF and drf-spectacular) ---------------------------------------------------

ERROR_EXAMPLES = {
    400: ("Invalid filter", {"error": "Some filters are invalid; see fields.", "fields": {"from": "must be a date"}}),
    401: ("Invalid key", {"error": "Invalid API key. Send a valid key in the X-Flowpoint-Key header."}),
    403: ("No business", {"error": "You are not a member of any business."}),
    404: ("Not found", {"error": "Not found."}),
    413: ("Too large", {"error": "Request body too large: at most 5 MB."}),
    415: ("Wrong type", {"error": 'Unsupported media type "text/plain" in request.'}),
    429: (
        "Rate limited",
        {
            "error": "Rate limit exceeded: 120 requests per minute (api). Retry in 23 s; back off exponentially.",
            "reason": "RATE_LIMITED",
        },
    ),
    500: ("Internal", {"error": "Internal server error. Retry; contact support with the X-Request-Id if it persists."}),
}
ERROR_DESCRIPTIONS = {
    400: "Validation failed or bad query: see `error`, `fields`, and `reason` / `code`.",
    401: "Missing, unknown, revoked or expired X-Flowpoint-Key (or no session).",
    403: "A signed-in user who belongs to no business.",
    404: "Not found for this business.",
    409: "Conflict: see `reason` / `code`.",
    413: "Request body too large: more than 5 MB of JSON, or a CSV file over 20 MB (`code` file_too_large).",
    415: "Unsupported Content-Type for the body.",
    429: "Rate limit exceeded: back off exponentially; see Retry-After and RateLimit.",
    500: "Unexpected server error: retry; contact support with the X-Request-Id.",
    502: "NRS could not be reached or refused: retry later.",
}
ADMIN_ERRORS = {
    401: ("Not signed in to the portal.", ("Not signed in", {"error": "Sign in as a portal admin."})),
    403: (
        "An API key (admin routes need a portal admin session), or a member who is not an admin.",
        (
            "API key on an admin route",
            {"error": "API keys cannot use admin routes. Sign in to the portal as an admin to change settings."},
        ),
    ),
}
COMMON_ERRORS = {"KEY_OR_SESSION": (401, 403, 429), "SESSION": (401, 403, 429), "PUBLIC": (429,)}


def _examples(*pairs, **kwargs):
    from drf_spectacular.utils import OpenApiExample

    return [OpenApiExample(name, value=value, **kwargs) for name, value in pairs]


def _response(schema, description, *examples):
    """An OpenApiResponse; `examples` are (name, value) pairs."""
    from drf_spectacular.utils import OpenApiResponse

    return OpenApiResponse(response=schema, description=description, examples=_examples(*examples) or None)


def _error(description, *examples):
    return _response(ref("Error"), description, *examples)


def _errors(security, *codes):
    """The error responses every route of its kind has, plus `codes`, with generic descriptions and examples."""
    result = {}
    for code in sorted({*COMMON_ERRORS[security], *codes}):
        description, example = ERROR_DESCRIPTIONS[code], ERROR_EXAMPLES.get(code)
        if security == "SESSION" and code in ADMIN_ERRORS:
            description, example = ADMIN_ERRORS[code]
        result[code] = _error(description, *([example] if example else []))
    return result


def _path(name, kind, description):
    from drf_spectacular.types import OpenApiTypes
    from drf_spectacular.utils import OpenApiParameter

    types = {"uuid": OpenApiTypes.UUID, "int": OpenApiTypes.INT, "str": OpenApiTypes.STR}
    return OpenApiParameter(name, types[kind], OpenApiParameter.PATH, description=description)


def _query(name, schema, description, required=False):
    from drf_spectacular.utils import OpenApiParameter

    return OpenApiParameter(name, schema, OpenApiParameter.QUERY, required=required, description=description)


def _paging(max_limit, default=50):
    return [
        _query("limit", integer(minimum=1, maximum=max_limit, default=default), f"Page size, 1–{max_limit}."),
        _query("offset", integer(minimum=0, default=0), "Records to skip."),
    ]


def _header(name, schema, description, response=False):
    from drf_spectacular.utils import OpenApiParameter

    return OpenApiParameter(name, schema, OpenApiParameter.HEADER, description=description, response=response)


def _json(schema):
    return {"application/json": schema}


def op(summary, *, operation_id, tags, security="KEY_OR_SESSION", description="", responses, **kwargs):
    """extend_schema(...) arguments for one operation: `responses` come first, then the route kind's errors,
    then `errors` (codes) — a code in `responses` wins."""
    errors = kwargs.pop("errors", ())
    return {
        "summary": summary,
        **({"description": description.strip()} if description.strip() else {}),
        "operation_id": operation_id,
        "tags": tags,
        "auth": {"KEY_OR_SESSION": KEY_OR_SESSION, "SESSION": SESSION, "PUBLIC": PUBLIC}[security],
        "responses": {**_errors(security, *errors), **responses},
        **kwargs,
    }


HELPERS = {
    # name: (row schema, one row as an example, description)
    "states": (obj({"code": text(), "name": text()}), {"code": "NG-LA", "name": "Lagos"}, "Nigerian states."),
    "lgas": (
        obj({"code": text(), "name": text(), "state": text("State code.")}),
        {"code": "NG-LA-IKJ", "name": "Ikeja", "state": "NG-LA"},
        "Local government areas; `?state=NG-LA` for one state's.",
    ),
    "countries": (
        obj({"code": text("ISO alpha-2."), "alpha3": text(), "name": text()}),
        {"code": "NG", "alpha3": "NGA", "name": "Nigeria"},
        "Countries (ISO 3166).",
    ),
    "currencies": (
        obj({"code": text(), "name": text(), "symbol": text(), "decimalDigits": integer()}),
        {"code": "NGN", "name": "Nigerian Naira", "symbol": "₦", "decimalDigits": 2},
        "Currencies (ISO 4217).",
    ),
    "invoice-types": (obj({"code": text(), "name": text()}), {"code": "381", "name": "Credit Note"}, "Type codes."),
    "tax-categories": (
        obj({"code": text(), "name": text(), "defaultRate": nullable(text("Percentage."))}),
        {"code": "STANDARD_VAT", "name": "Standard Value-Added Tax", "defaultRate": "7.50"},
        "Tax categories for `tax_scheme` / `taxScheme`.",
    ),
    "payment-means": (obj({"code": text(), "name": text()}), {"code": "10", "name": "Cash"}, "Payment means codes."),
    "quantity-units": (obj({"code": text(), "name": text()}), {"code": "KGM", "name": "kilogram"}, "Units of measure."),
    "hs-codes": (
        obj({"code": text(), "description": text()}),
        {"code": "8517.11", "description": "Line telephone sets with cordless handsets"},
        "HS codes for goods (`hsn_code`).",
    ),
    "service-codes": (
        obj({"code": text(), "description": text(), "section": text()}),
        {"code": "6201", "description": "Computer programming activities", "section": "J"},
        "ISIC service codes for services (`isic_code`).",
    ),
}

CREATE_DESCRIPTION = """
Accepts a Flowpoint invoice request shape — not raw NRS JSON. The `customer` object is the buyer; the supplier
(seller) is always your organisation, derived from your business profile and primary location — never send
`business_id` or `accounting_supplier_party`.

- **B2B / B2G** need `customer.tin`, `email`, `address`, `city` and `postal_code` (else 400
  `CUSTOMER_VALIDATION_FAILED`); B2G is also inferred from a buyer TIN saved as a government customer.
- **B2C** needs only `customer.name`.
- An incomplete supplier profile is 400 `SUPPLIER_VALIDATION_FAILED` (see `GET /api/v1/tenant/readiness`).

Answers **202** `PENDING` when queued for NRS, or **201** `BLOCKED:<REASON>` when saved but held (review,
approval, checklist). Limited to 60 requests/minute per business. Send an `Idempotency-Key` to retry safely.
"""

CUSTOMER_EXAMPLE = {
    "customerKind": "B2B",
    "name": "Acme Ltd",
    "tin": "12345678-0001",
    "email": "ap@acme.ng",
    "phone": "+2348012345678",
    "address": "42 Marina Road",
    "city": "Lagos",
    "postalCode": "101001",
    "state": "NG-LA",
    "lga": "NG-LA-IKJ",
    "country": "NG",
}
ITEM_EXAMPLE = {
    "name": "Consulting services",
    "unitPriceKobo": 5000000,
    "taxScheme": "STANDARD_VAT",
    "taxRate": 7.5,
    "serviceCode": "6201",
}
API_KEY_CREATED_EXAMPLE = {
    "id": 7,
    "name": "ERP",
    "prefix": "fp_test_Ab12Cd34",
    "status": "active",
    "createdAt": "2026-04-25T09:30:00Z",
    "expiresAt": None,
    "revokedAt": None,
    "lastUsedAt": None,
    "key": "fp_test_Ab12Cd34…",
}
WEBHOOK_INPUT_EXAMPLE = {
    "url": "https://erp.example.ng/flowpoint/events",
    "events": ["invoice.certified", "invoice.failed"],
    "secret": "whsec_…",
}
VERIFY_EXAMPLE = {
    "valid": True,
    "irn": IRN_EXAMPLE,
    "documentNumber": "INV-2026-001",
    "invoiceType": "invoice",
    "issueDate": "2026-04-25",
    "status": "CERTIFIED",
    "supplier": {"name": "Flowpoint Demo Ltd", "tin": "23456789-0001"},
    "payableAmount": "53750.00",
    "currency": "NGN",
    "certifiedAt": "2026-04-25T09:31:12Z",
}
HELD_EXAMPLE = {
    "status": "BLOCKED:PENDING_REVIEW",
    "reason": "BLOCKED_PENDING_REVIEW",
    "detail": "Invoices above ₦1,000,000.00 are reviewed before submission.",
    "invoiceId": INVOICE_ID_EXAMPLE,
    "irn": IRN_EXAMPLE,
}
PAID_EXAMPLE = {"paymentStatus": "PAID", "nrsPaymentStatus": "PAID", "amountPaid": "53750.00", "paymentReported": True}
NRS_REFUSED_EXAMPLE = {
    "error": "NRS did not accept the payment update; nothing was changed. Try again.",
    "reason": "SUBMISSION_ERROR",
    "nrsError": "invoice not found",
    "paymentReported": False,
}
CUSTOMER_INVALID_EXAMPLE = {
    "error": "B2B invoices need the buyer's TIN, e-mail, address, city and postal code.",
    "reason": "CUSTOMER_VALIDATION_FAILED",
    "fields": {"customer.tin": "required", "customer.postal_code": "required"},
}
SUPPLIER_INVALID_EXAMPLE = {
    "error": "Your business profile is incomplete for NRS.",
    "reason": "SUPPLIER_VALIDATION_FAILED",
    "detail": "Missing: TIN, primary location.",
}
BAD_SHAPE_EXAMPLE = {
    "error": "Some fields are missing or have the wrong type; see fields.",
    "reason": "incomplete_unpatchable",
    "fields": {"issue_date": "required (YYYY-MM-DD)", "lines": "at least one line is required"},
}
NUMBER_TAKEN_EXAMPLE = {
    "error": "Invoice number INV-2026-001 is already used by a certified invoice (certified). Pick a different number.",
    "reason": "DOCUMENT_NUMBER_CONFLICT_INVOICE",
    "fields": {"document_number": "already used"},
}
KEY_REUSED_EXAMPLE = {
    "error": "This Idempotency-Key was used with a different request body. Use a new key.",
    "reason": "IDEMPOTENCY_CONFLICT",
}
BAD_Q_EXAMPLE = ("Bad q", {"error": "q is required: 2 to 100 characters."})


@functools.cache
def _operations() -> dict[str, dict[str, dict]]:
    """URL name → HTTP method → extend_schema(...) arguments."""
    from drf_spectacular.types import OpenApiTypes
    from drf_spectacular.utils import OpenApiParameter

    from tenants import serializers as s

    invoice_id = _path("id", "uuid", "The invoice's invoiceId (UUID).")
    draft_id = _path("id", "uuid", "The draft's invoiceId (UUID).")
    irn = _path("irn", "str", f"Invoice Reference Number, e.g. {IRN_EXAMPLE}.")
    checked_irn = OpenApiParameter(  # the verify route's format check, stated (a malformed IRN is its 400)
        "irn",
        text(pattern=r"^[A-Za-z0-9]{1,50}-[A-Z0-9]{8}-[0-9]{8}(\.[0-9]{1,12})?$"),
        OpenApiParameter.PATH,
        description=f"Invoice Reference Number, e.g. {IRN_EXAMPLE}.",
    )
    pk = _path("id", "int", "Record id.")
    idempotency = _header("Idempotency-Key", text(maxLength=255, examples=["3f9d2c1e-INV-2026-001"]), IDEMPOTENCY_KEY)
    replayed = _header("Idempotency-Replayed", text(enum=["true"]), IDEMPOTENCY_REPLAYED, [200, 201, 202])
    b2b, b2c, b2g = _examples(
        ("B2B", SPEC_B2B_REQUEST), ("B2C", SPEC_B2C_REQUEST), ("B2G", B2G_REQUEST), request_only=True
    )
    b2b.summary = "Full request — B2B (Business-to-Business)"
    b2b.description = (
        "The spec's example as published. The supplier is autofilled from your account: never send business_id or "
        "accounting_supplier_party. (The published page shows customer.email as `[email protected]`: send the "
        "buyer's real address.)"
    )
    b2c.summary = "Full request — B2C (Business-to-Consumer)"
    b2c.description = (
        "Only customer.name is required; buyer TIN, email and address are not required for B2C retail invoices. "
        "B2C invoices typically reach REPORTED when certified."
    )
    b2g.summary = "B2G (Business-to-Government): the B2B body with invoice_kind B2G"
    b2g.description = "Same buyer requirements as B2B. (Here with a buyer e-mail that passes validation.)"

    queued = _response(
        ref("InvoiceQueued"),
        "PENDING: accepted for NRS processing.",
        ("Queued", {"status": "PENDING", "invoiceId": INVOICE_ID_EXAMPLE, "irn": IRN_EXAMPLE}),
    )
    held = _response(
        ref("InvoiceHeld"),
        "`BLOCKED:<REASON>`: saved but not submitted to NRS (review, approval, or validation).",
        ("Held for review", HELD_EXAMPLE),
    )
    invoice_400 = _error(
        "Validation failed (see `reason` and `fields`), or the supplier profile is incomplete.",
        ("CUSTOMER_VALIDATION_FAILED", CUSTOMER_INVALID_EXAMPLE),
        ("SUPPLIER_VALIDATION_FAILED", SUPPLIER_INVALID_EXAMPLE),
        ("incomplete_unpatchable", BAD_SHAPE_EXAMPLE),
    )
    invoice_409 = _error(
        "The document number is already used (DOCUMENT_NUMBER_CONFLICT_INVOICE), or the Idempotency-Key was used "
        "with another body (IDEMPOTENCY_CONFLICT).",
        ("DOCUMENT_NUMBER_CONFLICT_INVOICE", NUMBER_TAKEN_EXAMPLE),
        ("IDEMPOTENCY_CONFLICT", KEY_REUSED_EXAMPLE),
    )
    detail_200 = _response(ref("InvoiceDetail"), "The invoice.")
    summary_200 = _response(ref("InvoiceSummary"), "The invoice's status.", ("Certified", INVOICE_SUMMARY_EXAMPLE))
    file_body = obj({"file": text(format="binary")}, required=["file"])
    csv_body = {
        "multipart/form-data": file_body,
        "text/csv": {"type": "string", "description": "The CSV itself."},
        "application/octet-stream": text("The CSV file's bytes (UTF-8), as generated clients send.", format="binary"),
    }
    master = ["Customers & Items"]
    tenant = {"tags": ["Tenant settings"], "security": "SESSION"}
    hooks = {"tags": ["Webhook subscriptions"], "security": "SESSION"}

    table = {
        # --- invoices ---
        "api_invoice_create": {
            "POST": op(
                "Create and queue an invoice for NRS",
                operation_id="createInvoice",
                tags=["Invoices"],
                description=CREATE_DESCRIPTION,
                request=_json(ref("InvoiceRequest")),
                parameters=[idempotency, replayed],
                examples=[b2b, b2c, b2g],
                responses={202: queued, 201: held, 400: invoice_400, 409: invoice_409},
                errors=(413, 415, 500),
            )
        },
        "api_invoice_list": {
            "GET": op(
                "List certified invoices",
                operation_id="listInvoices",
                tags=["Invoices"],
                description="Certified (and B2C reported) invoices only, newest issue date first. Drafts are at "
                "GET /api/v1/invoices/drafts; any invoice by its id.",
                parameters=[
                    *_paging(500),
                    _query("from", DATE, "Issued on or after (YYYY-MM-DD)."),
                    _query("to", DATE, "Issued on or before (YYYY-MM-DD)."),
                    _query("invoice_kind", KIND, "B2B, B2C or B2G."),
                    _query("customer_tin", text(pattern=NO_NUL), "Buyer TIN, exact."),
                    _query("payment_status", PAYMENT_STATUS, "PAID, PARTIAL or UNPAID."),
                    _query("q", text(maxLength=100, pattern=NO_NUL), "Search document number, IRN or buyer name."),
                ],
                responses={
                    200: _response(
                        page_of(ref("InvoiceSummary")),
                        "A page of certified invoices.",
                        ("Page", {"items": [INVOICE_SUMMARY_EXAMPLE], "total": 142, "limit": 50, "offset": 0}),
                    )
                },
                errors=(400,),
            )
        },
        "api_invoice_detail": {
            "GET": op(
                "Get an invoice",
                operation_id="getInvoice",
                tags=["Invoices"],
                description="Full invoice with lifecycle status, NRS attempts summary and links (PDF once certified). "
                "Poll it after create until CERTIFIED / REPORTED or FAILED.",
                parameters=[invoice_id],
                responses={200: detail_200},
                errors=(404,),
            )
        },
        "api_invoice_status": {
            "GET": op(
                "Poll an invoice's status by IRN",
                operation_id="getInvoiceStatus",
                tags=["Invoices"],
                description="The light status poll. FAILED and held invoices carry `reason` and `detail`.",
                parameters=[irn],
                responses={200: summary_200},
                errors=(404,),
            )
        },
        "api_invoice_retry": {
            "POST": op(
                "Retry a failed (or released held) invoice",
                operation_id="retryInvoice",
                tags=["Invoices"],
                description="FAILED → queued for NRS again (202 PENDING). A BLOCKED invoice is re-checked and "
                "released the same way once its checklist passes. Anything else is 400: `NOT_RETRYABLE`, the hold's "
                "`BLOCKED_PENDING_REVIEW` / `BLOCKED_PENDING_APPROVAL` (complete it in the portal), or "
                "`BLOCKED_CHECKLIST_FAILED` with what still fails in `detail`.",
                request=None,
                parameters=[invoice_id],
                responses={
                    202: queued,
                    400: _error(
                        "Not retryable now: see `reason` and `detail`.",
                        ("NOT_RETRYABLE", {"error": "Only failed invoices can be retried.", "reason": "NOT_RETRYABLE"}),
                        (
                            "BLOCKED_PENDING_APPROVAL",
                            {
                                "error": "The invoice is held for review or approval; complete it in the portal.",
                                "reason": "BLOCKED_PENDING_APPROVAL",
                                "detail": "Invoices above ₦5,000,000.00 need an approver.",
                            },
                        ),
                    ),
                },
                errors=(404, 500),
            )
        },
        "api_invoice_payment": {
            "PATCH": op(
                "Report a payment to NRS",
                operation_id="updateInvoicePayment",
                tags=["Invoices"],
                description="Sends the payment state to NRS; the local state changes only once NRS accepts it. "
                "Only certified invoices (B2C: reported) with an IRN are eligible (400 `NOT_ELIGIBLE`). "
                "When NRS fails: **502** with `nrsError`, and `paymentReported` stays false.",
                request=_json(ref("PaymentRequest")),
                parameters=[invoice_id],
                examples=_examples(
                    ("Paid in full", {"paymentStatus": "PAID", "reference": "TRF-88213"}),
                    ("Part payment", {"paymentStatus": "PARTIAL", "amountPaid": "20000.00", "reference": "TRF-88214"}),
                    request_only=True,
                ),
                responses={
                    200: _response(ref("PaymentResult"), "NRS accepted the payment state.", ("Paid", PAID_EXAMPLE)),
                    400: _error(
                        "NOT_ELIGIBLE, or a bad paymentStatus / amountPaid (incomplete_unpatchable).",
                        (
                            "NOT_ELIGIBLE",
                            {
                                "error": "Payments can be reported only for invoices NRS has certified (or, for B2C, "
                                "reported) with an IRN.",
                                "reason": "NOT_ELIGIBLE",
                            },
                        ),
                    ),
                    502: _response(
                        ref("PaymentError"),
                        "NRS payment confirm/update failed: read nrsError; fix and retry.",
                        ("NRS refused", NRS_REFUSED_EXAMPLE),
                    ),
                },
                errors=(404, 413, 415),
            )
        },
        "api_invoice_reconcile": {
            "POST": op(
                "Reconcile with NRS",
                operation_id="reconcileInvoice",
                tags=["Invoices"],
                description="Asks NRS (`confirm/{irn}`) and aligns the local state: a signature NRS has that Flowpoint "
                "missed is completed; the payment state is synced. Before certification: 400 `NOT_SIGNED`.",
                request=None,
                parameters=[invoice_id],
                responses={
                    200: summary_200,
                    400: _error(
                        "Not yet certified.",
                        ("NOT_SIGNED", {"error": "The invoice is not signed yet.", "reason": "NOT_SIGNED"}),
                    ),
                },
                errors=(404, 502),
            )
        },
        "api_invoice_pdf": {
            "GET": op(
                "Download the invoice PDF",
                operation_id="getInvoicePdf",
                tags=["Invoices"],
                description="The invoice PDF with its NRS QR code; it exists once the invoice is certified "
                "(else 404 `NOT_SIGNED`).",
                parameters=[invoice_id],
                responses={
                    (200, "application/pdf"): _response(OpenApiTypes.BINARY, "The PDF."),
                    # The same bytes with Accept: application/octet-stream (what generated clients read as a file).
                    (200, "application/octet-stream"): _response(OpenApiTypes.BINARY, "The PDF."),
                },
                errors=(404,),
            )
        },
        "api_invoice_verify": {
            "GET": op(
                "Verify an IRN (public)",
                operation_id="verifyIrn",
                tags=["Public Endpoints"],
                security="PUBLIC",
                description="No authentication. Is this IRN a certified invoice of a Flowpoint business? "
                "200 `valid: true` with a summary; 400 malformed IRN; 404 not found.",
                parameters=[checked_irn],
                responses={
                    200: _response(ref("VerifyResult"), "IRN exists and is certified.", ("Valid", VERIFY_EXAMPLE)),
                    400: _response(
                        ref("VerifyFailure"),
                        "IRN string failed the format check.",
                        ("Malformed", {"valid": False, "reason": "malformed IRN"}),
                    ),
                    404: _response(
                        ref("VerifyFailure"),
                        "No matching certified invoice.",
                        ("Not found", {"valid": False, "reason": "IRN not found"}),
                    ),
                },
            )
        },
        # --- drafts ---
        "api_drafts": {
            "GET": op(
                "List drafts",
                operation_id="listDrafts",
                tags=["Drafts"],
                parameters=_paging(500),
                responses={200: _response(page_of(ref("InvoiceSummary")), "A page of drafts.")},
                errors=(400,),
            ),
            "POST": op(
                "Save a draft",
                operation_id="createDraft",
                tags=["Drafts"],
                description="Same body as POST /api/v1/invoices/create, checked the same way, but nothing is sent to "
                "NRS. Submit it later with POST /api/v1/invoices/drafts/{id}/submit.",
                request=_json(ref("InvoiceRequest")),
                parameters=[idempotency, replayed],
                examples=[b2b, b2c],
                responses={
                    201: _response(ref("InvoiceDetail"), "The saved draft (status DRAFT)."),
                    400: invoice_400,
                    409: invoice_409,
                },
                errors=(413, 415),
            ),
        },
        "api_draft": {
            "GET": op(
                "Get a draft",
                operation_id="getDraft",
                tags=["Drafts"],
                parameters=[draft_id],
                responses={200: _response(ref("InvoiceDetail"), "The draft.")},
                errors=(404,),
            ),
            "PATCH": op(
                "Update a draft",
                operation_id="updateDraft",
                tags=["Drafts"],
                description="Send only what changes; `customer` is merged field by field. Buyer fields are "
                "re-validated (400 `CUSTOMER_VALIDATION_FAILED`); a draft that is no longer editable is 409.",
                request=_json(ref("DraftPatch")),
                parameters=[draft_id],
                examples=_examples(
                    ("Complete the buyer", {"customer": {"postal_code": "101001", "city": "Lagos"}}), request_only=True
                ),
                responses={
                    200: _response(ref("InvoiceDetail"), "The updated draft."),
                    400: invoice_400,
                    409: _error("NOT_EDITABLE: no longer a draft."),
                },
                errors=(404, 413, 415),
            ),
            "DELETE": op(
                "Delete a draft",
                operation_id="deleteDraft",
                tags=["Drafts"],
                parameters=[draft_id],
                responses={204: _response(None, "Deleted."), 409: _error("NOT_EDITABLE: no longer a draft.")},
                errors=(404,),
            ),
        },
        "api_draft_submit": {
            "POST": op(
                "Submit a draft to NRS",
                operation_id="submitDraft",
                tags=["Drafts"],
                description="Same outcomes as POST /api/v1/invoices/create: 202 PENDING or 201 `BLOCKED:<REASON>`. "
                "Counts towards the 60/minute create limit.",
                request=None,
                parameters=[draft_id],
                responses={202: queued, 201: held, 400: invoice_400, 409: invoice_409},
                errors=(404, 500),
            )
        },
        # --- CSV batches (invoicing/api/batches.py) ---
        "api_batch_upload": {
            "POST": op(
                "Upload a CSV of invoices",
                operation_id="uploadInvoiceCsv",
                tags=["CSV batches"],
                description="Uploads the file (multipart field `file`, or the body with Content-Type: text/csv or "
                "application/octet-stream) and "
                "validates it in the background: poll the batch for per-row errors. Nothing is submitted to NRS. "
                "The columns: GET /api/v1/invoices/upload/csv/template. Portal sessions need the clerk or admin role.",
                request=csv_body,
                parameters=[idempotency, replayed],
                responses={
                    202: _response(ref("BatchAccepted"), "Accepted: validation is running (Location: the batch)."),
                    400: _response(ref("BatchRejected"), "The file itself is unusable (CSV_INVALID), or no file."),
                    409: _error(
                        "The Idempotency-Key was used with another file (IDEMPOTENCY_CONFLICT), or that upload is "
                        "still running.",
                        ("IDEMPOTENCY_CONFLICT", KEY_REUSED_EXAMPLE),
                    ),
                },
                errors=(413, 415),
            )
        },
        "api_batch_submit": {
            "POST": op(
                "Submit a CSV batch",
                operation_id="submitInvoiceCsv",
                tags=["CSV batches"],
                description='Submit a validated batch (`{"batchId": …}`: its valid invoices are created and queued '
                "for NRS), or send the file itself to validate and submit it in one step. Limited to 5 "
                "requests/minute per business.",
                request={"application/json": obj({"batchId": UUID}, required=["batchId"]), **csv_body},
                parameters=[idempotency, replayed],
                responses={
                    202: _response(
                        {"oneOf": [ref("Batch"), ref("BatchAccepted")]},
                        "Submitted (the batch), or a file accepted for validation then submission.",
                    ),
                    400: _error(
                        "CSV_INVALID, NO_VALID_INVOICES, SUPPLIER_VALIDATION_FAILED, or no batchId / file.",
                        (
                            "NO_VALID_INVOICES",
                            {
                                "error": "No invoice of this file is valid: there is nothing to submit.",
                                "reason": "NO_VALID_INVOICES",
                                "fields": {"batchId": "no valid invoices"},
                            },
                        ),
                    ),
                    409: _error(
                        "BATCH_ALREADY_SUBMITTED, or an Idempotency-Key reused with another body.",
                        (
                            "BATCH_ALREADY_SUBMITTED",
                            {
                                "error": "This batch has already been submitted.",
                                "reason": "BATCH_ALREADY_SUBMITTED",
                                "fields": {"batchId": "submitted"},
                            },
                        ),
                    ),
                },
                errors=(404, 413, 415),
            )
        },
        "api_batch": {
            "GET": op(
                "Get a CSV batch",
                operation_id="getInvoiceBatch",
                tags=["CSV batches"],
                description="Progress, per-invoice outcome and per-row errors. `limit` / `offset` page the invoices.",
                parameters=[_path("id", "uuid", "The batchId."), *_paging(500)],
                responses={200: _response(ref("Batch"), "The batch.")},
                errors=(400, 404),
            )
        },
        "api_batch_template": {
            "GET": op(
                "Download the CSV template",
                operation_id="getInvoiceCsvTemplate",
                tags=["CSV batches"],
                description="The header row and two example invoices. Rows sharing a document_number are one "
                "invoice (one line per row).",
                responses={
                    (200, "text/csv"): _response({"type": "string"}, "The template (an attachment)."),
                    404: _error("`format` is neither csv nor json.", ("Unknown format", {"error": "Not found."})),
                },
            )
        },
        # --- customers and items ---
        "api_customers": {
            "GET": op(
                "List customers",
                operation_id="listCustomers",
                tags=master,
                parameters=[
                    *_paging(200),
                    _query("q", text(maxLength=100, pattern=NO_NUL), "Optional: name, TIN or e-mail contains."),
                ],
                responses={200: _response(page_of(ref("Customer")), "A page of customers.")},
                errors=(400,),
            ),
            "POST": op(
                "Create a customer",
                operation_id="createCustomer",
                tags=master,
                description="A repeat B2B or B2G buyer. Errors carry `code` (master-data codes).",
                request=_json(ref("CustomerInput")),
                parameters=[idempotency, replayed],
                examples=_examples(("B2B customer", CUSTOMER_EXAMPLE), request_only=True),
                responses={
                    201: _response(ref("Customer"), "Created."),
                    400: _error(
                        "missing_field, invalid_tin, invalid_email, invalid_phone, invalid_state, invalid_lga, "
                        "invalid_kind.",
                        (
                            "invalid_tin",
                            {
                                "error": "Enter a TIN of at least 5 characters, such as 12345678-0001.",
                                "code": "invalid_tin",
                                "fields": {"tin": "Enter a TIN of at least 5 characters."},
                            },
                        ),
                    ),
                    409: _error(
                        "tin_exists, or an Idempotency-Key reused with another body.",
                        ("tin_exists", {"error": "A customer with this TIN already exists.", "code": "tin_exists"}),
                    ),
                },
                errors=(413, 415, 500),
            ),
        },
        "api_customers_search": {
            "GET": op(
                "Search customers (typeahead)",
                operation_id="searchCustomers",
                tags=master,
                parameters=[
                    _query(
                        "q",
                        text(minLength=2, maxLength=100, pattern=SEARCH_TEXT),
                        "Name, TIN or e-mail; 2–100 characters.",
                        True,
                    )
                ],
                responses={
                    200: _response(found_of(ref("Customer")), "Up to 20 matches."),
                    400: _error("q missing or out of range.", BAD_Q_EXAMPLE),
                },
            )
        },
        "api_items": {
            "GET": op(
                "List items",
                operation_id="listItems",
                tags=master,
                parameters=[
                    *_paging(200),
                    _query("q", text(maxLength=100, pattern=NO_NUL), "Optional: name or code contains."),
                ],
                responses={200: _response(page_of(ref("Item")), "A page of items.")},
                errors=(400,),
            ),
            "POST": op(
                "Create an item",
                operation_id="createItem",
                tags=master,
                description="A catalogue item; prices in kobo. Errors carry `code` (master-data codes).",
                request=_json(ref("ItemInput")),
                parameters=[idempotency, replayed],
                examples=_examples(("Service item", ITEM_EXAMPLE), request_only=True),
                responses={
                    201: _response(ref("Item"), "Created."),
                    400: _error(
                        "missing_field, invalid_price, invalid_cost, invalid_tax_scheme.",
                        (
                            "invalid_price",
                            {
                                "error": "Enter the unit price (in kobo: ₦1,500.00 is 150000); it must be above zero.",
                                "code": "invalid_price",
                                "fields": {"unitPriceKobo": "Enter the unit price; it must be above zero."},
                            },
                        ),
                    ),
                    409: _error(
                        "item_exists, or an Idempotency-Key reused with another body.",
                        ("item_exists", {"error": "An item with this name already exists.", "code": "item_exists"}),
                    ),
                },
                errors=(413, 415, 500),
            ),
        },
        "api_items_search": {
            "GET": op(
                "Search items (typeahead)",
                operation_id="searchItems",
                tags=master,
                parameters=[
                    _query(
                        "q",
                        text(minLength=2, maxLength=100, pattern=SEARCH_TEXT),
                        "Name or code; 2–100 characters.",
                        True,
                    )
                ],
                responses={
                    200: _response(found_of(ref("Item")), "Up to 20 matches."),
                    400: _error("q missing or out of range.", BAD_Q_EXAMPLE),
                },
            )
        },
        # --- admin: auth ---
        "api_auth_login": {
            "POST": op(
                "Sign in (portal session)",
                operation_id="login",
                tags=["Auth"],
                security="PUBLIC",
                description="Starts a portal session (cookie) for API-driven admin work. Limited to 10 requests/"
                "minute per IP; repeated failures for one e-mail are slowed down (429 with Retry-After).",
                request=_json(s.LoginSerializer),
                responses={
                    200: _response(ref("Me"), "Signed in: who you are, your business and role, and a CSRF token."),
                    400: _error(
                        "Wrong e-mail or password, or missing fields.",
                        ("Wrong password", {"error": "That e-mail and password do not match an account."}),
                    ),
                },
                errors=(413, 415),
            )
        },
        "api_auth_logout": {
            "POST": op(
                "Sign out",
                operation_id="logout",
                tags=["Auth"],
                security="PUBLIC",  # it answers 204 with or without a session: no authentication is required
                request=None,
                responses={
                    204: _response(None, "Signed out (also when no one was signed in)."),
                    403: _error(
                        "A portal session sent without its X-CSRFToken header.",
                        ("CSRF", {"error": "CSRF Failed: CSRF token missing."}),
                    ),
                },
            )
        },
        "api_auth_me": {
            "GET": op(
                "Who am I",
                operation_id="me",
                tags=["Auth"],
                security="SESSION",
                description="The signed-in user, business, role and a CSRF token. An API key gets 403.",
                responses={200: _response(ref("Me"), "The session's user.")},
            )
        },
        # --- admin: tenant ---
        "api_tenant_profile": {
            "GET": op(
                "Get the business profile",
                operation_id="getTenantProfile",
                **tenant,
                responses={200: _response(ref("Profile"), "The business profile.")},
            ),
            "PATCH": op(
                "Update the business profile",
                operation_id="updateTenantProfile",
                **tenant,
                description="The supplier data NRS gets: legal name, TIN, e-mail, telephone, description, NRS "
                "business ID and service ID, environment. Send only what changes.",
                request=_json(s.ProfileSerializer),
                responses={200: _response(ref("Profile"), "The updated profile.")},
                errors=(400, 413, 415),
            ),
        },
        "api_tenant_nrs_credentials": {
            "GET": op(
                "NRS credentials status",
                operation_id="getNrsCredentials",
                **tenant,
                responses={200: _response(ref("NrsCredentialsStatus"), "Whether they are set.")},
            ),
            "PUT": op(
                "Set the NRS API key and secret",
                operation_id="setNrsCredentials",
                **tenant,
                description="Write-only: stored encrypted, never echoed.",
                request=_json(s.NrsCredentialsSerializer),
                responses={200: _response(ref("NrsCredentialsStatus"), "Saved.")},
                errors=(400, 413, 415),
            ),
        },
        "api_tenant_locations": {
            "GET": op(
                "List locations",
                operation_id="listLocations",
                **tenant,
                parameters=_paging(200),
                responses={200: _response(page_of(ref("Location")), "Primary first.")},
                errors=(400,),
            ),
            "POST": op(
                "Add a location",
                operation_id="createLocation",
                **tenant,
                description="The primary location is the supplier's postal address on every invoice (one primary).",
                request=_json(s.LocationSerializer),
                responses={201: _response(ref("Location"), "Created.")},
                errors=(400, 413, 415),
            ),
        },
        "api_tenant_location": {
            "GET": op(
                "Get a location",
                operation_id="getLocation",
                **tenant,
                parameters=[pk],
                responses={200: _response(ref("Location"), "The location.")},
                errors=(404,),
            ),
            "PATCH": op(
                "Update a location",
                operation_id="updateLocation",
                **tenant,
                request=_json(s.LocationSerializer),
                parameters=[pk],
                responses={200: _response(ref("Location"), "Updated.")},
                errors=(400, 404, 413, 415),
            ),
            "DELETE": op(
                "Delete a location",
                operation_id="deleteLocation",
                **tenant,
                parameters=[pk],
                responses={204: _response(None, "Deleted.")},
                errors=(404,),
            ),
        },
        "api_tenant_crypto_keys": {
            "GET": op(
                "List crypto keys",
                operation_id="listCryptoKeys",
                **tenant,
                parameters=_paging(200),
                responses={200: _response(page_of(ref("CryptoKey")), "Uploaded keys.")},
                errors=(400,),
            ),
            "POST": op(
                "Upload the NRS crypto-key file",
                operation_id="uploadCryptoKey",
                **tenant,
                description="The crypto_keys.txt file from the NRS portal: as multipart field `file`, or its text as "
                "JSON `keyFile`. Stored encrypted; the new key becomes the active one.",
                request={
                    "multipart/form-data": file_body,
                    "application/json": obj({"keyFile": text("The file's text.")}, required=["keyFile"]),
                },
                responses={201: _response(ref("CryptoKey"), "Uploaded.")},
                errors=(400, 413, 415),
            ),
        },
        "api_tenant_crypto_key": {
            "DELETE": op(
                "Delete a crypto key",
                operation_id="deleteCryptoKey",
                **tenant,
                parameters=[pk],
                responses={204: _response(None, "Deleted.")},
                errors=(404,),
            )
        },
        "api_tenant_api_keys": {
            "GET": op(
                "List API keys",
                operation_id="listApiKeys",
                **tenant,
                parameters=_paging(200),
                responses={200: _response(page_of(ref("ApiKey")), "The business's keys.")},
                errors=(400,),
            ),
            "POST": op(
                "Create an API key",
                operation_id="createApiKey",
                **tenant,
                description="The plaintext `key` is in this answer only; it is stored as a hash.",
                request=_json(s.ApiKeyCreateSerializer),
                responses={
                    201: _response(
                        ref("ApiKeyCreated"), "Created: copy the key now.", ("Created", API_KEY_CREATED_EXAMPLE)
                    )
                },
                errors=(400, 413, 415),
            ),
        },
        "api_tenant_api_key": {
            "DELETE": op(
                "Revoke an API key",
                operation_id="revokeApiKey",
                **tenant,
                description="Requests with a revoked key get 401 from then on. Answers the revoked key.",
                parameters=[pk],
                responses={200: _response(ref("ApiKey"), "Revoked.")},
                errors=(404,),
            )
        },
        "api_tenant_readiness": {
            "GET": op(
                "NRS readiness",
                operation_id="getReadiness",
                **tenant,
                description="What is still missing before NRS submission can succeed, with the code a submission "
                "would fail with and where to fix it.",
                responses={200: _response(ref("Readiness"), "The checklist.")},
            )
        },
        # --- admin: webhook subscriptions (integrations/webhooks/api.py) ---
        "api_webhooks": {
            "GET": op(
                "List webhook endpoints",
                operation_id="listWebhooks",
                **hooks,
                parameters=_paging(200),
                responses={200: _response(page_of(ref("WebhookSubscription")), "Endpoints (at most one).")},
                errors=(400,),
            ),
            "POST": op(
                "Register a webhook endpoint",
                operation_id="createWebhook",
                **hooks,
                description="One callback URL per business, subscribed to one or more events; a signing secret is "
                "required.",
                request=_json(ref("WebhookSubscriptionInput")),
                parameters=[idempotency, replayed],
                examples=_examples(("Certified and failed", WEBHOOK_INPUT_EXAMPLE), request_only=True),
                responses={201: _response(ref("WebhookSubscription"), "Registered.")},
                errors=(400, 409, 413, 415),
            ),
        },
        "api_webhook": {
            "GET": op(
                "Get a webhook endpoint",
                operation_id="getWebhook",
                **hooks,
                parameters=[pk],
                responses={200: _response(ref("WebhookSubscription"), "The endpoint.")},
                errors=(404,),
            ),
            "PATCH": op(
                "Update a webhook endpoint",
                operation_id="updateWebhook",
                **hooks,
                description='Change events, URL or secret; `{"active": true}` re-enables an endpoint paused after '
                "5 failed attempts.",
                request=_json(ref("WebhookSubscriptionPatch")),
                parameters=[pk],
                examples=_examples(("Re-enable", {"active": True}), request_only=True),
                responses={200: _response(ref("WebhookSubscription"), "Updated.")},
                errors=(400, 404, 413, 415),
            ),
            "DELETE": op(
                "Delete a webhook endpoint",
                operation_id="deleteWebhook",
                **hooks,
                parameters=[pk],
                responses={204: _response(None, "Deleted.")},
                errors=(404,),
            ),
        },
        "api_webhook_deliveries": {
            "GET": op(
                "List deliveries of a webhook endpoint",
                operation_id="listWebhookDeliveries",
                **hooks,
                parameters=[
                    pk,
                    *_paging(200),
                    _query("state", text(enum=["pending", "sending", "succeeded", "failed", "held"]), "Only these."),
                ],
                responses={200: _response(page_of(ref("WebhookDelivery")), "Deliveries, newest first.")},
                errors=(400, 404),
            )
        },
        "api_webhook_redeliver": {
            "POST": op(
                "Redeliver an event",
                operation_id="redeliverWebhook",
                **hooks,
                request=None,
                parameters=[pk, _path("delivery_id", "int", "The delivery to send again.")],
                responses={202: _response(ref("WebhookDelivery"), "Queued again.")},
                errors=(400, 404),
            )
        },
    }

    titles = {"lgas": "LGAs", "hs-codes": "HS codes"}
    for name, (row, example, description) in HELPERS.items():
        parameters = [*_paging(1000), _query("q", text(maxLength=100, pattern=NO_NUL), "Search by name or code.")]
        if name == "lgas":
            parameters.append(
                _query("state", text(pattern=NO_NUL), "Only this state's LGAs (an NRS state code such as NG-LA).")
            )
        table[f"api_helper_{name}"] = {
            "GET": op(
                titles.get(name, name.replace("-", " ").capitalize()),
                operation_id="helper" + "".join(part.title() for part in name.split("-")),
                tags=["Helpers"],
                description=f"{description} Reference data; cacheable (Cache-Control: private, max-age=3600).",
                parameters=parameters,
                responses={
                    200: _response(
                        page_of(row),
                        f"A page of {name} (50 by default; `limit` up to 1000).",
                        ("Page", {"items": [example], "total": 1, "limit": 50, "offset": 0}),
                    )
                },
                errors=(400,),
            )
        }
    return table


# Routes other developers are still writing may land under other names: matched by route as well.
ROUTE_ALIASES = {
    "invoices/upload/csv": "api_batch_upload",
    "invoices/upload/csv/submit": "api_batch_submit",
    "invoices/upload/csv/template": "api_batch_template",
    "invoices/batches/{}": "api_batch",
    "integrations/webhooks": "api_webhooks",
    "integrations/webhooks/{}": "api_webhook",
    "integrations/webhooks/{}/deliveries": "api_webhook_deliveries",
    "integrations/webhooks/{}/deliveries/{}/redeliver": "api_webhook_redeliver",
}
ANNOTATED = "_flowpoint_openapi"  # set on annotated callbacks (idempotence, and tests)


def _normalized(route: str) -> str:
    return re.sub(r"<[^>]+>", "{}", route).strip("/").removeprefix("api/v1/")


def _register_extensions():
    """Our API key authentication, known to drf-spectacular (for routes the table does not cover)."""
    from drf_spectacular.extensions import OpenApiAuthenticationExtension

    if getattr(_register_extensions, "done", False):
        return

    class FlowpointKeyScheme(OpenApiAuthenticationExtension):
        target_class = "tenants.authentication.ApiKeyAuthentication"
        name = "FlowpointKey"

        def get_security_definition(self, auto_schema):
            return SECURITY_SCHEMES["FlowpointKey"]

    _register_extensions.done = True


def annotate(urlpatterns, _prefix=""):
    """Apply the table to `urlpatterns` (a list, or what include() returns), recursively; returns it unchanged
    otherwise. Safe to call twice."""
    from django.urls import URLPattern, URLResolver
    from drf_spectacular.utils import extend_schema

    _register_extensions()
    if isinstance(urlpatterns, tuple):  # include("app.urls") → (module, app_name, namespace)
        module = urlpatterns[0]
        annotate(getattr(module, "urlpatterns", module), _prefix)
        return urlpatterns
    table = _operations()
    for pattern in urlpatterns:
        if isinstance(pattern, URLResolver):
            annotate(pattern.url_patterns, _prefix + str(pattern.pattern))
            continue
        if not isinstance(pattern, URLPattern):
            continue
        name = pattern.name if pattern.name in table else ROUTE_ALIASES.get(_normalized(_prefix + str(pattern.pattern)))
        callback = pattern.callback
        if name is None or not hasattr(callback, "cls") or getattr(callback, ANNOTATED, None):
            continue
        for method, kwargs in table[name].items():
            callback = extend_schema(methods=[method], **kwargs)(callback)
        setattr(callback, ANNOTATED, name)
        pattern.callback = callback
    return urlpatterns


# --- Hooks (SPECTACULAR_SETTINGS) -------------------------------------------------------------------------

SECURITY_SCHEMES = {
    "FlowpointKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Flowpoint-Key",
        "description": "Your API key (Settings → API Access): fp_test_… for a sandbox business, fp_live_… for a live "
        "one. Missing, unknown, revoked or expired → 401; on admin routes → 403.",
    },
    "cookieAuth": {
        "type": "apiKey",
        "in": "cookie",
        "name": "sessionid",
        "description": "A portal session (POST /api/v1/auth/login or the portal sign-in). Unsafe methods need "
        "X-CSRFToken.",
    },
}


# OpenAPI links: what a create answer leads to, so that clients and stateful testing follow the flow.
_BY_ID = {"id": "$response.body#/invoiceId"}
LINKS = {
    ("/api/v1/invoices/create", "post"): {
        code: {
            "GetInvoiceStatus": {
                "operationId": "getInvoiceStatus",
                "parameters": {"irn": "$response.body#/irn"},
                "description": "Poll the status by the IRN the answer carries.",
            },
            "GetInvoice": {"operationId": "getInvoice", "parameters": _BY_ID, "description": "The full invoice."},
            "GetInvoicePdf": {
                "operationId": "getInvoicePdf",
                "parameters": _BY_ID,
                "description": "The PDF, once certified (404 NOT_SIGNED before).",
            },
        }
        for code in ("201", "202")
    },
}


def preprocess(endpoints):
    """Only the API: the portal's HTML views and the embedded NRS sandbox are not part of it."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


def postprocess(result, generator, request, public):
    """Security schemes, `security: []` on public routes, required bodies, and the headers every response has."""
    from django.conf import settings

    schemes = copy.deepcopy(SECURITY_SCHEMES)
    schemes["cookieAuth"]["name"] = settings.SESSION_COOKIE_NAME
    result.setdefault("components", {})["securitySchemes"] = schemes
    header = {name: {"$ref": f"#/components/headers/{name}"} for name in HEADERS}
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            operation.setdefault("security", [])
            if "requestBody" in operation:
                operation["requestBody"]["required"] = True
            operation["responses"] = dict(sorted(operation.get("responses", {}).items()))  # 2xx first
            for code, links in LINKS.get((path, method), {}).items():
                operation["responses"][code]["links"] = copy.deepcopy(links)
            for code, response in operation["responses"].items():
                headers = response.setdefault("headers", {})
                headers.setdefault("X-Request-Id", header["X-Request-Id"])
                if path.startswith("/api/v1/"):
                    headers.setdefault("RateLimit-Policy", header["RateLimit-Policy"])
                    headers.setdefault("RateLimit", header["RateLimit"])
                if code == "429":
                    headers.setdefault("Retry-After", header["Retry-After"])
    return result


# --- Webhooks: outbound events (SPECTACULAR_SETTINGS["WEBHOOKS"] names these lazily) ----------------------


def _webhook(event: str):
    from drf_spectacular.utils import OpenApiWebhook

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
            "content": {"application/json": {"schema": ref("WebhookEvent"), "example": example}},
        },
        "responses": {
            "2XX": {"description": "Received (any 2xx within 10 seconds; the body is ignored — 204 is fine)."},
            "default": {"description": "Any other status, a timeout or a network error: retried (~5, 10, 20, 40 s)."},
        },
    }
    return OpenApiWebhook(name=event, decorator={"post": operation})


def __getattr__(name):
    for event in WEBHOOK_EVENTS:
        if name == f"WEBHOOK_{event.split('.')[1].upper()}":
            return _webhook(event)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
