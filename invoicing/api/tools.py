"""Integrator tools beside create: validate a body without issuing it, the QR code of a certified invoice, and
NRS's own copy of an invoice compared with ours. Thin views over invoicing/checking.py and nrs_copy.py."""

import base64

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes, renderer_classes
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from integrations.nrs.errors import NrsError
from integrations.nrs.qr import NoActiveKey, qr_png, qr_svg, tenant_qr_payload
from invoicing.api import schemas
from invoicing.api.invoices import SPEC_REQUIRED, _body, _invoice, error_response
from invoicing.checking import invoice_validate
from invoicing.errors import InvoiceError
from invoicing.models import Invoice
from invoicing.nrs_copy import invoice_nrs_copy
from portal.api_errors import NUL, ApiError
from portal.contract import refuse_off_schema
from portal.openapi import (
    IRN_EXAMPLE,
    MONEY,
    TIMESTAMP,
    boolean,
    component,
    error,
    json_body,
    nullable,
    obj,
    operation,
    query,
    response,
    text,
)
from portal.query_params import QueryParams
from tenants.authentication import changes_nothing
from tenants.permissions import HasTenant

# --- shapes -------------------------------------------------------------------------------------------------

PROBLEM = component(
    "ValidationProblem",
    obj(
        {
            "field": nullable(text("The body's field (customer.tin, lines[0].unit_price); null: the whole invoice.")),
            "code": text("The machine code create would answer with (`reason`)."),
            "message": text("What the field needs, as create's `fields` says it."),
            "fix": text("What to do, in a sentence."),
        },
        required=["field", "code", "message", "fix"],
    ),
)
READINESS_ITEM = obj(
    {
        "key": text(),
        "code": text("The machine code a submission would be held with."),
        "label": text(),
        "ok": boolean(),
        "detail": text(),
        "fixUrl": text("Where in the portal an admin completes it."),
    },
    required=["key", "code", "label", "ok", "detail", "fixUrl"],
)
NRS_CHECK = nullable(
    obj(
        {
            "checked": boolean(const=True),
            "valid": boolean("NRS's own invoice/validate accepted the document (nothing was signed)."),
            "message": text("NRS's own words when it refused."),
        },
        required=["checked", "valid"],
    )
)
VALIDATION_FIELDS = {
    "valid": boolean(),
    "errors": {"type": "array", "items": PROBLEM, "description": "Every problem of the body, one per field."},
    "readiness": {"type": "array", "items": READINESS_ITEM, "description": "The business's set-up checklist."},
    "nrs": NRS_CHECK,
}
VALIDATION_OK = component(
    "ValidationResult",
    obj(
        {
            **VALIDATION_FIELDS,
            "valid": boolean(const=True),
            "irn": text("The IRN the invoice would have."),
            "payable": MONEY,
        },
        required=["valid", "errors", "readiness", "nrs", "irn", "payable"],
    ),
)
VALIDATION_FAILED = component(
    "ValidationFailed",
    obj(
        {
            "error": text("Human-readable summary."),
            "reason": text("The first problem's machine code."),
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            **VALIDATION_FIELDS,
            "valid": boolean(const=False),
        },
        required=["error"],  # a bad query (`nrs`) or body shape answers the plain error shape
        description="The error shape; with `valid`, `errors`, `readiness` and `nrs` when the body was checked.",
    ),
)
QR = component(
    "InvoiceQr",
    obj(
        {
            "invoiceId": text(format="uuid"),
            "irn": text(),
            "qrPayload": text(
                "What the QR code holds, as NRS defines it: base64 of the RSA (PKCS#1 v1.5) encryption, with the "
                'business\'s NRS public key, of {"irn": "<IRN>.<unix seconds>", "certificate": …}.'
            ),
            "qrCodeDataUrl": text("The QR code as a PNG data URL (error correction M)."),
        },
        required=["invoiceId", "irn", "qrPayload", "qrCodeDataUrl"],
    ),
)
DIFFERENCE = obj(
    {
        "field": text(
            "payable, tax_total, line_extension, issue_date, currency, supplier_tin, supplier_name, "
            "buyer_tin, buyer_name; `missing` when NRS has no record of the IRN."
        ),
        "label": text(),
        "nrs": text("NRS's value (amounts as decimal strings)."),
        "flowpoint": text("Ours."),
    },
    required=["field", "label", "nrs", "flowpoint"],
)
NRS_COPY = component(
    "InvoiceNrsCopy",
    obj(
        {
            "invoiceId": text(format="uuid"),
            "irn": text(),
            "checkedAt": TIMESTAMP,
            "found": boolean("NRS has a record of this IRN."),
            "matches": boolean("NRS's copy agrees with ours in totals, dates and parties."),
            "differences": {"type": "array", "items": DIFFERENCE},
            "nrs": nullable(
                obj(
                    {
                        "signed": boolean(),
                        "signedAt": nullable(text()),
                        "transmitted": boolean(),
                        "paymentStatus": nullable(text("NRS's payment status: PENDING, PARTIAL, PAID or REJECTED.")),
                        "document": {"type": "object", "description": "The registered document (download/{irn})."},
                    },
                    required=["signed", "transmitted", "document"],
                )
            ),
            "flowpoint": obj(
                {
                    "status": text(),
                    "paymentStatus": text(),
                    "payable": MONEY,
                    "taxTotal": MONEY,
                    "issueDate": text(format="date"),
                },
                required=["status", "paymentStatus", "payable", "taxTotal", "issueDate"],
            ),
        },
        required=["invoiceId", "irn", "checkedAt", "found", "matches", "differences", "nrs", "flowpoint"],
    ),
)

