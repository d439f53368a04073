"""CSV batches: one row per invoice line; the rows that share a document number are one invoice.

upload (in the request: size, encoding, header and row count; the file is stored) → validate (a task: every
invoice is mapped to the create body and checked with invoice_create's own rules, nothing saved) → submit
(a task: one invoice per valid group through invoice_create, queued for NRS as usual; invalid groups are
skipped and reported) → progress, counted from the created invoices' own statuses.

The format is documented in docs/csv-format.md; COLUMNS below is its single source.
"""

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scope, scopes_disabled

from integrations.nrs.payload import build_irn
from invoicing import services, validation
from invoicing.errors import InvoiceError
from invoicing.models import Batch, BatchInvoice, BatchRow, Invoice
from invoicing.parsing import parse_invoice
from portal.queueing import enqueue

MAX_BYTES = settings.CSV_UPLOAD_MAX_BYTES  # invoicing/uploads.py refuses a bigger file before it gets here
MAX_ROWS = 20_000
PREVIEW_ROWS = 200
VALIDATE_TASK = "invoicing.batch_tasks.validate_batch"
SUBMIT_TASK = "invoicing.batch_tasks.submit_batch"
SUBMIT_CHUNK = 200  # invoices per task run: a big file becomes a chain of short tasks, far below the timeout
SUBMIT_CHAINS = 2  # chains of tasks creating one batch's invoices side by side, each skipping the others' rows
PROGRESS_EVERY = 250  # invoices validated between two progress writes
SWEEP_AFTER = timedelta(minutes=10)  # well past a 20,000-row validation or a chunk of submissions

BatchStatus = Batch.Status
State = BatchInvoice.State
InvoiceStatus = Invoice.Status

