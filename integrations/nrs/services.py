"""Tenant-facing NRS actions: connecting to the embedded sandbox, checking a TIN, syncing reference data."""

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from integrations.nrs.client import NrsClient
from integrations.reference.models import Lga, State, VatExemption
from integrations.reference.services import DATASETS, Dataset, reference_load
from tenants import services as tenant_services
from tenants.audit import audit
from tenants.models import Tenant


@transaction.atomic
def nrs_sandbox_connect(*, tenant: Tenant, user=None) -> Tenant:
    """One click: a sandbox business for this tenant, with its IDs, credentials and key file filled in.

    The embedded sandbox stands in for NRS's own portal here (real NRS has no provisioning API), so this
    is only offered when the sandbox is the one embedded in this server.
    """
    from integrations.nrs.sandbox.services import business_provision

    if not settings.NRS_SANDBOX_EMBEDDED:
        raise ValidationError("This server uses an external NRS sandbox; enter the IDs and keys NRS gave you.")
    if tenant.environment != Tenant.Environment.SANDBOX:
        raise ValidationError("Switch the environment to Sandbox first: live businesses use the IDs from NRS.")
    issued = business_provision(name=tenant.name, tin=tenant.tin, email=tenant.effective_email())
    tenant_services.tenant_update(
        tenant=tenant, nrs_business_id=issued["business_id"], nrs_service_id=issued["service_id"]
    )
    tenant_services.nrs_credentials_set(tenant=tenant, api_key=issued["api_key"], api_secret=issued["api_secret"])
    tenant_services.crypto_key_upload(tenant=tenant, content=json.dumps(issued["crypto_keys"]).encode(), user=user)
    audit(tenant, "settings.nrs_sandbox_connected", "Connected to the embedded NRS sandbox.", user=user)
    return tenant


def tin_verify(*, tenant: Tenant, tin: str) -> dict:
    """Ask NRS whether a TIN is registered. Raises an NrsError subclass when NRS says no or fails."""
    if not tenant.has_nrs_credentials:
        raise ValidationError("Save your NRS API credentials first: NRS answers TIN checks only to known callers.")
    return NrsClient(tenant).verify_tin(tin.strip())


# NRS list name -> (our dataset, how an NRS row becomes a snapshot-shaped row)
SYNC_LISTS = {
    "countries": ("countries", lambda r: r),
    "currencies": ("currencies", lambda r: r),
    "invoice-types": ("invoice_types", lambda r: {"code": r.get("code"), "name": r.get("value") or r.get("name")}),
    "tax-categories": ("tax_categories", lambda r: {"code": r.get("code"), "name": r.get("value") or r.get("name")}),
    "payment-means": ("payment_means", lambda r: {"code": r.get("code"), "name": r.get("value") or r.get("name")}),
    "invoice-quantity-codes": (
        "quantity_units",
        lambda r: {"code": r.get("code"), "name": r.get("name") or r.get("value")},
    ),
    "hs-codes": ("hs_codes", lambda r: {"code": r.get("hscode") or r.get("code"), "description": r.get("description")}),
    "services-codes": ("service_codes", lambda r: {"code": r.get("code"), "description": r.get("description")}),
    "states": ("states", lambda r: {"code": r.get("code"), "name": r.get("name")}),
    "lgas": (
        "lgas",
        lambda r: {"code": r.get("code"), "name": r.get("name"), "state": r.get("state_code") or r.get("state")},
    ),
    "vat-exemptions": (
        "vat_exemptions",
        lambda r: {"code": r.get("harmonized_system_code"), "description": r.get("tariff") or r.get("description")},
    ),
}
_EXTRA = {"vat_exemptions": Dataset("vat_exemptions", VatExemption, {"code": "code", "name": "description"})}


def sandbox_exemptions_load() -> dict:
    """The embedded sandbox's VAT exemption list into the local table, as a sync from it would leave it (trimmed,
    one row per code): the demo business then sees the editor's "VAT exempt" suggestion without a sync first."""
    from integrations.nrs.sandbox.resources import load

    _stem, shape = SYNC_LISTS["vat-exemptions"]
    return reference_load(_EXTRA["vat_exemptions"], [shape(row) for row in load("vat-exemptions")])


def reference_sync(*, tenant: Tenant) -> dict:
    """Pull every NRS /resources/* list into the local tables (trimmed, de-duplicated); counts per list.

    Fetches everything first, then writes in one transaction, so a failure half-way changes nothing.
    """
    client = NrsClient(tenant)
    datasets = {d.name: d for d in DATASETS} | _EXTRA
    fetched = {
        name: [shape(row) for row in client.resources(name) if isinstance(row, dict)]
        for name, (_, shape) in SYNC_LISTS.items()
    }
    report = {}
    with transaction.atomic():
        for name, rows in fetched.items():
            dataset = datasets[SYNC_LISTS[name][0]]
            if dataset.model is Lga:
                known = set(State.objects.values_list("code", flat=True))
                rows = [r for r in rows if (r.get("state") or "").strip() in known]
            report[name] = reference_load(dataset, rows)
    return report
