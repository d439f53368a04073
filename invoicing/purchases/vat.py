"""VAT for one month: output VAT on this business's certified and reported documents, by customer; input VAT on
the invoices it received, by supplier; and the net position. The page, the CSV and the XLSX all read `vat_report`,
so the three can never disagree.

Output VAT is the documents `invoicing.balance.output_vat_documents` names (the dashboard's figure counts the
same ones). Both sides go by issue date in the month, Africa/Lagos. Credit notes count negative, debit notes
positive. A disputed received invoice is listed apart and not counted: the business does not accept that it owes
it, so it claims no VAT on it until the supplier corrects it.

Nigerian VAT is accounted in naira: a document in another currency counts at its exchange rate (its saved naira
VAT, and its amount before VAT converted by the same rule, integrations/nrs/totals.in_naira). A document whose
rate is not known (a received one: NRS's document carries no rate; an invoice of this business saved before
rates were kept) is listed apart and not counted, rather than its dollars added as naira.
"""

import calendar
import csv
import io
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.nrs.payload import tax_currency_entry
from integrations.nrs.totals import in_naira
from invoicing.balance import ZERO, output_vat_documents, signed
from invoicing.models import Invoice, ReceivedInvoice

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"


@dataclass
class PartyVat:
    """One customer's or supplier's documents in the month, each amount signed."""

    name: str
    tin: str
    documents: int = 0
    net: Decimal = ZERO  # before VAT
    vat: Decimal = ZERO


@dataclass(frozen=True)
class Unconverted:
    """A document in another currency whose naira figures are not known: shown, not counted."""

    side: str  # "output" or "input"
    name: str
    document_number: str
    issue_date: date
    currency: str
    net: Decimal  # signed, in `currency`
    vat: Decimal  # signed, in `currency`
    vat_naira: Decimal | None = None  # a received document's VAT in naira, when its NRS document gives it


@dataclass(frozen=True)
class VatReport:
    start: date
    end: date
    output: list  # [PartyVat] by customer
    input: list  # [PartyVat] by supplier, disputed invoices left out
    disputed: list  # [ReceivedInvoice], not counted
    unconverted: list = field(default_factory=list)  # [Unconverted], not counted

    @property
    def output_vat(self) -> Decimal:
        return sum((row.vat for row in self.output), ZERO)

    @property
    def output_net(self) -> Decimal:
        return sum((row.net for row in self.output), ZERO)

    @property
    def input_vat(self) -> Decimal:
        return sum((row.vat for row in self.input), ZERO)

    @property
    def input_net(self) -> Decimal:
        return sum((row.net for row in self.input), ZERO)

    @property
    def disputed_vat(self) -> Decimal:
        """In naira: a disputed document in another currency shows its own VAT beside it, not added here."""
        return sum((signed(doc.invoice_type, doc.tax_total) for doc in self.disputed if doc.currency == NAIRA), ZERO)

    @property
    def net(self) -> Decimal:
        """Output less input: above zero the business pays it, below zero it is a credit."""
        return self.output_vat - self.input_vat

    @property
    def net_amount(self) -> Decimal:
        """The net as people say it beside "VAT payable" or "VAT credit": without its sign."""
        return abs(self.net)

    @property
    def position(self) -> str:
        if self.net > 0:
            return _("VAT payable")
        if self.net < 0:
            return _("VAT credit")
        return _("No VAT payable")

    @property
    def month_label(self) -> str:
        return self.start.strftime("%B %Y")


