"""CSV batches in the integrator API: upload (validated in a task), submit, progress, and the template.

POST /api/v1/invoices/upload/csv           multipart `file` or a text/csv body → 202 {"batchId", "status", …}
POST /api/v1/invoices/upload/csv/submit    {"batchId"} → 202; or a file in one step (validate, then submit)
GET  /api/v1/invoices/batches/{batchId}    progress, per-invoice outcome and per-row errors
GET  /api/v1/invoices/upload/csv/template  the header and two example rows
"""

from functools import wraps
from typing import NamedTuple
from uuid import UUID

from django.conf import settings
from django.core.files.base import ContentFile
from django.http import HttpResponse
from django.urls import path, reverse
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, parser_classes, permission_classes, renderer_classes
from rest_framework.parsers import BaseParser, DataAndFiles, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from invoicing import batches
from invoicing.api import schemas
from invoicing.errors import InvoiceError
from invoicing.models import Batch, BatchInvoice
from invoicing.services import Actor
from invoicing.uploads import csv_upload_refusal
from portal.api_errors import ApiError
from portal.idempotency import idempotent
from portal.openapi import (
    IDEMPOTENCY_CONFLICT_EXAMPLE,
    TIMESTAMP,
    boolean,
    error,
    idempotency,
    integer,
    nullable,
    obj,
    operation,
    paging,
    path_parameter,
    response,
    text,
)
from portal.openapi import UUID as UUID_SCHEMA
from portal.query_params import whole_number
from portal.ratelimit import tenant_limit
from portal.shapes import Field, Shape, iso
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


# --- The answers, declared once for rendering and for the schema (portal/shapes.py) ------------------------

ACCEPTED = Shape(
    "BatchAccepted",
    {
        "batchId": Field(UUID_SCHEMA, lambda batch: str(batch.pk)),
        "status": Field(schemas.BATCH_STATUS, lambda batch: batch.status),
        "fileName": Field(text(), lambda batch: batch.file_name),
        "rows": Field(integer("Data rows (the header not counted)."), lambda batch: batch.row_count),
        "invoiceCount": Field(integer("Distinct document numbers."), lambda batch: batch.invoice_count),
        "submitRequested": Field(
            boolean("Submit as soon as validation is done."), lambda batch: batch.submit_requested
        ),
        "progress": Field(
            integer("0–100.", minimum=0, maximum=100),
            lambda batch: 0 if batch.status == Batch.Status.VALIDATING else 100,
        ),
        "links": Field(obj({"self": text()}), lambda batch: {"self": reverse("api_batch", args=[batch.pk])}),
    },
    required=["batchId", "status"],
    description="The upload answer (Location: the batch): validation runs in the background; poll the batch.",
)


class BatchPage(NamedTuple):
    """A batch as GET /invoices/batches/{id} shows it: its counts, and one page of its invoices."""

    batch: Batch
    counts: dict
    limit: int
    offset: int

    def invoices(self) -> list[dict]:
        groups = BatchInvoice.objects.filter(batch=self.batch).select_related("invoice").order_by("first_row")
        return (
            [BATCH_INVOICE.render(group) for group in groups[self.offset : self.offset + self.limit]]
            if self.limit
            else []
        )


# One per document number of the file: the invoice once created, else how its rows fared.
BATCH_INVOICE = Shape(
    None,
    {
        "documentNumber": Field(text(), lambda group: group.document_number),
        "row": Field(integer("First row."), lambda group: group.first_row),
        "rows": Field({"type": "array", "items": integer()}, lambda group: group.rows),
        "invoiceId": Field(nullable(UUID_SCHEMA), lambda group: str(group.invoice.pk) if group.invoice else None),
        "status": Field(
            text("The invoice's status once created, else VALID / INVALID / REJECTED …"),
            lambda group: group.invoice.status if group.invoice else group.state,
        ),
        "irn": Field(nullable(text()), lambda group: (group.invoice.irn or None) if group.invoice else None),
    },
)


def _count(name):
    return lambda page: page.counts[name]


