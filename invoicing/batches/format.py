"""The CSV batch file: its columns (docs/csv-format.md documents them; COLUMNS is their single source), the
template, reading a file into rows, and the rows of one invoice mapped to invoice_create's body and back
(an error's field key to the row and column it is about).
"""

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from invoicing.shapes import LINE_FIELDS

MAX_BYTES = settings.CSV_UPLOAD_MAX_BYTES  # invoicing/uploads.py refuses a bigger file before it gets here
MAX_ROWS = 20_000

COLUMNS_HELP = (
    ("invoice_kind", True, _("B2B, B2G or B2C")),
    ("invoice_type", False, _("invoice (default), credit_note or debit_note")),
    ("document_number", True, _("your invoice number, e.g. INV-2026-001; rows with the same number are one invoice")),
    ("issue_date", True, _("YYYY-MM-DD")),
    ("due_date", False, _("YYYY-MM-DD")),
    ("currency", False, _("ISO code, default NGN")),
    ("exchange_rate", False, _("naira per 1 unit of the currency, e.g. 1530; empty: your rates table's")),
    ("customer_name", True, _("the buyer's name")),
    ("customer_tin", False, _("required for B2B/B2G: 12345678-0001 or RC-1234567")),
    ("customer_email", False, _("required for B2B/B2G")),
    ("customer_phone", False, _("+ and the country code, e.g. +2348012345678")),
    ("customer_address", False, _("street; required for B2B/B2G")),
    ("customer_city", False, _("required for B2B/B2G")),
    ("customer_postal_code", False, _("required for B2B/B2G")),
    ("customer_state", False, _("NRS state code, e.g. NG-LA")),
    ("customer_lga", False, _("NRS LGA code of that state, e.g. NG-LA-IKJ")),
    ("customer_country", False, _("ISO alpha-2, default NG")),
    ("line_description", True, _("what was sold")),
    ("line_quantity", True, _("a number above 0")),
    ("line_unit_price", True, _("in the invoice's currency (major units), e.g. 50000 or 50,000.00")),
    ("line_hsn_code", False, _("HS code for goods, e.g. 8517.11 (this or line_isic_code)")),
    ("line_isic_code", False, _("ISIC code for services (this or line_hsn_code)")),
    ("line_tax_scheme", False, _("tax category, default STANDARD_VAT")),
    ("line_tax_rate", False, _("percent, default 7.5 for STANDARD_VAT")),
    ("line_discount", False, _("an amount in the invoice's currency, default 0")),
    ("line_fee", False, _("an amount in the invoice's currency added to the line, default 0")),
    ("line_withholding_rate", False, _("percent of the line the buyer withholds (withholding tax), default 0")),
    ("line_unit_of_measure", False, _("a word such as each, kg, litre, hours, or a UN/ECE code such as KGM")),
    ("note", False, _("free text on the invoice")),
    ("po_reference", False, _("the buyer's purchase order")),
    ("payment_terms_note", False, _("payment terms, e.g. Net 30 days")),
    ("payment_means", False, _("how the buyer pays, an NRS code: 10 cash, 20 cheque, 30 credit transfer…")),
    (
        "allowance_amount",
        False,
        _("a discount on the whole invoice, in its currency (on the invoice's first row)"),
    ),
    ("allowance_reason", False, _("what the discount is for; required with allowance_amount")),
    (
        "charge_amount",
        False,
        _("a charge on the whole invoice (delivery…), in its currency (on the first row)"),
    ),
    ("charge_reason", False, _("what the charge is for; required with charge_amount")),
    ("original_irn", False, _("credit and debit notes: the IRN of the invoice they correct")),
    ("original_issue_date", False, _("with original_irn, for an invoice issued outside Flowpoint: its issue date")),
)
COLUMNS = tuple(name for name, _required, _help in COLUMNS_HELP)
REQUIRED_COLUMNS = tuple(name for name, required, _help in COLUMNS_HELP if required)
LINE_COLUMNS = tuple(name for name in COLUMNS if name.startswith("line_"))
# The invoice's own fields: every row of an invoice repeats them (or leaves them empty after the first row).
HEADER_COLUMNS = tuple(name for name in COLUMNS if name not in LINE_COLUMNS and name != "document_number")
CUSTOMER_COLUMNS = tuple(name for name in COLUMNS if name.startswith("customer_"))

