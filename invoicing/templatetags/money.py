"""Money and quantity filters for invoices: `{{ amount|naira }}`, `{{ amount|money:invoice.currency }}`,
`{{ line.quantity|quantity }}`, `{{ line.tax_rate|percent }}`.

Amounts are Decimals end to end: a float is refused rather than rounded through binary floating point.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

KOBO = Decimal("0.01")
NAIRA = "\u20a6"  # ₦


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, (float, bool)):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def format_money(value, currency: str = "NGN") -> str:
    """ "₦1,234.50" for naira, "USD 1,234.50" for any other currency; "" for anything that is not a number."""
    number = _decimal(value)
    if number is None:
        return ""
    number = number.quantize(KOBO, rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    digits = f"{abs(number):,.2f}"
    currency = (currency or "NGN").upper()
    if currency == "NGN":
        return f"{sign}{NAIRA}{digits}"
    return f"{sign}{currency}\u00a0{digits}"


def _plain(number: Decimal) -> str:
    """A Decimal without trailing zeros or exponent, grouped by thousands: 1000.0000 → 1,000; 2.50 → 2.5."""
    text = f"{number:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


@register.filter
def naira(value) -> str:
    return format_money(value, "NGN")


@register.filter
def money(value, currency="NGN") -> str:
    return format_money(value, currency)


def format_rate(value) -> str:
    """An exchange rate in naira as kept (six decimals), at least kobo shown: ₦1,530.00, ₦1,712.345678."""
    number = _decimal(value)
    if number is None:
        return ""
    text = f"{number.quantize(Decimal('0.000001'), rounding=ROUND_HALF_UP):,f}"
    whole, _, fraction = text.partition(".")
    return f"{NAIRA}{whole}.{fraction.rstrip('0').ljust(2, '0')}"


@register.filter
def rate(value) -> str:
    return format_rate(value)


@register.filter
def quantity(value) -> str:
    number = _decimal(value)
    return "" if number is None else _plain(number)


@register.filter
def percent(value) -> str:
    number = _decimal(value)
    return "" if number is None else f"{_plain(number)}%"


@register.filter
def count(value) -> str:
    """A whole number with thousands separators: 1234 → 1,234."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return ""
