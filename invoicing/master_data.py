"""Customers and items (master data): every change goes through these functions.

Input is a dict with the integrator API's field names (camelCase), so the portal forms, the DRF API and a CSV
import all hand over the same shape; errors carry the spec's master-data codes.

Decisions kept here on purpose (the API documentation repeats them):
- Customers are businesses or government bodies (customerKind B2B or B2G); consumers (B2C) are put on the
  invoice itself, never saved as customers.
- Required customer fields: customerKind, name, tin, email. A missing e-mail is `invalid_email` (the spec's
  table says so); other missing required fields are `missing_field`. Phone is optional but, when given, must be
  international (+ and the country code). State, LGA and country are NRS codes; country defaults to NG.
- TINs are stored upper-case, phones without spaces or dashes: the same TIN typed twice is the same TIN.
- Required item fields: name and unitPriceKobo (an integer number of kobo above zero; fractions and numeric strings
  are refused: money is never a float, but an integral JSON number such as 500.0 is the integer 500, as JSON Schema
  counts it). taxScheme defaults to STANDARD_VAT; taxRate defaults to the scheme's
  default rate (7.5 for STANDARD_VAT, 0 for ZERO_VAT/EXEMPTED) and must be given for a scheme without one.
  A zero-rated scheme only takes a 0 rate. An item has an hsCode (goods), a serviceCode (services) or both.
- Updates are partial: keys absent from `data` keep their current value; the merged record is validated whole.
- Archived records are kept (issued invoices point at them) but are read-only and free their TIN / name.
- Codes beyond the spec's table: invalid_field (wrong type or too long), invalid_country, invalid_tax_rate,
  invalid_hs_code, invalid_service_code, invalid_unit and archived (409, a change to an archived record).
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from integrations.reference.models import Country, HsCode, Lga, QuantityUnit, ServiceCode, State, TaxCategory
from invoicing.models import Customer, Item, Kind
from invoicing.shapes import DEFAULT_COUNTRY, customer_input
from portal.errors import DomainError
from tenants.models import Tenant
from tenants.validators import PHONE_RE, TIN_RE

CUSTOMER_KINDS = (Kind.B2B, Kind.B2G)
DEFAULT_TAX_SCHEME = "STANDARD_VAT"
_API_NAMES = {"postal_code": "postalCode"}  # the buyer fields the API spells in camelCase
MAX_KOBO = 10**18 - 1  # an invoice line holds at most 16 digits of naira and 2 of kobo
SEARCH_LIMIT_MAX = 200
_HS_DIGITS = re.compile(r"^\d{6}$")
_PHONE_NOISE = re.compile(r"[\s\-().]")


class MasterDataError(DomainError):
    """A rejected customer or item, with `field` (its API name) if one.

    `errors` lists every problem found in the same input (this one first), so a form can show them all at once;
    an API answers with the first.
    """

    def __init__(self, code: str, message: str, field: str | None = None, status: int = 400):
        super().__init__(code, message, status=status)
        self.field = field
        self.errors = [self]


# --- Reading ---------------------------------------------------------------------------------


def customer_data(customer: Customer) -> dict:
    """A customer in the API's input shape (what an update starts from and a form shows): the buyer fields an
    invoice takes from it, in the API's spelling."""
    buyer = customer_input(customer)
    return {"customerKind": customer.kind, **{_API_NAMES.get(key, key): value for key, value in buyer.items()}}


def customer_row(customer: Customer) -> dict:
    """A customer as the look-up (and the API) shows it."""
    data = customer_data(customer)
    kind = data.pop("customerKind")
    return {"id": customer.pk, "kind": kind, **data}


def item_data(item: Item) -> dict:
    return {
        "name": item.name,
        "description": item.description,
        "unitPriceKobo": item.unit_price_kobo,
        "costKobo": item.cost_kobo,
        "taxScheme": item.tax_scheme_id,
        "taxRate": _rate_text(item.tax_rate),
        "hsCode": item.hs_code_id or "",
        "serviceCode": item.service_code_id or "",
        "category": item.category,
        "unit": item.unit_id or "",
    }


