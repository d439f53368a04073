"""Invoice arithmetic, in Decimal: per line qty × price − discount + fee, tax per line, half-up to kobo.

Plain values only, so the NRS payload reconciles its totals with the very rules invoicing saves them by
(invoicing imports it from here; nothing here imports invoicing).

Two kinds of tax: an added tax (VAT and the like) raises what the buyer pays; a deducted tax (withholding) is
kept back by the buyer and remitted to NRS on the supplier's behalf, so it lowers what the buyer pays:
  tax_exclusive = line_extension − allowances + charges
  tax_inclusive = tax_exclusive + added tax
  payable       = tax_inclusive − withheld
Withholding is worked out on each line's own amount (a document allowance or charge is not withheld on).
"""

from collections import OrderedDict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

KOBO = Decimal("0.01")
ZERO = Decimal("0.00")
# Taxes the buyer deducts from what it pays rather than adds to it. A line whose tax_scheme is one of these (as
# older API bodies send withholding) is read as withheld at its tax_rate, with no added tax.
DEDUCTED_CATEGORIES = frozenset({"WITHHOLDING_TAX"})
WITHHOLDING = "WITHHOLDING_TAX"


def to_kobo(value) -> Decimal:
    return Decimal(str(value)).quantize(KOBO, rounding=ROUND_HALF_UP)


def in_naira(amount, rate) -> Decimal:
    """An amount of the document's currency in naira at `rate` (NGN per 1 unit), half-up to kobo.

    Nigerian VAT is accounted in naira: the NRS document's tax-currency entry, the invoice's saved naira figures
    and the VAT report all convert with this one rule."""
    return to_kobo(Decimal(str(amount)) * Decimal(str(rate)))


def _dec(value) -> Decimal:
    return Decimal(str(value or 0))


def tax_rates(category: str, tax_rate, withholding_rate=0) -> tuple[Decimal, Decimal]:
    """(added rate, withheld rate) of a line: a deducted category's rate is withheld, not added."""
    if category in DEDUCTED_CATEGORIES:
        return Decimal(0), _dec(withholding_rate) or _dec(tax_rate)
    return _dec(tax_rate), _dec(withholding_rate)


@dataclass(frozen=True)
class LineAmounts:
    line_extension: Decimal
    tax: Decimal  # added tax
    withheld: Decimal = ZERO


def line_amounts(*, quantity, unit_price, discount=0, fee=0, tax_rate=0, withholding_rate=0) -> LineAmounts:
    extension = to_kobo(Decimal(str(quantity)) * Decimal(str(unit_price)) - Decimal(str(discount)) + Decimal(str(fee)))
    return LineAmounts(
        extension,
        to_kobo(extension * _dec(tax_rate) / 100),
        to_kobo(extension * _dec(withholding_rate) / 100),
    )


@dataclass(frozen=True)
class AllowanceCharge:
    """A document-level discount (allowance) or charge (delivery, packing…), taxed at its category and rate."""

    charge: bool
    amount: Decimal
    reason: str = ""
    tax_category: str = "STANDARD_VAT"
    tax_rate: Decimal = Decimal("7.5")

    @property
    def signed(self) -> Decimal:
        return to_kobo(self.amount) if self.charge else -to_kobo(self.amount)

    @property
    def tax(self) -> Decimal:
        """The change it makes to its group's tax (negative for an allowance)."""
        return to_kobo(self.signed * _dec(self.tax_rate) / 100)

    def as_dict(self) -> dict:
        """Plain JSON: how an invoice keeps it."""
        return {
            "charge": self.charge,
            "amount": str(to_kobo(self.amount)),
            "reason": self.reason,
            "tax_category": self.tax_category,
            "tax_rate": str(self.tax_rate),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "AllowanceCharge":
        return cls(
            charge=bool(data.get("charge")),
            amount=Decimal(str(data.get("amount") or 0)),
            reason=data.get("reason") or "",
            tax_category=data.get("tax_category") or "STANDARD_VAT",
            tax_rate=Decimal(str(data.get("tax_rate") or 0)),
        )


@dataclass(frozen=True)
class TaxGroup:
    category: str
    rate: Decimal
    taxable: Decimal
    tax: Decimal


@dataclass(frozen=True)
class DocumentTotals:
    line_extension: Decimal
    tax_exclusive: Decimal
    tax: Decimal  # added taxes
    tax_inclusive: Decimal
    payable: Decimal
    groups: tuple[TaxGroup, ...]  # added taxes, by category and rate
    allowances: Decimal = ZERO
    charges: Decimal = ZERO
    withheld: Decimal = ZERO
    withheld_groups: tuple[TaxGroup, ...] = ()  # WITHHOLDING_TAX, by rate


def document_totals(lines, allowance_charges=()) -> DocumentTotals:
    """`lines`: (LineAmounts, tax category, tax rate[, withholding rate]) tuples. Taxes group by category and rate;
    `allowance_charges` (AllowanceCharge) move their group's taxable amount and tax."""
    groups: OrderedDict = OrderedDict()
    withheld_groups: OrderedDict = OrderedDict()
    extension = ZERO
    for amounts, category, rate, *rest in lines:
        added, withholding = tax_rates(category, rate, rest[0] if rest else 0)
        extension += amounts.line_extension
        if category not in DEDUCTED_CATEGORIES:
            key = (category, added)
            taxable, tax = groups.get(key, (ZERO, ZERO))
            groups[key] = (taxable + amounts.line_extension, tax + amounts.tax)
        if withholding:
            taxable, tax = withheld_groups.get(withholding, (ZERO, ZERO))
            withheld_groups[withholding] = (taxable + amounts.line_extension, tax + amounts.withheld)
    allowances = charges = ZERO
    for item in allowance_charges:
        if item.charge:
            charges += to_kobo(item.amount)
        else:
            allowances += to_kobo(item.amount)
        key = (item.tax_category, _dec(item.tax_rate))
        taxable, tax = groups.get(key, (ZERO, ZERO))
        groups[key] = (taxable + item.signed, tax + item.tax)
    tax_total = sum((tax for _, tax in groups.values()), ZERO)
    withheld = sum((tax for _, tax in withheld_groups.values()), ZERO)
    exclusive = extension - allowances + charges
    inclusive = exclusive + tax_total
    return DocumentTotals(
        line_extension=extension,
        tax_exclusive=exclusive,
        tax=tax_total,
        tax_inclusive=inclusive,
        payable=inclusive - withheld,
        groups=tuple(TaxGroup(c, r, taxable, tax) for (c, r), (taxable, tax) in groups.items()),
        allowances=allowances,
        charges=charges,
        withheld=withheld,
        withheld_groups=tuple(TaxGroup(WITHHOLDING, r, taxable, tax) for r, (taxable, tax) in withheld_groups.items()),
    )