NRS_UNAVAILABLE = error(
    "NRS cannot be asked now (not answering, asking for fewer requests, or busy with invoices): nothing was sent. "
    "Retry after the seconds in Retry-After.",
    (
        "NRS unavailable",
        {
            "error": "NRS is not answering at the moment; nothing was sent. Try again shortly.",
            "reason": "NRS_UNAVAILABLE",
        },
    ),
)
NOT_SIGNED_404 = error(
    "No certified invoice with this id (or IRN) for this business.",
    ("Not certified", {"error": "The QR code exists once NRS has certified the invoice.", "reason": "NOT_SIGNED"}),
)

VALID_EXAMPLE = {
    "valid": True,
    "errors": [],
    "readiness": [
        {
            "key": "business_profile",
            "code": "SUPPLIER_VALIDATION_FAILED",
            "label": "Business profile",
            "ok": True,
            "detail": "Complete.",
            "fixUrl": "/settings/business/",
        }
    ],
    "nrs": {"checked": True, "valid": True},
    "irn": IRN_EXAMPLE,
    "payable": "53750.00",
}
INVALID_EXAMPLE = {
    "error": "3 problems: fix each and check again.",
    "reason": "CUSTOMER_VALIDATION_FAILED",
    "valid": False,
    "fields": {
        "customer.tin": "required",
        "lines[0].unit_price": "must be greater than 0",
        "lines[1].hsn_code": "unknown HS code; see GET /api/v1/helpers/hs-codes",
    },
    "errors": [
        {
            "field": "customer.tin",
            "code": "CUSTOMER_VALIDATION_FAILED",
            "message": "required",
            "fix": "B2B invoices need the buyer's TIN, e-mail, address, city and postal code.",
        },
        {
            "field": "lines[0].unit_price",
            "code": "unresolvable_unit_price",
            "message": "must be greater than 0",
            "fix": "Line 1 needs a positive unit price.",
        },
        {
            "field": "lines[1].hsn_code",
            "code": "unresolvable_hsn",
            "message": "unknown HS code; see GET /api/v1/helpers/hs-codes",
            "fix": "Line 2: 9999.99 is not a known HS code.",
        },
    ],
    "readiness": [],
    "nrs": None,
}


# --- validate -----------------------------------------------------------------------------------------------


