"""An invoice's totals as a person reads them, for the invoice page and the PDF alike: the subtotal, each
document discount and charge with its reason, the tax, and — when the buyer withholds tax — the total, each
withholding rate's amount taken off, and the amount payable. Also each line's unit and taxes in words."""

from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from integrations.reference import lookup
from integrations.reference.units import unit_code, unit_name
from invoicing.shapes import allowance_charges_of
from invoicing.templatetags.money import percent
from invoicing.wording import TAX_WORDS


@dataclass(frozen=True)
class Row:
    label: str
    amount: Decimal
    sign: str = ""  # "−" for an amount taken off, "+" for one added
    key: str = ""  # an id for tests and styles: subtotal, allowance, charge, tax, total, withheld, payable
    grand: bool = False


def total_rows(invoice, lines, *, tax_label: str = "") -> list[Row]:
    rows = [Row(_("Subtotal"), invoice.line_extension, key="subtotal")]
    for item in allowance_charges_of(invoice.allowance_charges):
        if item.charge:
            rows.append(Row(_("Charge: %(reason)s") % {"reason": item.reason}, item.amount, "+", "charge"))
        else:
            rows.append(Row(_("Discount: %(reason)s") % {"reason": item.reason}, item.amount, "−", "allowance"))
    rows.append(Row(tax_label or _("Tax"), invoice.tax_total, key="tax"))
    if not invoice.withholding_total:
        rows.append(Row(_("Total"), invoice.payable, key="payable", grand=True))
        return rows
    rows.append(Row(_("Total"), invoice.tax_inclusive, key="total"))
    withheld: OrderedDict = OrderedDict()
    for line in lines:
        if line.withholding_amount:
            withheld[line.withholding_rate] = withheld.get(line.withholding_rate, Decimal(0)) + line.withholding_amount
    for rate, amount in withheld.items():
        rows.append(Row(_("Withholding tax %(rate)s") % {"rate": percent(rate)}, amount, "−", "withheld"))
    rows.append(Row(_("Amount payable"), invoice.payable, key="payable", grand=True))
    return rows


def describe_lines(lines) -> None:
    """Set on each line what people read: its tax's name, its unit's name (kilogram) and its withholding."""
    names = lookup.tax_category_names()
    for line in lines:
        line.tax_name = TAX_WORDS.get(line.tax_category) or names.get(line.tax_category, _("Tax"))
        code = unit_code(line.unit)
        line.unit_label = unit_name(code) if code else line.unit
        line.withholding_label = (
            _("Withholding tax %(rate)s") % {"rate": percent(line.withholding_rate)} if line.withholding_rate else ""
        )


def payment_means_label(code: str) -> str:
    """How the buyer pays, in words ("30" is a bank transfer)."""
    if not code:
        return ""
    name = lookup.payment_means().get(code, code)
    return {"Credit Transfer": _("Bank transfer"), "Mutually Defined": _("As agreed")}.get(name, name)
