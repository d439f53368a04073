"""VAT for one month: output VAT on this business's certified and reported documents, by customer; input VAT on
the invoices it received, by supplier; and the net position. The page, the CSV and the XLSX all read `vat_report`,
so the three can never disagree.

Output VAT is the documents `invoicing.balance.output_vat_documents` names (the dashboard's figure counts the
same ones). Both sides go by issue date in the month, Africa/Lagos. Credit notes count negative, debit notes
positive. A disputed received invoice is listed apart and not counted: the business does not accept that it owes
it, so it claims no VAT on it until the supplier corrects it.

Nigerian VAT is accounted in naira: a document in another currency counts at its exchange rate (its saved naira
VAT, and its amount before VAT converted by the same rule, integrations/nrs/totals.in_naira).

A received document in another currency carries no rate (NRS's document has none), but input VAT is claimed in
naira as the supplier's invoice states it: when the supplier's document states its VAT in naira (the tax-currency
entry of its tax_total, integrations/nrs/payload.tax_currency_entry, with the tax currency NGN), that naira VAT is
counted. UBL's tax-currency entry carries the tax amount only, never the amount before VAT, so that amount is
worked out at the rate the statement implies (naira VAT / the document's own VAT); where the document's own VAT
is zero no rate follows, and the amount before VAT is shown as not known rather than invented. The report lists
these documents, so the accountant sees which figures came from the supplier's naira statement.

A document whose naira figures are not known (a received one without a naira statement; an invoice of this
business saved before rates were kept) is listed apart and not counted, rather than its dollars added as naira.
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
from integrations.nrs.totals import in_naira, to_kobo
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
    net: Decimal = ZERO  # before VAT, of the documents whose amount before VAT in naira is known
    vat: Decimal = ZERO
    net_not_known: int = 0  # documents counted for their VAT whose amount before VAT in naira is not known
    stated_in_naira: int = 0  # documents counted at the VAT in naira their supplier stated


@dataclass(frozen=True)
class StatedInNaira:
    """A received document in another currency counted at the VAT in naira its supplier stated."""

    name: str
    tin: str
    document_number: str
    issue_date: date
    currency: str
    net: Decimal  # signed, in `currency`
    vat: Decimal  # signed, in `currency`
    vat_naira: Decimal  # signed: what input VAT counts
    net_naira: Decimal | None  # signed, at the rate the statement implies; None when no rate follows


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


@dataclass(frozen=True)
class VatReport:
    start: date
    end: date
    output: list  # [PartyVat] by customer
    input: list  # [PartyVat] by supplier, disputed invoices left out
    disputed: list  # [ReceivedInvoice], not counted
    unconverted: list = field(default_factory=list)  # [Unconverted], not counted
    stated_in_naira: list = field(default_factory=list)  # [StatedInNaira], counted in `input`

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
    def input_net_not_known(self) -> int:
        """How many documents in input VAT have no known amount before VAT in naira (left out of `input_net`)."""
        return sum(row.net_not_known for row in self.input)

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


def _add(rows: OrderedDict, name: str, tin: str, invoice_type: str, net, vat) -> PartyVat:
    """`net` None: the document's VAT counts, its amount before VAT in naira is not known."""
    key = tin or name  # one row per TIN; a buyer without a TIN (B2C) by name
    row = rows.setdefault(key, PartyVat(name=name, tin=tin))
    row.documents += 1
    if net is None:
        row.net_not_known += 1
    else:
        row.net += signed(invoice_type, net)
    row.vat += signed(invoice_type, vat)
    return row


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
    disputed, stated = [], []
    for doc in received:
        if doc.status == ReceivedInvoice.Status.DISPUTED:
            disputed.append(doc)
            continue
        if doc.currency == NAIRA:
            _add(incoming, doc.supplier.name, doc.supplier.tin, doc.invoice_type, doc.line_extension, doc.tax_total)
            continue
        vat_naira = _naira_vat(doc)
        if vat_naira is None:
            unconverted.append(_unconverted("input", doc.supplier.name, doc, doc.line_extension, doc.tax_total))
            continue
        net_naira = _naira_net(doc, vat_naira)
        row = _add(incoming, doc.supplier.name, doc.supplier.tin, doc.invoice_type, net_naira, vat_naira)
        row.stated_in_naira += 1
        stated.append(_stated(doc, vat_naira, net_naira))
    by_name = lambda row: (row.name.lower(), row.tin)  # noqa: E731
    return VatReport(
        start=start,
        end=end,
        output=sorted(output.values(), key=by_name),
        input=sorted(incoming.values(), key=by_name),
        disputed=disputed,
        unconverted=unconverted,
        stated_in_naira=stated,
    )


NAIRA = "NGN"


def _unconverted(side, name, doc, net, vat) -> Unconverted:
    return Unconverted(
        side=side,
        name=name,
        document_number=doc.document_number,
        issue_date=doc.issue_date,
        currency=doc.currency,
        net=signed(doc.invoice_type, net),
        vat=signed(doc.invoice_type, vat),
    )


def _stated(doc: ReceivedInvoice, vat_naira: Decimal, net_naira: Decimal | None) -> StatedInNaira:
    sign = lambda amount: signed(doc.invoice_type, amount)  # noqa: E731
    return StatedInNaira(
        name=doc.supplier.name,
        tin=doc.supplier.tin,
        document_number=doc.document_number,
        issue_date=doc.issue_date,
        currency=doc.currency,
        net=sign(doc.line_extension),
        vat=sign(doc.tax_total),
        vat_naira=sign(vat_naira),
        net_naira=sign(net_naira) if net_naira is not None else None,
    )


def _naira_net(received: ReceivedInvoice, vat_naira: Decimal) -> Decimal | None:
    """The amount before VAT in naira at the rate the supplier's naira VAT implies (naira VAT / the document's
    VAT), half-up to kobo; None when the document's own VAT is zero, for then no rate follows from it."""
    if not received.tax_total:
        return None
    return to_kobo(received.line_extension * vat_naira / received.tax_total)


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
    # Already in the rows above: which of their figures came from a supplier's naira statement, and how.
    section = _("Of which VAT stated in naira by the supplier")
    for doc in report.stated_in_naira:
        how = (
            _("before VAT at the rate its naira VAT implies")
            if doc.net_naira is not None
            else _("before VAT not known")
        )
        label = f"{doc.name} ({doc.document_number}, {doc.currency} {doc.vat:.2f} VAT; {how})"
        rows.append([section, label, doc.tin, 1, doc.net_naira, doc.vat_naira])
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
    section = _("In another currency without naira figures, not counted")
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