def _shape_refusals(body: dict) -> list[InvoiceError]:
    """What create refuses before its rules (the reference's required fields, the published shape), kept as
    problems rather than raised."""
    refusals = []
    missing = {name: "required" for name in SPEC_REQUIRED if body.get(name) in (None, "")}
    if missing:
        refusals.append(
            InvoiceError("incomplete_unpatchable", f"Missing required field(s): {', '.join(missing)}.", fields=missing)
        )
    try:
        refuse_off_schema(body, "InvoiceRequest", reason="incomplete_unpatchable")
    except ApiError as exc:
        refusals.append(InvoiceError("incomplete_unpatchable", exc.body["error"], fields=exc.body.get("fields")))
    return refusals


@extend_schema(
    **operation(
        "Validate an invoice without issuing it",
        operation_id="validateInvoice",
        tags=["Invoices"],
        description="""
The same body as POST /api/v1/invoices/create, checked by every rule create applies — **all problems at once**,
each with its `field`, machine `code` (create's `reason`) and `fix` — and the business's set-up checklist.
Nothing is saved, no invoice number is used up, no event or webhook is sent. With `?nrs=true`, once no problem
is left here, NRS's own `invoice/validate` checks the document the invoice would become (never `sign`); when
NRS cannot be asked now the answer is **503** `NRS_UNAVAILABLE` with Retry-After.

**200** `valid: true`; **400** `valid: false` in the error shape (`error`, `reason`: the first problem's code,
`fields`) with every problem in `errors`. Counts towards the general API limit, not the create limit. A read-only
key may call it: it changes nothing.
""",
        request=json_body(schemas.INVOICE_REQUEST),
        parameters=[query("nrs", {"type": "boolean"}, "Also ask NRS's own validate (true / false).")],
        examples=schemas.INVOICE_REQUEST_EXAMPLES[:1],
        responses={
            200: response(VALIDATION_OK, "Valid: create would accept it.", ("Valid", VALID_EXAMPLE)),
            400: response(VALIDATION_FAILED, "Every problem, one per field.", ("Several problems", INVALID_EXAMPLE)),
            503: NRS_UNAVAILABLE,
        },
        errors=(413, 415, 500),
    )
)
@changes_nothing  # it saves nothing: a read-only key may check bodies
@api_view(["POST"])
@permission_classes([HasTenant])
def validate(request):
    params = QueryParams(request)
    ask_nrs = params.choice("nrs", ["true", "false"]) == "true"
    params.check()
    body = _body(request)
    try:
        report = invoice_validate(
            tenant=request._request.tenant, data=body, refusals=_shape_refusals(body), nrs=ask_nrs
        )
    except InvoiceError as exc:  # NRS_UNAVAILABLE
        return error_response(exc)
    answer = {
        "valid": report.valid,
        "errors": [problem.as_api() for problem in report.problems],
        "readiness": [item.as_api() for item in report.readiness],
        "nrs": report.nrs.as_api() if report.nrs else None,
    }
    if report.valid:
        return Response({**answer, "irn": report.irn, "payable": f"{report.payable:.2f}"})
    if report.problems:
        count = len(report.problems)
        summary = f"{count} problem{'s' if count != 1 else ''}: fix each and check again."
        reason = report.problems[0].code
        fields = {p.field: p.message for p in report.problems if p.field}
    else:
        summary, reason, fields = (
            "NRS refused the invoice: " + (report.nrs.message or "no reason given."),
            "NRS_REJECTED",
            {},
        )
    return Response(
        {"error": summary, "reason": reason, **({"fields": fields} if fields else {}), **answer}, status=400
    )


# --- QR code ------------------------------------------------------------------------------------------------


class PngRenderer(BaseRenderer):
    """The QR code as a PNG (Accept: image/png, or ?format=png); errors stay JSON."""

    media_type = "image/png"
    format = "png"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


class SvgRenderer(PngRenderer):
    media_type = "image/svg+xml"
    format = "svg"


def _certified(invoice: Invoice | None, what: str) -> Invoice:
    if invoice is None or not invoice.is_certified or not invoice.irn:
        raise ApiError(f"{what} exists once NRS has certified the invoice.", status_code=404, reason="NOT_SIGNED")
    return invoice


