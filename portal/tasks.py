"""Housekeeping run by the django-q2 scheduler."""

from portal.idempotency import purge_idempotency_records
from portal.ratelimit import purge_counters


def housekeeping() -> dict:
    return {"idempotency_records": purge_idempotency_records(), "rate_counters": purge_counters()}
