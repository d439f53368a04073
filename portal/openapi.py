"""OpenAPI 3.1 for the whole API (drf-spectacular): what every API shares, and the hooks.

Each API declares its own operations and shapes beside its views:
- an operation (summary, parameters, bodies, answers, examples, media types, links): `extend_schema(**operation(…))`
  on the view (invoicing/api/*.py, tenants/api.py, integrations/webhooks/api.py);
- an answer the view renders: a Shape (portal/shapes.py) next to the view, which both renders it and is its
  component (invoicing/api/representations.py, invoicing/api/batches.py, tenants/serializers.py, …);
- a request body: the app's serializer (tenants/serializers.py) or `component()` in its schemas module
  (invoicing/api/schemas.py, integrations/webhooks/api_schemas.py);
- an outbound event: `webhook()` (integrations/webhooks/api_schemas.py).

This module holds only what they share: the JSON Schema builders, the common values (money, dates, the invoice
vocabulary the invoice API and the webhook events both use), the error responses every route of a kind has, the
response headers, the tags, the overview text, the security schemes, and the pre- and post-processing hooks.
Components and webhooks are registered when the apps' API modules are imported, which the URLconf does before
drf-spectacular builds the schema. This module imports no app.

The published reference (shared/spec/000…) is the contract: field names, status codes, machine codes and the
examples are copied from it.

Settings import SPECTACULAR_SETTINGS from here, so importing this module must touch neither DRF nor
drf-spectacular (their settings would be read before ours exist): everything that needs those libraries is
imported on first use.
"""

import copy

from portal.queries import MAX_ID

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
DATE = text(format="date", examples=["2026-04-25"])
TIMESTAMP = nullable(text("ISO 8601, UTC.", format="date-time", examples=["2026-04-25T09:30:00Z"]))
UUID = text(format="uuid")

IRN_EXAMPLE = "INV2026001-94ND90NR-20260425"
RECORD_ID = integer(minimum=1, maximum=MAX_ID)  # a saved record's id: what the database can hold
NO_NUL = r"^[^\u0000]*$"  # text holding NUL (U+0000) is refused everywhere (PostgreSQL cannot store it)
SEARCH_TEXT = r"^\s*[^\s\u0000][^\u0000]*[^\s\u0000]\s*$"  # typeahead q: 2 characters besides the spaces around
# What `\s` is in those patterns: JSON Schema reads them as ECMA-262 regexes, whose white space is narrower than
# Python's str.strip() (which also strips the control characters U+001C–U+001F). Servers strip exactly these.
SCHEMA_SPACES = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
INVOICE_ID_EXAMPLE = "5b0c6f1e-2d7a-4c61-9a0e-3f7b8c1d2e4f"

# --- Components: registered by the app that owns each shape ----------------------------------------------

COMPONENTS: dict[str, dict] = {}  # name → JSON Schema; SPECTACULAR_SETTINGS["APPEND_COMPONENTS"] reads this dict
WEBHOOKS: dict[str, dict] = {}  # outbound event → its POST operation; written out by `postprocess`


def component(name: str, schema: dict) -> dict:
    """Register a component schema under `name` (once: two apps may not claim one name); returns its $ref."""
    if COMPONENTS.setdefault(name, schema) != schema:
        raise ValueError(f"OpenAPI component {name!r} is declared twice, differently")
    return ref(name)


# OpenAPI links from one operation's answers to the next operations (generated clients and stateful testing
# follow them), declared by the API they belong to: operationId → status code → link name → link.
LINKS: dict[str, dict[str, dict]] = {}


def link(operation_id: str, codes, **named: dict) -> None:
    for code in codes:
        LINKS.setdefault(operation_id, {}).setdefault(str(code), {}).update(named)


def webhook(event: str, operation: dict) -> None:
    """Register an outbound webhook (an event Flowpoint POSTs to the integrator's URL)."""
    WEBHOOKS[event] = operation


