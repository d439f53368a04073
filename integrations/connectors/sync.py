"""A connector's sync run: read what the source has since the watermark, turn each new document into an invoice
through `invoice_create` (the editor's, the CSV's and the API's one service), and write the IRN, QR and status back
once NRS has answered.

Each kind (sftp.py, quickbooks.py, odoo.py) is a `Source` registered in KINDS. Guarantees kept here, for every kind:
- a source document becomes at most one invoice: its SourceDocument row (unique per connector and source id) is
  locked, and the invoice is created and linked to it in one transaction;
- the watermark moves only after every document the run saw is recorded, so a crash re-reads, never skips;
- a document that cannot become an invoice keeps its error in words, and is retried after a fix;
- invoices are created as bulk (`bulk=True`): they go to NRS behind the business's single invoices, through the
  submission's fairness and limits.
"""

import logging
from dataclasses import dataclass, field
from typing import Protocol

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from integrations.connectors.models import Connector, ConnectorRun, SourceDocument
from invoicing.errors import InvoiceError
from invoicing.models import Invoice
from invoicing.services import Actor, invoice_create
from portal.queueing import enqueue_on_commit
from tenants import notifications
from tenants.models import Membership, Notification

logger = logging.getLogger(__name__)

WRITE_BACK_TASK = "integrations.connectors.tasks.write_back"
# The invoice events after which the source hears of the invoice again: its IRN and QR, or that NRS refused it.
WRITE_BACK_ON = {"invoice.certified", "invoice.reported", "invoice.failed"}


class SourceUnreachable(Exception):
    """The source could not be read at all (no connection, refused credentials): the run fails, in these words."""


class NotAnInvoice(Exception):
    """A document this business does not send to NRS (a draft, a quote, a supplier bill): skipped, not an error."""


class MappingError(Exception):
    """A document that cannot become an invoice as it is: the words say what is wrong and how to fix it."""


@dataclass
class Listed:
    """One document as the source lists it."""

    source_id: str
    raw: dict  # what `Source.to_invoice` reads, kept for a retry after a fix
    reference: str = ""  # its number at the source, for people


@dataclass
class Batch:
    documents: list[Listed] = field(default_factory=list)
    watermark: str = ""  # where the next run reads from, once these are recorded


class Source(Protocol):
    def fetch(self, connector: Connector) -> Batch:
        """The documents new or changed since `connector.watermark`; raises SourceUnreachable."""

    def to_invoice(self, connector: Connector, raw: dict) -> dict:
        """The create body (invoice_create's `data`) of one document; raises MappingError or NotAnInvoice."""

    def write_back(self, connector: Connector, document: SourceDocument, invoice: Invoice) -> None:
        """Tell the source the invoice's IRN, QR and status (a no-op for kinds that only read)."""

    # Optional: `after_run(connector, batch, states)`, called once every document of the batch is recorded, with
    # each source id's state (or ALREADY); e.g. the SFTP folder moves each file it read to done/ or error/. It may
    # raise SourceUnreachable: the run keeps its counts, with those words as its message.


KINDS: dict[str, Source] = {}
ALREADY = "already"  # document_take: the document had its invoice already


def register(kind: str, source: Source) -> None:
    KINDS[kind] = source


def connector_sync(connector: Connector) -> ConnectorRun:
    """One run: read, create, record; the watermark moves last."""
    with scope(tenant=connector.tenant):
        run = ConnectorRun.objects.create(tenant=connector.tenant, connector=connector)
        source = KINDS[connector.kind]
        try:
            batch = source.fetch(connector)
        except SourceUnreachable as exc:
            return _finish(run, ConnectorRun.Outcome.FAILED, message=str(exc))
        states: dict[str, str] = {}
        for listed in batch.documents:
            run.seen += 1
            state = states[listed.source_id] = document_take(connector, run, listed, source)
            run.created += state == SourceDocument.State.CREATED
            run.failed += state == SourceDocument.State.ERROR
        if batch.watermark:
            Connector.objects.filter(pk=connector.pk).update(watermark=batch.watermark)
            connector.watermark = batch.watermark
        message = ""
        after_run = getattr(source, "after_run", None)
        if after_run is not None:
            try:
                after_run(connector, batch, states)
            except SourceUnreachable as exc:
                message = str(exc)
        return _finish(run, ConnectorRun.Outcome.PARTLY if run.failed else ConnectorRun.Outcome.OK, message)


