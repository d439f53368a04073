"""Turning a clerk's form, an API body or a CSV row (all the same dict) into checked values.

Only shape and type are checked here; business rules live in services.py.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from integrations.nrs.shapes import Line
from invoicing.errors import InvoiceError
from invoicing.models import Invoice, Kind
from invoicing.shapes import BUYER_FIELDS, LINE_FIELDS, OPTIONAL_TEXT
from portal.queries import MAX_ID

# What the database holds (invoicing/models.py): quantities of 14 digits and 4 decimals, money of 16 digits and 2
# decimals. An amount the columns cannot hold would be saved (SQLite) and then fail every read of the invoice, or
# fail the save itself (PostgreSQL): a 500 either way. So each line (quantity × unit price + fee) and the sum of the
# lines stay within ₦1,000,000,000,000,000, and VAT (at most 100%) cannot take the payable amount past 16 digits.
MAX_QUANTITY = Decimal("1e14")
MAX_AMOUNT = Decimal("1e15")
MAX_RATE = Decimal("1e6")  # naira per unit: the column holds 12 digits before the point; amounts × rate must fit too
UUID_SHAPED = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
# Django's `.values` builds a new list from the enum on every read: these are read on every create.
KINDS = frozenset(Kind.values)
INVOICE_TYPES = frozenset(Invoice.Type.values)


@dataclass
class InvoiceInput:
    kind: str = ""
    invoice_type: str = "invoice"
    document_number: str = ""
    issue_date: date | None = None
    due_date: date | None = None
    currency: str = "NGN"
    exchange_rate: Decimal | None = None  # NGN per 1 unit of `currency`; validation completes it
    customer: dict = field(default_factory=dict)  # the create body's buyer, as BUYER_FIELDS spell it
    customer_id: int | None = None
    lines: list = field(default_factory=list)  # Line, unchecked
    texts: dict = field(default_factory=dict)  # OPTIONAL_TEXT, by name
    original_invoice_id: str = ""
    original_irn: str = ""
    original_issue_date: date | None = None  # with original_irn: an invoice issued outside Flowpoint
    # Document-level allowances and charges, unchecked: {charge, amount, reason, tax_scheme, tax_rate (None)}.
    allowance_charges: list = field(default_factory=list)
    payment_means: str = ""  # an NRS payment-means code, unchecked


def _text(value, limit=300) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise TypeError
    return str(value).strip()[:limit]


def _record_id(value) -> int:
    """A saved record's id: a whole number the database can hold (a bigger one would fail the query, a 500)."""
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise TypeError
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise ValueError
    return number


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidOperation
    if isinstance(value, float):
        value = repr(value)  # JSON numbers arrive as floats; their shortest repr is the decimal that was sent
    result = Decimal(str(value).replace(",", "").strip())
    if not result.is_finite():
        raise InvalidOperation
    return result


def _date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def parse_invoice(data) -> InvoiceInput:
    """Raise InvoiceError(incomplete_unpatchable) listing every field that has the wrong shape or type."""
    parsed, error = parse_invoice_collecting(data)
    if error is not None:
        raise error
    return parsed


