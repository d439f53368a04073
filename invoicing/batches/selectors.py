"""Reads of a batch for the pages and the API: its rows for the preview, its errors for the report."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from invoicing.models import Batch, BatchRow

PREVIEW_ROWS = 200


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


@dataclass(frozen=True)
class Verdict:
    """What a batch's badge says and its colour (ok, warn, bad or running): a checked file with no valid
    invoice is not good news, whatever its status is called."""

    label: str
    tone: str


def batch_verdict(batch: Batch) -> Verdict:
    Status = Batch.Status
    if batch.status in (Status.VALIDATING, Status.SUBMITTING):
        return Verdict(batch.get_status_display(), "running")
    if batch.status == Status.INVALID:
        return Verdict(_("File not accepted"), "bad")
    if batch.status == Status.VALIDATED:
        if batch.file_errors or not batch.valid_count:
            return Verdict(_("Nothing to submit"), "bad")
        if batch.invalid_count:
            return Verdict(_("Some invoices have errors"), "warn")
        return Verdict(_("Ready to submit"), "ok")
    if batch.invalid_count:
        return Verdict(_("Done; invoices with errors skipped"), "warn")
    return Verdict(_("Done"), "ok")
