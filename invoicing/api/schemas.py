"""The invoicing API's OpenAPI pieces that are not rendered here: request bodies, master-data and batch-error
shapes, examples, and the answers several operations share. The operations are declared on the views
(invoices.py, batches.py, master.py, helpers.py) with extend_schema(...); the answers those views render are
Shapes declared with their rendering (representations.py: invoices; batches.py: Batch, BatchAccepted).

Field names, status codes and machine codes follow the published reference (shared/spec/000…).
"""

from drf_spectacular.utils import OpenApiParameter

from invoicing.api import representations
from invoicing.api.spec_examples import (
    B2G_REQUEST,
    SPEC_B2B_REQUEST,
    SPEC_B2C_REQUEST,
    WITHHOLDING_ALLOWANCE_REQUEST,
)
from invoicing.api.vocabulary import INVOICE_TYPE, KIND, PAYMENT_STATUS
from invoicing.shapes import OPTIONAL_TEXT
from invoicing.verification import IRN_PATTERN
from portal.openapi import (
    DATE,
    FILE_UPLOAD,
    IDEMPOTENCY_CONFLICT_EXAMPLE,
    INVOICE_ID_EXAMPLE,
    IRN_EXAMPLE,
    MONEY,
    RECORD_ID,
    UUID,
    boolean,
    component,
    error,
    examples,
    integer,
    nullable,
    obj,
    path_parameter,
    ref,
    response,
    text,
)

# A request amount: JSON number or string, parsed as Decimal.
DECIMAL_IN = {
    "type": ["number", "string"],
    "description": "A number or a decimal string; never rounded through floating point.",
}

# --- Invoices and drafts: requests ------------------------------------------------------------------------

EXCHANGE_RATE = {
    **DECIMAL_IN,
    "description": "Naira per 1 unit of `currency` (six decimals kept), e.g. 1530 for USD. Not for NGN (or 1). "
    "Left out on a foreign-currency invoice: your business's rate for that currency on or before the issue date "
    "(Settings → Exchange rates); with neither, 400 naming exchange_rate. The invoice keeps the rate it was "
    "issued at; its VAT and total in naira are taxAmountNgn and payableAmountNgn.",
}

# The invoice's optional texts (invoicing/shapes.py), as a create or a draft change takes them.
OPTIONAL_TEXTS = {name: text(t.description, maxLength=t.max_length) for name, t in OPTIONAL_TEXT.items()}