def parse_invoice_collecting(data) -> tuple[InvoiceInput, InvoiceError | None]:
    """The input with what could be read, and the refusal listing every field that could not (or None): the
    validate-only check goes on to the rules with the rest, so that one answer names every problem."""
    errors: dict[str, str] = {}
    parsed = InvoiceInput()
    if not isinstance(data, dict):
        error = InvoiceError(
            "incomplete_unpatchable", "The body must be a JSON object.", fields={"body": "must be an object"}
        )
        return parsed, error

    def grab(name, convert, message, target=None):
        try:
            return convert(data.get(name))
        except (TypeError, ValueError, InvalidOperation):
            errors[target or name] = message
            return None

    parsed.kind = (grab("invoice_kind", _text, "must be B2B, B2C or B2G") or "").upper()
    if parsed.kind not in KINDS:
        errors["invoice_kind"] = "required: B2B, B2C or B2G" if not parsed.kind else "must be B2B, B2C or B2G"
    parsed.invoice_type = grab("invoice_type", _text, "must be invoice, credit_note or debit_note") or "invoice"
    if parsed.invoice_type not in INVOICE_TYPES:
        errors["invoice_type"] = "must be invoice, credit_note or debit_note"
    parsed.document_number = grab("document_number", lambda v: _text(v, 50), "must be text") or ""
    parsed.issue_date = grab("issue_date", _date, "must be a date YYYY-MM-DD")
    if parsed.issue_date is None and "issue_date" not in errors:
        errors["issue_date"] = "required (YYYY-MM-DD)"
    parsed.due_date = grab("due_date", _date, "must be a date YYYY-MM-DD")
    parsed.currency = (grab("currency", lambda v: _text(v, 3), "must be a currency code like NGN") or "NGN").upper()
    parsed.exchange_rate = grab("exchange_rate", _decimal, "must be a number: naira per 1 unit of the currency")
    if parsed.exchange_rate is not None and not 0 < parsed.exchange_rate < MAX_RATE:
        errors["exchange_rate"] = f"must be above 0 and below {MAX_RATE:,.0f}: naira per 1 unit of the currency"
    for name, text in OPTIONAL_TEXT.items():
        parsed.texts[name] = grab(name, lambda v, limit=text.max_length: _text(v, limit), "must be text") or ""
    parsed.original_invoice_id = grab("original_invoice_id", _text, "must be an invoice id") or ""
    parsed.original_irn = grab("original_irn", _text, "must be an IRN") or ""
    parsed.original_issue_date = grab("original_issue_date", _date, "must be a date YYYY-MM-DD")
    parsed.payment_means = (grab("payment_means", lambda v: _text(v, 10), "must be a payment-means code") or "").upper()
    parsed.allowance_charges = _allowance_charges(data.get("allowance_charges"), errors)
    customer_id = data.get("customer_id")
    if customer_id not in (None, ""):
        try:
            parsed.customer_id = _record_id(customer_id)
        except (TypeError, ValueError):
            errors["customer_id"] = "must be the id of a saved customer"

    customer = data.get("customer")
    if customer is None:
        customer = {}
    if not isinstance(customer, dict):
        errors["customer"] = "must be an object"
        customer = {}
    for name in BUYER_FIELDS:
        try:
            parsed.customer[name] = _text(customer.get(name), 200)
        except TypeError:
            errors[f"customer.{name}"] = "must be text"

    lines = data.get("lines")
    if not isinstance(lines, list) or not lines:
        errors["lines"] = "at least one line is required"
        lines = []
    total = Decimal(0)
    for index, raw in enumerate(lines[:500]):
        where = f"lines[{index}]"
        if not isinstance(raw, dict):
            errors[where] = "must be an object"
            continue
        line = {"discount": Decimal("0"), "fee": Decimal("0")}  # body key → value, as LINE_FIELDS names them
        for name, convert in (
            ("description", _text),
            ("hsn_code", lambda v: _text(v, 20)),
            ("isic_code", lambda v: _text(v, 10)),
            ("category", lambda v: _text(v, 200)),
            ("tax_scheme", lambda v: _text(v, 40).upper()),
            ("unit_of_measure", lambda v: _text(v, 20)),
        ):
            try:
                line[name] = convert(raw.get(name))
            except TypeError:
                errors[f"{where}.{name}"] = "must be text"
        for name in ("quantity", "unit_price", "discount", "fee", "tax_rate", "withholding_rate"):
            try:
                value = _decimal(raw.get(name))
            except (InvalidOperation, ValueError, TypeError):
                errors[f"{where}.{name}"] = "must be a number"
                continue
            limit = MAX_QUANTITY if name == "quantity" else MAX_AMOUNT
            if value is not None and abs(value) >= limit:
                errors[f"{where}.{name}"] = f"must be less than {limit:,.0f}"
            elif value is not None:
                line[name] = value
        quantity, unit_price = line.get("quantity"), line.get("unit_price")
        if quantity is not None and unit_price is not None and f"{where}.fee" not in errors:
            amount = abs(quantity * unit_price) + abs(line["fee"])
            total += amount
            if amount >= MAX_AMOUNT:
                errors[f"{where}.quantity"] = f"quantity × unit_price + fee must be less than {MAX_AMOUNT:,.0f}"
        if raw.get("item_id") not in (None, ""):
            try:
                line["item_id"] = str(_record_id(raw["item_id"]))
            except (TypeError, ValueError):
                errors[f"{where}.item_id"] = "must be the id of a saved item"
        # Unset until validation completes it (from a saved item, or the defaults), so no Line default applies.
        unchecked = {"quantity": None, "unit_price": None, "tax_scheme": "", "tax_rate": None, **line}
        unchecked["withholding_rate"] = unchecked.get("withholding_rate") or Decimal("0")
        parsed.lines.append(Line(**{LINE_FIELDS[key]: value for key, value in unchecked.items()}))
    if len(lines) > 500:
        errors["lines"] = "at most 500 lines per invoice"
    elif total >= MAX_AMOUNT and not errors:
        errors["lines"] = f"the lines must add up to less than {MAX_AMOUNT:,.0f}"
    if errors:
        error = InvoiceError(
            "incomplete_unpatchable",
            "Some fields are missing or have the wrong type: each is named with what it needs.",
            fields=errors,
        )
        return parsed, error
    return parsed, None


MAX_ALLOWANCE_CHARGES = 20  # as the refusal says


def _allowance_charges(given, errors: dict) -> list:
    """The body's `allowance_charges`: each {charge_indicator (true: a charge, false: an allowance), amount,
    reason, tax_scheme, tax_rate}, shape and type only (validation.py completes the tax and checks the rest)."""
    if given in (None, ""):
        return []
    if not isinstance(given, list):
        errors["allowance_charges"] = "must be a list of allowances and charges, each with an amount and a reason"
        return []
    if len(given) > MAX_ALLOWANCE_CHARGES:
        errors["allowance_charges"] = "at most 20 allowances and charges per invoice"
        return []
    items = []
    for index, raw in enumerate(given):
        where = f"allowance_charges[{index}]"
        if not isinstance(raw, dict):
            errors[where] = "must be an object"
            continue
        indicator = raw.get("charge_indicator")
        if not isinstance(indicator, bool):
            errors[f"{where}.charge_indicator"] = "required: true for a charge, false for an allowance (a discount)"
        item = {"charge": indicator is True, "tax_rate": None}
        for name in ("amount", "tax_rate"):
            try:
                value = _decimal(raw.get(name))
            except (InvalidOperation, ValueError, TypeError):
                errors[f"{where}.{name}"] = "must be a number"
                continue
            if value is not None and abs(value) >= MAX_AMOUNT:
                errors[f"{where}.{name}"] = f"must be less than {MAX_AMOUNT:,.0f}"
            else:
                item[name] = value
        if item.get("amount") is None and f"{where}.amount" not in errors:
            errors[f"{where}.amount"] = "required: the amount, such as 5000.00"
        for name, limit in (("reason", 200), ("tax_scheme", 40)):
            try:
                item[name] = _text(raw.get(name), limit)
            except TypeError:
                errors[f"{where}.{name}"] = "must be text"
        item["tax_scheme"] = (item.get("tax_scheme") or "").upper()
        items.append(item)
    return items


def looks_like_uuid(value: str) -> bool:
    return bool(UUID_SHAPED.match(value))
