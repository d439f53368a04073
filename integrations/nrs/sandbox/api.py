"""The sandbox's HTTP face: NRS's paths, headers, envelopes, status codes and error strings (NRS.md)."""

import json
import random
import time
import uuid
import zoneinfo
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from integrations.nrs.sandbox import resources, services
from integrations.nrs.sandbox.models import SandboxBusiness, SandboxInvoice, SandboxRequest
from integrations.nrs.sandbox.services import buyer_tin

BAD_KEY = "unable to validate api key"
TRY_LATER = "unable to complete this operation at this time, kindly try again later"
OFFLINE = "access points are offline"
VALIDATION_PUBLIC = (
    "validation failed: we are unable to process your request. also confirm this is not a duplicate request"
)
NO_ROUTE = "no route found for this path. kindly check your request and try again"


def ok(data=None):
    return JsonResponse({"code": 200, "data": data if data is not None else {"ok": True}})


def error(status: int, details: str, public_message: str, handler: str = "invoice_actions"):
    return JsonResponse(
        {
            "code": status,
            "data": None,
            "message": "error has occurred",
            "error": {
                "id": str(uuid.uuid4()),
                "handler": handler,
                "details": details,
                "public_message": public_message,
            },
        },
        status=status,
    )


def _log(request, response, business, fault, started):
    body = request.body[: 64 * 1024].decode("utf-8", "replace") if request.body else ""
    SandboxRequest.objects.create(
        method=request.method,
        path=request.path[:300],
        api_key_prefix=request.headers.get("x-api-key", "")[:8],
        business=business,
        request_body=body,
        status_code=response.status_code,
        response_body=response.content[: 64 * 1024].decode("utf-8", "replace"),
        fault=fault,
        duration_ms=int((time.monotonic() - started) * 1000),
    )


def endpoint(*methods, auth=True):
    """Wrap a handler: method check, fault injection, api key check, JSON body, logging."""

    def decorator(handler):
        @csrf_exempt
        @wraps(handler)
        def view(request, **kwargs):
            started = time.monotonic()
            business, fault = None, ""
            conf = services.faults()
            if conf["latency_ms"]:
                time.sleep(conf["latency_ms"] / 1000)
            if request.method not in methods:
                response = JsonResponse({"code": 404, "data": None, "message": NO_ROUTE}, status=404)
            elif random.random() < conf["timeout_rate"]:
                fault = "timeout"
                time.sleep(settings.NRS_SANDBOX_TIMEOUT_SECONDS)  # past the client's read timeout
                response = error(504, "upstream request timeout", TRY_LATER)
            elif random.random() < conf["error_rate"]:
                fault = "error_500"
                response = error(500, "internal server error", TRY_LATER)
            elif random.random() < conf.get("throttle_rate", 0.0):
                fault = "throttled"
                response = error(429, "too many requests", TRY_LATER)
                response["Retry-After"] = str(conf.get("retry_after_seconds", 2))
            else:
                if auth:
                    business = services.business_for_credentials(
                        request.headers.get("x-api-key", ""), request.headers.get("x-api-secret", "")
                    )
                if auth and business is None:
                    response = error(400, BAD_KEY, BAD_KEY, handler="authentication")
                else:
                    try:
                        body = json.loads(request.body, parse_float=Decimal) if request.body else None
                    except (ValueError, UnicodeDecodeError):
                        response = error(400, "invoicerequest must be valid json", VALIDATION_PUBLIC)
                    else:
                        request.nrs_body = body
                        response = handler(request, business, conf, **kwargs)
                        fault = getattr(response, "fault", "")
            _log(request, response, business, fault, started)
            return response

        return view

    return decorator


@endpoint("GET", auth=False)
def health(request, business, conf):
    return JsonResponse({"healthy": True})


@endpoint("GET")
def entity(request, business, conf, entity_id):
    found = SandboxBusiness.objects.filter(business_id=entity_id).first()
    if found is None or found != business:
        return error(404, f"entity {entity_id} not found", "entity not found", handler="entity")
    return ok(
        {
            "id": str(found.business_id),
            "name": found.name,
            "tin": found.tin,
            "email": found.email,
            "service_id": found.service_id,
            "irn_template": found.irn_template,
        }
    )


@endpoint("POST")
def irn_validate(request, business, conf):
    body = request.nrs_body if isinstance(request.nrs_body, dict) else {}
    if str(body.get("business_id")) != str(business.business_id):
        return error(400, services.IRN_TEMPLATE_ERROR, VALIDATION_PUBLIC)
    try:
        services.irn_check(business, str(body.get("irn", "")))
    except services.DocumentInvalid as exc:
        return error(400, exc.details, VALIDATION_PUBLIC)
    number = str(body.get("irn", "")).rsplit("-", 2)[0]
    if body.get("invoice_reference") and "".join(ch for ch in str(body["invoice_reference"]) if ch.isalnum()) != number:
        return error(400, services.IRN_TEMPLATE_ERROR, VALIDATION_PUBLIC)
    return ok()


