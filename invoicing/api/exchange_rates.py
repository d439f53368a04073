"""Admin API for the business's exchange rates (/api/v1/tenant/exchange-rates…): a portal admin's session; API
keys get 403, as every /api/v1/tenant/ route. The same table as Settings → Exchange rates (invoicing/exchange_rates.py):
an invoice in another currency without its own `exchange_rate` takes the latest rate on or before its issue date."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.shortcuts import get_object_or_404
from django.urls import path
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from integrations.reference import lookup
from invoicing.api.representations import decimal, iso
from invoicing.exchange_rates import NAIRA, RateExists, rate_add, rate_delete
from invoicing.models import ExchangeRate
from portal.admin_api import AdminCollection, page
from portal.api_errors import ApiError, refuse_nul
from portal.openapi import DATE, TIMESTAMP, integer, obj, text
from portal.shapes import Field, Shape
from tenants.permissions import IsTenantAdminSession

MAX_RATE = Decimal("1e6")

RATE = Shape(
    "ExchangeRate",
    {
        "id": Field(integer(), lambda row: row.pk),
        "currency": Field(text("ISO 4217 code.", examples=["USD"]), lambda row: row.currency_id),
        "rate": Field(
            text("Naira per 1 unit of the currency, decimal string (six decimals kept).", examples=["1530"]),
            lambda row: decimal(row.rate),
        ),
        "validFrom": Field(DATE, lambda row: row.valid_from.isoformat()),
        "createdAt": Field(TIMESTAMP, lambda row: iso(row.created_at)),
    },
    required=["id", "currency", "rate", "validFrom", "createdAt"],
    description="A rate the business keeps: invoices in `currency` issued on or after `validFrom` (until a later "
    "rate) without their own exchange_rate take it, and keep it.",
)
RATE_INPUT = obj(
    {
        "currency": text("ISO 4217 code, not NGN.", minLength=3, maxLength=3, examples=["USD"]),
        "rate": {
            "type": ["number", "string"],
            "exclusiveMinimum": 0,
            "exclusiveMaximum": 1000000,
            "description": "Naira per 1 unit, above 0 and below 1,000,000 (at least 0.000001), e.g. 1530 or "
            '"1,530.00".',
        },
        "validFrom": DATE,
    },
    required=["currency", "rate", "validFrom"],
)
RATES = AdminCollection("Tenant settings", RATE)


def _input(request) -> tuple[str, Decimal, date]:
    body = request.data if isinstance(request.data, dict) else None
    if body is None:
        raise ApiError("The body must be a JSON object.", fields={"body": "must be an object"})
    refuse_nul(body)
    fields = {}
    currency = body.get("currency")
    currency = currency.upper() if isinstance(currency, str) else ""
    if currency == NAIRA or currency not in lookup.currencies():
        fields["currency"] = "must be an ISO 4217 code other than NGN, such as USD"
    rate = None
    raw = body.get("rate")
    try:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise TypeError
        rate = Decimal(repr(raw) if isinstance(raw, float) else str(raw).replace(",", "").strip())
        if not rate.is_finite() or not Decimal("0.000001") <= rate < MAX_RATE:
            raise ValueError
    except (TypeError, ValueError, InvalidOperation):
        fields["rate"] = "must be a number of naira per 1 unit, above 0 and below 1,000,000"
    valid_from = None
    given = body.get("validFrom")
    if isinstance(given, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", given):  # the schema's date, no other ISO form
        try:
            valid_from = date.fromisoformat(given)
        except ValueError:
            pass
    if valid_from is None:
        fields["validFrom"] = "required: a date YYYY-MM-DD"
    if fields:
        raise ApiError("Some fields are missing or invalid; see fields.", fields=fields)
    return currency, rate, valid_from


@RATES.list("List exchange rates", operation_id="listExchangeRates", answer="Rates, by currency, newest first.")
@RATES.create(
    "Add an exchange rate",
    operation_id="createExchangeRate",
    description="Naira per 1 unit of a currency from a date on. One rate per currency and date: another for "
    "the same day is a 409 (delete the old one first). Invoices already issued keep their rate.",
    body=RATE_INPUT,
    example=("US dollar", {"currency": "USD", "rate": "1530", "validFrom": "2026-11-01"}),
    errors=(409,),
    answer="Added.",
)
@api_view(["GET", "POST"])
@permission_classes([IsTenantAdminSession])
def exchange_rates(request):
    if request.method == "POST":
        currency, rate, valid_from = _input(request)
        try:
            row = rate_add(
                tenant=request._request.tenant, currency=currency, rate=rate, valid_from=valid_from, user=request.user
            )
        except RateExists:
            raise ApiError(
                f"There is a {currency} rate from {valid_from.isoformat()} already; delete it first.",
                status_code=409,
                fields={"validFrom": "a rate for this currency and date exists"},
            ) from None
        return Response(RATE.render(row), status=status.HTTP_201_CREATED)
    return page(request, ExchangeRate.objects.order_by("currency_id", "-valid_from", "pk"), RATE.render)


@RATES.delete(
    "Delete an exchange rate", operation_id="deleteExchangeRate", description="Invoices issued at it keep it."
)
@api_view(["DELETE"])
@permission_classes([IsTenantAdminSession])
def exchange_rate(request, pk):
    rate_delete(tenant=request._request.tenant, row=get_object_or_404(ExchangeRate, pk=pk), user=request.user)
    return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("tenant/exchange-rates", exchange_rates, name="api_tenant_exchange_rates"),
    path("tenant/exchange-rates/<int:pk>", exchange_rate, name="api_tenant_exchange_rate"),
]