# Every failed request, on every route (portal/api_errors.py).
ERROR = component(
    "Error",
    obj(
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
)

# /health (portal/views.py), written out below as HEALTH_PATH.
HEALTH = component(
    "Health", obj({"status": text("API health — not invoice status.", enum=["ok", "degraded"])}, required=["status"])
)

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
IDEMPOTENCY_CONFLICT_EXAMPLE = {
    "error": "This Idempotency-Key was used with a different request body. Use a new key.",
    "reason": "IDEMPOTENCY_CONFLICT",
}
FILE_UPLOAD = obj({"file": text(format="binary")}, required=["file"])  # a multipart/form-data body: one file

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
| `/api/v1/invoices…`, `/customers…`, `/items…`, `/purchases…`, `/helpers/…` | `X-Flowpoint-Key` or a portal session |
| `/api/v1/auth/…` | none (login) / portal session |
| `/api/v1/tenant/…`, `/api/v1/integrations/…` | portal **admin** session only: an API key gets **403** |
| `/api/v1/invoices/verify/{irn}`, `/health` | none |

- Send the plaintext key in the `X-Flowpoint-Key` header on every request. Keys are shown once at creation and
  stored only as a hash; `fp_test_…` keys belong to a sandbox business, `fp_live_…` to a live one.
- Revoked or expired keys return **401**. Keys cannot access admin-only settings routes (**403**).
- A key may be read-only (`readOnly`: **403** on every POST, PUT, PATCH and DELETE) and may be limited to IP networks
  (`allowedNetworks`: **403** from any other address).
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
| `GET /api/v1/purchases` | 500 |

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
| 502 | NRS did not take an acknowledgement (`POST /purchases/{irn}/acknowledge`) | Read `nrsError`; retry |
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
        "name": "Purchases",
        "description": "Invoices your suppliers certified with NRS and NRS delivered to your business: list and "
        "read them, acknowledge receipt (NRS tells the supplier), pull now. Webhook event `purchase.received`.",
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
        "name": "Connectors",
        "description": "Invoices brought in from an SFTP folder, QuickBooks Online or Odoo, and their IRNs written "
        "back. A portal admin session only: API keys receive 403.",
    },
    {
        "name": "Invoice Webhook Events",
        "description": "Outbound POSTs from Flowpoint to your callback URL (see the overview for retries and "
        "signature verification).",
    },
]

TAG_GROUPS = [
    {
        "name": "Integrator API",
        "tags": ["Invoices", "Drafts", "CSV batches", "Customers & Items", "Purchases", "Helpers"],
    },
    {"name": "Public", "tags": ["Public Endpoints"]},
    {
        "name": "Admin API (portal session)",
        "tags": ["Auth", "Tenant settings", "Webhook subscriptions", "Connectors"],
    },
    {"name": "Webhooks", "tags": ["Invoice Webhook Events"]},
]
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
    # The same dict the apps register their components into (component()): read when the schema is built.
    "APPEND_COMPONENTS": {"schemas": COMPONENTS, "headers": HEADERS},
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
    403: "A signed-in user who belongs to no business; a read-only API key on a write; an API key used from outside "
    "its allowed networks.",
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


def examples(*pairs, **kwargs):
    """OpenApiExamples from (name, value) pairs."""
    from drf_spectacular.utils import OpenApiExample

    return [OpenApiExample(name, value=value, **kwargs) for name, value in pairs]


def response(schema, description, *named_examples):
    """An OpenApiResponse; `named_examples` are (name, value) pairs."""
    from drf_spectacular.utils import OpenApiResponse

    return OpenApiResponse(response=schema, description=description, examples=examples(*named_examples) or None)


def error(description, *named_examples):
    return response(ref("Error"), description, *named_examples)


def common_errors(security, *codes):
    """The error responses every route of its kind has, plus `codes`, with generic descriptions and examples."""
    result = {}
    for code in sorted({*COMMON_ERRORS[security], *codes}):
        description, example = ERROR_DESCRIPTIONS[code], ERROR_EXAMPLES.get(code)
        if security == "SESSION" and code in ADMIN_ERRORS:
            description, example = ADMIN_ERRORS[code]
        result[code] = error(description, *([example] if example else []))
    return result


