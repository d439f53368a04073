"""The integrator API for invoices (spec 000 and API.md): a thin layer over invoicing/services.py."""

from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, authentication_classes, permission_classes, renderer_classes
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from invoicing import services
from invoicing.api import schemas
from invoicing.api.representations import HELD, QUEUED, VERIFIED, invoice_detail, invoice_summary
from invoicing.api.vocabulary import KIND, PAYMENT_STATUS
from invoicing.errors import InvoiceError
from invoicing.models import Invoice, Kind
from invoicing.payments import invoice_reconcile, invoice_record_payment
from invoicing.submission import invoice_retry
from invoicing.verification import irn_check
from portal.api_errors import NUL, ApiError, refuse_nul
from portal.api_pagination import paginated
from portal.contract import refuse_missing_body, refuse_off_schema
from portal.idempotency import idempotent
from portal.openapi import (
    DATE,
    NO_NUL,
    error,
    examples,
    idempotency,
    json_body,
    link,
    operation,
    page_of,
    paging,
    query,
    response,
    text,
)
from portal.query_params import QueryParams
from portal.ratelimit import tenant_limit
from tenants.permissions import HasTenant

Status = Invoice.Status

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


def actor(request) -> services.Actor:
    key = request._request.api_key
    return services.Actor(user=None if key else request.user, api_key=key)


def error_response(error: InvoiceError) -> Response:
    body = {"error": error.message, "reason": error.reason}
    if error.detail:
        body["detail"] = error.detail
    if error.fields:
        body["fields"] = error.fields
    body.update(error.extra)
    answer = Response(body, status=error.status)
    if getattr(error, "retry_after", None):  # NRS cannot be asked now (invoicing/nrs_now.py)
        answer["Retry-After"] = str(error.retry_after)
    return answer


def outcome(invoice: Invoice) -> Response:
    """The create answer: 202 queued, or 201 saved but held (BLOCKED:<REASON>)."""
    if invoice.status == Status.PENDING:
        return Response(QUEUED.render(invoice), status=202)
    if invoice.status == Status.DRAFT:
        return Response(invoice_detail(invoice), status=201)
    return Response(HELD.render(invoice), status=201)


def _body(request, component=None) -> dict:
    if not isinstance(request.data, dict):
        raise ApiError(
            "The body must be a JSON object.", reason="incomplete_unpatchable", fields={"body": "must be an object"}
        )
    refuse_nul(request.data, reason="incomplete_unpatchable")
    if component:
        refuse_off_schema(request.data, component, reason="incomplete_unpatchable")
    return request.data


# Required by the spec's "Create invoice fields" table for every invoice kind. (The portal form and the CSV
# format offer defaults for some; an API body states them all.)
SPEC_REQUIRED = ("invoice_kind", "invoice_type", "document_number", "issue_date", "due_date", "currency")


def _create_body(request) -> dict:
    body = _body(request)
    missing = {name: "required" for name in SPEC_REQUIRED if body.get(name) in (None, "")}
    if missing:
        raise ApiError(
            f"Missing required field(s): {', '.join(missing)}.", reason="incomplete_unpatchable", fields=missing
        )
    refuse_off_schema(body, "InvoiceRequest", reason="incomplete_unpatchable")
    return body


# Where a create's answer leads (queued 202 or held 201): generated clients and stateful testing follow these.
link(
    "createInvoice",
    (201, 202),
    GetInvoiceStatus={
        "operationId": "getInvoiceStatus",
        "parameters": {"irn": "$response.body#/irn"},
        "description": "Poll the status by the IRN the answer carries.",
    },
    GetInvoice={
        "operationId": "getInvoice",
        "parameters": {"id": "$response.body#/invoiceId"},
        "description": "The full invoice.",
    },
    GetInvoicePdf={
        "operationId": "getInvoicePdf",
        "parameters": {"id": "$response.body#/invoiceId"},
        "description": "The PDF, once certified (404 NOT_SIGNED before).",
    },
)


@extend_schema(
    **operation(
        "Create and queue an invoice for NRS",
        operation_id="createInvoice",
        tags=["Invoices"],
        description=CREATE_DESCRIPTION,
        request=json_body(schemas.INVOICE_REQUEST),
        parameters=idempotency(),
        examples=schemas.INVOICE_REQUEST_EXAMPLES,
        responses={202: schemas.QUEUED, 201: schemas.HELD, 400: schemas.INVOICE_400, 409: schemas.INVOICE_409},
        errors=(413, 415, 500),
    )
)
@tenant_limit("invoice_create")
@api_view(["POST"])
@permission_classes([HasTenant])
@idempotent
def create(request):
    try:
        invoice = services.invoice_create(
            tenant=request._request.tenant, data=_create_body(request), actor=actor(request)
        )
    except InvoiceError as error:
        return error_response(error)
    return outcome(invoice)


