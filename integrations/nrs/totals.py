"""Invoice arithmetic, in Decimal: per line qty × price − discount + fee, tax per line, half-up to kobo.

Plain values only, so the NRS payload reconciles its totals with the very rules invoicing saves them by
(invoicing imports it from here; nothing here imports invoicing)."""

from collections import OrderedDict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

KOBO = Decimal("0.01")


def to_kobo(value) -> Decimal:
    return Decimal(str(value)).quantize(KOBO, rounding=ROUND_HALF_UP)


def in_naira(amount, rate) -> Decimal:
    """An amount of the document's currency in naira at `rate` (NGN per 1 unit), half-up to kobo.

    Nigerian VAT is accounted in naira: the NRS document's tax-currency entry, the invoice's saved naira figures
    and the VAT report all convert with this one rule."""
    return to_kobo(Decimal(str(amount)) * Decimal(str(rate)))


@dataclass(frozen=True)
class LineAmounts:
    line_extension: Decimal
    tax: Decimal


def line_amounts(*, quantity, unit_price, discount=0, fee=0, tax_rate=0) -> LineAmounts:
    extension = to_kobo(Decimal(str(quantity)) * Decimal(str(unit_price)) - Decimal(str(discount)) + Decimal(str(fee)))
    return LineAmounts(extension, to_kobo(extension * Decimal(str(tax_rate)) / 100))


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
    tax: Decimal
    tax_inclusive: Decimal
    payable: Decimal
    groups: tuple[TaxGroup, ...]


def document_totals(lines) -> DocumentTotals:
    """`lines`: (LineAmounts, tax category, tax rate) triples. Taxes group by category and rate."""
    groups: OrderedDict = OrderedDict()
    extension = Decimal("0.00")
    for amounts, category, rate in lines:
        extension += amounts.line_extension
        key = (category, Decimal(str(rate)))
        taxable, tax = groups.get(key, (Decimal("0.00"), Decimal("0.00")))
        groups[key] = (taxable + amounts.line_extension, tax + amounts.tax)
    tax_total = sum((tax for _, tax in groups.values()), Decimal("0.00"))
    inclusive = extension + tax_total
    return DocumentTotals(
        line_extension=extension,
        tax_exclusive=extension,  # no document-level allowances or charges yet
        tax=tax_total,
        tax_inclusive=inclusive,
        payable=inclusive,
        groups=tuple(TaxGroup(c, r, taxable, tax) for (c, r), (taxable, tax) in groups.items()),
    )
