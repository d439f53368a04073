"""The integrator API for invoices (spec 000 and API.md): a thin layer over invoicing/services.py."""

import re

from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django_scopes import scopes_disabled
from rest_framework import status
from rest_framework.decorators import api_view, authentication_classes, permission_classes, renderer_classes
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from invoicing import services
from invoicing.api.representations import invoice_detail, invoice_summary, iso, money
from invoicing.errors import InvoiceError
from invoicing.models import Invoice, Kind
from invoicing.payments import invoice_reconcile, invoice_record_payment
from invoicing.submission import invoice_retry
from portal.api_errors import NUL, ApiError, refuse_nul
from portal.api_pagination import paginated
from portal.contract import refuse_missing_body, refuse_off_schema
from portal.idempotency import idempotent
from portal.query_params import QueryParams
from portal.ratelimit import tenant_limit
from tenants.permissions import HasTenant

Status = Invoice.Status
CERTIFIED = (Status.CERTIFIED, Status.REPORTED)
IRN_RE = re.compile(r"^[A-Za-z0-9]{1,50}-[A-Z0-9]{8}-\d{8}(\.\d{1,12})?$")


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
    return Response(body, status=error.status)


def outcome(invoice: Invoice) -> Response:
    """The create answer: 202 queued, or 201 saved but held (BLOCKED:<REASON>)."""
    if invoice.status == Status.PENDING:
        return Response({"status": "PENDING", "invoiceId": str(invoice.pk), "irn": invoice.irn}, status=202)
    if invoice.status == Status.DRAFT:
        return Response(invoice_detail(invoice), status=201)
    reason = invoice.block_reason or "BLOCKED_CHECKLIST_FAILED"
    return Response(
        {
            "status": f"BLOCKED:{reason.removeprefix('BLOCKED_')}",
            "reason": reason,
            "detail": invoice.block_detail,
            "invoiceId": str(invoice.pk),
            "irn": invoice.irn or None,
        },
        status=201,
    )


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


@api_view(["GET"])
@permission_classes([HasTenant])
def list_certified(request):
    """Certified (and reported) invoices only, with the spec's filters."""
    qs = Invoice.objects.filter(status__in=CERTIFIED).order_by("-issue_date", "-created_at")
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


@api_view(["GET"])
@permission_classes([HasTenant])
def detail(request, pk):
    return Response(invoice_detail(_invoice(pk)))


@api_view(["GET"])
@permission_classes([HasTenant])
def status_by_irn(request, irn):
    invoice = None if NUL in irn else Invoice.objects.filter(irn=irn).exclude(status=Status.DRAFT).first()
    if invoice is None:
        raise ApiError(f"No invoice with IRN {irn} for this business.", status_code=404)
    return Response(invoice_summary(invoice))


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


@api_view(["GET"])
@authentication_classes([])  # public: a stray or stale key must not turn this into a 401
@permission_classes([AllowAny])
def verify(request, irn):
    """Public: is this IRN a certified invoice? (The spec's outcomes: 200 valid, 400 malformed, 404 not found.)"""
    if not IRN_RE.match(irn):
        return Response({"error": "Malformed IRN.", "valid": False, "reason": "malformed IRN"}, status=400)
    with scopes_disabled():  # any tenant's certified invoice, by its public IRN
        invoice = Invoice.objects.filter(irn=irn.split(".")[0], status__in=CERTIFIED).select_related("tenant").first()
    if invoice is None:
        return Response({"error": "IRN not found.", "valid": False, "reason": "IRN not found"}, status=404)
    return Response(
        {
            "valid": True,
            "irn": invoice.irn,
            "documentNumber": invoice.document_number,
            "invoiceType": invoice.invoice_type,
            "issueDate": invoice.issue_date.isoformat(),
            "status": invoice.status,
            "supplier": {"name": invoice.supplier.get("name", ""), "tin": invoice.supplier.get("tin", "")},
            "payableAmount": money(invoice.payable),
            "currency": invoice.currency,
            "certifiedAt": iso(invoice.certified_at),
        }
    )


# --- drafts ---------------------------------------------------------------------------------


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
    for key, value in patch.items():
        if key == "customer" and isinstance(value, dict) and isinstance(base.get("customer"), dict):
            merged["customer"] = {**base["customer"], **value}
        else:
            merged[key] = value
    return merged


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