BATCH = Shape(
    "Batch",
    {
        "batchId": Field(UUID_SCHEMA, lambda page: str(page.batch.pk)),
        "status": Field(schemas.BATCH_STATUS, lambda page: page.batch.status),
        "fileName": Field(text(), lambda page: page.batch.file_name),
        "rows": Field(integer(), lambda page: page.batch.row_count),
        "invoiceCount": Field(integer(), lambda page: page.batch.invoice_count),
        "valid": Field(integer("Invoices that passed validation."), lambda page: page.batch.valid_count),
        "invalid": Field(integer("Invoices with errors."), lambda page: page.batch.invalid_count),
        "submitted": Field(integer(), _count("submitted")),
        "certified": Field(integer(), _count("certified")),
        "failed": Field(integer(), _count("failed")),
        "held": Field(integer(), _count("held")),
        "pending": Field(integer(), _count("pending")),
        "progress": Field(integer("0–100.", minimum=0, maximum=100), _count("progress")),
        "summary": Field(text(), lambda page: page.batch.error_summary),
        "errorCount": Field(integer(), lambda page: page.batch.error_count),
        "errors": Field(
            {
                "type": "array",
                "items": schemas.BATCH_ERROR,
                "description": "File-level problems first, then each row's (at most 1000).",
            },
            lambda page: batches.batch_errors(page.batch, ERRORS_CAP),
        ),
        "invoices": Field(
            {
                "type": "array",
                "description": "One per document number, in file order (paged by limit / offset).",
                "items": BATCH_INVOICE.schema,
            },
            BatchPage.invoices,
        ),
        "limit": Field(integer(), lambda page: page.limit),
        "offset": Field(integer(), lambda page: page.offset),
        "submitRequested": Field(boolean(), lambda page: page.batch.submit_requested),
        "createdAt": Field(TIMESTAMP, lambda page: iso(page.batch.created_at)),
        "validatedAt": Field(TIMESTAMP, lambda page: iso(page.batch.validated_at)),
        "submittedAt": Field(TIMESTAMP, lambda page: iso(page.batch.submitted_at)),
        "finishedAt": Field(TIMESTAMP, lambda page: iso(page.batch.finished_at)),
    },
    required=["batchId", "status"],
    description="A CSV batch: validation progress, per-invoice outcome and per-row errors.",
)


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
    answer = Response(ACCEPTED.render(batch), status=202)
    answer["Location"] = reverse("api_batch", args=[batch.pk])
    return answer


@extend_schema(
    **operation(
        "Upload a CSV of invoices",
        operation_id="uploadInvoiceCsv",
        tags=["CSV batches"],
        description="Uploads the file (multipart field `file`, or the body with Content-Type: text/csv or "
        "application/octet-stream) and "
        "validates it in the background: poll the batch for per-row errors. Nothing is submitted to NRS. "
        "The columns: GET /api/v1/invoices/upload/csv/template. Portal sessions need the clerk or admin role.",
        request=schemas.CSV_BODY,
        parameters=idempotency(),
        responses={
            202: response(ACCEPTED.schema, "Accepted: validation is running (Location: the batch)."),
            400: response(schemas.BATCH_REJECTED, "The file itself is unusable (CSV_INVALID), or no file."),
            409: error(
                "The Idempotency-Key was used with another file (IDEMPOTENCY_CONFLICT), or that upload is "
                "still running.",
                ("IDEMPOTENCY_CONFLICT", IDEMPOTENCY_CONFLICT_EXAMPLE),
            ),
        },
        errors=(413, 415),
    )
)
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


@extend_schema(
    **operation(
        "Submit a CSV batch",
        operation_id="submitInvoiceCsv",
        tags=["CSV batches"],
        description='Submit a validated batch (`{"batchId": …}`: its valid invoices are created and queued '
        "for NRS), or send the file itself to validate and submit it in one step. Limited to 5 "
        "requests/minute per business.",
        request=schemas.BATCH_SUBMIT_BODY,
        parameters=idempotency(),
        responses={
            202: response(
                {"oneOf": [BATCH.schema, ACCEPTED.schema]},
                "Submitted (the batch), or a file accepted for validation then submission.",
            ),
            400: error(
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
            409: error(
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
)
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


@extend_schema(
    **operation(
        "Get a CSV batch",
        operation_id="getInvoiceBatch",
        tags=["CSV batches"],
        description="Progress, per-invoice outcome and per-row errors. `limit` / `offset` page the invoices.",
        parameters=[path_parameter("id", "uuid", "The batchId."), *paging(500)],
        responses={200: response(BATCH.schema, "The batch.")},
        errors=(400, 404),
    )
)
@api_view(["GET"])
@permission_classes([HasTenant])
def detail(request, pk):
    batch = _batch(pk)
    limit = whole_number(request, "limit", 50, minimum=1, maximum=MAX_LIMIT)
    offset = whole_number(request, "offset", 0)
    return Response(batch_data(batch, limit=limit, offset=offset))


def batch_data(batch: Batch, *, limit: int = 50, offset: int = 0) -> dict:
    # The counts first: counting may move the batch on to DONE (or back), which `status` then shows.
    return BATCH.render(BatchPage(batch, batches.batch_progress(batch), limit, offset))


@extend_schema(
    **operation(
        "Download the CSV template",
        operation_id="getInvoiceCsvTemplate",
        tags=["CSV batches"],
        description="The header row and two example invoices. Rows sharing a document_number are one "
        "invoice (one line per row).",
        responses={
            (200, "text/csv"): response({"type": "string"}, "The template (an attachment)."),
            404: error("`format` is neither csv nor json.", ("Unknown format", {"error": "Not found."})),
        },
    )
)
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
