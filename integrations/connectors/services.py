"""Every change to a connector, for the settings screens and the admin API alike: checked here, audited here.

Errors are a ValidationError keyed by field path (`name`, `every_minutes`, `settings.host`, `secrets.api_key`,
`mappings.tax`), each in words with the fix; a refused action is a ConnectorError.
"""

import json
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from integrations.connectors import kinds, mapping, reach, sync
from integrations.connectors.models import Connector, SourceDocument
from portal.errors import DomainError
from portal.queueing import enqueue_on_commit
from tenants.audit import audit

SYNC_TASK = "integrations.connectors.tasks.sync_connector"
MIN_MINUTES, MAX_MINUTES = 5, 1440
MAX_MAPPINGS = 500  # rows per table
MAX_CODE = 100


class ConnectorError(DomainError):
    """A refused connector action; the API answers 409 unless it says otherwise."""

    default_status = 409


def credentials(connector: Connector) -> dict:
    """The connector's secrets (passwords, keys, tokens): for its kind's code only, never for an answer or a page."""
    try:
        found = json.loads(connector.credentials or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def secrets_set(connector: Connector) -> list[str]:
    """The names of the secrets that are saved (what a screen or an answer may say about them)."""
    saved = credentials(connector)
    return [secret.name for secret in kinds.secrets_of(connector.kind) if saved.get(secret.name)]


def credentials_store(connector: Connector, **values) -> None:
    """Merge secrets into the connector's encrypted credentials (a kind's OAuth tokens, say) and save them."""
    saved = credentials(connector)
    saved.update(values)
    connector.credentials = json.dumps(saved)
    Connector.objects.filter(pk=connector.pk).update(credentials=connector.credentials)


# --- checking what was sent -------------------------------------------------------------------------------------


def _text(value, errors, field, *, required, max_length, label):
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[field] = _("Enter %(label)s.") % {"label": label}
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        errors[field] = _("%(label)s must be text.") % {"label": label}
        return ""
    value = str(value).strip()
    if "\x00" in value:
        errors[field] = _("%(label)s holds a character that cannot be saved.") % {"label": label}
    elif len(value) > max_length:
        errors[field] = _("%(label)s is too long: at most %(n)d characters.") % {"label": label, "n": max_length}
    return value


def _settings(kind: str, given, before: dict, errors: dict) -> dict:
    if given is None:
        given = {}
    if not isinstance(given, dict):
        errors["settings"] = _("Settings must be an object of the kind's fields.")
        return before
    known = {setting.name: setting for setting in kinds.settings_of(kind)}
    for name in sorted(set(given) - set(known)):
        errors[f"settings.{name}"] = _("Not a setting of this kind; it takes %(names)s.") % {
            "names": ", ".join(known) or _("none")
        }
    result = dict(before)
    for name, setting in known.items():
        field, label = f"settings.{name}", str(setting.label)
        if name not in given and name in before:
            continue  # a partial change keeps what it does not name
        value = given.get(name, setting.default)
        if setting.type == "port":
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value.strip())
            if value in (None, "") and not setting.required:
                result.pop(name, None)
                continue
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
                errors[field] = _("%(label)s must be a whole number from 1 to 65535.") % {"label": label}
                continue
            result[name] = value
            continue
        value = _text(value, errors, field, required=setting.required, max_length=setting.max_length, label=label)
        if value and setting.type == "url" and field not in errors:
            parts = urlsplit(value)
            if parts.scheme not in ("https", "http") or not parts.hostname:
                errors[field] = _("%(label)s must be a web address such as https://mycompany.odoo.com.") % {
                    "label": label
                }
        result[name] = value
    return result