def path_parameter(name, kind, description):
    from drf_spectacular.types import OpenApiTypes
    from drf_spectacular.utils import OpenApiParameter

    types = {"uuid": OpenApiTypes.UUID, "int": OpenApiTypes.INT, "str": OpenApiTypes.STR}
    return OpenApiParameter(name, types[kind], OpenApiParameter.PATH, description=description)


def query(name, schema, description, required=False):
    from drf_spectacular.utils import OpenApiParameter

    return OpenApiParameter(name, schema, OpenApiParameter.QUERY, required=required, description=description)


def paging(max_limit, default=50):
    """`limit` and `offset` (portal/api_pagination.py)."""
    return [
        query("limit", integer(minimum=1, maximum=max_limit, default=default), f"Page size, 1–{max_limit}."),
        query("offset", integer(minimum=0, default=0), "Records to skip."),
    ]


def header(name, schema, description, in_response=False):
    from drf_spectacular.utils import OpenApiParameter

    return OpenApiParameter(name, schema, OpenApiParameter.HEADER, description=description, response=in_response)


def idempotency():
    """The request header of an @idempotent POST (portal/idempotency.py) and the response header of a replay."""
    return [
        header("Idempotency-Key", text(maxLength=255, examples=["3f9d2c1e-INV-2026-001"]), IDEMPOTENCY_KEY),
        header("Idempotency-Replayed", text(enum=["true"]), IDEMPOTENCY_REPLAYED, [200, 201, 202]),
    ]


def json_body(schema):
    return {"application/json": schema}


def operation(summary, *, operation_id, tags, security="KEY_OR_SESSION", description="", responses, **kwargs):
    """extend_schema(...) arguments for one operation: `responses` come first, then the route kind's errors,
    then `errors` (codes) — a code in `responses` wins. `security`: KEY_OR_SESSION, SESSION or PUBLIC."""
    codes = kwargs.pop("errors", ())
    return {
        "summary": summary,
        **({"description": description.strip()} if description.strip() else {}),
        "operation_id": operation_id,
        "tags": tags,
        "auth": {"KEY_OR_SESSION": KEY_OR_SESSION, "SESSION": SESSION, "PUBLIC": PUBLIC}[security],
        "responses": {**common_errors(security, *codes), **responses},
        **kwargs,
    }


def documented(view) -> bool:
    """Whether `view` (an @api_view function) carries an extend_schema(...) declaration."""
    return "schema" in getattr(getattr(view, "cls", None), "kwargs", {})


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


def preprocess(endpoints):
    """Only the API: the portal's HTML views and the embedded NRS sandbox are not part of it."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


def postprocess(result, generator, request, public):
    """Security schemes, `security: []` on public routes, required bodies, and the headers every response has."""
    from django.conf import settings

    schemes = copy.deepcopy(SECURITY_SCHEMES)
    schemes["cookieAuth"]["name"] = settings.SESSION_COOKIE_NAME
    result.setdefault("components", {})["securitySchemes"] = schemes
    refs = {name: {"$ref": f"#/components/headers/{name}"} for name in HEADERS}
    for path, item in result.get("paths", {}).items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            op.setdefault("security", [])
            if "requestBody" in op:
                op["requestBody"]["required"] = True
            op["responses"] = dict(sorted(op.get("responses", {}).items()))  # 2xx first
            for code, named in LINKS.get(op.get("operationId"), {}).items():
                op["responses"][code]["links"] = copy.deepcopy(named)
            for code, answer in op["responses"].items():
                headers = answer.setdefault("headers", {})
                headers.setdefault("X-Request-Id", refs["X-Request-Id"])
                if path.startswith("/api/v1/"):
                    headers.setdefault("RateLimit-Policy", refs["RateLimit-Policy"])
                    headers.setdefault("RateLimit", refs["RateLimit"])
                if code == "429":
                    headers.setdefault("Retry-After", refs["Retry-After"])
    if WEBHOOKS:
        result["webhooks"] = {event: {"post": copy.deepcopy(post)} for event, post in WEBHOOKS.items()}
    return result
