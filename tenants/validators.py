"""Field rules shared by the portal forms and the admin API, with messages that say the fix."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TIN_RE = re.compile(r"^(RC-?\d{4,}|[A-Za-z0-9][A-Za-z0-9-]{4,19})$")
SERVICE_ID_RE = re.compile(r"^[A-Z0-9]{8}$")
PHONE_RE = re.compile(r"^\+\d{7,15}$")


def validate_tin(value: str) -> None:
    if not TIN_RE.match(value or ""):
        raise ValidationError(
            "Enter a TIN of at least 5 characters, such as 12345678-0001 or RC-1234567 "
            "(letters, digits and hyphens only).",
            code="invalid_tin",
        )


def validate_service_id(value: str) -> None:
    if not SERVICE_ID_RE.match(value or ""):
        raise ValidationError(
            "The NRS service ID is exactly 8 uppercase letters or digits, such as 94ND90NR. "
            "Copy it from your NRS e-invoicing profile.",
            code="invalid_service_id",
        )


def validate_phone(value: str) -> None:
    if not PHONE_RE.match(value or ""):
        raise ValidationError(
            "Enter the telephone number in international form, starting with + and the country "
            "code, such as +2348012345678.",
            code="invalid_phone",
        )


_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
NG_POSTAL_CODE_RE = re.compile(r"^\d{6}$")


def normalise_phone(value: str) -> str:
    """A phone number as people type it, in the international form the API and NRS want.

    Nigerian numbers are written 0803 123 4567 or 234 803 123 4567 at home: both read as +2348031234567.
    Spaces, dashes, dots and brackets go. Anything else is left for validate_phone to judge (the API itself,
    per its spec, still refuses a number without + and a country code: only the portal's forms read them).
    """
    compact = _PHONE_SEPARATORS.sub("", value or "")
    if re.fullmatch(r"0\d{10}", compact):
        return "+234" + compact[1:]
    if re.fullmatch(r"234\d{10}", compact):
        return "+" + compact
    return compact


def validate_ng_postal_code(value: str) -> None:
    if value and not NG_POSTAL_CODE_RE.match(value):
        raise ValidationError(
            "A Nigerian postal code is 6 digits, such as 100001 (Lagos) or 900001 (Abuja).",
            code="invalid_postal_code",
        )


def validate_postal_code(value: str, country: str | None) -> None:
    """The one postal-code rule of every address a person types (locations, customers, the invoice's buyer) and of
    the admin API's locations: in Nigeria (also when no country is given) 6 digits; elsewhere as that country
    writes them."""
    if (country or "NG").upper() == "NG":
        validate_ng_postal_code((value or "").strip())


def future_or_empty(value: date | None) -> date | None:
    """A valid-until date (crypto key, NRS credentials): today or later, or none."""
    if value and value < timezone.localdate():
        raise ValidationError(_("That date has passed. Enter the date NRS gave for the new one, or leave it empty."))
    return value
