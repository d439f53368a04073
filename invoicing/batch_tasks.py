"""django-q2 entry points of CSV batches: thin, load by id, call invoicing.batches, safe to run twice."""

from invoicing import batches


def validate_batch(batch_id: str) -> str:
    return batches.batch_validate_run(batch_id)


def submit_batch(batch_id: str) -> str:
    return batches.batch_submit_run(batch_id)


def sweep_batches() -> dict:
    return batches.batch_sweep()