def _checked(request, business, conf):
    try:
        services.document_check(business, request.nrs_body, strict=conf["strict"])
    except services.DocumentInvalid as exc:
        return error(400, exc.details, VALIDATION_PUBLIC)
    return None


@endpoint("POST")
def validate(request, business, conf):
    return _checked(request, business, conf) or ok()


@endpoint("POST")
def sign(request, business, conf):
    problem = _checked(request, business, conf)
    if problem:
        return problem
    irn = request.nrs_body["irn"]
    existing = SandboxInvoice.objects.filter(irn=irn).first()
    if existing:
        # What MBS has been seen to answer for a second sign of one IRN: ambiguous on purpose.
        return error(400, TRY_LATER, TRY_LATER)
    SandboxInvoice.objects.create(
        business=business,
        irn=irn,
        document=json.loads(json.dumps(request.nrs_body, default=str)),
        payment_status=request.nrs_body.get("payment_status") or "PENDING",
    )
    if random.random() < conf["lost_response_rate"]:
        response = error(502, "bad gateway", TRY_LATER)  # signed, but the caller never learns it
        response.fault = "lost_response"
        return response
    return ok()


def _invoice(business, irn):
    return SandboxInvoice.objects.filter(business=business, irn=irn).first()


def _not_found(irn):
    return error(404, f"invoice with irn {irn} not found", "invoice not found")


def _summary(invoice: SandboxInvoice) -> dict:
    doc = invoice.document
    return {
        "irn": invoice.irn,
        "business_id": str(invoice.business_id),
        "invoice_type_code": doc.get("invoice_type_code"),
        "issue_date": doc.get("issue_date"),
        "payment_status": invoice.payment_status,
        "signed_at": invoice.signed_at.isoformat(),
        "transmitted": invoice.transmitted_at is not None,
        "payable_amount": (doc.get("legal_monetary_total") or {}).get("payable_amount"),
    }


@endpoint("GET")
def confirm(request, business, conf, irn):
    invoice = _invoice(business, irn)
    return ok(_summary(invoice)) if invoice else _not_found(irn)


@endpoint("GET")
def download(request, business, conf, irn):
    invoice = _invoice(business, irn)
    if not invoice:
        return _not_found(irn)
    return ok({**invoice.document, "payment_status": invoice.payment_status})


@endpoint("GET")
def search(request, business, conf, business_id):
    if str(business_id) != str(business.business_id):
        return error(404, f"entity {business_id} not found", "entity not found", handler="entity")
    qs = SandboxInvoice.objects.filter(business=business)
    if request.GET.get("irn"):
        qs = qs.filter(irn=request.GET["irn"])
    if request.GET.get("payment_status"):
        qs = qs.filter(payment_status=request.GET["payment_status"])
    return ok(resources.paged([_summary(i) for i in qs], request))


@endpoint("PATCH")
def update(request, business, conf, irn):
    invoice = _invoice(business, irn)
    if not invoice:
        return _not_found(irn)
    body = request.nrs_body if isinstance(request.nrs_body, dict) else {}
    status = body.get("payment_status")
    if status not in ("PENDING", "PARTIAL", "PAID", "REJECTED"):
        return error(400, "payment_status must be one of pending, partial, paid, rejected", VALIDATION_PUBLIC)
    invoice.payment_status = status
    invoice.payment_reference = str(body.get("reference") or "")[:100]
    invoice.save(update_fields=["payment_status", "payment_reference"])
    return ok()


@endpoint("POST", "PATCH")
def transmit(request, business, conf, irn):
    if request.method == "PATCH":
        return _transmit_confirm(business, irn)
    invoice = _invoice(business, irn)
    if not invoice:
        return _not_found(irn)
    if not invoice.document.get("accounting_customer_party"):
        return error(400, "only b2b and b2g invoices are transmitted", VALIDATION_PUBLIC, handler="transmit")
    if random.random() < conf["offline_rate"]:
        response = error(400, OFFLINE, OFFLINE, handler="transmit")
        response.fault = "offline"
        return response
    if invoice.transmitted_at is None:
        invoice.transmitted_at = timezone.now()
        invoice.buyer_tin = buyer_tin(invoice.document)
        invoice.save(update_fields=["transmitted_at", "buyer_tin"])
    return ok()