def item_row(item: Item) -> dict:
    data = item_data(item)
    data.pop("costKobo")  # what the business paid is not shown beside a sale
    return {
        "id": item.pk,
        "name": data.pop("name"),
        "description": data.pop("description"),
        "unitPrice": str(kobo_to_naira(item.unit_price_kobo)),
        **data,
    }


def kobo_to_naira(kobo: int) -> Decimal:
    """Exact: 150000 → Decimal('1500.00')."""
    return (Decimal(kobo) / 100).quantize(Decimal("0.01"))


def _rate_text(rate) -> str:
    return str(Decimal(rate).quantize(Decimal("0.01")))


def customer_queryset(*, tenant: Tenant, q: str = "", archived: bool = False):
    """The tenant's customers (archived ones, or the others), optionally narrowed by name, TIN or e-mail."""
    qs = Customer.objects.with_scope(tenant=tenant).filter(archived_at__isnull=not archived)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(tin__icontains=q) | Q(email__icontains=q))
    return qs.select_related("state", "lga", "country").order_by("name", "pk")


def item_queryset(*, tenant: Tenant, q: str = "", archived: bool = False):
    """The tenant's items, optionally narrowed by name, description, HS/service code or category."""
    qs = Item.objects.with_scope(tenant=tenant).filter(archived_at__isnull=not archived)
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(description__icontains=q)
            | Q(hs_code__code__icontains=q)
            | Q(service_code__code__icontains=q)
            | Q(category__icontains=q)
        )
    return qs.select_related("tax_scheme", "hs_code", "service_code", "unit").order_by("name", "pk")


def customer_search(*, tenant: Tenant, q: str, limit: int = 20) -> list[Customer]:
    """Non-archived customers whose name, TIN or e-mail contains `q`, by name."""
    return list(customer_queryset(tenant=tenant, q=q)[: _limit(limit)])


def item_search(*, tenant: Tenant, q: str, limit: int = 20) -> list[Item]:
    """Non-archived items whose name, description, code or category contains `q`, by name."""
    return list(item_queryset(tenant=tenant, q=q).select_related("tax_scheme")[: _limit(limit)])


def _limit(limit) -> int:
    return max(1, min(int(limit), SEARCH_LIMIT_MAX))


# --- Validation --------------------------------------------------------------------------------


@dataclass
class _Problems:
    found: list

    def add(self, code, message, field):
        self.found.append(MasterDataError(code, message, field=field))

    def raise_if_any(self):
        if self.found:
            first = self.found[0]
            first.errors = list(self.found)
            raise first


def _text(data: dict, key: str, problems: _Problems, *, max_length: int, code: str = "invalid_field") -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):  # the schema says string: 0 is not the name "0"
        problems.add(code, f"{key} must be text (a JSON string).", key)
        return ""
    value = str(value).strip()
    if len(value) > max_length:
        problems.add(code, f"{key} is too long: at most {max_length} characters.", key)
        return ""
    return value


