"""CSV batches in the integrator API: upload (validated in a task), submit, progress, and the template.

POST /api/v1/invoices/upload/csv           multipart `file` or a text/csv body → 202 {"batchId", "status", …}
POST /api/v1/invoices/upload/csv/submit    {"batchId"} → 202; or a file in one step (validate, then submit)
GET  /api/v1/invoices/batches/{batchId}    progress, per-invoice outcome and per-row errors
GET  /api/v1/invoices/upload/csv/template  the header and two example rows
"""

from functools import wraps
from uuid import UUID

from django.conf import settings
from django.core.files.base import ContentFile
from django.http import HttpResponse
from django.urls import path, reverse
from rest_framework.decorators import api_view, parser_classes, permission_classes, renderer_classes
from rest_framework.parsers import BaseParser, DataAndFiles, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from invoicing import batches
from invoicing.errors import InvoiceError
from invoicing.models import Batch, BatchInvoice
from invoicing.services import Actor
from invoicing.uploads import csv_upload_refusal
from portal.api_errors import ApiError
from portal.idempotency import idempotent
from portal.query_params import whole_number
from portal.ratelimit import tenant_limit
from tenants.models import Membership
from tenants.permissions import HasTenant

Role = Membership.Role
MAX_LIMIT = 500
ERRORS_CAP = 1000


class CsvBodyParser(BaseParser):
    """A raw `Content-Type: text/csv` body becomes the upload `file`, like a multipart field."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        # One byte over the limit is enough for the upload check to refuse it as too large.
        content = stream.read(settings.CSV_UPLOAD_MAX_BYTES + 1) if stream is not None else b""
        return DataAndFiles({}, {"file": ContentFile(content, name="upload.csv")})


class CsvBytesParser(CsvBodyParser):
    """The same, sent as `application/octet-stream`: how generated clients send a file's bytes."""

    media_type = "application/octet-stream"


class CsvRenderer(BaseRenderer):
    """Lets a client that asks for text/csv get the template (errors still come out as JSON text)."""

    media_type = "text/csv"
    format = "csv"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


def _iso(value):
    from datetime import UTC

    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def _actor(request) -> Actor:
    key = request._request.api_key
    return Actor(user=None if key else request.user, api_key=key)


def _require_writer(request) -> None:
    """API keys are not limited by portal roles (spec); a portal session must be a clerk's or an admin's."""
    membership = request._request.membership
    if request._request.api_key is None and membership is not None and membership.role not in (Role.ADMIN, Role.CLERK):
        raise ApiError(
            f"Only clerks and admins can upload or submit CSV batches; your role is {Role(membership.role).label}.",
            status_code=403,
        )


def _error(error: InvoiceError, **extra) -> Response:
    body = {"error": error.message, "reason": error.reason}
    if error.detail:
        body["detail"] = error.detail
    if error.fields:
        body["fields"] = error.fields
    body.update(extra)
    return Response(body, status=error.status)