def _delivered_to(business: SandboxBusiness):
    """The transmitted B2B/B2G invoices NRS routed to this business: those whose buyer TIN is its TIN. Two
    businesses on one portal thus trade with each other through the sandbox as through NRS."""
    if not business.tin:
        return SandboxInvoice.objects.none()
    return SandboxInvoice.objects.filter(buyer_tin=business.tin, transmitted_at__isnull=False)


def _transmit_confirm(business, irn):
    """The buyer's side confirms receipt. Only the buyer may: to anyone else (the supplier included) the invoice
    was never delivered, and the answer is NRS's not-found. Confirming again keeps the first time."""
    invoice = _delivered_to(business).filter(irn=irn).first()
    if invoice is None:
        if SandboxInvoice.objects.filter(irn=irn).exists():
            return error(404, f"invoice with irn {irn} was not transmitted to this business", "invoice not found")
        return _not_found(irn)
    if invoice.transmit_confirmed_at is None:
        invoice.transmit_confirmed_at = timezone.now()
        invoice.save(update_fields=["transmit_confirmed_at"])
    return ok()


def _day(request, name):
    try:
        return date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return None


@endpoint("GET")
def transmit_pull(request, business, conf):
    """The buyer's inbox: invoices transmitted to this business with their transmit date (Lagos) in [from, to].

    How `confirmed` reads (NRS.md shows only `confirmed=true`, in the pull a buyer makes to find its invoices):
    it says whether invoices this business already confirmed are included. `true` answers all of them,
    `false` only those it has not confirmed yet. Read the other way (`true`: only confirmed ones), the documented
    call would never show a buyer a new invoice. Absent, it is `true`."""
    start, end = _day(request, "from"), _day(request, "to")
    for name, day in (("from", start), ("to", end)):
        if day is None:
            return error(400, f"{name} must be a valid date in the format yyyy-mm-dd", VALIDATION_PUBLIC, "transmit")
    if end < start:
        return error(400, "to must be on or after from", VALIDATION_PUBLIC, handler="transmit")
    confirmed = request.GET.get("confirmed", "true").strip().lower()
    if confirmed not in ("true", "false"):
        return error(400, "confirmed must be true or false", VALIDATION_PUBLIC, handler="transmit")
    lagos = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    found = _delivered_to(business).filter(
        transmitted_at__gte=datetime.combine(start, clock.min, tzinfo=lagos),
        transmitted_at__lt=datetime.combine(end + timedelta(days=1), clock.min, tzinfo=lagos),
    )
    if confirmed == "false":
        found = found.filter(transmit_confirmed_at__isnull=True)
    invoices = [
        services.delivered_document(invoice)
        for invoice in found.select_related("business").order_by("transmitted_at", "irn")
    ]
    return ok({"invoices": invoices})


@endpoint("GET")
def transmit_lookup(request, business, conf, irn):
    """For the supplier: PENDING (not transmitted yet), TRANSMITTED (at the buyer's access point), CONFIRMED (the
    buyer confirmed receipt), with the times."""
    invoice = _invoice(business, irn)
    if not invoice:
        return _not_found(irn)
    status = "CONFIRMED" if invoice.transmit_confirmed_at else "TRANSMITTED" if invoice.transmitted_at else "PENDING"
    return ok(
        {
            "irn": irn,
            "status": status,
            "transmitted_at": invoice.transmitted_at and invoice.transmitted_at.isoformat(),
            "confirmed_at": invoice.transmit_confirmed_at and invoice.transmit_confirmed_at.isoformat(),
        }
    )


@endpoint("GET")
def transmit_health(request, business, conf):
    return ok({"healthy": True})


@endpoint("POST")
def verify_tin(request, business, conf):
    body = request.nrs_body if isinstance(request.nrs_body, dict) else {}
    tin = str(body.get("tin") or "").strip()
    if len(tin) < 5:
        return error(400, "tin must be at least in length or value 5", VALIDATION_PUBLIC, handler="utilities")
    # Sandbox convention: TINs starting 0000 are unknown to NRS; all others are registered taxpayers.
    if tin.startswith("0000"):
        return error(404, f"tin {tin} not found", "taxpayer not found", handler="utilities")
    known = SandboxBusiness.objects.filter(tin=tin).first()
    return ok({"tin": tin, "taxpayer_name": known.name if known else f"Sandbox Taxpayer {tin}", "status": "ACTIVE"})


@endpoint("GET")
def resource(request, business, conf, name):
    rows = resources.load(name)
    if rows is None:
        return JsonResponse({"code": 404, "data": None, "message": NO_ROUTE}, status=404)
    return ok(rows)


@csrf_exempt
def no_route(request, path=""):
    response = JsonResponse({"code": 404, "data": None, "message": NO_ROUTE}, status=404)
    _log(request, response, None, "", time.monotonic())
    return response
