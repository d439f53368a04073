"""CSV batches: one row per invoice line; the rows that share a document number are one invoice.

upload (in the request: size, encoding, header and row count; the file is stored) → validate (a task: every
invoice is mapped to the create body and checked with invoice_create's own rules, nothing saved) → submit
(a task: one invoice per valid group through invoice_create, queued for NRS as usual; invalid groups are
skipped and reported) → progress, counted from the created invoices' own statuses.

- format.py: the file (columns, template, reading, rows grouped into invoices and mapped to the create body);
  docs/csv-format.md documents it and COLUMNS is its single source.
- validation.py: every invoice of a file checked, errors placed on their rows and columns; nothing saved.
- services.py: every change to a batch (upload, validation and submission runs, the sweeper, progress).
- selectors.py: reads for the pages and the API.
The django-q2 entry points are invoicing/batch_tasks.py (their dotted names are queued and scheduled).
"""

from invoicing.batches.format import COLUMNS, COLUMNS_HELP, MAX_ROWS, template_csv
from invoicing.batches.selectors import PREVIEW_ROWS, Verdict, batch_errors, batch_verdict, preview_rows
from invoicing.batches.services import (
    batch_progress,
    batch_submit,
    batch_submit_run,
    batch_sweep,
    batch_upload,
    batch_validate_run,
)

__all__ = [
    "COLUMNS",
    "COLUMNS_HELP",
    "MAX_ROWS",
    "PREVIEW_ROWS",
    "Verdict",
    "batch_errors",
    "batch_progress",
    "batch_submit",
    "batch_submit_run",
    "batch_sweep",
    "batch_upload",
    "batch_validate_run",
    "batch_verdict",
    "preview_rows",
    "template_csv",
]