def _qr_answer(request, invoice: Invoice) -> Response:
    invoice = _certified(invoice, "The QR code")
    payload = invoice.qr_payload
    if not payload:  # certified before the QR was kept on the invoice: made now, as at certification, and kept
        try:
            payload = tenant_qr_payload(invoice.tenant, invoice.irn)
        except NoActiveKey:
            raise ApiError(
                "Upload the NRS crypto-key file in Settings → Crypto keys to draw this QR code.", reason="NO_KEYS"
            ) from None
        Invoice.objects.filter(pk=invoice.pk).update(qr_payload=payload)
    media_type = request.accepted_renderer.media_type
    if media_type == PngRenderer.media_type:
        return _image(qr_png(payload), media_type, invoice, "png")
    if media_type == SvgRenderer.media_type:
        return _image(qr_svg(payload), media_type, invoice, "svg")
    data_url = "data:image/png;base64," + base64.b64encode(qr_png(payload)).decode()
    return Response({"invoiceId": str(invoice.pk), "irn": invoice.irn, "qrPayload": payload, "qrCodeDataUrl": data_url})


def _image(content: bytes, media_type: str, invoice: Invoice, extension: str):
    from django.http import HttpResponse

    answer = HttpResponse(content, content_type=media_type)
    answer["Content-Disposition"] = f'inline; filename="{invoice.irn}-qr.{extension}"'
    return answer


def _qr_operation(operation_id, parameter, summary):
    return operation(
        summary,
        operation_id=operation_id,
        tags=["Invoices"],
        description="The QR code NRS defines for a certified invoice of this business, for integrators that print "
        "their own layout: JSON with `qrPayload` (what the code holds) and a PNG data URL; or the image itself with "
        "`Accept: image/png` / `image/svg+xml` (or `?format=png` / `?format=svg`). Not certified: 404 `NOT_SIGNED`.",
        parameters=[
            parameter,
            query("format", {"type": "string", "enum": ["json", "png", "svg"]}, "The answer's form."),
        ],
        responses={
            200: response(
                QR,
                "The QR payload and image.",
                (
                    "QR",
                    {
                        "invoiceId": "3f6c1a2e-8b4d-4c1e-9a7f-2d5e6b8c9a01",
                        "irn": IRN_EXAMPLE,
                        "qrPayload": "o24MzpmIqWG55j97118zzhHvRuV9pSxTsobReMpzqU2hUEeNVmQhUCH92a7yIEDRn…",
                        "qrCodeDataUrl": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAS4AAAEuCAIAAAC…",
                    },
                ),
            ),
            (200, "image/png"): response(OpenApiTypes.BINARY, "The QR code as a PNG."),
            (200, "image/svg+xml"): response(OpenApiTypes.BINARY, "The QR code as SVG."),
            404: NOT_SIGNED_404,
        },
        errors=(400,),
    )


@extend_schema(**_qr_operation("getInvoiceQr", schemas.INVOICE_ID, "The QR code of a certified invoice"))
@api_view(["GET"])
@permission_classes([HasTenant])
@renderer_classes([JSONRenderer, PngRenderer, SvgRenderer])
def qr(request, pk):
    return _qr_answer(request, _invoice(pk))


@extend_schema(**_qr_operation("getInvoiceQrByIrn", schemas.IRN, "The QR code of a certified invoice, by IRN"))
@api_view(["GET"])
@permission_classes([HasTenant])
@renderer_classes([JSONRenderer, PngRenderer, SvgRenderer])
def qr_by_irn(request, irn):
    invoice = None if NUL in irn else Invoice.objects.filter(irn=irn, status__in=Invoice.CERTIFIED_STATUSES).first()
    if invoice is None:
        raise ApiError(f"No certified invoice with IRN {irn} for this business.", status_code=404, reason="NOT_SIGNED")
    return _qr_answer(request, invoice)


# --- NRS's copy ---------------------------------------------------------------------------------------------


