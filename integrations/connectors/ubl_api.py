"""`POST /api/v1/invoices/upload/ubl`: an integrator's UBL 2.1 invoice or credit note (the Peppol BIS Billing 3.0
file its ERP exports) becomes an invoice through the same create service and answers as `POST
/api/v1/invoices/create` does. Beside the CSV upload, as a multipart field `file`."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.parsers import MultiPartParser

from integrations.connectors.ubl import UblError, ubl_to_invoice_body
from integrations.connectors.ubl_views import MAX_BYTES
from invoicing import services
from invoicing.api import schemas
from invoicing.api.invoices import actor, error_response, outcome
from invoicing.errors import InvoiceError
from portal.api_errors import ApiError
from portal.idempotency import idempotent
from portal.openapi import error, idempotency, operation
from portal.ratelimit import tenant_limit
from tenants.permissions import HasTenant

UPLOAD = {
    "multipart/form-data": {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary", "description": "The UBL 2.1 XML file."}},
        "required": ["file"],
    }
}
UBL_REFUSED = (
    "UBL not readable",
    {
        "error": "This UBL file cannot become an invoice: cbc:IssueDate is missing: give the date the invoice was "
        "issued, YYYY-MM-DD.",
        "reason": "incomplete_unpatchable",
        "fields": {"file": "cbc:IssueDate is missing: give the date the invoice was issued, YYYY-MM-DD."},
    },
)


@extend_schema(
    **operation(
        "Create an invoice from a UBL 2.1 file",
        operation_id="uploadInvoiceUbl",
        tags=["Invoices"],
        description="A UBL 2.1 Invoice or CreditNote (Peppol BIS Billing 3.0), checked against the OASIS UBL 2.1 "
        "schemas and read into the create body: then exactly as `POST /api/v1/invoices/create` (the same checks, "
        "gates and answers). A file that is not UBL 2.1, or lacks what an NRS invoice needs, is a 400 whose "
        "`fields.file` names each element and its fix.",
        request=UPLOAD,
        parameters=idempotency(),
        responses={
            202: schemas.QUEUED,
            201: schemas.HELD,
            400: error("Not a UBL 2.1 invoice, or an invoice the create checks refuse.", UBL_REFUSED),
            409: schemas.INVOICE_409,
        },
        errors=(413, 415),
    )
)
@tenant_limit("invoice_create")
@api_view(["POST"])
@permission_classes([HasTenant])
@parser_classes([MultiPartParser])
@idempotent
def upload_ubl(request):
    upload = request.FILES.get("file")
    if upload is None:
        raise ApiError(
            "Send the UBL 2.1 XML file as the multipart form field `file`.",
            reason="incomplete_unpatchable",
            fields={"file": "required"},
        )
    if upload.size > MAX_BYTES:
        raise ApiError("The file is larger than 5 MB: a UBL invoice is much smaller.", status_code=413)
    try:
        data = ubl_to_invoice_body(upload.read())
    except UblError as exc:
        words = " ".join(exc.errors)
        raise ApiError(
            f"This UBL file cannot become an invoice: {words}", reason="incomplete_unpatchable", fields={"file": words}
        ) from None
    try:
        invoice = services.invoice_create(tenant=request._request.tenant, data=data, actor=actor(request))
    except InvoiceError as refused:
        return error_response(refused)
    return outcome(invoice)


urlpatterns = [path("invoices/upload/ubl", upload_ubl, name="api_invoice_upload_ubl")]
