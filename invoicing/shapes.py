"""The invoice's party and line (integrations/nrs/shapes.py: Party, Address, Line) as invoicing spells them on
the way in and keeps them: each mapping written once, here.

- The create body, which the API takes and the form and a CSV row are turned into: the buyer is a flat
  `customer` object (BUYER_FIELDS; the form's fields and the CSV's columns are these names after
  "customer_"), each line an object of LINE_FIELDS, and the invoice's optional texts are OPTIONAL_TEXT.
- Kept: a party as `Party.as_dict()` on the invoice (its supplier and buyer as issued), a line as an
  InvoiceLine row, whose fields are Line's.
"""

from dataclasses import dataclass

from integrations.nrs.shapes import Address, Line, Party
from integrations.nrs.totals import AllowanceCharge

DEFAULT_COUNTRY = "NG"

# The create body's buyer: each key and the Party field it fills ("address.street": the address's street).
_BUYER = {
    "name": "name",
    "tin": "tin",
    "email": "email",
    "phone": "telephone",
    "address": "address.street",
    "city": "address.city",
    "postal_code": "address.postal_zone",
    "state": "address.state",
    "lga": "address.lga",
    "country": "address.country",
}
BUYER_FIELDS = tuple(_BUYER)

# The create body's line: each key and the Line field it fills.
LINE_FIELDS = {
    "description": "description",
    "quantity": "quantity",
    "unit_price": "unit_price",
    "discount": "discount",
    "fee": "fee",
    "hsn_code": "hsn_code",
    "isic_code": "isic_code",
    "category": "category",
    "tax_scheme": "tax_category",
    "tax_rate": "tax_rate",
    "unit_of_measure": "unit",
    "item_id": "item_code",
    "withholding_rate": "withholding_rate",
}


@dataclass(frozen=True)
class OptionalText:
    max_length: int
    nrs: str = ""  # its name in the NRS document (integrations/nrs/payload.py), if NRS takes it
    description: str = ""  # for integrators (the API schema)


# The invoice's optional texts. Each name is the create body's key, the Invoice field, the form's field and the
# CSV's column; parsing, saving, drafts, the API schema and the NRS document all read this table.
OPTIONAL_TEXT = {
    "po_reference": OptionalText(100, nrs="order_reference", description="Buyer's purchase-order reference."),
    "note": OptionalText(2000, nrs="note"),
    "payment_terms_note": OptionalText(
        500, nrs="payment_terms_note", description="Payment terms in words, such as 'Net 30 days'."
    ),
}


# --- parties ---------------------------------------------------------------------------------------


def buyer_input(party: Party) -> dict:
    """A party as the create body's `customer` (an issued buyer copied back into a draft or a form)."""
    values = {}
    for key, target in _BUYER.items():
        owner, _, name = target.rpartition(".")
        values[key] = getattr(party.address if owner else party, name)
    return values


def buyer_party(given: dict, *, lga_name: str = "", state_name: str = "") -> Party:
    """The create body's `customer`, once checked, as the buyer issued (with the names of its LGA and state)."""
    party, address = {}, {"lga_name": lga_name, "state_name": state_name}
    for key, target in _BUYER.items():
        owner, _, name = target.rpartition(".")
        (address if owner else party)[name] = given.get(key) or ""
    address["country"] = address["country"] or DEFAULT_COUNTRY
    return Party(**party, address=Address(**address))


def customer_input(customer) -> dict:
    """A saved customer as the create body's `customer`: what an invoice's buyer is completed from."""
    values = {key: getattr(customer, key) or "" for key in BUYER_FIELDS if key not in ("state", "lga", "country")}
    values["state"] = customer.state_id or ""
    values["lga"] = customer.lga_id or ""
    values["country"] = customer.country_id or DEFAULT_COUNTRY
    return {key: values[key] for key in BUYER_FIELDS}


def supplier_party(tenant, location) -> Party:
    """The business as it issues an invoice: its profile, at its primary location (if it has one yet)."""
    address = Address()
    if location:
        address = Address(
            street=location.street,
            city=location.city,
            postal_zone=location.postal_zone,
            lga=location.lga_id,
            lga_name=location.lga.name,
            state=location.state_id,
            state_name=location.state.name,
            country=location.country_id,
        )
    return Party(
        name=tenant.name,
        tin=tenant.tin,
        email=tenant.effective_email(),
        telephone=tenant.telephone,
        description=tenant.description,
        address=address,
    )


# --- lines -----------------------------------------------------------------------------------------


def line_of(row) -> Line:
    """A saved InvoiceLine as the line issued."""
    values = {name: getattr(row, name) for name in LINE_FIELDS.values() if name != "item_code"}
    return Line(**values, item_code=str(row.item_id or ""))


def line_input(line: Line) -> dict:
    """A line as the create body's line (an issued line copied back into a draft or a form)."""
    values = {key: getattr(line, name) for key, name in LINE_FIELDS.items()}
    values["item_id"] = int(line.item_code) if line.item_code else None
    return values


# --- document-level allowances and charges -------------------------------------------------------


def allowance_charges_of(kept: list) -> list:
    """An invoice's kept allowances and charges (Invoice.allowance_charges) as AllowanceCharge values."""
    return [AllowanceCharge.from_dict(item) for item in kept or []]


def allowance_charges_input(kept: list) -> list:
    """Kept allowances and charges as the create body's `allowance_charges` (copied back into a draft)."""
    return [
        {
            "charge_indicator": item.charge,
            "amount": str(item.amount),
            "reason": item.reason,
            "tax_scheme": item.tax_category,
            "tax_rate": str(item.tax_rate),
        }
        for item in allowance_charges_of(kept)
    ]
