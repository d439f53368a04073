"""django-q2 entry points of CSV batches: thin, load by id, call invoicing/batches/services.py, safe to run twice.

Their dotted names (invoicing.batch_tasks.…) are queued by batches/services.py and stored in django-q2's
schedules and queue, so they stay here whatever moves inside the package.
"""

from invoicing.batches import services


def validate_batch(batch_id: str) -> str:
    return services.batch_validate_run(batch_id)


def submit_batch(batch_id: str) -> str:
    return services.batch_submit_run(batch_id)


def sweep_batches() -> dict:
    return services.batch_sweep()
