"""The SFTP folder against a real OpenSSH server on a local port (tests/sftpserver.py): files dropped in the folder
become invoices certified at the embedded sandbox, move to done/ or error/, and the IRNs come back in a file."""

import csv
import io
import json
import re
import subprocess

import pytest
from django_scopes import scope, scopes_disabled

from integrations.connectors import sftp, sync
from integrations.connectors.models import Connector, SourceDocument
from integrations.connectors.tasks import write_back
from integrations.connectors.ubl import invoice_to_ubl
from invoicing import tasks
from invoicing.batches.format import COLUMNS, TEMPLATE_ROWS
from invoicing.models import Invoice
from invoicing.services import Actor, invoice_create
from tests import sftpserver
from tests.invoicing.conftest import body

sftp_server = sftpserver.sftp_server  # the fixture, here
MACHINE_CODE = re.compile(r"\b[A-Z]{2,}(?:_[A-Z]+)+\b")


@pytest.fixture(autouse=True)
def no_settling(monkeypatch):
    """The wait between the two listings, skipped: nothing writes into the folder behind the tests' back."""
    monkeypatch.setattr(sftp, "_settle", lambda seconds: None)


@pytest.fixture
def connector(connected_tenant, sftp_server):
    with scope(tenant=connected_tenant):
        return Connector.objects.create(
            tenant=connected_tenant,
            kind="sftp",
            name="Accounts outbox",
            settings=sftp_server.settings(),
            credentials=json.dumps({"password": sftp_server.password}),
        )


