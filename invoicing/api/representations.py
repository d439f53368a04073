"""Invoices as the API shows them: camelCase fields, money as decimal strings with 2 places, UTC times.

Each answer is a Shape (portal/shapes.py): the same declaration renders it and is its OpenAPI component, so the
schema at /api/v1/schema lists exactly the keys rendered here.
"""

from decimal import Decimal
from urllib.parse import quote

from django.urls import reverse

from integrations.nrs.shapes import Party
from invoicing.api.vocabulary import INVOICE_STATUS, INVOICE_TYPE, KIND, PAYMENT_STATUS
from invoicing.balance import invoice_balance
from invoicing.models import ReceivedInvoice
from invoicing.shapes import allowance_charges_of
from portal.openapi import (
    DATE,
    MONEY,
    TIMESTAMP,
    UUID,
    boolean,
    integer,
    nullable,
    obj,
    ref,
    text,
)
from portal.shapes import OMIT, Field, Shape, iso

HELD_STATUSES = ("BLOCKED", "PENDING_REVIEW", "PENDING_APPROVAL")
ZERO = Decimal("0.00")


def _allowances(invoice) -> list:
    return allowance_charges_of(invoice.allowance_charges)


def money(value) -> str:
    return f"{value:.2f}"


def decimal(value) -> str:
    """A quantity or a rate as typed: no exponent, no trailing zeros (1.5, not 1.500)."""
    return f"{value.normalize():f}"


def _why(invoice) -> tuple[str, str] | None:
    """Why a failed or held invoice is not certified: (reason, detail), else None."""
    if invoice.status == "FAILED":
        return invoice.nrs_reason, invoice.nrs_detail
    if invoice.block_reason and invoice.status in HELD_STATUSES:
        return invoice.block_reason, invoice.block_detail
    return None


