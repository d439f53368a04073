"""Customers and items for integrators: list (≤ 200), create with the spec's `code`s, search (q 2–100)."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from invoicing import master_data
from invoicing.api import schemas
from invoicing.master_data import MasterDataError
from portal.api_errors import NUL_MESSAGE, ApiError, nul_paths, refuse_nul
from portal.api_pagination import paginated
from portal.contract import off_schema
from portal.idempotency import idempotent
from portal.openapi import (
    NO_NUL,
    SCHEMA_SPACES,
    SEARCH_TEXT,
    error,
    examples,
    found_of,
    idempotency,
    json_body,
    operation,
    page_of,
    paging,
    query,
    response,
    text,
)
from portal.query_params import QueryParams
from tenants.permissions import HasTenant

TAGS = ["Customers & Items"]

# The spec's code for a field's wrong value, used for a wrong JSON type too (null unitPriceKobo is invalid_price).
FIELD_CODES = {
    "customerKind": "invalid_kind",
    "tin": "invalid_tin",
    "email": "invalid_email",
    "phone": "invalid_phone",
    "state": "invalid_state",
    "lga": "invalid_lga",
    "country": "invalid_country",
    "unitPriceKobo": "invalid_price",
    "costKobo": "invalid_cost",
    "taxScheme": "invalid_tax_scheme",
    "taxRate": "invalid_tax_rate",
    "hsCode": "invalid_hs_code",
    "serviceCode": "invalid_service_code",
    "unit": "invalid_unit",
}


def _error(exc: MasterDataError) -> Response:
    body = {"error": exc.message, "code": exc.code}
    if exc.field:
        body["fields"] = {exc.field: exc.message}
    return Response(body, status=exc.status)


def customer_out(customer) -> dict:
    """A customer with the same field names as the create body (`customerKind`)."""
    row = master_data.customer_row(customer)
    return {"id": row.pop("id"), "customerKind": row.pop("kind"), **row}


def _search_q(request) -> str:
    refuse_nul(request.query_params)
    q = request.query_params.get("q") or ""
    if len(q) > 100 or len(q.strip(SCHEMA_SPACES)) < 2:  # the schema's maxLength; its pattern: 2 besides spaces
        raise ApiError("q is required: 2 to 100 characters.")
    return q.strip(SCHEMA_SPACES)


def _list_q(request) -> str:
    """The optional filter of the lists: at most 100 characters, as the schema says (never cut short)."""
    refuse_nul(request.query_params)
    params = QueryParams(request)
    q = params.text("q", max_length=100)
    params.check()
    return q


def _create(request, create, row, component):
    if not isinstance(request.data, dict):
        return Response({"error": "The body must be a JSON object.", "code": "missing_field"}, status=400)
    if paths := nul_paths(request.data):
        fields = dict.fromkeys(paths, NUL_MESSAGE)
        return Response({"error": f"Text {NUL_MESSAGE}.", "code": "invalid_characters", "fields": fields}, status=400)
    # JSON types as the schema declares them (0 is not the name "0", null is not text), answered with the field's
    # own code as the spec lists them; the values themselves are master_data's to judge.
    if problems := off_schema(request.data, component, only={"type"}):
        code = FIELD_CODES.get(next(iter(problems)), "invalid_field")
        error = f"Some fields have the wrong JSON type; see fields ({', '.join(problems)})."
        return Response({"error": error, "code": code, "fields": problems}, status=400)
    try:
        record = create(tenant=request._request.tenant, data=request.data)
    except MasterDataError as exc:
        return _error(exc)
    return Response(row(record), status=201)


@extend_schema(
    methods=["GET"],
    **operation(
        "List customers",
        operation_id="listCustomers",
        tags=TAGS,
        parameters=[
            *paging(200),
            query("q", text(maxLength=100, pattern=NO_NUL), "Optional: name, TIN or e-mail contains."),
        ],
        responses={200: response(page_of(schemas.CUSTOMER), "A page of customers.")},
        errors=(400,),
    ),
)
@extend_schema(
    methods=["POST"],
    **operation(
        "Create a customer",
        operation_id="createCustomer",
        tags=TAGS,
        description="A repeat B2B or B2G buyer. Errors carry `code` (master-data codes).",
        request=json_body(schemas.CUSTOMER_INPUT),
        parameters=idempotency(),
        examples=examples(("B2B customer", schemas.CUSTOMER_EXAMPLE), request_only=True),
        responses={
            201: response(schemas.CUSTOMER, "Created."),
            400: error(
                "missing_field, invalid_tin, invalid_email, invalid_phone, invalid_state, invalid_lga, invalid_kind.",
                (
                    "invalid_tin",
                    {
                        "error": "Enter a TIN of at least 5 characters, such as 12345678-0001.",
                        "code": "invalid_tin",
                        "fields": {"tin": "Enter a TIN of at least 5 characters."},
                    },
                ),
            ),
            409: error(
                "tin_exists, or an Idempotency-Key reused with another body.",
                ("tin_exists", {"error": "A customer with this TIN already exists.", "code": "tin_exists"}),
            ),
        },
        errors=(413, 415, 500),
    ),
)
@api_view(["GET", "POST"])
@permission_classes([HasTenant])
@idempotent
def customers(request):
    if request.method == "POST":
        return _create(request, master_data.customer_create, customer_out, "CustomerInput")
    qs = master_data.customer_queryset(tenant=request._request.tenant, q=_list_q(request))
    return paginated(request, qs, customer_out, max_limit=200)


@extend_schema(
    **operation(
        "Search customers (typeahead)",
        operation_id="searchCustomers",
        tags=TAGS,
        parameters=[
            query(
                "q",
                text(minLength=2, maxLength=100, pattern=SEARCH_TEXT),
                "Name, TIN or e-mail; 2–100 characters.",
                True,
            )
        ],
        responses={
            200: response(found_of(schemas.CUSTOMER), "Up to 20 matches."),
            400: error("q missing or out of range.", schemas.BAD_Q_EXAMPLE),
        },
    )
)
@api_view(["GET"])
@permission_classes([HasTenant])
def customers_search(request):
    found = master_data.customer_search(tenant=request._request.tenant, q=_search_q(request))
    return Response({"items": [customer_out(c) for c in found], "total": len(found)})


@extend_schema(
    methods=["GET"],
    **operation(
        "List items",
        operation_id="listItems",
        tags=TAGS,
        parameters=[*paging(200), query("q", text(maxLength=100, pattern=NO_NUL), "Optional: name or code contains.")],
        responses={200: response(page_of(schemas.ITEM), "A page of items.")},
        errors=(400,),
    ),
)
@extend_schema(
    methods=["POST"],
    **operation(
        "Create an item",
        operation_id="createItem",
        tags=TAGS,
        description="A catalogue item; prices in kobo. Errors carry `code` (master-data codes).",
        request=json_body(schemas.ITEM_INPUT),
        parameters=idempotency(),
        examples=examples(("Service item", schemas.ITEM_EXAMPLE), request_only=True),
        responses={
            201: response(schemas.ITEM, "Created."),
            400: error(
                "missing_field, invalid_price, invalid_cost, invalid_tax_scheme.",
                (
                    "invalid_price",
                    {
                        "error": "Enter the unit price (in kobo: ₦1,500.00 is 150000); it must be above zero.",
                        "code": "invalid_price",
                        "fields": {"unitPriceKobo": "Enter the unit price; it must be above zero."},
                    },
                ),
            ),
            409: error(
                "item_exists, or an Idempotency-Key reused with another body.",
                ("item_exists", {"error": "An item with this name already exists.", "code": "item_exists"}),
            ),
        },
        errors=(413, 415, 500),
    ),
)
@api_view(["GET", "POST"])
@permission_classes([HasTenant])
@idempotent
def items(request):
    if request.method == "POST":
        return _create(request, master_data.item_create, master_data.item_row, "ItemInput")
    qs = master_data.item_queryset(tenant=request._request.tenant, q=_list_q(request))
    return paginated(request, qs, master_data.item_row, max_limit=200)


@extend_schema(
    **operation(
        "Search items (typeahead)",
        operation_id="searchItems",
        tags=TAGS,
        parameters=[
            query("q", text(minLength=2, maxLength=100, pattern=SEARCH_TEXT), "Name or code; 2–100 characters.", True)
        ],
        responses={
            200: response(found_of(schemas.ITEM), "Up to 20 matches."),
            400: error("q missing or out of range.", schemas.BAD_Q_EXAMPLE),
        },
    )
)
@api_view(["GET"])
@permission_classes([HasTenant])
def items_search(request):
    found = master_data.item_search(tenant=request._request.tenant, q=_search_q(request))
    return Response({"items": [master_data.item_row(i) for i in found], "total": len(found)})


urlpatterns = [
    path("customers", customers, name="api_customers"),
    path("customers/search", customers_search, name="api_customers_search"),
    path("items", items, name="api_items"),
    path("items/search", items_search, name="api_items_search"),
]
