"""An invoice's parties (supplier and buyer) and its lines, as plain values: their one definition.

Invoicing fills them from a form, a CSV row or an API body, stores them as issued (a party as `as_dict()`, a
line as a row of the same field names), prints them on the PDF, and hands them to payload.py, which spells
them the way the NRS document does. Nothing here knows where they came from.
"""

from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from functools import cached_property

from integrations.nrs.totals import LineAmounts, line_amounts, tax_rates


@dataclass(frozen=True)
class Address:
    street: str = ""
    city: str = ""
    postal_zone: str = ""
    lga: str = ""  # NRS codes (NG-LA-IKJ, NG-LA); the names beside them are for people (the PDF)
    lga_name: str = ""
    state: str = ""
    state_name: str = ""
    country: str = "NG"


@dataclass(frozen=True)
class Party:
    name: str
    tin: str = ""
    email: str = ""
    telephone: str = ""
    description: str = ""
    address: Address = field(default_factory=Address)

    def as_dict(self) -> dict:
        """Plain JSON: how an invoice keeps its supplier and buyer as issued."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "Party":
        """Back from `as_dict()`; a key missing (an older snapshot) takes its default."""
        data = data or {}
        address = data.get("address") or {}
        return cls(
            **{f.name: data.get(f.name, "") for f in fields(cls) if f.name != "address"},
            address=Address(**{f.name: address.get(f.name, f.default) for f in fields(Address)}),
        )


@dataclass(frozen=True)
class Line:
    """One line of an invoice. `quantity`, `unit_price` and `tax_rate` are None only while an input is still
    unchecked (invoicing's validation completes them, from a saved item or the defaults, or refuses it)."""

    description: str = ""
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    discount: Decimal = Decimal("0")  # amounts, in the invoice's currency
    fee: Decimal = Decimal("0")
    hsn_code: str = ""  # goods: an HS code; services: an ISIC code instead
    isic_code: str = ""
    category: str = ""
    tax_category: str = "STANDARD_VAT"
    tax_rate: Decimal | None = Decimal("7.5")
    unit: str = ""  # unit of measure: a UN/ECE Recommendation 20 code once checked (KGM, HUR, EA…)
    item_code: str = ""  # the seller's own id of what was sold (for invoicing, a saved item's id)
    withholding_rate: Decimal = Decimal("0")  # percent the buyer withholds (deducted, not added; totals.py)

    @cached_property
    def amounts(self) -> LineAmounts:
        added, withheld = tax_rates(self.tax_category, self.tax_rate, self.withholding_rate)
        return line_amounts(
            quantity=self.quantity,
            unit_price=self.unit_price,
            discount=self.discount,
            fee=self.fee,
            tax_rate=added,
            withholding_rate=withheld,
        )

    @property
    def line_extension(self) -> Decimal:
        return self.amounts.line_extension