def _clean_customer(data: dict) -> dict:
    """Checks a customer dict (API names); returns model field values, or raises every problem found."""
    p = _Problems([])
    kind = _text(data, "customerKind", p, max_length=3, code="invalid_kind").upper()
    name = _text(data, "name", p, max_length=200)
    tin = _text(data, "tin", p, max_length=100, code="invalid_tin").upper()
    email = _text(data, "email", p, max_length=254, code="invalid_email")
    phone = _PHONE_NOISE.sub("", _text(data, "phone", p, max_length=40, code="invalid_phone"))
    address = _text(data, "address", p, max_length=200)
    city = _text(data, "city", p, max_length=100)
    postal_code = _text(data, "postalCode", p, max_length=20)
    state_code = _text(data, "state", p, max_length=12, code="invalid_state").upper()
    lga_code = _text(data, "lga", p, max_length=20, code="invalid_lga").upper()
    country_code = _text(data, "country", p, max_length=3, code="invalid_country").upper() or DEFAULT_COUNTRY

    if not kind:
        p.add("missing_field", "Choose the customer kind: B2B (a business) or B2G (government).", "customerKind")
    elif kind not in CUSTOMER_KINDS:
        p.add(
            "invalid_kind",
            "The customer kind must be B2B (a business) or B2G (government). Consumers (B2C) are not saved as "
            "customers: put the buyer on the invoice itself.",
            "customerKind",
        )
    if not name:
        p.add("missing_field", "Enter the customer's registered name.", "name")
    if not tin:
        p.add("missing_field", "Enter the customer's TIN: NRS needs it on every B2B and B2G invoice.", "tin")
    elif len(tin) > 20 or not TIN_RE.match(tin):
        p.add(
            "invalid_tin",
            "Enter a TIN of at least 5 characters, such as 12345678-0001 or RC-1234567 "
            "(letters, digits and hyphens only).",
            "tin",
        )
    if not email:
        p.add("invalid_email", "Enter the customer's e-mail address: NRS needs it on B2B and B2G invoices.", "email")
    else:
        try:
            validate_email(email)
        except ValidationError:
            p.add("invalid_email", f"{email} is not an e-mail address; enter one such as ap@acme.ng.", "email")
    if phone and not PHONE_RE.match(phone):
        p.add(
            "invalid_phone",
            "Enter the phone number in international form, starting with + and the country code, "
            "such as +2348012345678 (or leave it empty).",
            "phone",
        )

    country = Country.objects.filter(pk=country_code).first()
    if country is None:
        p.add("invalid_country", f"{country_code} is not a country code; use two letters such as NG or GH.", "country")
    state = State.objects.filter(pk=state_code).first() if state_code else None
    if state_code and state is None:
        p.add("invalid_state", f"{state_code} is not an NRS state code; use one such as NG-LA (Lagos).", "state")
    elif state and country_code != DEFAULT_COUNTRY:
        p.add("invalid_state", "States and LGAs are for Nigerian addresses: set the country to NG.", "state")
    lga = None
    if lga_code:
        lga = Lga.objects.select_related("state").filter(pk=lga_code).first()
        if lga is None:
            p.add("invalid_lga", f"{lga_code} is not an NRS LGA code; use one such as NG-LA-IKJ (Ikeja).", "lga")
        elif not state_code:
            p.add("invalid_lga", f"Choose the state as well: {lga.name} is in {lga.state.name}.", "lga")
        elif state and lga.state_id != state.pk:
            p.add(
                "invalid_lga",
                f"{lga.name} is in {lga.state.name}, not {state.name}. Choose an LGA of {state.name}.",
                "lga",
            )
    p.raise_if_any()
    return {
        "kind": kind,
        "name": name,
        "tin": tin,
        "email": email,
        "phone": phone,
        "address": address,
        "city": city,
        "postal_code": postal_code,
        "state": state,
        "lga": lga,
        "country": country,
    }


def _kobo(value, *, field, code, allow_zero, problems, what):
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():  # 500.0 is an integer to JSON Schema
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(code, f"{field} must be a whole number of kobo (₦1,500.00 is 150000), not {value!r}.", field)
        return None
    if value < 0 or (value == 0 and not allow_zero):
        limit = "zero or more" if allow_zero else "greater than zero"
        problems.add(code, f"The {what} must be {limit} (in kobo: ₦1,500.00 is 150000).", field)
        return None
    if value > MAX_KOBO:
        problems.add(code, f"The {what} is too large.", field)
        return None
    return value


def _code(value: str, model, problems, *, field, code, example):
    if not value:
        return None
    found = model.objects.filter(pk=value).first()
    if found is None:
        problems.add(code, f"{value} is not a known {example}.", field)
    return found