INVOICE_CUSTOMER_INPUT = component(
    "InvoiceCustomerInput",
    obj(
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
)


INVOICE_LINE_INPUT = component(
    "InvoiceLineInput",
    obj(
        {
            "description": text("What was sold.", minLength=1),
            "quantity": {**DECIMAL_IN, "description": "Greater than 0."},
            "unit_price": {**DECIMAL_IN, "description": "Major units (naira), greater than 0."},
            "hsn_code": text("HS code for goods (GET /api/v1/helpers/hs-codes), e.g. 8517.11."),
            "isic_code": text("Service code for services (GET /api/v1/helpers/service-codes), instead of hsn_code."),
            "tax_scheme": text("Tax category (GET /api/v1/helpers/tax-categories); default STANDARD_VAT."),
            "tax_rate": {**DECIMAL_IN, "description": "Percentage 0–100; default 7.5 for STANDARD_VAT, else 0."},
            "unit_of_measure": text(
                "Unit of measure: a UN/ECE Recommendation 20 code (GET /api/v1/helpers/quantity-units), or a common "
                "word Flowpoint turns into one (each → EA, kg → KGM, litre → LTR, hours → HUR, day → DAY, box → BX). "
                "An unknown unit is refused (400, naming lines[n].unit_of_measure).",
                examples=["KGM", "hours"],
            ),
            "withholding_rate": {
                **DECIMAL_IN,
                "description": "Withholding tax the buyer deducts, percent 0 to under 100; default 0. It lowers what "
                "the buyer pays (payable = tax-inclusive − withheld), it is not added. A line sent with tax_scheme "
                "WITHHOLDING_TAX (older bodies) is read as withheld at its tax_rate, with no tax added.",
                "examples": [10],
            },
            "discount": {**DECIMAL_IN, "description": "Amount off the line, major units; default 0."},
            "fee": {**DECIMAL_IN, "description": "Extra charge on the line, major units; default 0."},
            "category": text("Free text."),
            "item_id": {
                **RECORD_ID,
                "description": "A saved item (GET /api/v1/items): fills whatever the line leaves out.",
            },
        },
        required=["description", "quantity", "unit_price"],
        description="The spec lists description, quantity, unit_price, hsn_code, tax_scheme and tax_rate on every "
        "line. Each line needs an HS code (goods) or a service code (services), else 400 unresolvable_hsn.",
    ),
)


ALLOWANCE_CHARGE_INPUT = component(
    "AllowanceChargeInput",
    obj(
        {
            "charge_indicator": {
                "type": "boolean",
                "description": "true: a charge on the whole invoice (delivery, packing); false: an allowance "
                "(a discount on the whole invoice).",
            },
            "amount": {**DECIMAL_IN, "description": "Major units, greater than 0.", "examples": [15000]},
            "reason": text("What it is for, printed on the invoice.", minLength=1, examples=["Loyalty discount"]),
            "tax_scheme": text(
                "Tax category it is taxed at; default the lines' single tax (required when the lines have several)."
            ),
            "tax_rate": {**DECIMAL_IN, "description": "Percentage 0–100; default the lines' rate for that tax."},
        },
        required=["charge_indicator", "amount", "reason"],
        description="A document-level allowance or charge: taken off (allowance) or added to (charge) the lines' "
        "total before tax: tax-exclusive = lines − allowances + charges.",
    ),
)

# The create body's optional document-level fields beyond the texts: allowances and charges, and payment means.
DOCUMENT_EXTRAS = {
    "allowance_charges": {"type": "array", "items": ref("AllowanceChargeInput"), "maxItems": 20},
    "payment_means": text(
        "How the buyer pays, an NRS payment-means code (GET /api/v1/helpers/payment-means): 10 cash, 20 cheque, "
        "30 credit transfer, 48 bank card…; sent to NRS with the due date as the payment due date.",
        examples=["30"],
    ),
}


INVOICE_REQUEST = component(
    "InvoiceRequest",
    obj(
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
            "exchange_rate": EXCHANGE_RATE,
            "customer": ref("InvoiceCustomerInput"),
            "customer_id": {
                **RECORD_ID,
                "description": "A saved customer (GET /api/v1/customers): fills the buyer fields left out.",
            },
            "lines": {"type": "array", "items": ref("InvoiceLineInput"), "minItems": 1, "maxItems": 500},
            **OPTIONAL_TEXTS,
            "original_invoice_id": text("Credit / debit notes: the invoice they amend.", format="uuid"),
            "original_irn": text(
                "Credit / debit notes: the IRN of the invoice they amend. An invoice your business issued outside "
                "Flowpoint (before onboarding, or in another system) is named by its IRN and original_issue_date; "
                "its IRN must carry your service ID, and NRS must know it."
            ),
            "original_issue_date": {
                **DATE,
                "description": "With original_irn, for an invoice issued outside Flowpoint: its issue date, the date "
                "its IRN ends in.",
            },
            **DOCUMENT_EXTRAS,
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
)


DRAFT_PATCH = component(
    "DraftPatch",
    {
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
            "exchange_rate": EXCHANGE_RATE,
            "customer": ref("InvoiceCustomerInput"),
            "customer_id": RECORD_ID,
            "lines": {"type": "array", "items": ref("InvoiceLineInput"), "minItems": 1},
            **OPTIONAL_TEXTS,
            **DOCUMENT_EXTRAS,
        },
    },
)


PAYMENT_REQUEST = component(
    "PaymentRequest",
    obj(
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
)


# --- Invoices and drafts: responses -----------------------------------------------------------------------


# Declared with their rendering (representations.py): InvoiceSummary, InvoiceDetail (Party, InvoiceLine), the
# create outcomes and the public verification.
INVOICE_SUMMARY = representations.SUMMARY.schema
INVOICE_DETAIL = representations.DETAIL.schema
INVOICE_QUEUED = representations.QUEUED.schema
INVOICE_HELD = representations.HELD.schema
VERIFY_RESULT = representations.VERIFIED.schema


PAYMENT_RESULT = component(
    "PaymentResult",
    obj(
        {
            "paymentStatus": PAYMENT_STATUS,
            "nrsPaymentStatus": text("Sent to NRS.", enum=["PENDING", "PARTIAL", "PAID", "REJECTED"]),
            "amountPaid": MONEY,
            "paymentReported": boolean(const=True),
        },
        required=["paymentStatus", "nrsPaymentStatus", "amountPaid", "paymentReported"],
    ),
)


PAYMENT_ERROR = component(
    "PaymentError",
    {
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
)


VERIFY_FAILURE = component(
    "VerifyFailure",
    obj(
        {
            "error": text("Human-readable message."),
            "valid": boolean(const=False),
            "reason": text(enum=["malformed IRN", "IRN not found"]),
        },
        required=["valid", "reason"],
    ),
)


# --- CSV batches (batches.py declares Batch and BatchAccepted with their rendering) ------------------------


BATCH_STATUS = component(
    "BatchStatus",
    text(enum=["VALIDATING", "VALIDATED", "INVALID", "SUBMITTING", "DONE"]),
)


BATCH_ERROR = component(
    "BatchError",
    obj(
        {
            "row": nullable(integer("Spreadsheet row (1 is the header); null for file-level problems.")),
            "column": nullable(text()),
            "message": text(),
            "code": text("Machine code, e.g. CUSTOMER_VALIDATION_FAILED or a CSV_* code."),
        }
    ),
)


BATCH_REJECTED = component(
    "BatchRejected",
    {
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
)


# --- Customers and items (master.py) ----------------------------------------------------------------------


CUSTOMER_INPUT = component(
    "CustomerInput",
    obj(
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
)


ITEM_INPUT = component(
    "ItemInput",
    obj(
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
)


CUSTOMER = component(
    "Customer",
    obj(
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
)


ITEM = component(
    "Item",
    obj(
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
)


# --- Examples --------------------------------------------------------------------------------------------

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
    "error": "Your business set-up is not complete. Business profile: Add the business's TIN (Tax Identification "
    "Number). Primary business location: Add the address you trade from: street, city, postal code, state and LGA.",
    "reason": "SUPPLIER_VALIDATION_FAILED",
    "detail": "An admin of your business completes it in Settings.",
}
BAD_SHAPE_EXAMPLE = {
    "error": "Some fields are missing or have the wrong type: each is named with what it needs.",
    "reason": "incomplete_unpatchable",
    "fields": {"issue_date": "required (YYYY-MM-DD)", "lines": "at least one line is required"},
}
NUMBER_TAKEN_EXAMPLE = {
    "error": "Invoice number INV-2026-001 is already used by a certified invoice (certified). Pick a different number.",
    "reason": "DOCUMENT_NUMBER_CONFLICT_INVOICE",
    "fields": {"document_number": "already used"},
}
BAD_Q_EXAMPLE = ("Bad q", {"error": "q is required: 2 to 100 characters."})

INVOICE_REQUEST_EXAMPLES = examples(
    ("B2B", SPEC_B2B_REQUEST),
    ("B2C", SPEC_B2C_REQUEST),
    ("B2G", B2G_REQUEST),
    ("Withholding, allowance and charge", WITHHOLDING_ALLOWANCE_REQUEST),
    request_only=True,
)
INVOICE_REQUEST_EXAMPLES[0].summary = "Full request — B2B (Business-to-Business)"
INVOICE_REQUEST_EXAMPLES[0].description = (
    "The spec's example as published. The supplier is autofilled from your account: never send business_id or "
    "accounting_supplier_party. (The published page shows customer.email as `[email protected]`: send the "
    "buyer's real address.)"
)
INVOICE_REQUEST_EXAMPLES[1].summary = "Full request — B2C (Business-to-Consumer)"
INVOICE_REQUEST_EXAMPLES[1].description = (
    "Only customer.name is required; buyer TIN, email and address are not required for B2C retail invoices. "
    "B2C invoices typically reach REPORTED when certified."
)
INVOICE_REQUEST_EXAMPLES[2].summary = "B2G (Business-to-Government): the B2B body with invoice_kind B2G"
INVOICE_REQUEST_EXAMPLES[
    2
].description = "Same buyer requirements as B2B. (Here with a buyer e-mail that passes validation.)"


# --- Answers several operations share --------------------------------------------------------------------

QUEUED = response(
    INVOICE_QUEUED,
    "PENDING: accepted for NRS processing.",
    ("Queued", {"status": "PENDING", "invoiceId": INVOICE_ID_EXAMPLE, "irn": IRN_EXAMPLE}),
)
HELD = response(
    INVOICE_HELD,
    "`BLOCKED:<REASON>`: saved but not submitted to NRS (review, approval, or validation).",
    ("Held for review", HELD_EXAMPLE),
)
INVOICE_400 = error(
    "Validation failed (see `reason` and `fields`), or the supplier profile is incomplete.",
    ("CUSTOMER_VALIDATION_FAILED", CUSTOMER_INVALID_EXAMPLE),
    ("SUPPLIER_VALIDATION_FAILED", SUPPLIER_INVALID_EXAMPLE),
    ("incomplete_unpatchable", BAD_SHAPE_EXAMPLE),
)
INVOICE_409 = error(
    "The document number is already used (DOCUMENT_NUMBER_CONFLICT_INVOICE), or the Idempotency-Key was used "
    "with another body (IDEMPOTENCY_CONFLICT).",
    ("DOCUMENT_NUMBER_CONFLICT_INVOICE", NUMBER_TAKEN_EXAMPLE),
    ("IDEMPOTENCY_CONFLICT", IDEMPOTENCY_CONFLICT_EXAMPLE),
)
SUMMARY_200 = response(INVOICE_SUMMARY, "The invoice's status.", ("Certified", INVOICE_SUMMARY_EXAMPLE))
CSV_BODY = {
    "multipart/form-data": FILE_UPLOAD,
    "text/csv": {"type": "string", "description": "The CSV itself."},
    "application/octet-stream": text("The CSV file's bytes (UTF-8), as generated clients send.", format="binary"),
}


# --- Path parameters -------------------------------------------------------------------------------------

INVOICE_ID = path_parameter("id", "uuid", "The invoice's invoiceId (UUID).")
DRAFT_ID = path_parameter("id", "uuid", "The draft's invoiceId (UUID).")
IRN = path_parameter("irn", "str", f"Invoice Reference Number, e.g. {IRN_EXAMPLE}.")
CHECKED_IRN = OpenApiParameter(
    "irn",
    text(pattern=IRN_PATTERN),
    OpenApiParameter.PATH,
    description=f"Invoice Reference Number, e.g. {IRN_EXAMPLE}.",
)
BATCH_SUBMIT_BODY = {"application/json": obj({"batchId": UUID}, required=["batchId"]), **CSV_BODY}
