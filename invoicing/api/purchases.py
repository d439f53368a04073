"""The integrator API for invoices received through NRS (the buyer's side): list, read, acknowledge, pull now.

A thin layer over invoicing/purchases/services.py, shaped as the invoice API is: the reference's list envelope and
parameter style (`limit`, `offset`, `from`, `to`, a `*_tin` filter), its error shape, API key or session.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from invoicing.api.invoices import actor, error_response
from invoicing.api.representations import (
    PURCHASE_DETAIL,
    PURCHASE_STATUS,
    PURCHASE_SUMMARY,
    iso,
    purchase_detail,
    purchase_summary,
)
from invoicing.errors import InvoiceError
from invoicing.models import PurchasePull, ReceivedInvoice
from invoicing.purchases.services import purchase_acknowledge, purchases_pull_enqueue
from portal.api_errors import NUL, ApiError, refuse_nul
from portal.api_pagination import paginated
from portal.openapi import (
    DATE,
    IRN_EXAMPLE,
    NO_NUL,
    TIMESTAMP,
    component,
    error,
    obj,
    operation,
    page_of,
    paging,
    path_parameter,
    query,
    ref,
    response,
    text,
)
from portal.query_params import QueryParams
from tenants.models import Membership
from tenants.permissions import HasTenant

Status = ReceivedInvoice.Status
Role = Membership.Role
DECIDERS = (Role.ADMIN, Role.APPROVER)  # who acknowledges, accepts and disputes in the portal
MAX_LIMIT = 500  # as GET /api/v1/invoices

IRN = path_parameter("irn", "str", f"The supplier's Invoice Reference Number, e.g. {IRN_EXAMPLE}.")

PURCHASE_EXAMPLE = {
    "irn": "SI20260412-7HQ2KD01-20260412",
    "documentNumber": "SI-2026-0412",
    "invoiceType": "invoice",
    "status": "new",
    "issueDate": "2026-04-12",
    "dueDate": "2026-05-12",
    "currency": "NGN",
    "supplier": {"name": "Ikeja Office Supplies Ltd", "tin": "23456789-0001"},
    "lineExtensionAmount": "40000.00",
    "taxAmount": "3000.00",
    "payableAmount": "43000.00",
    "transmittedAt": "2026-04-12T10:02:11Z",
    "receivedAt": "2026-04-12T10:05:00Z",
    "acknowledgedAt": None,
    "decidedAt": None,
    "links": {
        "self": "/api/v1/purchases/SI20260412-7HQ2KD01-20260412",
        "acknowledge": "/api/v1/purchases/SI20260412-7HQ2KD01-20260412/acknowledge",
    },
}

NRS_FAILED = component(
    "PurchaseNrsError",
    {
        "allOf": [
            ref("Error"),
            obj({"nrsError": text("What NRS answered (or that it did not answer).")}, required=["nrsError"]),
        ],
        "description": "NRS did not take the acknowledgement: nothing changed; retry later.",
    },
)

SYNC = component(
    "PurchaseSync",
    obj(
        {
            "status": text("The pull is queued; new invoices appear in GET /api/v1/purchases.", const="QUEUED"),
            "lastPulledAt": TIMESTAMP,
            "seenThrough": {**DATE, "type": ["string", "null"], "description": "Pulled up to this issue date."},
            "lastError": {
                "type": ["string", "null"],
                "description": "NRS's words when the last pull failed; null once a pull succeeds.",
            },
            "lastErrorAt": TIMESTAMP,
        },
        required=["status", "lastPulledAt", "seenThrough", "lastError", "lastErrorAt"],
    ),
)


def _may_acknowledge(request) -> None:
    """In the portal only admins and approvers acknowledge; a person's session here may do no more. (An API key
    is not limited by portal roles: the reference.)"""
    membership = request._request.membership
    if request._request.api_key is None and membership is not None and membership.role not in DECIDERS:
        raise ApiError(
            f"Only admins and approvers acknowledge received invoices; your role is {Role(membership.role).label}.",
            status_code=403,
        )


def _received(irn) -> ReceivedInvoice:
    """This business's received invoice by IRN: 404 for an unknown one and another business's alike."""
    found = None if NUL in irn else ReceivedInvoice.objects.select_related("supplier").filter(irn=irn).first()
    if found is None:
        raise ApiError(f"No received invoice with IRN {irn} for this business.", status_code=404)
    return found


@extend_schema(
    **operation(
        "List invoices received from suppliers",
        operation_id="listPurchases",
        tags=["Purchases"],
        description="Invoices, credit and debit notes your suppliers certified with NRS and NRS delivered to your "
        "business, newest issue date first. Flowpoint pulls them from NRS every few minutes; "
        "POST /api/v1/purchases/sync pulls now.",
        parameters=[
            *paging(MAX_LIMIT),
            query("from", DATE, "Issued on or after (YYYY-MM-DD)."),
            query("to", DATE, "Issued on or before (YYYY-MM-DD)."),
            query("supplier_tin", text(maxLength=20, pattern=NO_NUL), "Supplier TIN, exact."),
            query("status", PURCHASE_STATUS, "new, acknowledged, accepted or disputed."),
            query("q", text(maxLength=100, pattern=NO_NUL), "Search document number, IRN or supplier name."),
        ],
        responses={
            200: response(
                page_of(PURCHASE_SUMMARY.schema),
                "A page of received invoices.",
                ("Page", {"items": [PURCHASE_EXAMPLE], "total": 1, "limit": 50, "offset": 0}),
            )
        },
        errors=(400,),
    )
)
@api_view(["GET"])
@permission_classes([HasTenant])
def list_purchases(request):
    params = QueryParams(request)
    refuse_nul(request.query_params)
    issued_from, issued_to = params.date("from"), params.date("to")
    status = params.choice("status", Status.values)
    supplier_tin = params.text("supplier_tin", max_length=20)
    q = params.text("q", max_length=100)
    params.check()
    qs = ReceivedInvoice.objects.select_related("supplier").order_by("-issue_date", "-received_at")
    if issued_from:
        qs = qs.filter(issue_date__gte=issued_from)
    if issued_to:
        qs = qs.filter(issue_date__lte=issued_to)
    if status:
        qs = qs.filter(status=status)
    if supplier_tin:
        qs = qs.filter(supplier__tin=supplier_tin)
    if q:
        from django.db.models import Q

        qs = qs.filter(Q(document_number__icontains=q) | Q(irn__icontains=q) | Q(supplier__name__icontains=q))
    return paginated(request, qs, purchase_summary, max_limit=MAX_LIMIT)


@extend_schema(
    **operation(
        "Pull received invoices from NRS now",
        operation_id="syncPurchases",
        tags=["Purchases"],
        description="Queues a pull of your received invoices from NRS (Flowpoint also pulls every few minutes) "
        "and answers at once with where the pulls stand. New invoices then appear in GET /api/v1/purchases, and "
        "a `purchase.received` webhook event is sent for each.",
        request=None,
        responses={202: response(SYNC, "The pull is queued.")},
    )
)
@api_view(["POST"])
@permission_classes([HasTenant])
def sync(request):
    tenant = request._request.tenant
    purchases_pull_enqueue(tenant)
    pull = PurchasePull.objects.filter(tenant=tenant).first()
    body = {
        "status": "QUEUED",
        "lastPulledAt": iso(pull.last_pulled_at) if pull else None,
        "seenThrough": pull.seen_through.isoformat() if pull and pull.seen_through else None,
        "lastError": (pull.last_error or None) if pull else None,
        "lastErrorAt": iso(pull.last_error_at) if pull and pull.last_error else None,
    }
    return Response(body, status=202)


@extend_schema(
    **operation(
        "Get a received invoice",
        operation_id="getPurchase",
        tags=["Purchases"],
        description="The received invoice in full: supplier, lines and taxes as the supplier's NRS document "
        "states them, totals, status, and when it was acknowledged, accepted or disputed.",
        parameters=[IRN],
        responses={200: response(PURCHASE_DETAIL.schema, "The received invoice.")},
        errors=(404,),
    )
)
@api_view(["GET"])
@permission_classes([HasTenant])
def detail(request, irn):
    return Response(purchase_detail(_received(irn)))


@extend_schema(
    **operation(
        "Acknowledge receipt to NRS",
        operation_id="acknowledgePurchase",
        tags=["Purchases"],
        description="Confirms to NRS that your business received the invoice (the supplier sees it as "
        "acknowledged), and records when. Acknowledging again changes nothing and asks NRS nothing. "
        "When NRS does not take it: **502** with `nrsError`, and nothing changes.",
        request=None,
        parameters=[IRN],
        responses={
            200: response(PURCHASE_DETAIL.schema, "Acknowledged (now or before)."),
            502: response(
                NRS_FAILED,
                "NRS did not take the acknowledgement: read nrsError; retry later.",
                (
                    "NRS refused",
                    {
                        "error": "NRS did not take the acknowledgement; nothing was changed. Try again.",
                        "reason": "SUBMISSION_ERROR",
                        "nrsError": "invoice with irn SI20260412-7HQ2KD01-20260412 not found",
                    },
                ),
            ),
            403: error(
                "A portal session of a clerk or reviewer (only admins and approvers acknowledge), or a signed-in "
                "user who belongs to no business.",
                (
                    "Clerk",
                    {"error": "Only admins and approvers acknowledge received invoices; your role is Clerk."},
                ),
            ),
        },
        errors=(404,),
    )
)
@api_view(["POST"])
@permission_classes([HasTenant])
def acknowledge(request, irn):
    _may_acknowledge(request)  # before the look-up: a refused role learns nothing of which IRNs exist
    received = _received(irn)
    try:
        received = purchase_acknowledge(received=received, actor=actor(request))
    except InvoiceError as error:
        return error_response(error)
    return Response(purchase_detail(received))


# `sync` before `<irn>`: a POST to /purchases/sync is the pull, never an IRN "sync".
urlpatterns = [
    path("purchases", list_purchases, name="api_purchase_list"),
    path("purchases/sync", sync, name="api_purchase_sync"),
    path("purchases/<str:irn>", detail, name="api_purchase_detail"),
    path("purchases/<str:irn>/acknowledge", acknowledge, name="api_purchase_acknowledge"),
]
