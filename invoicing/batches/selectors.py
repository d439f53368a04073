"""Reads of a batch for the pages and the API: its rows for the preview, its errors for the report."""

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
