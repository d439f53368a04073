"""Reference look-ups for integrators (states, LGAs, codes…), from the reference tables, cacheable."""

from django.db.models import Q
from django.urls import path
from django.utils.cache import patch_cache_control
from rest_framework.decorators import api_view, permission_classes

from integrations.reference import models as ref
from portal.api_errors import ApiError, refuse_nul
from portal.api_pagination import paginated
from portal.query_params import QueryParams
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
        params = QueryParams(request)
        q = params.text("q", max_length=100).strip()
        params.check()
        if q:
            condition = Q()
            for field in searched:
                condition |= Q(**{f"{field}__icontains": q})
            qs = qs.filter(condition)
        response = paginated(request, qs, row, max_limit=1000)  # the spec's default page of 50
        patch_cache_control(response, private=True, max_age=3600)  # reference data changes rarely
        return response

    view.__name__ = view.__qualname__ = f"helper_{name.replace('-', '_')}"
    return view


urlpatterns = [path(f"helpers/{name}", _helper(name), name=f"api_helper_{name}") for name in HELPERS]