def _in_sentence(label) -> str:
    """A field's label inside a sentence: "Password" → "password", but "API key" stays."""
    label = str(label)
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _reachable(kind: str, values: dict, errors: dict) -> None:
    """The server a setting names must be on the internet (reach.py); said under that setting."""
    for setting in kinds.settings_of(kind):
        value = values.get(setting.name)
        field = f"settings.{setting.name}"
        if not value or field in errors:
            continue
        if setting.type == "url":
            parts = urlsplit(value)
            problem = reach.host_problem(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        elif setting.type == "host":
            problem = reach.host_problem(value, int(values.get("port") or 22))
        else:
            continue
        if problem:
            errors[field] = problem


def _secrets(kind: str, given, errors: dict) -> dict:
    """The secrets to save: a value replaces the saved one; empty or null keeps it."""
    if given is None:
        return {}
    if not isinstance(given, dict):
        errors["secrets"] = _("Secrets must be an object of the kind's secret fields.")
        return {}
    known = {secret.name: secret for secret in kinds.secrets_of(kind)}
    changed = {}
    for name, value in given.items():
        field = f"secrets.{name}"
        if name not in known:
            errors[field] = _("Not a secret of this kind; it takes %(names)s.") % {
                "names": ", ".join(known) or _("none")
            }
        elif value in (None, ""):
            continue
        elif not isinstance(value, str) or "\x00" in value:
            errors[field] = _("%(label)s must be text.") % {"label": known[name].label}
        elif len(value) > 20000:
            errors[field] = _("%(label)s is too long.") % {"label": known[name].label}
        else:
            changed[name] = value
    return changed


def _mappings(given, before: dict, errors: dict) -> dict:
    if given is None:
        return before
    if not isinstance(given, dict):
        errors["mappings"] = _("Mappings must be an object of tables: %(tables)s.") % {
            "tables": ", ".join(mapping.TABLES)
        }
        return before
    result = dict(before)
    for table, rows in given.items():
        field = f"mappings.{table}"
        if table not in mapping.TABLES:
            errors[field] = _("Not a mapping table: use %(tables)s.") % {"tables": ", ".join(mapping.TABLES)}
            continue
        if not isinstance(rows, dict):
            errors[field] = _("Give an object of source code → NRS code.")
            continue
        if len(rows) > MAX_MAPPINGS:
            errors[field] = _("At most %(n)d rows.") % {"n": MAX_MAPPINGS}
            continue
        clean, spelt = {}, {}
        for source, target in rows.items():
            source = source.strip() if isinstance(source, str) else source
            if not source or "\x00" in source or len(source) > MAX_CODE:
                errors[field] = _("Each row needs the code as your system writes it (at most %(n)d characters).") % {
                    "n": MAX_CODE
                }
                break
            if not isinstance(target, str) or not target.strip() or "\x00" in target or len(target) > MAX_CODE:
                errors[field] = _("“%(source)s” needs %(target)s.") % {
                    "source": source,
                    "target": mapping.TARGETS[table],
                }
                break
            target = target.strip()
            if not mapping.is_nrs_code(table, target):
                errors[field] = _("“%(code)s” (for “%(source)s”) is not %(target)s.") % {
                    "code": target,
                    "source": source,
                    "target": mapping.TARGETS[table],
                }
                break
            if mapping.key(source) in spelt:  # the sync reads codes trimmed and in lower case: one row each
                errors[field] = _("“%(one)s” and “%(other)s” are the same code to Flowpoint: keep one row.") % {
                    "one": spelt[mapping.key(source)],
                    "other": source,
                }
                break
            spelt[mapping.key(source)] = source
            clean[source] = target
        else:
            if clean:
                result[table] = clean
            else:
                result.pop(table, None)
    return result


def _minutes(value, errors):
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not MIN_MINUTES <= value <= MAX_MINUTES:
        errors["every_minutes"] = _("Run every %(low)d to %(high)d minutes.") % {
            "low": MIN_MINUTES,
            "high": MAX_MINUTES,
        }
        return None
    return value


def _state(value, errors):
    if value not in Connector.State.values:
        errors["state"] = _("The state is active or paused.")
        return None
    return value


def _check(connector: Connector, data: dict, *, creating: bool) -> dict:
    """The new values of `connector` from `data`, or ValidationError naming every field at once."""
    errors: dict[str, str] = {}
    values: dict = {}
    if creating or "name" in data:
        values["name"] = _text(data.get("name"), errors, "name", required=True, max_length=100, label=_("a name"))
    if creating or "settings" in data:
        values["settings"] = _settings(
            connector.kind, data.get("settings"), {} if creating else dict(connector.settings or {}), errors
        )
    values["secrets"] = _secrets(connector.kind, data.get("secrets"), errors)
    if "settings" in values:
        _reachable(connector.kind, values["settings"], errors)
    one_of = kinds.KIND_SECRET_NEEDED.get(connector.kind, ()) if creating else ()  # an update keeps what is saved
    if one_of and not any(values["secrets"].get(name) or credentials(connector).get(name) for name in one_of):
        labels = [_in_sentence(secret.label) for secret in kinds.secrets_of(connector.kind) if secret.name in one_of]
        errors[f"secrets.{one_of[0]}"] = _("Enter the %(what)s the source signs in with.") % {
            "what": _(" or the ").join(labels)
        }
    if "mappings" in data:
        values["mappings"] = _mappings(data.get("mappings"), dict(connector.mappings or {}), errors)
    if "every_minutes" in data:
        values["every_minutes"] = _minutes(data["every_minutes"], errors)
    if "state" in data:
        values["state"] = _state(data["state"], errors)
    if errors:
        raise ValidationError({field: [message] for field, message in errors.items()})
    return values


def _apply(connector: Connector, values: dict) -> list[str]:
    changed = []
    for name in ("name", "settings", "mappings", "every_minutes", "state"):
        if name in values and getattr(connector, name) != values[name]:
            setattr(connector, name, values[name])
            changed.append(name)
    if values.get("secrets"):
        saved = credentials(connector)
        saved.update(values["secrets"])
        connector.credentials = json.dumps(saved)
        changed.append("secrets")
    return changed


# --- the changes ---------------------------------------------------------------------------------------------------


def connector_create(*, tenant, data: dict, user=None) -> Connector:
    kind = data.get("kind")
    if kind not in Connector.Kind.values:
        raise ValidationError(
            {"kind": [_("Choose the kind of connector: %(kinds)s.") % {"kinds": ", ".join(Connector.Kind.values)}]}
        )
    connector = Connector(tenant=tenant, kind=kind)
    values = _check(
        connector, {"every_minutes": Connector._meta.get_field("every_minutes").default, **data}, creating=True
    )
    _apply(connector, values)
    with transaction.atomic():
        connector.save()
        audit(tenant, "connector.created", _("Connector “%(name)s” added.") % {"name": connector.name}, user=user)
    return connector


def connector_update(*, connector: Connector, data: dict, user=None) -> Connector:
    if "kind" in data and data["kind"] != connector.kind:
        raise ValidationError({"kind": [_("The kind of a connector cannot change: add a new connector instead.")]})
    values = _check(connector, data, creating=False)
    before_state = connector.state
    changed = _apply(connector, values)
    if not changed:
        return connector
    with transaction.atomic():
        connector.save()
        audit(
            connector.tenant,
            "connector.updated",
            _("Connector “%(name)s” changed: %(what)s.") % {"name": connector.name, "what": ", ".join(changed)},
            user=user,
        )
        if connector.state != before_state:
            _state_changed(connector, user)
    return connector


def _state_changed(connector, user):
    if connector.state == Connector.State.ACTIVE:
        # Due at the schedule's next minute, not after a whole interval.
        Connector.objects.filter(pk=connector.pk).update(next_run_at=None)
        connector.next_run_at = None
        audit(
            connector.tenant,
            "connector.resumed",
            _("Connector “%(name)s” resumed.") % {"name": connector.name},
            user=user,
        )
    else:
        audit(
            connector.tenant,
            "connector.paused",
            _("Connector “%(name)s” paused.") % {"name": connector.name},
            user=user,
        )


def connector_pause(*, connector: Connector, user=None) -> Connector:
    return connector_update(connector=connector, data={"state": Connector.State.PAUSED}, user=user)


def connector_resume(*, connector: Connector, user=None) -> Connector:
    return connector_update(connector=connector, data={"state": Connector.State.ACTIVE}, user=user)


def connector_run_now(*, connector: Connector, user=None) -> None:
    """Queue a run at once (the schedule's own runs go on as before)."""
    if connector.state != Connector.State.ACTIVE:
        raise ConnectorError(
            "connector_paused", _("This connector is paused: resume it first, then run it."), status=409
        )
    audit(
        connector.tenant,
        "connector.run_requested",
        _("Connector “%(name)s” run now.") % {"name": connector.name},
        user=user,
    )
    enqueue_on_commit(SYNC_TASK, str(connector.pk))


def connector_delete(*, connector: Connector, user=None) -> None:
    """The connector, its runs and its documents' records go; the invoices it created stay."""
    with transaction.atomic():
        audit(
            connector.tenant,
            "connector.deleted",
            _("Connector “%(name)s” deleted.") % {"name": connector.name},
            user=user,
        )
        connector.delete()


def connector_document_retry(*, document: SourceDocument, user=None) -> str:
    """Try a document in error again (after a mapping, a customer or the source was fixed); returns its state."""
    if document.state != SourceDocument.State.ERROR or document.invoice_id:
        raise ConnectorError(
            "document_not_in_error", _("Only a document waiting for a fix can be retried."), status=409
        )
    if document.connector.kind not in sync.KINDS:
        raise ConnectorError(
            "kind_unavailable", _("This kind of connector cannot read documents on this server."), status=409
        )
    state = sync.document_retry(document)
    document.refresh_from_db()
    audit(
        document.tenant,
        "connector.document_retried",
        _("Document %(ref)s of “%(name)s” retried.")
        % {"ref": document.reference or document.source_id, "name": document.connector.name},
        user=user,
    )
    return state
