"""Recording changes for the audit log. Secrets are never written: only that they changed."""

from tenants.models import AuditEvent

SECRET_FIELDS = {"nrs_api_key", "nrs_api_secret", "secret", "key_file", "password"}


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for fields whose value changed; secret fields as {field: "changed"}."""
    changes = {}
    for field, new in after.items():
        old = before.get(field)
        if old != new:
            changes[field] = "changed" if field in SECRET_FIELDS else [_plain(old), _plain(new)]
    return changes


def _plain(value):
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def audit(tenant, kind: str, message: str = "", *, user=None, api_key=None, changes: dict | None = None) -> AuditEvent:
    return AuditEvent.objects.create(
        tenant=tenant,
        kind=kind,
        message=message,
        changes=changes or {},
        actor=user if getattr(user, "pk", None) else None,
        actor_key=api_key,
    )
