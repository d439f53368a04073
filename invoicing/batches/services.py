"""Every change to a batch: the upload, the validation and submission runs (the tasks), the sweeper for
lost tasks, and the progress that marks a batch done. Invoices are created through invoice_create only.
"""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from invoicing import notices
from invoicing.batches.format import MAX_BYTES, FileProblem, Group, Problem, Row, read_csv, too_large
from invoicing.batches.validation import record_error, validate_table
from invoicing.errors import InvoiceError
from invoicing.models import Batch, BatchInvoice, BatchRow, Invoice
from invoicing.services import Actor, invoice_create
from invoicing.validation import supplier_check
from portal.queueing import enqueue

VALIDATE_TASK = "invoicing.batch_tasks.validate_batch"
SUBMIT_TASK = "invoicing.batch_tasks.submit_batch"
SUBMIT_CHUNK = 200  # invoices per task run: a big file becomes a chain of short tasks, far below the timeout
SUBMIT_CHAINS = 2  # chains of tasks creating one batch's invoices side by side, each skipping the others' rows
SWEEP_AFTER = timedelta(minutes=10)  # well past a 20,000-row validation or a chunk of submissions

BatchStatus = Batch.Status
State = BatchInvoice.State
InvoiceStatus = Invoice.Status


def batch_upload(*, tenant, file, actor: Actor, submit: bool = False) -> Batch:
    """Store the file and create its batch: VALIDATING (the task is queued) or INVALID (file-level errors).

    With `submit`, the valid invoices are submitted as soon as validation is done (one-step upload).
    """
    with scope(tenant=tenant):
        if submit:
            supplier_check(tenant)  # refuse before storing anything, as invoice_create would
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
            return _invalid(batch, [too_large()], b"")  # not even read, let alone stored
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
    notices.batch_with_errors(batch)
    return batch


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
        if locked.error_count:
            notices.batch_with_errors(locked)
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


def batch_submit(*, batch: Batch, actor: Actor) -> Batch:
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
        supplier_check(locked.tenant)
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
    actor = Actor(user=batch.submitted_by, api_key=batch.submitted_by_key)
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


def _create_one(batch: Batch, group_id, actor: Actor) -> bool:
    with transaction.atomic():
        group = BatchInvoice.objects.select_for_update(skip_locked=True).filter(pk=group_id, state=State.VALID).first()
        if group is None:
            return False  # another run has it, or had it
        try:
            invoice = invoice_create(tenant=batch.tenant, data=group.data, actor=actor, bulk=True)
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