@extend_schema(
    **operation(
        "List certified invoices",
        operation_id="listInvoices",
        tags=["Invoices"],
        description="Certified (and B2C reported) invoices only, newest issue date first. Drafts are at "
        "GET /api/v1/invoices/drafts; any invoice by its id.",
        parameters=[
            *paging(500),
            query("from", DATE, "Issued on or after (YYYY-MM-DD)."),
            query("to", DATE, "Issued on or before (YYYY-MM-DD)."),
            query("invoice_kind", KIND, "B2B, B2C or B2G."),
            query("customer_tin", text(pattern=NO_NUL), "Buyer TIN, exact."),
            query("payment_status", PAYMENT_STATUS, "PAID, PARTIAL or UNPAID."),
            query("q", text(maxLength=100, pattern=NO_NUL), "Search document number, IRN or buyer name."),
        ],
        responses={
            200: response(
                page_of(schemas.INVOICE_SUMMARY),
                "A page of certified invoices.",
                ("Page", {"items": [schemas.INVOICE_SUMMARY_EXAMPLE], "total": 142, "limit": 50, "offset": 0}),
            )
        },
        errors=(400,),
    )
)
@api_view(["GET"])
@permission_classes([HasTenant])
def list_certified(request):
    """Certified (and reported) invoices only, with the spec's filters."""
    qs = Invoice.objects.filter(status__in=Invoice.CERTIFIED_STATUSES).order_by("-issue_date", "-created_at")
    params = QueryParams(request)
    refuse_nul(request.query_params)
    issued_from, issued_to = params.date("from"), params.date("to")
    kind = params.choice("invoice_kind", Kind.values)
    payment_status = params.choice("payment_status", Invoice.Payment.values)
    q = params.text("q", max_length=100)
    params.check()
    if issued_from:
        qs = qs.filter(issue_date__gte=issued_from)
    if issued_to:
        qs = qs.filter(issue_date__lte=issued_to)
    if kind:
        qs = qs.filter(kind=kind)
    if payment_status:
        qs = qs.filter(payment_status=payment_status)
    if request.query_params.get("customer_tin"):
        qs = qs.filter(buyer__tin=request.query_params["customer_tin"])
    if q:
        qs = qs.filter(Q(document_number__icontains=q) | Q(irn__icontains=q) | Q(buyer__name__icontains=q))
    return paginated(request, qs, invoice_summary, max_limit=500)


def _invoice(pk) -> Invoice:
    return get_object_or_404(Invoice.objects.select_related("original"), pk=pk)


@extend_schema(
    **operation(
        "Get an invoice",
        operation_id="getInvoice",
        tags=["Invoices"],
        description="Full invoice with lifecycle status, NRS attempts summary and links (PDF once certified). "
        "Poll it after create until CERTIFIED / REPORTED or FAILED.",
        parameters=[schemas.INVOICE_ID],
        responses={200: response(schemas.INVOICE_DETAIL, "The invoice.")},
        errors=(404,),
    )
)
@api_view(["GET"])
@permission_classes([HasTenant])
def detail(request, pk):
    return Response(invoice_detail(_invoice(pk)))


@extend_schema(
    **operation(
        "Poll an invoice's status by IRN",
        operation_id="getInvoiceStatus",
        tags=["Invoices"],
        description="The light status poll. FAILED and held invoices carry `reason` and `detail`.",
        parameters=[schemas.IRN],
        responses={200: schemas.SUMMARY_200},
        errors=(404,),
    )
)
@api_view(["GET"])
@permission_classes([HasTenant])
def status_by_irn(request, irn):
    invoice = None if NUL in irn else Invoice.objects.filter(irn=irn).exclude(status=Status.DRAFT).first()
    if invoice is None:
        raise ApiError(f"No invoice with IRN {irn} for this business.", status_code=404)
    return Response(invoice_summary(invoice))


