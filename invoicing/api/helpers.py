"""Reference look-ups for integrators (states, LGAs, codes…), from the reference tables, cacheable."""

from django.db.models import Q
from django.urls import path
from django.utils.cache import patch_cache_control
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes

from integrations.reference import models as ref
from portal.api_errors import ApiError, refuse_nul
from portal.api_pagination import paginated
from portal.openapi import integer, nullable, obj, operation, page_of, paging, query, response, text
from tenants.permissions import HasTenant

# name -> (queryset, row, fields searched by ?q=)
HELPERS = {
    "states": (lambda: ref.State.objects.order_by("name"), lambda s: {"code": s.code, "name": s.name}, ("name",)),
    "lgas": (
        lambda: ref.Lga.objects.order_by("state_id", "name"),
        lambda lga: {"code": lga.code, "name": lga.name, "state": lga.state_id},
        ("name",),
    ),
    "countries": (
        lambda: ref.Country.objects.order_by("name"),
        lambda c: {"code": c.alpha_2, "alpha3": c.alpha_3, "name": c.name},
        ("name", "alpha_2"),
    ),
    "currencies": (
        lambda: ref.Currency.objects.order_by("code"),
        lambda c: {"code": c.code, "name": c.name, "symbol": c.symbol, "decimalDigits": c.decimal_digits},
        ("code", "name"),
    ),
    "invoice-types": (lambda: ref.InvoiceType.objects.all(), lambda t: {"code": t.code, "name": t.name}, ("name",)),
    "tax-categories": (
        lambda: ref.TaxCategory.objects.all(),
        lambda t: {
            "code": t.code,
            "name": t.name,
            "defaultRate": f"{t.default_rate}" if t.default_rate is not None else None,
        },
        ("code", "name"),
    ),
    "payment-means": (lambda: ref.PaymentMeans.objects.all(), lambda p: {"code": p.code, "name": p.name}, ("name",)),
    "quantity-units": (
        lambda: ref.QuantityUnit.objects.all(),
        lambda u: {"code": u.code, "name": u.name},
        ("code", "name"),
    ),
    "hs-codes": (lambda: ref.HsCode.objects.all(), lambda h: {"code": h.code, "description": h.name}, ("code", "name")),
    "service-codes": (
        lambda: ref.ServiceCode.objects.all(),
        lambda s: {"code": s.code, "description": s.name, "section": s.section},
        ("code", "name"),
    ),
}


# What each list's rows look like in the OpenAPI schema: name → (row schema, one row as an example, description).
ROW_SHAPES = {
    "states": (obj({"code": text(), "name": text()}), {"code": "NG-LA", "name": "Lagos"}, "Nigerian states."),
    "lgas": (
        obj({"code": text(), "name": text(), "state": text("State code.")}),
        {"code": "NG-LA-IKJ", "name": "Ikeja", "state": "NG-LA"},
        "Local government areas; `?state=NG-LA` for one state's.",
    ),
    "countries": (
        obj({"code": text("ISO alpha-2."), "alpha3": text(), "name": text()}),
        {"code": "NG", "alpha3": "NGA", "name": "Nigeria"},
        "Countries (ISO 3166).",
    ),
    "currencies": (
        obj({"code": text(), "name": text(), "symbol": text(), "decimalDigits": integer()}),
        {"code": "NGN", "name": "Nigerian Naira", "symbol": "₦", "decimalDigits": 2},
        "Currencies (ISO 4217).",
    ),
    "invoice-types": (obj({"code": text(), "name": text()}), {"code": "381", "name": "Credit Note"}, "Type codes."),
    "tax-categories": (
        obj({"code": text(), "name": text(), "defaultRate": nullable(text("Percentage."))}),
        {"code": "STANDARD_VAT", "name": "Standard Value-Added Tax", "defaultRate": "7.50"},
        "Tax categories for `tax_scheme` / `taxScheme`.",
    ),
    "payment-means": (obj({"code": text(), "name": text()}), {"code": "10", "name": "Cash"}, "Payment means codes."),
    "quantity-units": (obj({"code": text(), "name": text()}), {"code": "KGM", "name": "kilogram"}, "Units of measure."),
    "hs-codes": (
        obj({"code": text(), "description": text()}),
        {"code": "8517.11", "description": "Line telephone sets with cordless handsets"},
        "HS codes for goods (`hsn_code`).",
    ),
    "service-codes": (
        obj({"code": text(), "description": text(), "section": text()}),
        {"code": "6201", "description": "Computer programming activities", "section": "J"},
        "ISIC service codes for services (`isic_code`).",
    ),
}

TITLES = {"lgas": "LGAs", "hs-codes": "HS codes"}


def _documented(name, view):
    row, example, description = ROW_SHAPES[name]
    parameters = [*paging(1000), query("q", text(maxLength=100), "Search by name or code.")]
    if name == "lgas":
        parameters.append(query("state", text(), "Only this state's LGAs (an NRS state code such as NG-LA)."))
    return extend_schema(
        **operation(
            TITLES.get(name, name.replace("-", " ").capitalize()),
            operation_id="helper" + "".join(part.title() for part in name.split("-")),
            tags=["Helpers"],
            description=f"{description} Reference data; cacheable (Cache-Control: private, max-age=3600).",
            parameters=parameters,
            responses={
                200: response(
                    page_of(row),
                    f"A page of {name} (50 by default; `limit` up to 1000).",
                    ("Page", {"items": [example], "total": 1, "limit": 50, "offset": 0}),
                )
            },
            errors=(400,),
        )
    )(view)


def _helper(name):
    queryset, row, searched = HELPERS[name]

    @api_view(["GET"])
    @permission_classes([HasTenant])
    def view(request):
        refuse_nul(request.query_params)
        qs = queryset()
        if name == "lgas" and request.query_params.get("state"):
            state = request.query_params["state"]
            if not ref.State.objects.filter(code=state).exists():
                raise ApiError(f"Unknown state {state}; see GET /api/v1/helpers/states.", fields={"state": "unknown"})
            qs = qs.filter(state_id=state)
        q = (request.query_params.get("q") or "").strip()[:100]
        if q:
            condition = Q()
            for field in searched:
                condition |= Q(**{f"{field}__icontains": q})
            qs = qs.filter(condition)
        response = paginated(request, qs, row, max_limit=1000)  # the spec's default page of 50
        patch_cache_control(response, private=True, max_age=3600)  # reference data changes rarely
        return response

    view.__name__ = view.__qualname__ = f"helper_{name.replace('-', '_')}"
    return _documented(name, view)


urlpatterns = [path(f"helpers/{name}", _helper(name), name=f"api_helper_{name}") for name in HELPERS]