TEMPLATE_ROWS = (
    {
        "invoice_kind": "B2B",
        "invoice_type": "invoice",
        "document_number": "INV-2026-001",
        "issue_date": "2026-04-25",
        "due_date": "2026-05-25",
        "currency": "NGN",
        "customer_name": "Acme Ltd",
        "customer_tin": "12345678-0001",
        "customer_email": "ap@acme.ng",
        "customer_phone": "+2348012345678",
        "customer_address": "42 Marina Road",
        "customer_city": "Lagos",
        "customer_postal_code": "101001",
        "customer_state": "NG-LA",
        "customer_lga": "NG-LA-LIS",
        "customer_country": "NG",
        "line_description": "Consulting services",
        "line_quantity": "1",
        "line_unit_price": "50000",
        "line_hsn_code": "8517.11",
        "line_tax_scheme": "STANDARD_VAT",
        "line_tax_rate": "7.5",
        "line_discount": "0",
        "line_unit_of_measure": "Each",
        "note": "Thank you for your business",
        "po_reference": "PO-7781",
    },
)
TEMPLATE_ROWS += (
    {
        **TEMPLATE_ROWS[0],
        "line_description": "Ball pens",
        "line_quantity": "10",
        "line_unit_price": "150",
        "line_hsn_code": "9608.10",
    },
)

# A column is named after the create body's key it fills: line_<key> for a line (shapes.LINE_FIELDS),
# customer_<key> for the buyer (shapes.BUYER_FIELDS), the key itself for the invoice's own fields.
INVOICE_COLUMNS = tuple(name for name in HEADER_COLUMNS if name not in CUSTOMER_COLUMNS)
# Where a key of InvoiceError.fields about a line lives in the file.
_LINE_FIELD_COLUMN = {key: f"line_{key}" for key in LINE_FIELDS if f"line_{key}" in LINE_COLUMNS}
# A document-level allowance and charge, one of each per invoice: the columns (on the invoice's first row; a later
# row repeats them or leaves them empty, as every invoice column) become the body's `allowance_charges`.
ALLOWANCE_CHARGE_COLUMNS = {False: ("allowance_amount", "allowance_reason"), True: ("charge_amount", "charge_reason")}
_ALLOWANCE_KEY = re.compile(r"^allowance_charges\[(\d+)\](?:\.(\w+))?$")
_LINE_KEY = re.compile(r"^lines\[(\d+)\](?:\.(\w+))?$")


# --- reading the file -----------------------------------------------------------------------------


@dataclass
class Problem:
    """An error as the API and the page show it."""

    message: str
    code: str
    row: int | None = None
    column: str | None = None

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message, "code": self.code}