def _clean_item(data: dict) -> dict:
    p = _Problems([])
    name = _text(data, "name", p, max_length=200)
    description = _text(data, "description", p, max_length=2000)
    category = _text(data, "category", p, max_length=200)
    scheme_code = _text(data, "taxScheme", p, max_length=40, code="invalid_tax_scheme").upper() or DEFAULT_TAX_SCHEME
    hs_text = _text(data, "hsCode", p, max_length=20, code="invalid_hs_code")
    if _HS_DIGITS.match(hs_text):
        hs_text = f"{hs_text[:4]}.{hs_text[4:]}"  # 851711 is how people type 8517.11
    service_text = _text(data, "serviceCode", p, max_length=10, code="invalid_service_code")
    unit_code = _text(data, "unit", p, max_length=40, code="invalid_unit").upper()

    if not name:
        p.add("missing_field", "Enter the item's name, as it should appear on invoices.", "name")
    price = _kobo(
        data.get("unitPriceKobo"),
        field="unitPriceKobo",
        code="invalid_price",
        allow_zero=False,
        problems=p,
        what="unit price",
    )
    if price is None and not any(e.field == "unitPriceKobo" for e in p.found):
        p.add(
            "invalid_price",
            "Enter the unit price (in kobo: ₦1,500.00 is 150000); it must be above zero.",
            "unitPriceKobo",
        )
    cost = _kobo(data.get("costKobo"), field="costKobo", code="invalid_cost", allow_zero=True, problems=p, what="cost")

    scheme = TaxCategory.objects.filter(pk=scheme_code).first()
    if scheme is None:
        p.add(
            "invalid_tax_scheme",
            f"{scheme_code} is not a tax scheme NRS knows; use STANDARD_VAT, ZERO_VAT, EXEMPTED or another "
            "NRS tax category.",
            "taxScheme",
        )
    rate = _tax_rate(data.get("taxRate"), scheme, p)

    hs_code = _code(hs_text, HsCode, p, field="hsCode", code="invalid_hs_code", example="HS code (such as 8517.11)")
    service_code = _code(
        service_text,
        ServiceCode,
        p,
        field="serviceCode",
        code="invalid_service_code",
        example="service code (such as 6201)",
    )
    if not hs_text and not service_text:
        p.add(
            "missing_field",
            "Give an HS code (goods, such as 8517.11) or a service code (services, such as 6201): NRS needs one "
            "on every invoice line.",
            "hsCode",
        )
    unit = _code(unit_code, QuantityUnit, p, field="unit", code="invalid_unit", example="unit of measure (such as KGM)")
    p.raise_if_any()
    return {
        "name": name,
        "description": description,
        "unit_price_kobo": price,
        "cost_kobo": cost,
        "tax_scheme": scheme,
        "tax_rate": rate,
        "hs_code": hs_code,
        "service_code": service_code,
        "category": category,
        "unit": unit,
    }


def _tax_rate(value, scheme, p: _Problems) -> Decimal | None:
    if value is None or value == "":
        if scheme is None:
            return None
        if scheme.default_rate is None:
            p.add("missing_field", f"Enter the tax rate (a percentage) for {scheme.name}.", "taxRate")
            return None
        return Decimal(scheme.default_rate).quantize(Decimal("0.01"))
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        p.add("invalid_tax_rate", "The tax rate must be a percentage, such as 7.5.", "taxRate")
        return None
    try:
        # A JSON 7.5 arrives as a float: its shortest text is exact enough for a percentage.
        rate = Decimal(str(value).strip().rstrip("%").strip())
    except InvalidOperation:
        rate = None
    if rate is None or not rate.is_finite() or rate < 0 or rate > 100 or rate != rate.quantize(Decimal("0.01")):
        p.add(
            "invalid_tax_rate",
            "Enter the tax rate as a percentage from 0 to 100 with at most 2 decimals, such as 7.5.",
            "taxRate",
        )
        return None
    if scheme is not None and scheme.default_rate is not None and Decimal(scheme.default_rate) == 0 and rate != 0:
        p.add("invalid_tax_rate", f"{scheme.name} items carry a 0% rate; leave the rate empty or enter 0.", "taxRate")
        return None
    return rate.quantize(Decimal("0.01"))