@extend_schema(
    **operation(
        "What NRS holds for an invoice",
        operation_id="getInvoiceNrsCopy",
        tags=["Invoices"],
        description="Asks NRS now (`confirm/{irn}` and `download/{irn}`) and compares its registered document "
        "with ours: totals, dates, currency and both parties. A difference is kept on the invoice and shown on its "
        "page. Not certified: 400 `NOT_SIGNED`. NRS not answering: 503 `NRS_UNAVAILABLE` with Retry-After.",
        parameters=[schemas.INVOICE_ID],
        responses={
            200: response(
                NRS_COPY,
                "NRS's copy beside ours.",
                (
                    "Differs",
                    {
                        "invoiceId": "3f6c1a2e-8b4d-4c1e-9a7f-2d5e6b8c9a01",
                        "irn": IRN_EXAMPLE,
                        "checkedAt": "2026-04-25T09:30:00Z",
                        "found": True,
                        "matches": False,
                        "differences": [
                            {"field": "payable", "label": "Total", "nrs": "537500.00", "flowpoint": "500000.00"}
                        ],
                        "nrs": {
                            "signed": True,
                            "signedAt": "2026-04-25T09:29:58Z",
                            "transmitted": True,
                            "paymentStatus": "PENDING",
                            "document": {"irn": IRN_EXAMPLE, "legal_monetary_total": {"payable_amount": 537500}},
                        },
                        "flowpoint": {
                            "status": "CERTIFIED",
                            "paymentStatus": "UNPAID",
                            "payable": "500000.00",
                            "taxTotal": "34883.72",
                            "issueDate": "2026-04-25",
                        },
                    },
                ),
            ),
            400: error(
                "Not certified yet.",
                ("NOT_SIGNED", {"error": "NRS holds an invoice once it has certified it.", "reason": "NOT_SIGNED"}),
            ),
            503: NRS_UNAVAILABLE,
        },
        errors=(404, 500),
    )
)
@api_view(["GET"])
@permission_classes([HasTenant])
def nrs_copy(request, pk):
    invoice = _invoice(pk)
    if not invoice.is_certified or not invoice.irn:
        return error_response(
            InvoiceError("NOT_SIGNED", "NRS holds an invoice once it has certified it; this one is not certified yet.")
        )
    try:
        copy = invoice_nrs_copy(invoice)
    except InvoiceError as exc:  # NRS_UNAVAILABLE
        return error_response(exc)
    except NrsError as exc:  # NRS refused the business's credentials: its words, as a 502
        return error_response(
            InvoiceError(
                "SUBMISSION_ERROR", "NRS could not be asked for its copy.", status=502, extra={"nrsError": str(exc)}
            )
        )
    confirm = copy.confirm
    return Response(
        {
            "invoiceId": str(invoice.pk),
            "irn": invoice.irn,
            "checkedAt": invoice.nrs_checked_at.isoformat().replace("+00:00", "Z"),
            "found": copy.found,
            "matches": not copy.differences,
            "differences": [
                {"field": d["field"], "label": d["label"], "nrs": d["nrs"], "flowpoint": d["ours"]}
                for d in copy.differences
            ],
            "nrs": {
                "signed": True,
                "signedAt": confirm.get("signed_at"),
                "transmitted": bool(confirm.get("transmitted")),
                "paymentStatus": confirm.get("payment_status") or copy.document.get("payment_status"),
                "document": copy.document,
            }
            if copy.found
            else None,
            "flowpoint": {
                "status": invoice.status,
                "paymentStatus": invoice.payment_status,
                "payable": f"{invoice.payable:.2f}",
                "taxTotal": f"{invoice.tax_total:.2f}",
                "issueDate": invoice.issue_date.isoformat(),
            },
        }
    )


urlpatterns = [
    path("invoices/validate", validate, name="api_invoice_validate"),
    path("invoices/<uuid:pk>/qr", qr, name="api_invoice_qr"),
    path("invoices/by-irn/<str:irn>/qr", qr_by_irn, name="api_invoice_qr_by_irn"),
    path("invoices/<uuid:pk>/nrs", nrs_copy, name="api_invoice_nrs"),
]
