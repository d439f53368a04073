"""Every invoice of a file checked with invoice_create's own rules, nothing saved: the errors land on the
rows and columns they are about; the supplier's set-up and the number conflicts are checked once per file.
"""

import copy
import re
from datetime import date

from integrations.nrs.payload import build_irn
from integrations.reference import lookup
from invoicing.batches.format import HEADER_COLUMNS, Group, Problem, Table, as_body, group_rows, place
from invoicing.batches.words import in_file_words, plain
from invoicing.errors import InvoiceError
from invoicing.models import Invoice
from invoicing.parsing import parse_invoice
from invoicing.validation import LIVE, invoice_check, supplier_check

PROGRESS_EVERY = 250  # invoices validated between two progress writes

InvoiceStatus = Invoice.Status


def _check_invoice(tenant, data: dict) -> None:
    """invoice_create's checks of the invoice itself, without saving anything; raises InvoiceError.

    The supplier set-up and the document-number conflicts, which invoice_create also checks, are checked
    once per batch instead (see validate_table).
    """
    invoice_check(tenant, parse_invoice(data), draft=True)


MAX_ROUNDS = 30  # checks of one invoice at most: each round finds at least one more faulty field


def _stand_in(key: str):
    """A value a valid row could hold for the field `key`, or None when the field has none (the check stops)."""
    match = _LINE_KEY.match(key)
    if match:
        field = match[2]
        if field == "hsn_code":
            return next(iter(lookup.hs_codes()), None)
        if field == "isic_code":  # a known code: an empty one would be reported as a missing HS code
            return next(iter(lookup.service_codes()), None)
        return _LINE_STAND_INS.get(field)
    return _STAND_INS.get(key)


_LINE_KEY = re.compile(r"^lines\[(\d+)\]\.(\w+)$")
_LINE_STAND_INS = {
    "description": "-",
    "quantity": "1",
    "unit_price": "1",
    "tax_scheme": "STANDARD_VAT",
    "tax_rate": "",
    "discount": "0",
    "fee": "0",
    "withholding_rate": "0",
    "item_id": "",
    "unit_of_measure": "",
}
_STAND_INS = {
    "invoice_kind": "B2B",
    "invoice_type": "invoice",
    "issue_date": "2026-01-01",
    "due_date": "",
    "currency": "NGN",
    "customer_id": "",
    "original_invoice_id": "",
    "original_irn": "",
    "customer.name": "-",
    "customer.tin": "12345678-0001",
    "customer.email": "buyer@example.com",
    "customer.phone": "",
    "customer.address": "-",
    "customer.city": "-",
    "customer.postal_code": "100001",
    "customer.state": "",
    "customer.lga": "",
    "customer.country": "NG",
}


def _patch(data: dict, key: str, value) -> None:
    match = _LINE_KEY.match(key)
    if match:
        data["lines"][int(match[1])][match[2]] = value
        if match[2] == "hsn_code":
            data["lines"][int(match[1])]["isic_code"] = ""
    elif key.startswith("customer."):
        data["customer"][key.removeprefix("customer.")] = value
        if key == "customer.state":  # an LGA is judged against its state: with no known state it cannot be
            data["customer"]["lga"] = ""
    else:
        data[key] = value


def _check_all(tenant, group: Group) -> None:
    """Every faulty field of the invoice, not only the first: the checks stop at the first fault, so each faulty
    field is recorded, then stood in for by a valid value (on a copy) and the invoice checked again. A fix of one
    cell then no longer reveals the next error of the same row."""
    data = copy.deepcopy(group.data)
    faulted: set[str] = set()
    for _ in range(MAX_ROUNDS):
        try:
            _check_invoice(tenant, data)
            return
        except InvoiceError as error:
            fresh = {k: v for k, v in (error.fields or {}).items() if k not in faulted}
            if faulted and not fresh:
                return
            if faulted:  # only field faults after a stand-in: a whole-invoice one could be the stand-ins' doing
                fresh = {k: v for k, v in fresh.items() if _stand_in(k) is not None}
                if not fresh:
                    return
                error = InvoiceError(error.reason, error.message, fields=fresh)
            record_error(group, error)
            stand_ins = {k: _stand_in(k) for k in fresh}
            if not fresh or any(value is None for value in stand_ins.values()):
                return
            for key, value in stand_ins.items():
                _patch(data, key, value)
            faulted.update(fresh)


def record_error(group: Group, error: InvoiceError) -> None:
    """The error's messages on the rows and columns they are about, in the file's words (see words.py); the
    code stays the API's."""
    if not error.fields:
        group.first.problems.append(Problem(plain(error.message), error.reason, group.first.row))
        return
    for key, message in error.fields.items():
        row, column = place(key, group)
        if column is None:
            # About the whole invoice (e.g. a zero total): the service's sentence says it best, unless it is the
            # generic "see fields" one.
            specific = len(error.fields) == 1 and error.reason != "incomplete_unpatchable"
            message = plain(error.message) if specific else in_file_words(key, message)
        else:
            message = in_file_words(key, message)
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
            _check_all(tenant, group)
            issued = _date(group.first.values.get("issue_date", ""))
            if issued:
                group.irn_key = ("".join(ch for ch in group.document_number if ch.isalnum()), issued)
        rows_done += len(group.rows)
        if progress and index % PROGRESS_EVERY == 0:
            progress(rows_done)
    _check_conflicts(tenant, groups)
    problems = []
    try:
        supplier_check(tenant)
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
        for number, status in Invoice.objects.filter(document_number__in=chunk, status__in=LIVE).values_list(
            "document_number", "status"
        ):
            used[number] = status
    for group in numbered:
        if group.document_number in used:
            label = str(InvoiceStatus(used[group.document_number]).label)
            label = label[:1].lower() + label[1:]  # "queued for NRS"
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