def _finish(run: ConnectorRun, outcome: str, message: str = "") -> ConnectorRun:
    run.outcome, run.message, run.finished_at = outcome, message, timezone.now()
    run.save(update_fields=["outcome", "message", "finished_at", "seen", "created", "failed"])
    if outcome != ConnectorRun.Outcome.OK:
        _notify_admins(run)
    return run


def _notify_admins(run: ConnectorRun) -> None:
    """A run that could not reach its source, or left documents to fix: the admins are told, once per run."""
    connector = run.connector
    if run.outcome == ConnectorRun.Outcome.FAILED:
        title = f"{connector.name} could not be reached"
        body = f"The run of {connector.name} read nothing: {run.message} It is tried again at the next run."
    else:
        title = f"{connector.name}: {run.failed} document{'s' if run.failed != 1 else ''} to fix"
        body = (
            f"The run of {connector.name} created {run.created} invoice{'s' if run.created != 1 else ''}; "
            f"{run.failed} of its {run.seen} documents could not become invoices. Open the connector to see why "
            "and fix them."
        )
    notifications.notify(
        connector.tenant,
        notifications.members(connector.tenant, Membership.Role.ADMIN),
        Notification.Kind.RUN_WITH_ERRORS,
        title,
        body,
        reverse("connector_detail", args=[connector.pk]),
        f"connector-run:{run.pk}",
    )


def document_take(connector: Connector, run: ConnectorRun | None, listed: Listed, source: Source | None = None) -> str:
    """Record one listed document and, unless it already has its invoice, create it.

    Returns its state, or ALREADY when it had its invoice before this call."""
    source = source or KINDS[connector.kind]
    with scope(tenant=connector.tenant), transaction.atomic():
        document, _ = SourceDocument.objects.get_or_create(
            tenant=connector.tenant, connector=connector, source_id=listed.source_id
        )
        document = SourceDocument.objects.select_for_update().get(pk=document.pk)  # one run at a time per document
        if document.invoice_id:
            return ALREADY  # already an invoice: a repeat or an overlap creates nothing
        document.raw, document.reference, document.last_run = listed.raw, listed.reference[:100], run
        try:
            data = source.to_invoice(connector, listed.raw)
            with transaction.atomic():  # a refused invoice leaves nothing behind but the document's error
                invoice = invoice_create(tenant=connector.tenant, data=data, actor=Actor(), bulk=True)
        except NotAnInvoice as exc:
            document.state, document.error = SourceDocument.State.SKIPPED, str(exc)
        except MappingError as exc:
            document.state, document.error = SourceDocument.State.ERROR, str(exc)
        except InvoiceError as exc:
            document.state, document.error = SourceDocument.State.ERROR, invoice_refusal(exc)
        else:
            document.state, document.error, document.invoice = SourceDocument.State.CREATED, "", invoice
        document.save()
        return document.state


def invoice_refusal(exc: InvoiceError) -> str:
    """Why the invoice service refused a document, in its own plain sentence (it names no API field on screens)."""
    return exc.message


def document_retry(document: SourceDocument) -> str:
    """After a fix (the mappings, a customer's details, or the source itself on the next run): try it again."""
    listed = Listed(source_id=document.source_id, raw=document.raw, reference=document.reference)
    return document_take(document.connector, None, listed)


# --- write-back ------------------------------------------------------------------------------------------------


def invoice_event_heard(*, invoice, kind: str) -> None:
    """invoicing.events listener: a connector's invoice was certified, reported or refused: write it back."""
    if kind not in WRITE_BACK_ON:
        return
    with scopes_disabled():
        document_id = SourceDocument.objects.filter(invoice_id=invoice.pk).values_list("pk", flat=True).first()
    if document_id is not None:
        enqueue_on_commit(WRITE_BACK_TASK, document_id)


def document_write_back(document: SourceDocument) -> None:
    """Tell the source the invoice's IRN, QR and status; a failure is kept on the document and retried."""
    invoice = document.invoice
    try:
        KINDS[document.connector.kind].write_back(document.connector, document, invoice)
    except SourceUnreachable as exc:
        SourceDocument.objects.filter(pk=document.pk).update(write_back_error=str(exc))
        raise
    SourceDocument.objects.filter(pk=document.pk).update(
        written_back_at=timezone.now(), written_back_status=invoice.status, write_back_error=""
    )