# --- Customers ---------------------------------------------------------------------------------


def _tin_taken(tenant: Tenant, tin: str, exclude_pk=None) -> bool:
    return (
        Customer.objects.with_scope(tenant=tenant)
        .filter(tin=tin, archived_at__isnull=True)
        .exclude(pk=exclude_pk)
        .exists()
    )


def _tin_exists(tin: str) -> MasterDataError:
    return MasterDataError(
        "tin_exists",
        f"You already have a customer with TIN {tin}. Search for it instead, or archive it first.",
        field="tin",
        status=409,
    )


def _save_customer(customer: Customer) -> Customer:
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as exc:  # the same TIN saved at the same moment by someone else
        raise _tin_exists(customer.tin) from exc
    return customer


@transaction.atomic
def customer_create(*, tenant: Tenant, data: dict, email_on_certify: bool = False) -> Customer:
    """`email_on_certify`: the portal's choice, outside the API's customer shape."""
    values = {**_clean_customer(data), "email_on_certify": email_on_certify}
    if _tin_taken(tenant, values["tin"]):
        raise _tin_exists(values["tin"])
    return _save_customer(Customer(tenant=tenant, **values))


def _refuse_archived(record, what: str):
    if record.archived_at:
        raise MasterDataError(
            "archived", f"This {what} is archived and can no longer be changed; add a new one instead.", status=409
        )


@transaction.atomic
def customer_update(*, customer: Customer, data: dict, email_on_certify: bool | None = None) -> Customer:
    """Changes the fields present in `data` (and `email_on_certify` unless None); the others keep their values."""
    _refuse_archived(customer, "customer")
    values = _clean_customer({**customer_data(customer), **data})
    if email_on_certify is not None:
        values["email_on_certify"] = email_on_certify
    if _tin_taken(customer.tenant, values["tin"], exclude_pk=customer.pk):
        raise _tin_exists(values["tin"])
    for field, value in values.items():
        setattr(customer, field, value)
    return _save_customer(customer)


@transaction.atomic
def customer_archive(*, customer: Customer) -> Customer:
    """Hides the customer from lists and searches; issued invoices keep the buyer as issued. Idempotent."""
    if not customer.archived_at:
        customer.archived_at = timezone.now()
        customer.save(update_fields=["archived_at", "updated_at"])
    return customer


# --- Items -------------------------------------------------------------------------------------


def _name_taken(tenant: Tenant, name: str, exclude_pk=None) -> bool:
    return (
        Item.objects.with_scope(tenant=tenant)
        .filter(name__iexact=name, archived_at__isnull=True)
        .exclude(pk=exclude_pk)
        .exists()
    )


def _item_exists(name: str) -> MasterDataError:
    return MasterDataError(
        "item_exists",
        f"You already have an item called {name}. Search for it instead, or give this one another name.",
        field="name",
        status=409,
    )


def _save_item(item: Item) -> Item:
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError as exc:
        raise _item_exists(item.name) from exc
    return item


@transaction.atomic
def item_create(*, tenant: Tenant, data: dict) -> Item:
    values = _clean_item(data)
    if _name_taken(tenant, values["name"]):
        raise _item_exists(values["name"])
    return _save_item(Item(tenant=tenant, **values))


@transaction.atomic
def item_update(*, item: Item, data: dict) -> Item:
    """Changes the fields present in `data`; the others keep their values."""
    _refuse_archived(item, "item")
    values = _clean_item({**item_data(item), **data})
    if _name_taken(item.tenant, values["name"], exclude_pk=item.pk):
        raise _item_exists(values["name"])
    for field, value in values.items():
        setattr(item, field, value)
    return _save_item(item)


@transaction.atomic
def item_archive(*, item: Item) -> Item:
    """Hides the item from lists and searches; invoice lines keep what they were issued with. Idempotent."""
    if not item.archived_at:
        item.archived_at = timezone.now()
        item.save(update_fields=["archived_at", "updated_at"])
    return item
