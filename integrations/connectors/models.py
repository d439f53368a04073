"""A business's connectors, their sync runs, and every source document each one has seen."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.crypto import EncryptedTextField
from tenants.models import TenantOwned


class Connector(TenantOwned):
    class Kind(models.TextChoices):
        SFTP = "sftp", _("SFTP folder (CSV and UBL files)")
        QUICKBOOKS = "quickbooks", _("QuickBooks Online")
        ODOO = "odoo", _("Odoo")

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=100)
    # Secrets (passwords, private keys, OAuth tokens, API keys) as one JSON object, encrypted at rest, never shown.
    credentials = EncryptedTextField(blank=True)
    # Where and how to reach the source (host, port, folder; company id; URL and database…), not secret.
    settings = models.JSONField(default=dict, blank=True)
    # Source codes → NRS codes: {"tax": {"VAT7.5": "STANDARD_VAT"}, "unit": {"pcs": "H87"}, "product": {"SKU-1":
    # "8517.11"}, "lga": {"Victoria Island": "NG-LA-EOS"}}; defaults per kind fill what is left out
    # (integrations/connectors/mapping.py).
    mappings = models.JSONField(default=dict, blank=True)
    every_minutes = models.PositiveIntegerField(default=15)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    # How far the source has been read, in the kind's own terms (a time, a file name); moved only after a run has
    # recorded every document it saw.
    watermark = models.CharField(max_length=200, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"


class ConnectorRun(TenantOwned):
    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        OK = "ok", _("Done")
        PARTLY = "partly", _("Done, with documents to fix")
        FAILED = "failed", _("Could not reach the source")

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    seen = models.PositiveIntegerField(default=0)  # documents the source listed
    created = models.PositiveIntegerField(default=0)  # invoices this run created
    failed = models.PositiveIntegerField(default=0)  # documents left with an error to fix
    message = models.TextField(blank=True)  # why the run itself failed, in words

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"run of {self.connector_id} at {self.started_at:%Y-%m-%d %H:%M}"


class SourceDocument(TenantOwned):
    """One document of a source, by its id there: it becomes at most one invoice, whatever repeats or overlaps."""

    class State(models.TextChoices):
        CREATED = "created", _("Invoice created")
        ERROR = "error", _("To fix")
        SKIPPED = "skipped", _("Not an invoice for NRS")

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="documents")
    source_id = models.CharField(max_length=200)
    reference = models.CharField(max_length=100, blank=True)  # what people call it there (its number)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ERROR)
    error = models.TextField(blank=True)  # what is wrong, in words, with how to fix it
    raw = models.JSONField(default=dict, blank=True)  # the document as last read, for a retry after a fix
    invoice = models.OneToOneField(
        "invoicing.Invoice", on_delete=models.SET_NULL, null=True, blank=True, related_name="source_document"
    )
    last_run = models.ForeignKey(ConnectorRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    written_back_at = models.DateTimeField(null=True, blank=True)  # the IRN and status as last written back
    written_back_status = models.CharField(max_length=20, blank=True)
    write_back_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [models.UniqueConstraint(fields=["connector", "source_id"], name="one_document_per_source_id")]

    def __str__(self):
        return f"{self.reference or self.source_id} from {self.connector_id}"