def _streamed_first(view):
    """A body too big for memory is parsed (the file streams to disk) before @idempotent hashes the request.

    @idempotent hashes the raw body, which Django refuses to load above DATA_UPLOAD_MAX_MEMORY_SIZE; once the
    upload has been parsed it hashes the fields and the file's name and size instead.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and int(request.META.get("CONTENT_LENGTH") or 0) > limit:
            request.FILES  # noqa: B018 (parses the body)
        return view(request, *args, **kwargs)

    return wrapper


def _uploaded(request):
    upload = request.FILES.get("file")
    if upload is None:
        raise ApiError(
            "Send the CSV as the multipart form field `file`, or as the body with Content-Type: text/csv.",
            reason="CSV_INVALID",
            fields={"file": "required"},
        )
    _refuse_unusable(upload)
    return upload


def _refuse_unusable(upload) -> None:
    """Too large (413) or not CSV text (400): refused before a batch is made. A file that is text but not UTF-8
    still becomes an INVALID batch, whose errors name the line."""
    refusal = csv_upload_refusal(upload, utf8=False)
    if refusal:
        raise ApiError(
            refusal.message,
            status_code=refusal.status,
            reason="CSV_INVALID",
            code=refusal.code,
            fields={"file": refusal.message},
        )


def _accepted(batch: Batch) -> Response:
    """The upload answer: 202 while it is checked (or submitted), 400 when the file itself is unusable."""
    if batch.status == Batch.Status.INVALID:
        return Response(
            {
                "error": batch.error_summary,
                "reason": "CSV_INVALID",
                "fields": {"file": batch.error_summary},
                "batchId": str(batch.pk),
                "status": batch.status,
                "errors": batch.file_errors,
            },
            status=400,
        )
    response = Response(
        {
            "batchId": str(batch.pk),
            "status": batch.status,
            "fileName": batch.file_name,
            "rows": batch.row_count,
            "invoiceCount": batch.invoice_count,
            "submitRequested": batch.submit_requested,
            "progress": 0 if batch.status == Batch.Status.VALIDATING else 100,
            "links": {"self": reverse("api_batch", args=[batch.pk])},
        },
        status=202,
    )
    response["Location"] = reverse("api_batch", args=[batch.pk])
    return response


@api_view(["POST"])
@permission_classes([HasTenant])
@parser_classes([MultiPartParser, CsvBodyParser, CsvBytesParser])
@_streamed_first
@idempotent
def upload(request):
    _require_writer(request)
    batch = batches.batch_upload(tenant=request._request.tenant, file=_uploaded(request), actor=_actor(request))
    return _accepted(batch)


def _batch(pk) -> Batch:
    batch = Batch.objects.select_related("tenant").filter(pk=pk).first()
    if batch is None:
        raise ApiError("Batch not found.", status_code=404)
    return batch


@tenant_limit("csv_submit")
@api_view(["POST"])
@permission_classes([HasTenant])
@parser_classes([JSONParser, MultiPartParser, CsvBodyParser, CsvBytesParser])
@_streamed_first
@idempotent
def submit(request):
    _require_writer(request)
    tenant = request._request.tenant
    if request.FILES.get("file") is not None:
        try:
            batch = batches.batch_upload(tenant=tenant, file=_uploaded(request), actor=_actor(request), submit=True)
        except InvoiceError as error:
            return _error(error)
        return _accepted(batch)
    raw = request.data.get("batchId") if isinstance(request.data, dict) else None
    try:
        batch_id = UUID(str(raw))
    except ValueError:
        raise ApiError(
            'Send {"batchId": …} of a validated batch, or the CSV file itself (multipart `file`).',
            reason="incomplete_unpatchable",
            fields={"batchId": "required" if raw in (None, "") else "must be a batch id"},
        ) from None
    try:
        batch = batches.batch_submit(batch=_batch(batch_id), actor=_actor(request))
    except InvoiceError as error:
        return _error(error, batchId=str(batch_id))
    return Response(batch_data(batch, limit=0), status=202)


@api_view(["GET"])
@permission_classes([HasTenant])
def detail(request, pk):
    batch = _batch(pk)
    limit = whole_number(request, "limit", 50, minimum=1, maximum=MAX_LIMIT)
    offset = whole_number(request, "offset", 0)
    return Response(batch_data(batch, limit=limit, offset=offset))


def batch_data(batch: Batch, *, limit: int = 50, offset: int = 0) -> dict:
    counts = batches.batch_progress(batch)
    groups = BatchInvoice.objects.filter(batch=batch).select_related("invoice").order_by("first_row")
    items = []
    for group in groups[offset : offset + limit] if limit else []:
        invoice = group.invoice
        items.append(
            {
                "documentNumber": group.document_number,
                "row": group.first_row,
                "rows": group.rows,
                "invoiceId": str(invoice.pk) if invoice else None,
                "status": invoice.status if invoice else group.state,
                "irn": (invoice.irn or None) if invoice else None,
            }
        )
    return {
        "batchId": str(batch.pk),
        "status": batch.status,
        "fileName": batch.file_name,
        "rows": batch.row_count,
        "invoiceCount": batch.invoice_count,
        "valid": batch.valid_count,
        "invalid": batch.invalid_count,
        **counts,
        "summary": batch.error_summary,
        "errorCount": batch.error_count,
        "errors": batches.batch_errors(batch, ERRORS_CAP),
        "invoices": items,
        "limit": limit,
        "offset": offset,
        "submitRequested": batch.submit_requested,
        "createdAt": _iso(batch.created_at),
        "validatedAt": _iso(batch.validated_at),
        "submittedAt": _iso(batch.submitted_at),
        "finishedAt": _iso(batch.finished_at),
    }


@api_view(["GET"])
@permission_classes([HasTenant])
@renderer_classes([JSONRenderer, CsvRenderer])
def template(request):
    if request.query_params.get("format", "csv") not in ("csv", "json"):  # DRF lets an empty one through
        raise ApiError("format must be csv or json, or left out.", status_code=404, fields={"format": "csv or json"})
    response = HttpResponse(batches.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="flowpoint-invoices-template.csv"'
    return response


urlpatterns = [
    path("invoices/upload/csv", upload, name="api_batch_upload"),
    path("invoices/upload/csv/submit", submit, name="api_batch_submit"),
    path("invoices/upload/csv/template", template, name="api_batch_template"),
    path("invoices/batches/<uuid:pk>", detail, name="api_batch"),
]
