"""The business's table of exchange rates (NGN per 1 unit of a currency, from a date on), kept by its admins,
and the rate a foreign-currency invoice is issued at: its own, or the table's latest on or before its issue date.

The invoice saves the rate it was issued at (invoicing/services.py), so a later change here changes no invoice."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction

from invoicing.models import ExchangeRate
from tenants.audit import audit

NAIRA = "NGN"
RATE_PLACES = Decimal("0.000001")  # the column's six decimals


def rate_places(rate: Decimal) -> Decimal:
    return Decimal(rate).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def rate_on(currency: str, day: date) -> Decimal | None:
    """The table's rate for `currency` on `day` (the latest from that day or before), inside the tenant's scope."""
    if currency == NAIRA:
        return Decimal(1)
    if day is None:
        return None
    return (
        ExchangeRate.objects.filter(currency_id=currency, valid_from__lte=day)
        .order_by("-valid_from")
        .values_list("rate", flat=True)
        .first()
    )


class RateExists(Exception):
    """The table has a rate for this currency from this date already."""


def rate_add(*, tenant, currency: str, rate: Decimal, valid_from: date, user=None) -> ExchangeRate:
    try:
        with transaction.atomic():
            row = ExchangeRate.objects.create(
                tenant=tenant, currency_id=currency, rate=rate_places(rate), valid_from=valid_from
            )
    except IntegrityError:
        raise RateExists from None
    audit(tenant, "settings.exchange_rate_added", f"{currency} {row.rate} from {valid_from.isoformat()}", user=user)
    return row


def rate_delete(*, tenant, row: ExchangeRate, user=None) -> None:
    text = f"{row.currency_id} {row.rate} from {row.valid_from.isoformat()}"
    row.delete()
    audit(tenant, "settings.exchange_rate_deleted", text, user=user)