# The short form: lists, status polls.
SUMMARY = Shape(
    "InvoiceSummary",
    {
        "invoiceId": Field(UUID, lambda invoice: str(invoice.pk)),
        "documentNumber": Field(text(), lambda invoice: invoice.document_number),
        "irn": Field(nullable(text("Invoice Reference Number; null on drafts.")), lambda invoice: invoice.irn or None),
        "invoiceKind": Field(KIND, lambda invoice: invoice.kind),
        "invoiceType": Field(INVOICE_TYPE, lambda invoice: invoice.invoice_type),
        "status": Field(INVOICE_STATUS, lambda invoice: invoice.status),
        "issueDate": Field(DATE, lambda invoice: invoice.issue_date.isoformat()),
        "currency": Field(text(), lambda invoice: invoice.currency),
        "payableAmount": Field(MONEY, lambda invoice: money(invoice.payable)),
        "paymentStatus": Field(PAYMENT_STATUS, lambda invoice: invoice.payment_status),
        "customer": Field(
            ref("Party"),  # its name and TIN here; the detail adds the address (one shape for both)
            lambda invoice: {"name": invoice.buyer.get("name", ""), "tin": invoice.buyer.get("tin", "")},
        ),
        "updatedAt": Field(TIMESTAMP, lambda invoice: iso(invoice.updated_at)),
        "reason": Field(
            text("FAILED: the NRS error code; held invoices: the BLOCKED_* reason."),
            lambda invoice: why[0] if (why := _why(invoice)) else OMIT,
        ),
        "detail": Field(
            text("With `reason`: what to fix."), lambda invoice: why[1] if (why := _why(invoice)) else OMIT
        ),
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
)

# invoice.buyer / invoice.supplier: the party as issued (integrations/nrs/shapes.py Party), in the API's spelling.
PARTY = Shape(
    "Party",
    {
        "name": Field(text(), lambda party: party.name),
        "tin": Field(text(), lambda party: party.tin),
        "email": Field(text(), lambda party: party.email),
        "phone": Field(text(), lambda party: party.telephone),
        "address": Field(text(), lambda party: party.address.street),
        "city": Field(text(), lambda party: party.address.city),
        "postalCode": Field(text(), lambda party: party.address.postal_zone),
        "state": Field(text(), lambda party: party.address.state),
        "lga": Field(text(), lambda party: party.address.lga),
        "country": Field(text(), lambda party: party.address.country),
    },
    description="A party as issued on the invoice (copied at creation).",
)

LINE = Shape(
    "InvoiceLine",
    {
        "position": Field(integer(), lambda line: line.position + 1),
        "description": Field(text(), lambda line: line.description),
        "quantity": Field(text("Decimal string."), lambda line: decimal(line.quantity)),
        "unitPrice": Field(MONEY, lambda line: money(line.unit_price)),
        "discount": Field(MONEY, lambda line: money(line.discount)),
        "hsnCode": Field(nullable(text()), lambda line: line.hsn_code or None),
        "isicCode": Field(nullable(text()), lambda line: line.isic_code or None),
        "taxScheme": Field(text(), lambda line: line.tax_category),
        "taxRate": Field(text("Percentage, decimal string."), lambda line: decimal(line.tax_rate)),
        "unitOfMeasure": Field(nullable(text()), lambda line: line.unit or None),
        "lineExtensionAmount": Field(MONEY, lambda line: money(line.line_extension)),
        "taxAmount": Field(MONEY, lambda line: money(line.tax_amount)),
        "itemId": Field(nullable(integer()), lambda line: line.item_id),
        "fee": Field(MONEY, lambda line: money(line.fee)),
        "withholdingRate": Field(
            text("Percent the buyer withholds (deducted from what it pays), decimal string."),
            lambda line: decimal(line.withholding_rate),
        ),
        "withholdingAmount": Field(MONEY, lambda line: money(line.withholding_amount)),
    },
)

ALLOWANCE_CHARGE = Shape(
    "AllowanceCharge",
    {
        "chargeIndicator": Field(
            boolean("true: a charge (delivery…), false: an allowance (a discount)."), lambda item: item.charge
        ),
        "amount": Field(MONEY, lambda item: money(item.amount)),
        "reason": Field(text(), lambda item: item.reason),
        "taxScheme": Field(text(), lambda item: item.tax_category),
        "taxRate": Field(text("Percentage, decimal string."), lambda item: decimal(item.tax_rate)),
    },
    description="A document-level allowance or charge, taxed at its own tax scheme and rate.",
)

TOTALS = Shape(
    None,
    {
        "lineExtensionAmount": Field(MONEY, lambda invoice: money(invoice.line_extension)),
        "taxAmount": Field(MONEY, lambda invoice: money(invoice.tax_total)),
        "allowanceTotalAmount": Field(
            MONEY, lambda invoice: money(sum((i.amount for i in _allowances(invoice) if not i.charge), ZERO))
        ),
        "chargeTotalAmount": Field(
            MONEY, lambda invoice: money(sum((i.amount for i in _allowances(invoice) if i.charge), ZERO))
        ),
        "taxInclusiveAmount": Field(MONEY, lambda invoice: money(invoice.tax_inclusive)),
        "withholdingAmount": Field(
            {**MONEY, "description": "Tax the buyer withholds: payableAmount is taxInclusiveAmount less this."},
            lambda invoice: money(invoice.withholding_total),
        ),
        "payableAmount": Field(MONEY, lambda invoice: money(invoice.payable)),
        "amountPaid": Field(MONEY, lambda invoice: money(invoice.amount_paid)),
        # As every screen and the PDF count it: certified credit and debit notes included (invoicing/balance.py).
        "amountDue": Field(MONEY, lambda invoice: money(invoice_balance(invoice).due)),
        # Nigerian VAT is accounted in naira: the same totals at the invoice's exchange rate (null: no rate kept).
        "taxAmountNgn": Field(
            nullable(MONEY), lambda invoice: money(invoice.tax_total_ngn) if invoice.tax_total_ngn is not None else None
        ),
        "payableAmountNgn": Field(
            nullable(MONEY), lambda invoice: money(invoice.payable_ngn) if invoice.payable_ngn is not None else None
        ),
    },
)

NRS_PROGRESS = Shape(
    None,
    {
        "attempts": Field(integer("Submission attempts so far."), lambda invoice: invoice.attempts),
        "signedAt": Field(TIMESTAMP, lambda invoice: iso(invoice.signed_at)),
        "transmittedAt": Field(TIMESTAMP, lambda invoice: iso(invoice.transmitted_at)),
        "certifiedAt": Field(TIMESTAMP, lambda invoice: iso(invoice.certified_at)),
        "nextAttemptAt": Field(TIMESTAMP, lambda invoice: iso(invoice.next_attempt_at)),
        "error": Field(
            nullable(obj({"reason": text(), "details": text("NRS's own message.")})),
            lambda invoice: (
                {"reason": invoice.nrs_reason, "details": invoice.nrs_detail} if invoice.nrs_reason else None
            ),
        ),
    },
)

LINKS = Shape(
    None,
    {
        "self": Field(text(), lambda invoice: reverse("api_invoice_detail", args=[invoice.pk])),
        "pdf": Field(
            nullable(text("Once certified.")),
            lambda invoice: reverse("api_invoice_pdf", args=[invoice.pk]) if invoice.is_certified else None,
        ),
    },
)


def _external_original(invoice) -> dict | None:
    if not invoice.external_original_irn:
        return None
    payable = invoice.external_original_payable
    return {
        "irn": invoice.external_original_irn,
        "issueDate": invoice.external_original_date.isoformat(),
        "payableAmount": money(payable) if payable is not None else None,
        "checkedWithNrs": invoice.external_original_checked_at is not None,
    }


DETAIL = Shape(
    "InvoiceDetail",
    {
        "typeCode": Field(
            text("NRS type code: 381 invoice, 380 credit note, 384 debit note."), lambda invoice: invoice.type_code
        ),
        "dueDate": Field(nullable(DATE), lambda invoice: invoice.due_date.isoformat() if invoice.due_date else None),
        "exchangeRate": Field(
            nullable(text("Naira per 1 unit of `currency`, decimal string; 1 for NGN.", examples=["1530"])),
            lambda invoice: decimal(invoice.exchange_rate) if invoice.exchange_rate is not None else None,
        ),
        "note": Field(text(), lambda invoice: invoice.note),
        "poReference": Field(text(), lambda invoice: invoice.po_reference),
        "paymentTermsNote": Field(text(), lambda invoice: invoice.payment_terms_note),
        "paymentMeans": Field(
            nullable(text("NRS payment-means code: 10 cash, 20 cheque, 30 credit transfer…")),
            lambda invoice: invoice.payment_means or None,
        ),
        "allowanceCharges": Field(ALLOWANCE_CHARGE, _allowances, many=True),
        "originalInvoiceId": Field(
            nullable(UUID), lambda invoice: str(invoice.original_id) if invoice.original_id else None
        ),
        "originalExternal": Field(
            nullable(
                obj(
                    {
                        "irn": text("The IRN of the invoice it corrects, issued outside Flowpoint."),
                        "issueDate": DATE,
                        "payableAmount": nullable(MONEY),
                        "checkedWithNrs": boolean("Whether NRS's confirm has found the invoice."),
                    },
                    description="Credit / debit notes correcting an invoice issued outside Flowpoint (else null): "
                    "the invoice named, and what NRS said of it (its payable amount, when NRS gave one).",
                )
            ),
            lambda invoice: _external_original(invoice),
        ),
        "customer": Field(PARTY, lambda invoice: Party.from_dict(invoice.buyer)),
        "supplier": Field(PARTY, lambda invoice: Party.from_dict(invoice.supplier)),
        "lines": Field(LINE, lambda invoice: invoice.lines.all(), many=True),
        "totals": Field(TOTALS, lambda invoice: invoice),
        "paymentReported": Field(
            boolean("Whether the payment state was accepted by NRS."), lambda invoice: invoice.payment_reported
        ),
        "nrs": Field(NRS_PROGRESS, lambda invoice: invoice),
        "qrPayload": Field(
            nullable(text("The encrypted NRS QR payload, once certified.")), lambda invoice: invoice.qr_payload or None
        ),
        "b2cReportDeadline": Field(TIMESTAMP, lambda invoice: iso(invoice.b2c_report_deadline)),
        "createdAt": Field(TIMESTAMP, lambda invoice: iso(invoice.created_at)),
        "links": Field(LINKS, lambda invoice: invoice),
    },
    extends=SUMMARY,
    description="The full invoice: lifecycle status, parties, lines, totals, NRS attempts, links.",
)


# --- What create, submit and retry answer (invoices.py `outcome`) ----------------------------------------

QUEUED = Shape(
    "InvoiceQueued",
    {
        "status": Field(text(const="PENDING"), lambda invoice: "PENDING"),
        "invoiceId": Field(UUID, lambda invoice: str(invoice.pk)),
        "irn": Field(text(), lambda invoice: invoice.irn),
    },
    required=["status", "invoiceId", "irn"],
    description="Accepted for NRS processing: poll GET /api/v1/invoices/{invoiceId} (or the IRN status) "
    "until CERTIFIED / REPORTED or FAILED, or listen for webhook events.",
)


def hold_reason(invoice) -> str:
    return invoice.block_reason or "BLOCKED_CHECKLIST_FAILED"


HELD = Shape(
    "InvoiceHeld",
    {
        "status": Field(
            text(
                "`BLOCKED:<REASON>`, e.g. BLOCKED:PENDING_REVIEW.",
                pattern="^BLOCKED:",
                examples=["BLOCKED:PENDING_REVIEW"],
            ),
            lambda invoice: f"BLOCKED:{hold_reason(invoice).removeprefix('BLOCKED_')}",
        ),
        "reason": Field(
            text("BLOCKED_PENDING_REVIEW, BLOCKED_PENDING_APPROVAL, BLOCKED_CHECKLIST_FAILED (or another hold)."),
            hold_reason,
        ),
        "detail": Field(text("What is missing."), lambda invoice: invoice.block_detail),
        "invoiceId": Field(UUID, lambda invoice: str(invoice.pk)),
        "irn": Field(nullable(text()), lambda invoice: invoice.irn or None),
    },
    required=["status", "reason", "invoiceId"],
    description="Saved but not submitted to NRS (review, approval, or validation). Resolve the hold in the "
    "portal, then POST /api/v1/invoices/{id}/retry.",
)

# --- The public IRN verification (invoices.py `verify`) --------------------------------------------------

VERIFIED = Shape(
    "VerifyResult",
    {
        "valid": Field(boolean(const=True), lambda invoice: True),
        "irn": Field(text(), lambda invoice: invoice.irn),
        "documentNumber": Field(text(), lambda invoice: invoice.document_number),
        "invoiceType": Field(INVOICE_TYPE, lambda invoice: invoice.invoice_type),
        "issueDate": Field(DATE, lambda invoice: invoice.issue_date.isoformat()),
        "status": Field(text(enum=["CERTIFIED", "REPORTED"]), lambda invoice: invoice.status),
        "supplier": Field(
            obj({"name": text(), "tin": text()}),
            lambda invoice: {"name": invoice.supplier.get("name", ""), "tin": invoice.supplier.get("tin", "")},
        ),
        "payableAmount": Field(MONEY, lambda invoice: money(invoice.payable)),
        "currency": Field(text(), lambda invoice: invoice.currency),
        "certifiedAt": Field(TIMESTAMP, lambda invoice: iso(invoice.certified_at)),
    },
    required=["valid", "irn"],
)


def invoice_summary(invoice) -> dict:
    return SUMMARY.render(invoice)


def invoice_detail(invoice) -> dict:
    return DETAIL.render(invoice)


# --- Received invoices (the buyer's side: invoicing/api/purchases.py, and the purchase.received webhook) -----
#
# What a supplier certified and NRS delivered to this business. The totals are the row's columns (read off the
# document when it was pulled); parties, lines and taxes are read from NRS's document as pulled, which Flowpoint
# did not write: every value is read defensively (a missing or odd value is null, never an error).

PURCHASE_STATUS = text(
    "new (received) → acknowledged (receipt confirmed to NRS) → accepted | disputed.",
    enum=ReceivedInvoice.Status.values,
)


def _document(received) -> dict:
    return received.document if isinstance(received.document, dict) else {}


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def _sequence(value) -> list:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _number(value):
    """A document amount (a JSON number or a decimal string) as a finite Decimal, else None."""
    from decimal import Decimal, InvalidOperation

    if value is None or isinstance(value, bool | dict | list):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def doc_money(value) -> str | None:
    number = _number(value)
    return money(number) if number is not None else None


def doc_decimal(value) -> str | None:
    number = _number(value)
    return decimal(number) if number is not None else None


def _doc_text(value) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def doc_party(data, fallback=None) -> Party:
    """A party of the document (accounting_supplier_party / accounting_customer_party) as the API's Party;
    `fallback` (a Supplier row) fills what the document leaves out."""
    from integrations.nrs.shapes import Address

    data, address = _mapping(data), _mapping(_mapping(data).get("postal_address"))

    def pick(value, attr):
        return _doc_text(value) or (getattr(fallback, attr, "") if fallback is not None else "")

    return Party(
        name=pick(data.get("party_name"), "name"),
        tin=pick(data.get("tin"), "tin"),
        email=pick(data.get("email"), "email"),
        telephone=pick(data.get("telephone"), "phone"),
        address=Address(
            street=pick(address.get("street_name"), "address"),
            city=pick(address.get("city_name"), "city"),
            postal_zone=pick(address.get("postal_zone"), "postal_code"),
            lga=pick(address.get("lga"), "lga_code"),
            state=pick(address.get("state"), "state_code"),
            country=pick(address.get("country"), "country"),
        ),
    )


def _purchase_path(received, suffix="") -> str:
    # Quoted, not reversed: the IRN is NRS's text, and one holding a "/" must still render (as %2F).
    return f"{reverse('api_purchase_list')}/{quote(received.irn, safe='')}{suffix}"


PURCHASE_LINKS = Shape(
    None,
    {
        "self": Field(text(), lambda received: _purchase_path(received)),
        "acknowledge": Field(text(), lambda received: _purchase_path(received, "/acknowledge")),
    },
)

# The short form: lists, and the data of the purchase.received webhook event.
PURCHASE_SUMMARY = Shape(
    "PurchaseSummary",
    {
        "irn": Field(text("The supplier's Invoice Reference Number."), lambda received: received.irn),
        "documentNumber": Field(text("The supplier's own number."), lambda received: received.document_number),
        "invoiceType": Field(INVOICE_TYPE, lambda received: received.invoice_type),
        "status": Field(PURCHASE_STATUS, lambda received: received.status),
        "issueDate": Field(DATE, lambda received: received.issue_date.isoformat()),
        "dueDate": Field(nullable(DATE), lambda received: received.due_date.isoformat() if received.due_date else None),
        "currency": Field(text(), lambda received: received.currency),
        "supplier": Field(
            ref("Party"),  # its name and TIN here; the detail adds the address (one shape for both)
            lambda received: {"name": received.supplier.name, "tin": received.supplier.tin},
        ),
        "lineExtensionAmount": Field(MONEY, lambda received: money(received.line_extension)),
        "taxAmount": Field(MONEY, lambda received: money(received.tax_total)),
        "payableAmount": Field(MONEY, lambda received: money(received.payable)),
        "transmittedAt": Field(TIMESTAMP, lambda received: iso(received.transmitted_at)),
        "receivedAt": Field(TIMESTAMP, lambda received: iso(received.received_at)),
        "acknowledgedAt": Field(TIMESTAMP, lambda received: iso(received.acknowledged_at)),
        "decidedAt": Field(TIMESTAMP, lambda received: iso(received.decided_at)),
        "disputeReason": Field(
            text("Disputed only: why."),
            lambda received: received.dispute_reason if received.status == "disputed" else OMIT,
        ),
        "links": Field(PURCHASE_LINKS, lambda received: received),
    },
    required=[
        "irn",
        "documentNumber",
        "invoiceType",
        "status",
        "issueDate",
        "dueDate",
        "currency",
        "supplier",
        "lineExtensionAmount",
        "taxAmount",
        "payableAmount",
        "transmittedAt",
        "receivedAt",
        "acknowledgedAt",
        "decidedAt",
        "links",
    ],
    description="An invoice (credit or debit note) a supplier certified with NRS and NRS delivered to your business.",
)

PURCHASE_LINE = Shape(
    "PurchaseLine",
    {
        "position": Field(integer(), lambda pair: pair[0] + 1),
        "description": Field(
            text(),
            lambda pair: _doc_text(
                _mapping(pair[1].get("item")).get("description") or _mapping(pair[1].get("item")).get("name")
            ),
        ),
        "quantity": Field(
            nullable(text("Decimal string.")), lambda pair: doc_decimal(pair[1].get("invoiced_quantity"))
        ),
        "unitPrice": Field(nullable(MONEY), lambda pair: doc_money(_mapping(pair[1].get("price")).get("price_amount"))),
        "discount": Field(nullable(MONEY), lambda pair: doc_money(pair[1].get("discount_amount"))),
        "fee": Field(nullable(MONEY), lambda pair: doc_money(pair[1].get("fee_amount"))),
        "hsnCode": Field(nullable(text()), lambda pair: _doc_text(pair[1].get("hsn_code")) or None),
        "isicCode": Field(nullable(text()), lambda pair: _doc_text(pair[1].get("isic_code")) or None),
        "lineExtensionAmount": Field(nullable(MONEY), lambda pair: doc_money(pair[1].get("line_extension_amount"))),
    },
    description="A line as the supplier's NRS document states it.",
)

PURCHASE_TAX = Shape(
    "PurchaseTax",
    {
        "taxCategory": Field(text(), lambda sub: _doc_text(_mapping(sub.get("tax_category")).get("id"))),
        "taxRate": Field(
            nullable(text("Percentage, decimal string.")),
            lambda sub: doc_decimal(_mapping(sub.get("tax_category")).get("percent")),
        ),
        "taxableAmount": Field(nullable(MONEY), lambda sub: doc_money(sub.get("taxable_amount"))),
        "taxAmount": Field(nullable(MONEY), lambda sub: doc_money(sub.get("tax_amount"))),
    },
    description="Tax per category and rate, as the document's tax_total groups it.",
)


def _taxes(received) -> list:
    return [
        sub for total in _sequence(_document(received).get("tax_total")) for sub in _sequence(total.get("tax_subtotal"))
    ]


def _billing_references(received) -> list:
    return [
        {"irn": _doc_text(ref_.get("irn")), "issueDate": _doc_text(ref_.get("issue_date")) or None}
        for ref_ in _sequence(_document(received).get("billing_reference"))
    ]


PURCHASE_DETAIL = Shape(
    "PurchaseDetail",
    {
        "typeCode": Field(
            nullable(text("NRS type code: 381 invoice, 380 credit note, 384 debit note.")),
            lambda received: _doc_text(_document(received).get("invoice_type_code")) or None,
        ),
        "supplier": Field(
            PARTY, lambda received: doc_party(_document(received).get("accounting_supplier_party"), received.supplier)
        ),
        "customer": Field(
            PARTY,
            lambda received: doc_party(_document(received).get("accounting_customer_party")),
        ),
        "lines": Field(
            PURCHASE_LINE,
            lambda received: list(enumerate(_sequence(_document(received).get("invoice_line")))),
            many=True,
        ),
        "taxes": Field(PURCHASE_TAX, _taxes, many=True),
        "billingReferences": Field(
            {
                "type": "array",
                "items": obj({"irn": text(), "issueDate": nullable(text("YYYY-MM-DD, as the document states it."))}),
                "description": "Credit and debit notes: the invoices they amend.",
            },
            _billing_references,
        ),
        "note": Field(text(), lambda received: _doc_text(_document(received).get("note"))),
    },
    extends=PURCHASE_SUMMARY,
    description="The received invoice in full: the supplier and buyer as the document names them, its lines and "
    "taxes, totals, status and when it was acknowledged or decided.",
)


def purchase_summary(received) -> dict:
    return PURCHASE_SUMMARY.render(received)


def purchase_detail(received) -> dict:
    return PURCHASE_DETAIL.render(received)
