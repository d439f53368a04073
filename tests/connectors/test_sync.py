"""The connector framework with a source kept in memory (a ledger of documents): the guarantees every kind relies
on, against the embedded sandbox over HTTP. Each kind's own tests drive its real source."""

import threading

import pytest
from django.db import connection
from django_scopes import scope, scopes_disabled

from integrations.connectors import sync
from integrations.connectors.models import Connector, ConnectorRun, SourceDocument
from integrations.connectors.tasks import sync_due_connectors, write_back
from invoicing import tasks
from invoicing.models import Invoice
from tests.invoicing.conftest import body


class Ledger:
    """A source of documents: each an invoice body, or a dict with "bad" (a mapping error) or "quote" (no invoice)."""

    def __init__(self):
        self.documents: dict[str, dict] = {}
        self.written: dict[str, tuple] = {}  # source id → (IRN, status)

    def fetch(self, connector):
        after = connector.watermark
        found = [sync.Listed(source_id=key, raw=raw, reference=key) for key, raw in sorted(self.documents.items())]
        found = [listed for listed in found if listed.source_id > after]
        return sync.Batch(found, watermark=found[-1].source_id if found else after)

    def to_invoice(self, connector, raw):
        if "bad" in raw:
            raise sync.MappingError(raw["bad"])
        if "quote" in raw:
            raise sync.NotAnInvoice("A quotation, not an invoice.")
        return raw

    def write_back(self, connector, document, invoice):
        self.written[document.source_id] = (invoice.irn, invoice.status)


@pytest.fixture
def ledger(monkeypatch):
    found = Ledger()
    monkeypatch.setitem(sync.KINDS, "odoo", found)
    return found


@pytest.fixture
def connector(connected_tenant):
    with scope(tenant=connected_tenant):
        return Connector.objects.create(tenant=connected_tenant, kind="odoo", name="Books")


def watermark(connector):
    with scopes_disabled():
        return Connector.objects.get(pk=connector.pk).watermark


def invoices(tenant):
    with scope(tenant=tenant):
        return sorted(Invoice.objects.values_list("document_number", flat=True))


def test_each_document_becomes_one_invoice_however_often_it_is_read(connector, ledger):
    ledger.documents = {"0001": body(document_number="ODOO-1"), "0002": body(document_number="ODOO-2")}
    run = sync.connector_sync(connector)
    assert (run.outcome, run.seen, run.created, run.failed) == ("ok", 2, 2, 0)
    assert invoices(connector.tenant) == ["ODOO-1", "ODOO-2"]
    assert watermark(connector) == "0002"

    connector.watermark = ""  # the whole ledger again, as an overlapping or repeated read would
    again = sync.connector_sync(connector)
    assert (again.seen, again.created) == (2, 0) and invoices(connector.tenant) == ["ODOO-1", "ODOO-2"]
    with scope(tenant=connector.tenant):
        assert Invoice.objects.filter(bulk=True).count() == 2  # behind the business's single invoices


def test_two_runs_at_once_create_each_invoice_once(connector, ledger):
    ledger.documents = {f"{n:04d}": body(document_number=f"PAR-{n}") for n in range(4)}
    failures = []

    def run():
        try:
            with scopes_disabled():
                fresh = Connector.objects.select_related("tenant").get(pk=connector.pk)
            sync.connector_sync(fresh)
        except Exception as exc:  # noqa: BLE001  (the assertion below names it)
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    [thread.start() for thread in threads]
    [thread.join(timeout=60) for thread in threads]
    assert failures == []
    assert invoices(connector.tenant) == [f"PAR-{n}" for n in range(4)]


def test_a_bad_document_keeps_its_error_and_is_retried_after_a_fix(connector, ledger):
    ledger.documents = {
        "0001": {"bad": "Line 1 has no tax code: map the code 'EXEMPT' under Mappings → Tax."},
        "0002": {"quote": True},
        "0003": body(document_number="OK-3", line__hsn_code="0000.00"),
    }
    run = sync.connector_sync(connector)
    assert (run.outcome, run.created, run.failed) == ("partly", 0, 2)
    with scope(tenant=connector.tenant):
        states = dict(SourceDocument.objects.values_list("source_id", "state"))
        refused = SourceDocument.objects.get(source_id="0003")
    assert states == {"0001": "error", "0002": "skipped", "0003": "error"}
    assert "0000.00" in refused.error and "lines[" not in refused.error  # the service's plain sentence

    refused.raw = body(document_number="OK-3")  # fixed at the source and read again
    refused.save()
    assert sync.document_retry(refused) == "created"
    assert invoices(connector.tenant) == ["OK-3"]
    assert sync.document_retry(refused) == sync.ALREADY and invoices(connector.tenant) == ["OK-3"]


def test_a_source_that_cannot_be_reached_fails_the_run_in_words_and_moves_nothing(connector, ledger, monkeypatch):
    def unreachable(connector):
        raise sync.SourceUnreachable("The SFTP server refused the password: update it under Settings → Connectors.")

    monkeypatch.setattr(ledger, "fetch", unreachable)
    run = sync.connector_sync(connector)
    assert run.outcome == "failed" and "refused the password" in run.message
    assert watermark(connector) == ""


def test_the_irn_and_status_go_back_once_nrs_has_answered(connector, ledger, settings):
    ledger.documents = {"0001": body(document_number="BACK-1")}
    sync.connector_sync(connector)
    with scopes_disabled():
        invoice = Invoice.objects.get(document_number="BACK-1")
        document = SourceDocument.objects.get(source_id="0001")
    assert tasks.submit_invoice(str(invoice.pk)) == "certified"
    assert write_back(document.pk) == "written"
    with scopes_disabled():
        invoice.refresh_from_db()
        document.refresh_from_db()
    assert ledger.written == {"0001": (invoice.irn, "CERTIFIED")} and document.written_back_status == "CERTIFIED"
    assert write_back(document.pk) == "nothing"  # already there


def test_the_schedule_starts_each_due_connector_once_and_skips_paused_ones(connector, ledger):
    with scope(tenant=connector.tenant):
        Connector.objects.create(tenant=connector.tenant, kind="odoo", name="Paused", state="paused")
    assert sync_due_connectors() == 1
    assert sync_due_connectors() == 0  # not due again before its interval
    with scopes_disabled():
        assert ConnectorRun.objects.count() <= 1