def month_bounds(text: str | None) -> tuple[date, date]:
    """'2026-11' → (1 Nov 2026, 30 Nov 2026); anything else: the current month in Lagos."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        start = date(year, month, 1)
    except ValueError:
        start = timezone.localdate().replace(day=1)
    return start, start.replace(day=calendar.monthrange(start.year, start.month)[1])


def _add(rows: OrderedDict, name: str, tin: str, invoice_type: str, net, vat) -> None:
    key = tin or name  # one row per TIN; a buyer without a TIN (B2C) by name
    row = rows.setdefault(key, PartyVat(name=name, tin=tin))
    row.documents += 1
    row.net += signed(invoice_type, net)
    row.vat += signed(invoice_type, vat)


def vat_report(start: date, end: date) -> VatReport:
    """Inside the business's tenant scope."""
    output: OrderedDict = OrderedDict()
    unconverted = []
    documents = output_vat_documents(Invoice.objects.all(), start, end).only(
        "invoice_type",
        "buyer",
        "document_number",
        "issue_date",
        "currency",
        "exchange_rate",
        "line_extension",
        "tax_total",
        "tax_total_ngn",
    )
    for doc in documents.order_by("issue_date", "document_number"):
        buyer = doc.buyer or {}
        name = buyer.get("name") or _("Walk-in customer")
        if doc.exchange_rate is None or doc.tax_total_ngn is None:
            unconverted.append(_unconverted("output", name, doc, doc.line_extension, doc.tax_total))
            continue
        _add(
            output,
            name,
            buyer.get("tin") or "",
            doc.invoice_type,
            in_naira(doc.line_extension, doc.exchange_rate),
            doc.tax_total_ngn,
        )
    received = (
        ReceivedInvoice.objects.filter(issue_date__gte=start, issue_date__lte=end)
        .select_related("supplier")
        .order_by("issue_date", "document_number")
    )
    incoming: OrderedDict = OrderedDict()
    disputed = []
    for doc in received:
        if doc.status == ReceivedInvoice.Status.DISPUTED:
            disputed.append(doc)
            continue
        if doc.currency != NAIRA:
            unconverted.append(
                _unconverted("input", doc.supplier.name, doc, doc.line_extension, doc.tax_total, _naira_vat(doc))
            )
            continue
        _add(incoming, doc.supplier.name, doc.supplier.tin, doc.invoice_type, doc.line_extension, doc.tax_total)
    by_name = lambda row: (row.name.lower(), row.tin)  # noqa: E731
    return VatReport(
        start=start,
        end=end,
        output=sorted(output.values(), key=by_name),
        input=sorted(incoming.values(), key=by_name),
        disputed=disputed,
        unconverted=unconverted,
    )


NAIRA = "NGN"


def _unconverted(side, name, doc, net, vat, vat_naira=None) -> Unconverted:
    sign = lambda amount: signed(doc.invoice_type, amount)  # noqa: E731
    return Unconverted(
        side=side,
        name=name,
        document_number=doc.document_number,
        issue_date=doc.issue_date,
        currency=doc.currency,
        net=sign(net),
        vat=sign(vat),
        vat_naira=sign(vat_naira) if vat_naira is not None else None,
    )


def _naira_vat(received: ReceivedInvoice) -> Decimal | None:
    """The VAT in naira a received foreign-currency document states (its tax-currency entry), if it does."""
    document = received.document if isinstance(received.document, dict) else {}
    index = tax_currency_entry(document) if document.get("tax_currency_code") == NAIRA else None
    if index is None:
        return None
    try:
        return Decimal(str(document["tax_total"][index].get("tax_amount")))
    except (ArithmeticError, ValueError, TypeError):
        return None


# --- the same figures as a table for the accountant -------------------------------------------------------------


def report_rows(report: VatReport) -> list[list]:
    """Header, both sections and the net, as rows of text and Decimals (a blank row between sections)."""
    header = [_("Section"), _("Name"), _("TIN"), _("Documents"), _("Amount before VAT"), _("VAT")]
    rows = [header]
    period = _("VAT for %(month)s (%(start)s to %(end)s)") % {
        "month": report.month_label,
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
    }
    rows.append([period, "", "", "", None, None])
    section = _("Output VAT (sales)")
    for row in report.output:
        rows.append([section, row.name, row.tin, row.documents, row.net, row.vat])
    rows.append(
        [_("Total output VAT"), "", "", sum(r.documents for r in report.output), report.output_net, report.output_vat]
    )
    section = _("Input VAT (purchases)")
    for row in report.input:
        rows.append([section, row.name, row.tin, row.documents, row.net, row.vat])
    rows.append(
        [_("Total input VAT"), "", "", sum(r.documents for r in report.input), report.input_net, report.input_vat]
    )
    section = _("Disputed, not counted")
    for doc in report.disputed:
        rows.append(
            [
                section,
                doc.supplier.name,
                doc.supplier.tin,
                1,
                signed(doc.invoice_type, doc.line_extension),
                signed(doc.invoice_type, doc.tax_total),
            ]
        )
    section = _("In another currency without a rate, not counted")
    for doc in report.unconverted:
        label = f"{doc.name} ({doc.document_number}, {doc.currency})"
        rows.append([section, label, "", 1, doc.net, doc.vat])
    rows.append([_("Net position: %(position)s") % {"position": report.position}, "", "", None, None, report.net])
    return rows


def _text(value) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return "" if value is None else str(value)


def report_csv(report: VatReport) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in report_rows(report):
        writer.writerow([_text(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode()  # the BOM makes Excel read ₦ and names as UTF-8


def report_xlsx(report: VatReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = report.start.strftime("VAT %Y-%m")
    for values in report_rows(report):
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in values])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, float):
                cell.number_format = MONEY_FORMAT
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEF", (30, 36, 16, 11, 20, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_filename(report: VatReport, extension: str) -> str:
    return f"vat-{report.start:%Y-%m}.{extension}"
