"""django-q2 tasks of the connectors: the minute schedule starts the runs that are due, each run is its own task,
and each write-back too (retried by the next minute's schedule until the source has the invoice's latest status)."""

from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from integrations.connectors.models import Connector, SourceDocument
from integrations.connectors.sync import (
    WRITE_BACK_TASK,
    SourceUnreachable,
    connector_sync,
    document_write_back,
)
from invoicing.models import Invoice
from portal.queueing import enqueue

SYNC_TASK = "integrations.connectors.tasks.sync_connector"
WRITTEN_BACK = (Invoice.Status.CERTIFIED, Invoice.Status.REPORTED, Invoice.Status.FAILED)


def sync_due_connectors(now=None) -> int:
    """Start every active connector whose time has come, once (its next time is set before its task is queued)."""
    now = now or timezone.now()
    started = 0
    with scopes_disabled():
        due = Connector.objects.filter(state=Connector.State.ACTIVE).filter(
            Q(next_run_at__isnull=True) | Q(next_run_at__lte=now)
        )
        for connector in due.only("pk", "every_minutes", "next_run_at"):
            taken = Connector.objects.filter(pk=connector.pk, next_run_at=connector.next_run_at).update(
                next_run_at=now + timedelta(minutes=connector.every_minutes)
            )
            if taken:  # another scheduler run did not take it first
                enqueue(SYNC_TASK, str(connector.pk))
                started += 1
        behind = SourceDocument.objects.filter(invoice__status__in=WRITTEN_BACK).exclude(
            written_back_status=F("invoice__status")
        )
        for document_id in behind.values_list("pk", flat=True)[:100]:
            enqueue(WRITE_BACK_TASK, document_id)
    return started


def sync_connector(connector_id: str) -> str:
    with scopes_disabled():
        connector = Connector.objects.select_related("tenant").filter(pk=connector_id).first()
    if connector is None or connector.state != Connector.State.ACTIVE:
        return "skipped"
    return connector_sync(connector).outcome


def write_back(document_id: int) -> str:
    with scopes_disabled():
        document = (
            SourceDocument.objects.select_related("connector", "connector__tenant", "invoice")
            .filter(pk=document_id)
            .first()
        )
    if document is None or document.invoice is None or document.written_back_status == document.invoice.status:
        return "nothing"
    with scope(tenant=document.tenant):
        try:
            document_write_back(document)
        except SourceUnreachable:
            return "retry"  # the next minute's schedule queues it again
    return "written"