@extend_schema(
    **operation(
        "Retry a failed (or released held) invoice",
        operation_id="retryInvoice",
        tags=["Invoices"],
        description="FAILED → queued for NRS again (202 PENDING). A BLOCKED invoice is re-checked and "
        "released the same way once its checklist passes. Anything else is 400: `NOT_RETRYABLE`, the hold's "
        "`BLOCKED_PENDING_REVIEW` / `BLOCKED_PENDING_APPROVAL` (complete it in the portal), or "
        "`BLOCKED_CHECKLIST_FAILED` with what still fails in `detail`.",
        request=None,
        parameters=[schemas.INVOICE_ID],
        responses={
            202: schemas.QUEUED,
            400: error(
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
)
@api_view(["POST"])
@permission_classes([HasTenant])
def retry(request, pk):
    invoice = _invoice(pk)
    try:
        if invoice.status in (Status.PENDING_REVIEW, Status.PENDING_APPROVAL):
            raise InvoiceError(
                invoice.block_reason,
                "The invoice is held for review or approval; complete it in the portal.",
                detail=invoice.block_detail,
            )
        if invoice.status == Status.BLOCKED:
            invoice = services.invoice_release_blocked(invoice=invoice, actor=actor(request))
            if invoice.status == Status.BLOCKED:  # the checklist still fails: say what, keep it held
                raise InvoiceError(invoice.block_reason, "The invoice is still blocked.", detail=invoice.block_detail)
        else:
            invoice = invoice_retry(invoice=invoice, actor=actor(request))
    except InvoiceError as error:
        return error_response(error)
    return outcome(invoice)


@extend_schema(
    **operation(
        "Report a payment to NRS",
        operation_id="updateInvoicePayment",
        tags=["Invoices"],
        description="Sends the payment state to NRS; the local state changes only once NRS accepts it. "
        "Only certified invoices (B2C: reported) with an IRN are eligible (400 `NOT_ELIGIBLE`). "
        "When NRS fails: **502** with `nrsError`, and `paymentReported` stays false.",
        request=json_body(schemas.PAYMENT_REQUEST),
        parameters=[schemas.INVOICE_ID],
        examples=examples(
            ("Paid in full", {"paymentStatus": "PAID", "reference": "TRF-88213"}),
            ("Part payment", {"paymentStatus": "PARTIAL", "amountPaid": "20000.00", "reference": "TRF-88214"}),
            request_only=True,
        ),
        responses={
            200: response(schemas.PAYMENT_RESULT, "NRS accepted the payment state.", ("Paid", schemas.PAID_EXAMPLE)),
            400: error(
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
            502: response(
                schemas.PAYMENT_ERROR,
                "NRS payment confirm/update failed: read nrsError; fix and retry.",
                ("NRS refused", schemas.NRS_REFUSED_EXAMPLE),
            ),
        },
        errors=(404, 413, 415),
    )
)
@api_view(["PATCH"])
@permission_classes([HasTenant])
def payment(request, pk):
    invoice = _invoice(pk)  # an unknown invoice is a 404 whatever the body
    data = _body(request, "PaymentRequest")
    try:
        result = invoice_record_payment(
            invoice=invoice,
            status=str(data.get("paymentStatus", "")),
            amount=data.get("amountPaid"),
            reference=str(data.get("reference") or ""),
            actor=actor(request),
        )
    except InvoiceError as error:
        return error_response(error)
    return Response(result)


@extend_schema(
    **operation(
        "Reconcile with NRS",
        operation_id="reconcileInvoice",
        tags=["Invoices"],
        description="Asks NRS (`confirm/{irn}`) and aligns the local state: a signature NRS has that Flowpoint "
        "missed is completed; the payment state is synced. Before certification: 400 `NOT_SIGNED`.",
        request=None,
        parameters=[schemas.INVOICE_ID],
        responses={
            200: schemas.SUMMARY_200,
            400: error(
                "Not yet certified.",
                ("NOT_SIGNED", {"error": "The invoice is not signed yet.", "reason": "NOT_SIGNED"}),
            ),
        },
        errors=(404, 502),
    )
)
@api_view(["POST"])
@permission_classes([HasTenant])
def reconcile(request, pk):
    try:
        invoice = invoice_reconcile(invoice=_invoice(pk), actor=actor(request))
    except InvoiceError as error:
        return error_response(error)
    return Response(invoice_summary(invoice))


class PdfRenderer(BaseRenderer):
    """Lets a client that asks for the PDF (Accept: application/pdf) get it rather than a 406; errors stay JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


class OctetStreamRenderer(PdfRenderer):
    """The same bytes for clients that read any download as application/octet-stream (generated clients do)."""

    media_type = "application/octet-stream"
    format = "bin"


@extend_schema(
    **operation(
        "Download the invoice PDF",
        operation_id="getInvoicePdf",
        tags=["Invoices"],
        description="The invoice PDF with its NRS QR code; it exists once the invoice is certified "
        "(else 404 `NOT_SIGNED`).",
        parameters=[schemas.INVOICE_ID],
        responses={
            (200, "application/pdf"): response(OpenApiTypes.BINARY, "The PDF."),
            # The same bytes with Accept: application/octet-stream (what generated clients read as a file).
            (200, "application/octet-stream"): response(OpenApiTypes.BINARY, "The PDF."),
        },
        errors=(404,),
    )
)
@api_view(["GET"])
@permission_classes([HasTenant])
@renderer_classes([JSONRenderer, PdfRenderer, OctetStreamRenderer])
def pdf(request, pk):
    from invoicing.pdf import invoice_pdf_store

    if request.query_params.get("format", "pdf") not in ("json", "pdf", "bin"):  # DRF lets an empty one through
        raise ApiError("format must be pdf or bin, or left out.", status_code=404, fields={"format": "pdf or bin"})
    invoice = _invoice(pk)
    if not invoice.is_certified:
        raise ApiError("The PDF exists once NRS has certified the invoice.", status_code=404)
    if not invoice.pdf:
        invoice_pdf_store(invoice)
    name = f"{invoice.document_number}.pdf".replace("/", "-")
    asked = request.accepted_renderer.media_type
    media_type = asked if asked == OctetStreamRenderer.media_type else PdfRenderer.media_type
    return FileResponse(invoice.pdf.open("rb"), content_type=media_type, filename=name)


@extend_schema(
    **operation(
        "Verify an IRN (public)",
        operation_id="verifyIrn",
        tags=["Public Endpoints"],
        security="PUBLIC",
        description="No authentication. Is this IRN a certified invoice of a Flowpoint business? "
        "200 `valid: true` with a summary; 400 malformed IRN; 404 not found.",
        parameters=[schemas.CHECKED_IRN],
        responses={
            200: response(schemas.VERIFY_RESULT, "IRN exists and is certified.", ("Valid", schemas.VERIFY_EXAMPLE)),
            400: response(
                schemas.VERIFY_FAILURE,
                "IRN string failed the format check.",
                ("Malformed", {"valid": False, "reason": "malformed IRN"}),
            ),
            404: response(
                schemas.VERIFY_FAILURE,
                "No matching certified invoice.",
                ("Not found", {"valid": False, "reason": "IRN not found"}),
            ),
        },
    )
)
@api_view(["GET"])
@authentication_classes([])  # public: a stray or stale key must not turn this into a 401
@permission_classes([AllowAny])
def verify(request, irn):
    """Public: is this IRN a certified invoice? (The spec's outcomes: 200 valid, 400 malformed, 404 not found.)"""
    check = irn_check(irn)
    if check.malformed:
        return Response({"error": "Malformed IRN.", "valid": False, "reason": "malformed IRN"}, status=400)
    if check.invoice is None:
        return Response({"error": "IRN not found.", "valid": False, "reason": "IRN not found"}, status=404)
    return Response(VERIFIED.render(check.invoice))


# --- drafts ---------------------------------------------------------------------------------


@extend_schema(
    methods=["GET"],
    **operation(
        "List drafts",
        operation_id="listDrafts",
        tags=["Drafts"],
        parameters=paging(500),
        responses={200: response(page_of(schemas.INVOICE_SUMMARY), "A page of drafts.")},
        errors=(400,),
    ),
)
@extend_schema(
    methods=["POST"],
    **operation(
        "Save a draft",
        operation_id="createDraft",
        tags=["Drafts"],
        description="Same body as POST /api/v1/invoices/create, checked the same way, but nothing is sent to "
        "NRS. Submit it later with POST /api/v1/invoices/drafts/{id}/submit.",
        request=json_body(schemas.INVOICE_REQUEST),
        parameters=idempotency(),
        examples=schemas.INVOICE_REQUEST_EXAMPLES[:2],
        responses={
            201: response(schemas.INVOICE_DETAIL, "The saved draft (status DRAFT)."),
            400: schemas.INVOICE_400,
            409: schemas.INVOICE_409,
        },
        errors=(413, 415),
    ),
)
@api_view(["GET", "POST"])
@permission_classes([HasTenant])
@idempotent
def drafts(request):
    if request.method == "POST":
        try:
            invoice = services.invoice_create(
                tenant=request._request.tenant, data=_create_body(request), actor=actor(request), draft=True
            )
        except InvoiceError as error:
            return error_response(error)
        return Response(invoice_detail(invoice), status=status.HTTP_201_CREATED)
    return paginated(request, Invoice.objects.filter(status=Status.DRAFT), invoice_summary, max_limit=500)


def _merge(base: dict, patch: dict) -> dict:
    merged = dict(base)
    if "currency" in patch and "exchange_rate" not in patch and patch["currency"] != base.get("currency"):
        merged["exchange_rate"] = None  # another currency: the draft's rate was for the old one
    for key, value in patch.items():
        if key == "customer" and isinstance(value, dict) and isinstance(base.get("customer"), dict):
            merged["customer"] = {**base["customer"], **value}
        else:
            merged[key] = value
    return merged


@extend_schema(
    methods=["GET"],
    **operation(
        "Get a draft",
        operation_id="getDraft",
        tags=["Drafts"],
        parameters=[schemas.DRAFT_ID],
        responses={200: response(schemas.INVOICE_DETAIL, "The draft.")},
        errors=(404,),
    ),
)
@extend_schema(
    methods=["PATCH"],
    **operation(
        "Update a draft",
        operation_id="updateDraft",
        tags=["Drafts"],
        description="Send only what changes; `customer` is merged field by field. Buyer fields are "
        "re-validated (400 `CUSTOMER_VALIDATION_FAILED`); a draft that is no longer editable is 409.",
        request=json_body(schemas.DRAFT_PATCH),
        parameters=[schemas.DRAFT_ID],
        examples=examples(
            ("Complete the buyer", {"customer": {"postal_code": "101001", "city": "Lagos"}}), request_only=True
        ),
        responses={
            200: response(schemas.INVOICE_DETAIL, "The updated draft."),
            400: schemas.INVOICE_400,
            409: error("NOT_EDITABLE: no longer a draft."),
        },
        errors=(404, 413, 415),
    ),
)
@extend_schema(
    methods=["DELETE"],
    **operation(
        "Delete a draft",
        operation_id="deleteDraft",
        tags=["Drafts"],
        parameters=[schemas.DRAFT_ID],
        responses={204: response(None, "Deleted."), 409: error("NOT_EDITABLE: no longer a draft.")},
        errors=(404,),
    ),
)
@api_view(["GET", "PATCH", "DELETE"])
@permission_classes([HasTenant])
def draft(request, pk):
    invoice = get_object_or_404(Invoice, pk=pk)
    if request.method == "GET":
        if invoice.status != Status.DRAFT:
            raise ApiError("Not a draft.", status_code=404)
        return Response(invoice_detail(invoice))
    try:
        if request.method == "DELETE":
            services.invoice_delete_draft(invoice=invoice)
            return Response(status=status.HTTP_204_NO_CONTENT)
        refuse_missing_body(request, reason="incomplete_unpatchable")
        data = _merge(services.invoice_as_data(invoice), _body(request, "DraftPatch"))
        invoice = services.invoice_update_draft(invoice=invoice, data=data, actor=actor(request))
    except InvoiceError as error:
        return error_response(error)
    return Response(invoice_detail(invoice))


@extend_schema(
    **operation(
        "Submit a draft to NRS",
        operation_id="submitDraft",
        tags=["Drafts"],
        description="Same outcomes as POST /api/v1/invoices/create: 202 PENDING or 201 `BLOCKED:<REASON>`. "
        "Counts towards the 60/minute create limit.",
        request=None,
        parameters=[schemas.DRAFT_ID],
        responses={202: schemas.QUEUED, 201: schemas.HELD, 400: schemas.INVOICE_400, 409: schemas.INVOICE_409},
        errors=(404, 500),
    )
)
@tenant_limit("invoice_create")
@api_view(["POST"])
@permission_classes([HasTenant])
def draft_submit(request, pk):
    try:
        invoice = services.invoice_submit(invoice=_invoice(pk), actor=actor(request))
    except InvoiceError as error:
        return error_response(error)
    return outcome(invoice)


urlpatterns = [
    path("invoices/create", create, name="api_invoice_create"),
    path("invoices", list_certified, name="api_invoice_list"),
    path("invoices/drafts", drafts, name="api_drafts"),
    path("invoices/drafts/<uuid:pk>", draft, name="api_draft"),
    path("invoices/drafts/<uuid:pk>/submit", draft_submit, name="api_draft_submit"),
    path("invoices/verify/<str:irn>", verify, name="api_invoice_verify"),
    path("invoices/<uuid:pk>", detail, name="api_invoice_detail"),
    path("invoices/<uuid:pk>/retry", retry, name="api_invoice_retry"),
    path("invoices/<uuid:pk>/payment", payment, name="api_invoice_payment"),
    path("invoices/<uuid:pk>/reconcile", reconcile, name="api_invoice_reconcile"),
    path("invoices/<uuid:pk>/pdf", pdf, name="api_invoice_pdf"),
    path("invoices/<str:irn>/status", status_by_irn, name="api_invoice_status"),
]