def invoice_file(*numbers: str, **changes: dict) -> str:
    """The CSV upload's format, two lines per invoice; `changes` by invoice number, e.g. {"B": {"line_quantity": 0}}."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for number in numbers:
        for example in TEMPLATE_ROWS:
            writer.writerow({**example, "document_number": number, **changes.get(number.replace("-", "_"), {})})
    return out.getvalue()


def names(folder) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def numbers(tenant) -> list[str]:
    with scope(tenant=tenant):
        return sorted(Invoice.objects.values_list("document_number", flat=True))


def documents(connector) -> dict[str, SourceDocument]:
    with scopes_disabled():
        return {d.source_id: d for d in SourceDocument.objects.filter(connector=connector)}


def test_a_file_of_two_invoices_becomes_two_certified_invoices_and_their_irns_come_back(connector, sftp_server):
    sftp_server.drop("invoices.csv", invoice_file("SFTP-1", "SFTP-2"))

    run = sync.connector_sync(connector)

    assert (run.outcome, run.seen, run.created, run.failed, run.message) == ("ok", 2, 2, 0, "")
    assert numbers(connector.tenant) == ["SFTP-1", "SFTP-2"]
    assert names(sftp_server.folder) == ["done"]
    assert names(sftp_server.folder / "done") == ["invoices.csv"]
    found = documents(connector)
    assert sorted(found) == ["invoices.csv#SFTP-1", "invoices.csv#SFTP-2"]

    for document in found.values():
        assert tasks.submit_invoice(str(document.invoice_id)) == "certified"
        write_back(document.pk)
    with scopes_disabled():
        certified = {i.document_number: i for i in Invoice.objects.filter(tenant=connector.tenant)}
    assert {i.status for i in certified.values()} == {"CERTIFIED"}
    irn_file = sftp_server.folder / "done" / "invoices.csv.irn.csv"
    latest = {row["document_number"]: row for row in csv.DictReader(io.StringIO(irn_file.read_text()))}
    assert set(latest) == {"SFTP-1", "SFTP-2"}
    for number, row in latest.items():
        assert row["irn"] == certified[number].irn and row["irn"]
        assert (row["status"], row["status_text"]) == ("CERTIFIED", certified[number].get_status_display())
        assert row["qr_payload"] == certified[number].qr_payload and row["qr_payload"]
    with scopes_disabled():
        assert {d.written_back_status for d in SourceDocument.objects.filter(connector=connector)} == {"CERTIFIED"}

    sftp_server.drop("invoices.csv", invoice_file("SFTP-1", "SFTP-2"))  # the same file, dropped again
    again = sync.connector_sync(connector)
    assert (again.outcome, again.seen, again.created, again.failed) == ("ok", 2, 0, 0)
    assert numbers(connector.tenant) == ["SFTP-1", "SFTP-2"]
    done = names(sftp_server.folder / "done")
    assert len(done) == 3 and "invoices.csv" in done and "invoices.csv.irn.csv" in done  # kept apart, not replaced
    assert names(sftp_server.folder) == ["done"]


def test_a_half_written_file_waits_for_the_next_run_and_uploads_in_progress_are_never_read(
    connector, sftp_server, monkeypatch
):
    whole = invoice_file("LATE-1")
    path = sftp_server.drop("late.csv", whole[: len(whole) // 2])
    sftp_server.drop("early.csv.part", invoice_file("PART-1"))
    sftp_server.drop(".hidden.csv", invoice_file("HIDDEN-1"))
    sftp_server.drop("notes.txt", "not an invoice file")

    def still_writing(seconds):
        path.write_text(whole)  # the uploader finishes the file between the two listings

    monkeypatch.setattr(sftp, "_settle", still_writing)
    first = sync.connector_sync(connector)
    assert (first.outcome, first.seen, first.created) == ("ok", 0, 0)
    assert numbers(connector.tenant) == []
    assert names(sftp_server.folder) == [".hidden.csv", "early.csv.part", "late.csv", "notes.txt"]

    monkeypatch.setattr(sftp, "_settle", lambda seconds: None)
    second = sync.connector_sync(connector)
    assert (second.outcome, second.seen, second.created) == ("ok", 1, 1)
    assert numbers(connector.tenant) == ["LATE-1"]
    assert names(sftp_server.folder) == [".hidden.csv", "done", "early.csv.part", "notes.txt"]


def test_a_bad_invoice_goes_to_error_with_a_report_in_words_and_is_created_once_the_file_is_fixed(
    connector, sftp_server
):
    sftp_server.drop("march.csv", invoice_file("GOOD-1", "BAD-1", BAD_1={"line_quantity": "many"}))

    run = sync.connector_sync(connector)

    assert (run.outcome, run.seen, run.created, run.failed) == ("partly", 2, 1, 1)
    assert numbers(connector.tenant) == ["GOOD-1"]
    assert names(sftp_server.folder / "error") == ["march.csv", "march.csv.errors.txt"]
    with scope(tenant=connector.tenant):
        logged = {d.reference: d for d in SourceDocument.objects.filter(last_run=run)}  # the run's log
    bad = logged["BAD-1"]
    assert (bad.state, logged["GOOD-1"].state) == ("error", "created")
    assert "Invoice BAD-1 in march.csv cannot be created" in bad.error
    assert "Row 4, column “line_quantity”" in bad.error and "Row 5, column “line_quantity”" in bad.error
    assert not MACHINE_CODE.search(bad.error), bad.error
    report = (sftp_server.folder / "error" / "march.csv.errors.txt").read_text()
    assert "march.csv was read on" in report and "1 of its 2 invoices could not be created." in report
    assert bad.error in report and "Created from this file (they will not be created again): GOOD-1." in report

    sftp_server.drop("march.csv", invoice_file("GOOD-1", "BAD-1"))  # corrected, under the same name
    fixed = sync.connector_sync(connector)
    assert (fixed.outcome, fixed.seen, fixed.created, fixed.failed) == ("ok", 2, 1, 0)
    assert numbers(connector.tenant) == ["BAD-1", "GOOD-1"]
    assert names(sftp_server.folder / "done") == ["march.csv"]
    assert documents(connector)["march.csv#BAD-1"].error == ""


def test_a_file_that_is_not_the_csv_format_is_reported_whole(connector, sftp_server):
    sftp_server.drop("export.csv", "Invoice No,Customer,Amount\r\n1001,Acme,5000\r\n")

    run = sync.connector_sync(connector)

    assert (run.outcome, run.seen, run.failed) == ("partly", 1, 1)
    error = documents(connector)["export.csv"].error
    assert error.startswith("The file export.csv cannot be read:") and "Missing required column" in error
    assert "“document_number”" in error and not MACHINE_CODE.search(error)
    assert (sftp_server.folder / "error" / "export.csv.errors.txt").read_text().count("Missing required column") == 1


def test_files_that_cannot_be_moved_are_read_again_and_create_nothing_twice(connector, sftp_server):
    sftp_server.drop("invoices.csv", invoice_file("RO-1"))
    sftp_server.folder.chmod(0o555)  # the SFTP user may read the folder but not rename in it
    try:
        run = sync.connector_sync(connector)
        assert (run.outcome, run.created) == ("ok", 1)
        assert run.message.startswith(
            "The SFTP server did not let user flowpoint-sftp move the files read to done/ or error/ in “"
        )
        assert names(sftp_server.folder) == ["invoices.csv"]
        again = sync.connector_sync(connector)
        assert (again.seen, again.created) == (1, 0) and numbers(connector.tenant) == ["RO-1"]
    finally:
        sftp_server.folder.chmod(0o755)
    moved = sync.connector_sync(connector)
    assert (moved.seen, moved.created, moved.message) == (1, 0, "")
    assert names(sftp_server.folder / "done") == ["invoices.csv"]


def test_a_wrong_password_fails_the_run_in_words_and_leaves_the_files(connector, sftp_server):
    sftp_server.drop("invoices.csv", invoice_file("PW-1"))
    connector.credentials = json.dumps({"password": "not-the-password"})

    run = sync.connector_sync(connector)

    assert run.outcome == "failed" and run.seen == 0
    assert run.message == (
        "The SFTP server refused the password for user flowpoint-sftp: update it under Settings → Connectors."
    )
    assert names(sftp_server.folder) == ["invoices.csv"] and numbers(connector.tenant) == []


def test_a_private_key_logs_in_and_the_server_key_is_remembered(connector, sftp_server):
    sftp_server.drop("invoices.csv", invoice_file("KEY-1"))
    connector.credentials = json.dumps({"private_key": sftp_server.private_key})

    assert sync.connector_sync(connector).created == 1
    with scopes_disabled():
        remembered = Connector.objects.get(pk=connector.pk).settings["host_key"]
    assert remembered.startswith(f"127.0.0.1:{sftp_server.port} ssh-ed25519 ")

    # Another key at the same server name and port: an impostor, or a reinstalled server.
    connector.settings = {**connector.settings, "host_key": f"127.0.0.1:{sftp_server.port} ssh-ed25519 AAAAother"}
    sftp_server.drop("more.csv", invoice_file("KEY-2"))
    run = sync.connector_sync(connector)
    assert run.outcome == "failed" and "showed a different identity (host key)" in run.message
    fingerprint = subprocess.run(
        ["ssh-keygen", "-l", "-f", str(sftp_server.host_key)], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    assert f"(it is now {fingerprint})" in run.message
    assert names(sftp_server.folder) == ["done", "more.csv"] and numbers(connector.tenant) == ["KEY-1"]

    with scope(tenant=connector.tenant):
        sftp.host_key_forget(connector)  # its administrator confirmed the new key
    assert sync.connector_sync(connector).created == 1
    assert numbers(connector.tenant) == ["KEY-1", "KEY-2"]


def test_a_server_that_cannot_be_reached_or_a_missing_folder_fails_the_run_in_words(connector, sftp_server):
    connector.settings = {**connector.settings, "folder": "/nowhere/outbox"}
    missing = sync.connector_sync(connector)
    assert missing.outcome == "failed"
    assert missing.message == (
        "The folder “/nowhere/outbox” does not exist on the SFTP server: check the folder under Settings → Connectors."
    )

    connector.settings = {**connector.settings, "port": sftpserver.free_port()}
    closed = sync.connector_sync(connector)
    assert closed.outcome == "failed"
    assert closed.message.startswith(f"The SFTP server at 127.0.0.1 port {connector.settings['port']} could not be")
    assert "check the server name and port under Settings → Connectors" in closed.message


def test_a_ubl_file_becomes_an_invoice_and_a_broken_one_is_reported_in_words(connector, sftp_server):
    with scope(tenant=connector.tenant):  # a UBL 2.1 invoice as another system would export it
        made = invoice_create(tenant=connector.tenant, data=body(document_number="UBL-SOURCE"), actor=Actor())
        xml = invoice_to_ubl(made).replace(b">UBL-SOURCE<", b">SFTP-UBL-1<")
        made.delete()
    sftp_server.drop("invoice-1.xml", xml)
    sftp_server.drop("broken.xml", b"<Invoice><cbc:ID>1</Invoice>")

    run = sync.connector_sync(connector)

    assert (run.outcome, run.seen, run.created, run.failed) == ("partly", 2, 1, 1)
    assert numbers(connector.tenant) == ["SFTP-UBL-1"]
    found = documents(connector)
    assert found["invoice-1.xml#SFTP-UBL-1"].state == "created"
    assert found["broken.xml"].error.startswith("The file is not readable XML (line 1)")
    assert not MACHINE_CODE.search(found["broken.xml"].error)
    assert names(sftp_server.folder / "done") == ["invoice-1.xml"]
    assert names(sftp_server.folder / "error") == ["broken.xml", "broken.xml.errors.txt"]
    assert "not readable XML" in (sftp_server.folder / "error" / "broken.xml.errors.txt").read_text()

    sftp_server.drop("invoice-1.xml", xml)  # dropped again
    again = sync.connector_sync(connector)
    assert (again.seen, again.created) == (1, 0) and numbers(connector.tenant) == ["SFTP-UBL-1"]