# (column, required in the header, what it holds). The order is the template's.
COLUMNS_HELP = (
    ("invoice_kind", True, _("B2B, B2G or B2C")),
    ("invoice_type", False, _("invoice (default), credit_note or debit_note")),
    ("document_number", True, _("your invoice number, e.g. INV-2026-001; rows with the same number are one invoice")),
    ("issue_date", True, _("YYYY-MM-DD")),
    ("due_date", False, _("YYYY-MM-DD")),
    ("currency", False, _("ISO code, default NGN")),
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
    ("line_unit_price", True, _("in naira (major units), e.g. 50000 or 50,000.00")),
    ("line_hsn_code", False, _("HS code for goods, e.g. 8517.11 (this or line_isic_code)")),
    ("line_isic_code", False, _("ISIC code for services (this or line_hsn_code)")),
    ("line_tax_scheme", False, _("tax category, default STANDARD_VAT")),
    ("line_tax_rate", False, _("percent, default 7.5 for STANDARD_VAT")),
    ("line_discount", False, _("an amount in naira, default 0")),
    ("line_unit_of_measure", False, _("e.g. Each")),
    ("note", False, _("free text on the invoice")),
    ("po_reference", False, _("the buyer's purchase order")),
    ("original_irn", False, _("credit and debit notes: the IRN of the certified invoice they correct")),
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

# Where a key of InvoiceError.fields lives in the file.
_LINE_FIELD_COLUMN = {
    "description": "line_description",
    "quantity": "line_quantity",
    "unit_price": "line_unit_price",
    "hsn_code": "line_hsn_code",
    "isic_code": "line_isic_code",
    "tax_scheme": "line_tax_scheme",
    "tax_rate": "line_tax_rate",
    "discount": "line_discount",
    "fee": "line_discount",
    "unit_of_measure": "line_unit_of_measure",
}
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


def _too_large() -> Problem:
    return Problem(
        f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB. Split it into several files of at most "
        f"{MAX_ROWS:,} rows.",
        "file_too_large",
    )


def read_csv(content: bytes) -> Table:
    """Decode, check the header and split the rows. Raises FileProblem for anything file-wide."""
    if len(content) > MAX_BYTES:
        raise FileProblem([_too_large()])
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
                f"Unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.{hint} "
                "Allowed columns are those of the template (docs/csv-format.md).",
                "unknown_columns",
                row=1,
                column=unknown[0] if len(unknown) == 1 else None,
            )
        )
    duplicated = [c for c, n in Counter(names).items() if n > 1]
    if duplicated:
        problems.append(
            Problem(
                f"Column{'s' if len(duplicated) > 1 else ''} given twice: {', '.join(duplicated)}.",
                "duplicate_columns",
                1,
            )
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        problems.append(
            Problem(
                f"Missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}.",
                "missing_columns",
                row=1,
                column=missing[0] if len(missing) == 1 else None,
            )
        )
    if "line_hsn_code" not in names and "line_isic_code" not in names:
        problems.append(
            Problem(
                "Missing column: line_hsn_code (goods) or line_isic_code (services); the file needs at least one.",
                "missing_columns",
                row=1,
                column="line_hsn_code",
            )
        )
    if problems:
        raise FileProblem(problems)


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


# --- upload -----------------------------------------------------------------------------------------


def batch_upload(*, tenant, file, actor: services.Actor, submit: bool = False) -> Batch:
    """Store the file and create its batch: VALIDATING (the task is queued) or INVALID (file-level errors).

    With `submit`, the valid invoices are submitted as soon as validation is done (one-step upload).
    """
    with scope(tenant=tenant):
        if submit:
            validation.supplier_check(tenant)  # refuse before storing anything, as invoice_create would
        name = (getattr(file, "name", "") or "upload.csv").rsplit("/", 1)[-1][:255]
        batch = Batch(
            tenant=tenant,
            file_name=name,
            created_by=actor.user if actor.user_id else None,
            created_by_key=actor.api_key,
            submit_requested=submit,
        )
        if submit:
            batch.submitted_by, batch.submitted_by_key = batch.created_by, batch.created_by_key
        if (getattr(file, "size", None) or 0) > MAX_BYTES:
            return _invalid(batch, [_too_large()], b"")  # not even read, let alone stored
        content = _read_all(file)
        try:
            table = read_csv(content)
        except FileProblem as problem:
            return _invalid(batch, problem.problems, content)
        batch.row_count = len(table.rows)
        batch.invoice_count = table.invoice_count
        batch.file.save(f"{batch.pk}.csv", ContentFile(content), save=False)
        with transaction.atomic():
            batch.save()
            batch_id = str(batch.pk)
            transaction.on_commit(lambda: enqueue(VALIDATE_TASK, batch_id))
        return batch


def _read_all(file) -> bytes:
    if hasattr(file, "seek"):
        file.seek(0)
    return b"".join(file.chunks()) if hasattr(file, "chunks") else file.read()


def _invalid(batch: Batch, problems: list[Problem], content: bytes) -> Batch:
    batch.status = BatchStatus.INVALID
    batch.file_errors = [p.as_dict() for p in problems]
    batch.error_count = len(problems)
    batch.error_summary = " ".join(p.message for p in problems)
    batch.finished_at = timezone.now()
    if content and len(content) <= MAX_BYTES:
        batch.file.save(f"{batch.pk}.csv", ContentFile(content), save=False)
    batch.save()
    return batch


def template_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for example in TEMPLATE_ROWS:
        writer.writerow([example.get(name, "") for name in COLUMNS])
    return out.getvalue()


# --- validation (the task) ----------------------------------------------------------------------------


def invoice_check(*, tenant, data: dict) -> None:
    """invoice_create's checks of the invoice itself, without saving anything; raises InvoiceError.

    The supplier set-up and the document-number conflicts, which invoice_create also checks, are checked
    once per batch instead (see validate_table).
    """
    validation.invoice_check(tenant, parse_invoice(data), draft=True)


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
    return {
        "invoice_kind": first.get("invoice_kind", ""),
        "invoice_type": first.get("invoice_type", "") or "invoice",
        "document_number": group.document_number,
        "issue_date": first.get("issue_date", ""),
        "due_date": first.get("due_date", ""),
        "currency": first.get("currency", "") or "NGN",
        "customer": {name.removeprefix("customer_"): first.get(name, "") for name in CUSTOMER_COLUMNS},
        "lines": [
            {
                "description": r.values.get("line_description", ""),
                "quantity": r.values.get("line_quantity", ""),
                "unit_price": r.values.get("line_unit_price", ""),
                "hsn_code": r.values.get("line_hsn_code", ""),
                "isic_code": r.values.get("line_isic_code", ""),
                "tax_scheme": r.values.get("line_tax_scheme", ""),
                "tax_rate": r.values.get("line_tax_rate", ""),
                "discount": r.values.get("line_discount", ""),
                "unit_of_measure": r.values.get("line_unit_of_measure", ""),
            }
            for r in group.rows
        ],
        "note": first.get("note", ""),
        "po_reference": first.get("po_reference", ""),
        "original_irn": first.get("original_irn", ""),
    }


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
    return group.first, key if key in COLUMNS else None


def record_error(group: Group, error: InvoiceError) -> None:
    if not error.fields:
        group.first.problems.append(Problem(error.message, error.reason, group.first.row))
        return
    for key, message in error.fields.items():
        row, column = place(key, group)
        if column is None:
            # About the whole invoice (e.g. a zero total): the service's sentence says it best, unless it is the
            # generic "see fields" one.
            specific = len(error.fields) == 1 and error.reason != "incomplete_unpatchable"
            message = error.message if specific else f"{key}: {message}"
        row.problems.append(Problem(message, error.reason, row.row, column))


def _check_structure(group: Group) -> None:
    first = group.first
    number = group.document_number
    if not number:
        first.problems.append(
            Problem(
                "required: every row needs the invoice number", "invalid_document_number", first.row, "document_number"
            )
        )
    elif len(number) > 50:
        first.problems.append(Problem("at most 50 characters", "invalid_document_number", first.row, "document_number"))
    for row in group.rows[1:]:
        for column in HEADER_COLUMNS:
            value = row.values.get(column, "")
            if value and value != first.values.get(column, ""):
                given = first.values.get(column, "")
                row.problems.append(
                    Problem(
                        f"differs from row {first.row} ({given or 'empty'}): every row of invoice {number} must "
                        "repeat the same value or leave it empty",
                        "inconsistent_invoice_fields",
                        row.row,
                        column,
                    )
                )


def validate_table(tenant, table: Table, progress=None) -> tuple[list, list]:
    """Check every invoice of the file. Returns (groups, batch-wide problems); errors land on the rows.

    Must run inside scope(tenant=tenant).
    """
    groups = group_rows(table.rows)
    rows_done = 0
    for index, group in enumerate(groups, start=1):
        _check_structure(group)
        group.data = as_body(group)
        if group.document_number and len(group.document_number) <= 50:
            try:
                invoice_check(tenant=tenant, data=group.data)
            except InvoiceError as error:
                record_error(group, error)
            issued = _date(group.first.values.get("issue_date", ""))
            if issued:
                group.irn_key = ("".join(ch for ch in group.document_number if ch.isalnum()), issued)
        rows_done += len(group.rows)
        if progress and index % PROGRESS_EVERY == 0:
            progress(rows_done)
    _check_conflicts(tenant, groups)
    problems = []
    try:
        validation.supplier_check(tenant)
    except InvoiceError as error:
        problems.append(
            Problem(
                f"{error.message} Nothing can be submitted until this is fixed. {error.detail}".strip(), error.reason
            )
        )
    return groups, problems


def _check_conflicts(tenant, groups: list) -> None:
    """Document numbers already used by a live invoice, and numbers of this file that give one IRN."""
    numbered = [g for g in groups if g.document_number and len(g.document_number) <= 50]
    used = {}
    for chunk in _chunks([g.document_number for g in numbered], 500):
        for number, status in Invoice.objects.filter(document_number__in=chunk, status__in=validation.LIVE).values_list(
            "document_number", "status"
        ):
            used[number] = status
    for group in numbered:
        if group.document_number in used:
            label = InvoiceStatus(used[group.document_number]).label.lower()
            group.first.problems.append(
                Problem(
                    f"already used by an existing invoice ({label}); pick a different number",
                    "DOCUMENT_NUMBER_CONFLICT_INVOICE",
                    group.first.row,
                    "document_number",
                )
            )
    # Only the letters and digits of a number make its IRN: INV-001 and INV001 issued the same day collide.
    seen: dict[tuple, Group] = {}
    for group in numbered:
        if group.irn_key is None or not group.irn_key[0]:
            continue
        other = seen.setdefault(group.irn_key, group)
        if other is not group:
            group.first.problems.append(
                Problem(
                    f"gives the same IRN as invoice {other.document_number} (row {other.first.row}) issued the same "
                    "day: only the letters and digits of a number count",
                    "DOCUMENT_NUMBER_CONFLICT_FILE",
                    group.first.row,
                    "document_number",
                )
            )
    service_id = tenant.nrs_service_id
    if not service_id:
        return
    irns = {}
    for group in numbered:
        if group.irn_key and group.irn_key[0] and group.document_number not in used and group.valid:
            irns[build_irn(group.document_number, service_id, group.irn_key[1])] = group
    for chunk in _chunks(list(irns), 500):
        taken = Invoice.objects.filter(irn__in=chunk).exclude(status=InvoiceStatus.DRAFT)
        for irn, number in taken.values_list("irn", "document_number"):
            group = irns[irn]
            group.first.problems.append(
                Problem(
                    f"gives IRN {irn}, already used by invoice {number}; pick a different number",
                    "DOCUMENT_NUMBER_CONFLICT_INVOICE",
                    group.first.row,
                    "document_number",
                )
            )


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def batch_validate_run(batch_id) -> str:
    """The validation task: safe to run twice (the second run finds the batch no longer VALIDATING)."""
    with scopes_disabled():
        batch = Batch.objects.select_related("tenant").filter(pk=batch_id).first()
    if batch is None or batch.status != BatchStatus.VALIDATING:
        return "skipped"
    tenant = batch.tenant
    with scope(tenant=tenant):
        with batch.file.open("rb") as handle:
            content = handle.read()
        try:
            table = read_csv(content)
        except FileProblem as problem:  # the upload checked this already; only a changed file gets here
            _invalid(batch, problem.problems, b"")
            return "invalid"

        def progress(rows_done):
            Batch.objects.filter(pk=batch.pk, status=BatchStatus.VALIDATING).update(validated_rows=rows_done)

        groups, problems = validate_table(tenant, table, progress)
        return _store(batch, groups, problems)


def _store(batch: Batch, groups: list, problems: list) -> str:
    valid = sum(1 for g in groups if g.valid)
    errors = sum(len(r.problems) for g in groups for r in g.rows)
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != BatchStatus.VALIDATING:
            return "skipped"
        made = BatchInvoice.objects.bulk_create(
            [
                BatchInvoice(
                    tenant_id=locked.tenant_id,
                    batch=locked,
                    document_number=g.document_number[:200],
                    first_row=g.first.row,
                    rows=[r.row for r in g.rows],
                    data=g.data,
                    state=State.VALID if g.valid else State.INVALID,
                )
                for g in groups
            ],
            batch_size=500,
        )
        BatchRow.objects.bulk_create(
            [
                BatchRow(
                    tenant_id=locked.tenant_id,
                    batch=locked,
                    group=made_group,
                    row=r.row,
                    values=r.values,
                    errors=[{"column": p.column, "message": p.message, "code": p.code} for p in r.problems],
                    has_errors=bool(r.problems),
                )
                for g, made_group in zip(groups, made, strict=True)
                for r in g.rows
            ],
            batch_size=500,
        )
        locked.status = BatchStatus.VALIDATED
        locked.valid_count = valid
        locked.invalid_count = len(groups) - valid
        locked.invoice_count = len(groups)
        locked.validated_rows = locked.row_count
        locked.error_count = errors + len(problems)
        locked.file_errors = [p.as_dict() for p in problems]
        locked.error_summary = _summary(locked, problems)
        locked.validated_at = timezone.now()
        locked.save()
        if locked.submit_requested:
            _start_submission(locked)
    return "validated"


def _n(count: int, singular: str, plural: str) -> str:
    return f"{count:,} {singular if count == 1 else plural}"


def _summary(batch: Batch, problems: list) -> str:
    if batch.invalid_count:
        parts = [
            f"{_n(batch.error_count - len(problems), 'error', 'errors')} in {batch.invalid_count:,} of "
            f"{_n(batch.invoice_count, 'invoice', 'invoices')}; {batch.valid_count:,} valid."
        ]
    else:
        parts = [f"{_n(batch.invoice_count, 'invoice', 'invoices')}, all valid."]
    parts.extend(p.message for p in problems)
    return " ".join(parts)


# --- submission -------------------------------------------------------------------------------------


def batch_submit(*, batch: Batch, actor: services.Actor) -> Batch:
    """Submit the valid invoices of a batch (now, or as soon as its validation is done)."""
    with scope(tenant=batch.tenant), transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.status == BatchStatus.INVALID:
            raise InvoiceError(
                "CSV_INVALID",
                "This file has file-level errors and cannot be submitted; fix it and upload it again.",
                fields={"batchId": "the file is invalid"},
            )
        if locked.status in (BatchStatus.SUBMITTING, BatchStatus.DONE) or locked.submit_requested:
            raise InvoiceError(
                "BATCH_ALREADY_SUBMITTED",
                "This batch has already been submitted.",
                fields={"batchId": "submitted"},
                status=409,
            )
        if locked.status == BatchStatus.VALIDATED and not locked.valid_count:
            raise InvoiceError(
                "NO_VALID_INVOICES",
                "No invoice of this file is valid: there is nothing to submit. Fix the errors and upload it again.",
                fields={"batchId": "no valid invoices"},
            )
        validation.supplier_check(locked.tenant)
        locked.submit_requested = True
        locked.submitted_by = actor.user if actor.user_id else None
        locked.submitted_by_key = actor.api_key
        if locked.status == BatchStatus.VALIDATED:
            _start_submission(locked)
        else:
            locked.save(update_fields=["submit_requested", "submitted_by", "submitted_by_key"])
        return locked


def _start_submission(batch: Batch) -> None:
    """Inside the caller's transaction, with the batch row locked."""
    batch.status = BatchStatus.SUBMITTING
    batch.submitted_at = timezone.now()
    if not batch.valid_count:
        batch.status = BatchStatus.DONE
        batch.finished_at = batch.submitted_at
    batch.save()
    if batch.status == BatchStatus.SUBMITTING:
        batch_id = str(batch.pk)
        chains = max(1, min(SUBMIT_CHAINS, -(-batch.valid_count // SUBMIT_CHUNK)))
        for _ in range(chains):
            transaction.on_commit(lambda: enqueue(SUBMIT_TASK, batch_id))


def batch_submit_run(batch_id) -> str:
    """The submission task: creates up to SUBMIT_CHUNK invoices, then queues itself again if more are left.

    Each invoice is claimed (a row lock, skipping rows another run holds) and created in one transaction with
    its group's update, so runs side by side share the work and a task run twice never creates an invoice twice.
    A run that could claim nothing leaves the rest to the run holding it (and the sweeper, should that one die).
    """
    with scopes_disabled():
        batch = Batch.objects.select_related("tenant", "submitted_by", "submitted_by_key").filter(pk=batch_id).first()
    if batch is None or batch.status != BatchStatus.SUBMITTING:
        return "skipped"
    actor = services.Actor(user=batch.submitted_by, api_key=batch.submitted_by_key)
    with scope(tenant=batch.tenant):
        todo = list(
            BatchInvoice.objects.filter(batch=batch, state=State.VALID)
            .order_by("first_row")
            .values_list("pk", flat=True)[:SUBMIT_CHUNK]
        )
        made = sum(_create_one(batch, group_id, actor) for group_id in todo)
        if BatchInvoice.objects.filter(batch=batch, state=State.VALID).exists():
            if not made:
                return "left to another run"
            enqueue(SUBMIT_TASK, str(batch.pk))
            return "continued"
        batch_progress(batch)  # marks it DONE if NRS has already answered for every invoice
    return "submitted"


def _create_one(batch: Batch, group_id, actor: services.Actor) -> bool:
    with transaction.atomic():
        group = BatchInvoice.objects.select_for_update(skip_locked=True).filter(pk=group_id, state=State.VALID).first()
        if group is None:
            return False  # another run has it, or had it
        try:
            invoice = services.invoice_create(tenant=batch.tenant, data=group.data, actor=actor, bulk=True)
        except InvoiceError as error:  # something changed since validation, e.g. the number was used since
            _record_refusal(group, error)
            return True
        group.invoice = invoice
        group.state = State.CREATED
        group.save(update_fields=["invoice", "state"])
        return True


def _record_refusal(group: BatchInvoice, error: InvoiceError) -> None:
    rows = {r.row: r for r in BatchRow.objects.filter(batch_id=group.batch_id, row__in=group.rows)}
    shaped = Group(group.document_number, [Row(n, rows[n].values if n in rows else {}) for n in group.rows])
    record_error(shaped, error)
    for row in shaped.rows:
        if row.problems and row.row in rows:
            stored = rows[row.row]
            stored.errors = stored.errors + [
                {"column": p.column, "message": p.message, "code": p.code} for p in row.problems
            ]
            stored.has_errors = True
            stored.save(update_fields=["errors", "has_errors"])
    group.state = State.REJECTED
    group.save(update_fields=["state"])
    Batch.objects.filter(pk=group.batch_id).update(
        error_count=F("error_count") + sum(len(r.problems) for r in shaped.rows)
    )


def batch_sweep(*, now=None) -> dict:
    """Queue again the batches whose task was lost (a worker died after django-q's last retry).

    Both tasks are safe to run twice, so a batch that is merely slow costs a second run that finds nothing to do.
    Batches older than a day are left alone, so a task that keeps failing is not queued forever.
    """
    now = now or timezone.now()
    stale, too_old = now - SWEEP_AFTER, now - timedelta(days=1)
    with scopes_disabled():
        validating = list(
            Batch.objects.filter(
                status=BatchStatus.VALIDATING, created_at__lt=stale, created_at__gt=too_old
            ).values_list("pk", flat=True)
        )
        submitting = list(
            Batch.objects.filter(
                status=BatchStatus.SUBMITTING,
                submitted_at__lt=stale,
                submitted_at__gt=too_old,
                groups__state=State.VALID,
            )
            .distinct()
            .values_list("pk", flat=True)
        )
    for batch_id in validating:
        enqueue(VALIDATE_TASK, str(batch_id))
    for batch_id in submitting:
        enqueue(SUBMIT_TASK, str(batch_id))
    return {"validating": len(validating), "submitting": len(submitting)}


# --- progress ---------------------------------------------------------------------------------------

WAITING = (InvoiceStatus.PENDING, InvoiceStatus.SUBMITTING)
HELD = (InvoiceStatus.PENDING_REVIEW, InvoiceStatus.PENDING_APPROVAL, InvoiceStatus.BLOCKED, InvoiceStatus.DRAFT)


def batch_progress(batch: Batch) -> dict:
    """Counts and a 0–100 progress; a SUBMITTING batch whose invoices have all left the NRS queue becomes DONE.

    Must run inside the batch's tenant scope.
    """
    counts = {"submitted": 0, "certified": 0, "failed": 0, "held": 0, "pending": 0}
    if batch.status in (BatchStatus.SUBMITTING, BatchStatus.DONE):
        states = dict(BatchInvoice.objects.filter(batch=batch).values_list("state").annotate(n=Count("id")).order_by())
        statuses = dict(
            BatchInvoice.objects.filter(batch=batch, state=State.CREATED)
            .values_list("invoice__status")
            .annotate(n=Count("id"))
            .order_by()
        )
        counts["submitted"] = states.get(State.CREATED, 0)
        counts["certified"] = statuses.get(InvoiceStatus.CERTIFIED, 0) + statuses.get(InvoiceStatus.REPORTED, 0)
        counts["failed"] = statuses.get(InvoiceStatus.FAILED, 0) + states.get(State.REJECTED, 0)
        counts["held"] = sum(statuses.get(s, 0) for s in HELD)
        counts["pending"] = sum(statuses.get(s, 0) for s in WAITING) + states.get(State.VALID, 0)
        total = states.get(State.VALID, 0) + states.get(State.CREATED, 0) + states.get(State.REJECTED, 0)
        progress = 100 if not total else (total - counts["pending"]) * 100 // total
        # DONE once NRS has answered for every invoice; a failed invoice retried since reopens the batch.
        if batch.status == BatchStatus.SUBMITTING and not counts["pending"]:
            now = timezone.now()
            if Batch.objects.filter(pk=batch.pk, status=BatchStatus.SUBMITTING).update(
                status=BatchStatus.DONE, finished_at=now
            ):
                batch.status, batch.finished_at = BatchStatus.DONE, now
        elif batch.status == BatchStatus.DONE and counts["pending"]:
            if Batch.objects.filter(pk=batch.pk, status=BatchStatus.DONE).update(
                status=BatchStatus.SUBMITTING, finished_at=None
            ):
                batch.status, batch.finished_at = BatchStatus.SUBMITTING, None
    elif batch.status == BatchStatus.VALIDATING:
        progress = batch.validated_rows * 100 // batch.row_count if batch.row_count else 0
        progress = min(progress, 99)
    else:
        progress = 100
    counts["progress"] = progress
    return counts


def preview_rows(batch: Batch, *, only_errors: bool = False, limit: int = PREVIEW_ROWS):
    rows = BatchRow.objects.filter(batch=batch).select_related("group", "group__invoice")
    if only_errors:
        rows = rows.filter(has_errors=True)
    return rows.order_by("row")[:limit]


def batch_errors(batch: Batch, limit: int = 1000) -> list:
    """File-level and batch-wide problems first, then each row's errors in row order."""
    errors = list(batch.file_errors)
    rows = BatchRow.objects.filter(batch=batch, has_errors=True).order_by("row").values_list("row", "errors")
    for row, row_errors in rows[:limit]:
        errors.extend({"row": row, **e} for e in row_errors)
        if len(errors) >= limit:
            break
    return errors[:limit]