class FileProblem(Exception):
    """The file as a whole cannot be read as a batch (status INVALID)."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0].message)
        self.problems = problems


@dataclass
class Row:
    row: int  # spreadsheet numbering: the header is row 1
    values: dict  # non-empty cells by column name, stripped
    problems: list = field(default_factory=list)

    @property
    def document_number(self) -> str:
        return self.values.get("document_number", "")


@dataclass
class Table:
    columns: list
    rows: list

    @property
    def invoice_count(self) -> int:
        return len({r.document_number or f"#{r.row}" for r in self.rows})


def too_large() -> Problem:
    return Problem(
        f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB. Split it into several files of at most "
        f"{MAX_ROWS:,} rows.",
        "file_too_large",
    )


def read_csv(content: bytes) -> Table:
    """Decode, check the header and split the rows. Raises FileProblem for anything file-wide."""
    if len(content) > MAX_BYTES:
        raise FileProblem([too_large()])
    try:
        text = content.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte-order mark
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise FileProblem(
            [
                Problem(
                    f"The file is not UTF-8 text: byte 0x{content[exc.start]:02x} on line {line} cannot be read. "
                    "Save it as “CSV UTF-8 (comma delimited)” and upload it again.",
                    "bad_encoding",
                    row=line,
                )
            ]
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise FileProblem(
                [Problem("The file is empty: its first row must be the header (see the template).", "empty_file", 1)]
            )
        columns = [cell.strip() for cell in header]
        _check_header(columns)
        rows = []
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines (often trailing) are skipped; the numbering still counts them
            if len(rows) == MAX_ROWS:
                raise FileProblem(
                    [
                        Problem(
                            f"The file has more than {MAX_ROWS:,} rows (row {number} is one too many). "
                            "Split it into several files.",
                            "too_many_rows",
                            row=number,
                        )
                    ]
                )
            rows.append(_row(number, columns, cells))
    except csv.Error as exc:
        raise FileProblem(
            [Problem(f"The file is not valid CSV near line {reader.line_num}: {exc}.", "malformed_csv", 1)]
        ) from None
    if not rows:
        raise FileProblem([Problem("The file has a header but no rows.", "empty_file", 2)])
    return Table(columns=columns, rows=rows)


def _check_header(columns: list) -> None:
    names = [c for c in columns if c]
    problems = []
    unknown = [c for c in names if c not in COLUMNS]
    if unknown:
        hint = ""
        close = [c for c in unknown if c.lower().replace(" ", "_") in COLUMNS]
        if close:
            hint = " Column names are lower case with underscores, exactly as in the template."
        problems.append(
            Problem(
                f"Unknown column{'s' if len(unknown) > 1 else ''} {_quoted(unknown)}.{hint} "
                "Allowed columns are those of the template.",
                "unknown_columns",
                row=1,
                column=unknown[0] if len(unknown) == 1 else None,
            )
        )
    duplicated = [c for c, n in Counter(names).items() if n > 1]
    if duplicated:
        problems.append(
            Problem(
                f"Column{'s' if len(duplicated) > 1 else ''} {_quoted(duplicated)} given twice.",
                "duplicate_columns",
                1,
            )
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        problems.append(
            Problem(
                f"Missing required column{'s' if len(missing) > 1 else ''} {_quoted(missing)}.",
                "missing_columns",
                row=1,
                column=missing[0] if len(missing) == 1 else None,
            )
        )
    if "line_hsn_code" not in names and "line_isic_code" not in names:
        problems.append(
            Problem(
                "Missing column “line_hsn_code” (goods) or “line_isic_code” (services): the file needs at least one.",
                "missing_columns",
                row=1,
                column="line_hsn_code",
            )
        )
    if problems:
        raise FileProblem(problems)


def _quoted(columns: list) -> str:
    """Column headings as people see them in their spreadsheet: “issue_date”, “due_date” and “currency”."""
    names = [f"“{name}”" for name in columns]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _row(number: int, columns: list, cells: list) -> Row:
    row = Row(number, {})
    for index, cell in enumerate(cells):
        value = cell.strip()
        if index >= len(columns):
            if value:
                row.problems.append(
                    Problem(
                        f"This row has {len(cells)} cells but the header has {len(columns)} columns: a comma inside "
                        "a value must be quoted.",
                        "extra_cells",
                        row=number,
                    )
                )
                break
            continue
        name = columns[index]
        if not name:
            if value:
                row.problems.append(
                    Problem(
                        f"A value in column {index + 1}, which has no name in the header.", "unnamed_column", number
                    )
                )
            continue
        if value:
            row.values[name] = value
    return row


# --- the template, and one invoice's rows as the create body -------------------------------------------


def template_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for example in TEMPLATE_ROWS:
        writer.writerow([example.get(name, "") for name in COLUMNS])
    return out.getvalue()


@dataclass
class Group:
    document_number: str
    rows: list  # Row, in file order
    data: dict = field(default_factory=dict)
    irn_key: tuple | None = None

    @property
    def first(self) -> Row:
        return self.rows[0]

    @property
    def valid(self) -> bool:
        return not any(r.problems for r in self.rows)


def group_rows(rows: list) -> list:
    groups: dict[str, Group] = {}
    for row in rows:
        key = row.document_number or f"\0{row.row}"  # a row without a number is an invoice of its own
        if key not in groups:
            groups[key] = Group(row.document_number, [])
        groups[key].rows.append(row)
    return list(groups.values())


def as_body(group: Group) -> dict:
    """The create body of an invoice: header fields from its first row, one line per row."""
    first = group.first.values
    body = {name: first.get(name, "") for name in INVOICE_COLUMNS}
    body["invoice_type"] = body["invoice_type"] or "invoice"
    body["currency"] = body["currency"] or "NGN"
    body["document_number"] = group.document_number
    body["customer"] = {name.removeprefix("customer_"): first.get(name, "") for name in CUSTOMER_COLUMNS}
    body["lines"] = [
        {name.removeprefix("line_"): row.values.get(name, "") for name in LINE_COLUMNS} for row in group.rows
    ]
    body["allowance_charges"] = []
    for charge, (amount, reason) in ALLOWANCE_CHARGE_COLUMNS.items():
        given = body.pop(amount), body.pop(reason)
        if any(given):
            body["allowance_charges"].append({"charge_indicator": charge, "amount": given[0], "reason": given[1]})
    return body


def place(key: str, group: Group) -> tuple[Row, str | None]:
    """The row and column an InvoiceError.fields key ("customer.tin", "lines[2].unit_price", …) is about."""
    match = _LINE_KEY.match(key)
    if match:
        index = int(match[1])
        row = group.rows[index] if index < len(group.rows) else group.first
        return row, _LINE_FIELD_COLUMN.get(match[2] or "")
    if key.startswith("customer."):
        column = "customer_" + key.removeprefix("customer.")
        return group.first, column if column in COLUMNS else None
    if key in ("original_invoice_id", "original_irn"):
        return group.first, "original_irn"
    match = _ALLOWANCE_KEY.match(key)
    if match:
        items = group.data.get("allowance_charges") or []
        index = int(match[1])
        if index < len(items):
            amount, reason = ALLOWANCE_CHARGE_COLUMNS[items[index]["charge_indicator"]]
            return group.first, reason if match[2] == "reason" else amount
        return group.first, None
    return group.first, key if key in COLUMNS else None
