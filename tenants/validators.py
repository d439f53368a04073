"""Field rules shared by the portal forms and the admin API, with messages that say the fix."""

import re

from django.core.exceptions import ValidationError

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
