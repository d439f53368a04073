"""Reference look-ups for integrators (states, LGAs, codes…), from the reference tables, cacheable."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q
from django.urls import path
from django.utils.cache import patch_cache_control
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes

from integrations.reference import models as ref
from portal.api_errors import ApiError, refuse_nul
from portal.api_pagination import paginated
from portal.openapi import NO_NUL, integer, nullable, operation, page_of, paging, query, response, text
from portal.query_params import QueryParams
from portal.shapes import Field, Shape
from tenants.permissions import HasTenant


@dataclass(frozen=True)
class Helper:
    """One reference list: its rows, the fields ?q= searches, and its row Shape (the answer and its schema), with
    the docs' description and example row."""

    rows: Callable
    searched: tuple
    row: Shape
    description: str
    example: dict


def _code_and(**more: Field) -> Shape:
    """Rows of `code` (and `name`, unless `more` says otherwise) plus `more`."""
    fields = {"code": Field(text(), lambda row: row.code), "name": Field(text(), lambda row: row.name)}
    return Shape(None, fields | more)


HELPERS = {
    "states": Helper(
        lambda: ref.State.objects.order_by("name"),
        ("name",),
        _code_and(),
        "Nigerian states.",
        {"code": "NG-LA", "name": "Lagos"},
    ),
    "lgas": Helper(
        lambda: ref.Lga.objects.order_by("state_id", "name"),
        ("name",),
        _code_and(state=Field(text("State code."), lambda lga: lga.state_id)),
        "Local government areas; `?state=NG-LA` for one state's.",
        {"code": "NG-LA-IKJ", "name": "Ikeja", "state": "NG-LA"},
    ),
    "countries": Helper(
        lambda: ref.Country.objects.order_by("name"),
        ("name", "alpha_2"),
        Shape(
            None,
            {
                "code": Field(text("ISO alpha-2."), lambda country: country.alpha_2),
                "alpha3": Field(text(), lambda country: country.alpha_3),
                "name": Field(text(), lambda country: country.name),
            },
        ),
        "Countries (ISO 3166).",
        {"code": "NG", "alpha3": "NGA", "name": "Nigeria"},
    ),
    "currencies": Helper(
        lambda: ref.Currency.objects.order_by("code"),
        ("code", "name"),
        _code_and(
            symbol=Field(text(), lambda currency: currency.symbol),
            decimalDigits=Field(integer(), lambda currency: currency.decimal_digits),
        ),
        "Currencies (ISO 4217).",
        {"code": "NGN", "name": "Nigerian Naira", "symbol": "₦", "decimalDigits": 2},
    ),
    "invoice-types": Helper(
        lambda: ref.InvoiceType.objects.all(),
        ("name",),
        _code_and(),
        "Type codes.",
        {"code": "381", "name": "Credit Note"},
    ),
    "tax-categories": Helper(
        lambda: ref.TaxCategory.objects.all(),
        ("code", "name"),
        _code_and(
            defaultRate=Field(
                nullable(text("Percentage.")),
                lambda category: f"{category.default_rate}" if category.default_rate is not None else None,
            )
        ),
        "Tax categories for `tax_scheme` / `taxScheme`.",
        {"code": "STANDARD_VAT", "name": "Standard Value-Added Tax", "defaultRate": "7.50"},
    ),
    "payment-means": Helper(
        lambda: ref.PaymentMeans.objects.all(),
        ("name",),
        _code_and(),
        "Payment means codes.",
        {"code": "10", "name": "Cash"},
    ),
    "quantity-units": Helper(
        lambda: ref.QuantityUnit.objects.all(),
        ("code", "name"),
        _code_and(),
        "Units of measure.",
        {"code": "KGM", "name": "kilogram"},
    ),
    "hs-codes": Helper(
        lambda: ref.HsCode.objects.all(),
        ("code", "name"),
        Shape(
            None,
            {
                "code": Field(text(), lambda code: code.code),
                "description": Field(text(), lambda code: code.name),
            },
        ),
        "HS codes for goods (`hsn_code`).",
        {"code": "8517.11", "description": "Line telephone sets with cordless handsets"},
    ),
    "service-codes": Helper(
        lambda: ref.ServiceCode.objects.all(),
        ("code", "name"),
        Shape(
            None,
            {
                "code": Field(text(), lambda code: code.code),
                "description": Field(text(), lambda code: code.name),
                "section": Field(text(), lambda code: code.section),
            },
        ),
        "ISIC service codes for services (`isic_code`).",
        {"code": "6201", "description": "Computer programming activities", "section": "J"},
    ),
}

TITLES = {"lgas": "LGAs", "hs-codes": "HS codes"}


def helper_rows(name: str, *, q: str = "", state: str = ""):
    """One list's rows, in its order: those whose searched fields contain `q` (any case), and for LGAs only
    `state`'s. The API's helpers and the portal's code-list pages (invoicing/views/codes.py) both search this way.
    """
    helper = HELPERS[name]
    rows = helper.rows()
    if state:
        rows = rows.filter(state_id=state)
    if q:
        condition = Q()
        for field in helper.searched:
            condition |= Q(**{f"{field}__icontains": q})
        rows = rows.filter(condition)
    return rows


def _documented(name, view):
    helper = HELPERS[name]
    parameters = [*paging(1000), query("q", text(maxLength=100, pattern=NO_NUL), "Search by name or code.")]
    if name == "lgas":
        parameters.append(
            query("state", text(pattern=NO_NUL), "Only this state's LGAs (an NRS state code such as NG-LA).")
        )
    return extend_schema(
        **operation(
            TITLES.get(name, name.replace("-", " ").capitalize()),
            operation_id="helper" + "".join(part.title() for part in name.split("-")),
            tags=["Helpers"],
            description=f"{helper.description} Reference data; cacheable (Cache-Control: private, max-age=3600).",
            parameters=parameters,
            responses={
                200: response(
                    page_of(helper.row.schema),
                    f"A page of {name} (50 by default; `limit` up to 1000).",
                    ("Page", {"items": [helper.example], "total": 1, "limit": 50, "offset": 0}),
                )
            },
            errors=(400,),
        )
    )(view)


def _helper(name):
    helper = HELPERS[name]

    @api_view(["GET"])
    @permission_classes([HasTenant])
    def view(request):
        refuse_nul(request.query_params)
        state = request.query_params.get("state", "") if name == "lgas" else ""
        if state and not ref.State.objects.filter(code=state).exists():
            raise ApiError(f"Unknown state {state}; see GET /api/v1/helpers/states.", fields={"state": "unknown"})
        params = QueryParams(request)
        q = params.text("q", max_length=100).strip()
        params.check()
        qs = helper_rows(name, q=q, state=state)
        answer = paginated(request, qs, helper.row.render, max_limit=1000)  # the spec's default page of 50
        patch_cache_control(answer, private=True, max_age=3600)  # reference data changes rarely
        return answer

    view.__name__ = view.__qualname__ = f"helper_{name.replace('-', '_')}"
    return _documented(name, view)


urlpatterns = [path(f"helpers/{name}", _helper(name), name=f"api_helper_{name}") for name in HELPERS]
