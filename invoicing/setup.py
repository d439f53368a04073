"""A business's set-up as an invoice create and a submission read it, kept per process and never out of date.

Besides the tenant row, every create needed the primary location (supplier address, checklist), whether an
active crypto key is on file (checklist), the review/approval rules and the webhook endpoint (its events are
recorded in the create's transaction): four queries, a fifth of the work of a create, for things that change
a few times in a business's life. Every change to them bumps `Tenant.setup_version` in the same transaction
(the signals below, and `changed` where a service updates rows in bulk), and the tenant row itself is read
afresh on every request (with its API key or its session). So a copy kept under (tenant, version) is current
by construction: the first request after a change, in any process, sees a new version and reads again.
The endpoint is the webhooks app's, above invoicing: it adds it to the copy with `extend`.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save

from invoicing.models import GateRules
from tenants.models import CryptoKey, Location, Tenant
from tenants.readiness import ReadinessItem, active_key_on_file, primary_location, tenant_readiness

MAX_TENANTS = 1000  # copies kept per process; past that they are dropped and read again as needed


@dataclass(frozen=True)
class Setup:
    location: Location | None  # the primary location, with its state and LGA
    has_key: bool
    rules: GateRules  # unsaved defaults when the business never set any
    extras: dict  # name -> what an app above invoicing keeps here (`extend`), e.g. the webhook endpoint

    def readiness(self, tenant: Tenant) -> list[ReadinessItem]:
        """The readiness checklist from this copy: no query beyond the tenant row already at hand."""
        return tenant_readiness(tenant, primary=self.location, has_key=self.has_key)


_lock = threading.Lock()
_copies: dict = {}  # tenant id -> (setup_version, Setup)
_extras: dict[str, Callable[[Tenant], object]] = {}  # name -> how to read it


def extend(name: str, read: Callable[[Tenant], object], *models) -> None:
    """Keep `read(tenant)` in every copy as `extras[name]`, read again whenever a row of `models` is saved or
    deleted. For the apps above invoicing (which it never imports), from their AppConfig.ready()."""
    _extras[name] = read
    for model in models:
        _watch(model)


def tenant_setup(tenant: Tenant) -> Setup:
    entry = _copies.get(tenant.pk)
    if entry is not None and entry[0] == tenant.setup_version:
        return entry[1]
    setup = Setup(
        location=primary_location(tenant),
        has_key=active_key_on_file(tenant),
        rules=GateRules.objects.filter(tenant=tenant).first() or GateRules(tenant=tenant),
        extras={name: read(tenant) for name, read in _extras.items()},
    )
    if transaction.get_connection().in_atomic_block:
        return setup  # it may have read its own uncommitted change, which a rollback would undo but not un-keep
    with _lock:
        if len(_copies) >= MAX_TENANTS:
            _copies.clear()
        _copies[tenant.pk] = (tenant.setup_version, setup)
    return setup


def clear() -> None:
    with _lock:
        _copies.clear()


def changed(tenant_id) -> None:
    """Call in the transaction that changes what `Setup` holds, where no model signal says so."""
    Tenant.objects.filter(pk=tenant_id).update(setup_version=F("setup_version") + 1)
    with _lock:  # and at once here, where a tenant object read before the change may still be in use
        _copies.pop(tenant_id, None)


def _changed(sender, instance, **kwargs) -> None:
    changed(instance.tenant_id)


def connect_signals() -> None:
    """Every save or delete of what `Setup` holds. (Bulk `.update()`s of these models happen only in services
    that then save a row too, tenants.services location_save and the crypto-key functions, or that call
    `changed`: webhook pause and resume.)"""
    for model in (Location, CryptoKey, GateRules):
        _watch(model)


def _watch(model) -> None:
    post_save.connect(_changed, sender=model, dispatch_uid=f"setup-version-{model.__name__}")
    post_delete.connect(_changed, sender=model, dispatch_uid=f"setup-version-{model.__name__}-delete")
