"""In the browser, with a real django-q2 worker, a real OpenSSH SFTP server and the sandbox over HTTP: an admin
connects an SFTP folder in Settings → Connectors, the business's system drops a file of two invoices (one of them
bad), the admin presses "Run now" and sees the run log: one invoice created, the other with its error in words."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from integrations.connectors.models import Connector
from invoicing.batches.format import COLUMNS, TEMPLATE_ROWS
from invoicing.models import Invoice
from tests import sftpserver
from tests.conftest import member

pytestmark = pytest.mark.e2e
sftp_server = sftpserver.sftp_server  # the fixture, here
WAIT_MS = 60_000  # the worker polls every 0.5 s and the folder is listed twice, seconds apart, before reading


def invoice_file() -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for number, changes in (("SFTP-E2E-1", {}), ("SFTP-E2E-2", {"line_quantity": "many"})):
        for example in TEMPLATE_ROWS:
            writer.writerow({**example, "document_number": number, **changes})
    return out.getvalue()


def field(page, name: str):
    """A field of the connector form by its name (a kind's settings and secrets may carry a prefix)."""
    return page.locator(f"form [name={name}], form [name=setting_{name}], form [name=secret_{name}]").first


def test_admin_connects_an_sftp_folder_drops_a_file_and_sees_the_run_log(
    page, sign_in, connected_tenant, qcluster, sftp_server
):
    sign_in(member(connected_tenant, "admin"))
    page.goto("/settings/connectors/")
    expect(page.locator("h1")).to_contain_text("Connectors")
    page.get_by_role("link", name="Add a connector").first.click()
    page.get_by_role("link", name=re.compile("SFTP folder")).first.click()

    field(page, "name").fill("Accounts outbox")
    field(page, "host").fill(sftp_server.host)
    field(page, "port").fill(str(sftp_server.port))
    field(page, "username").fill(sftp_server.username)
    field(page, "folder").fill(str(sftp_server.folder))
    field(page, "password").fill(sftp_server.password)
    field(page, "every_minutes").fill("60")  # only "Run now" runs it during the test
    page.get_by_role("button", name=re.compile("^Add connector$|^Save$")).click()

    expect(page.locator("h1")).to_have_text("Accounts outbox")
    expect(page.locator("body")).not_to_contain_text(sftp_server.password)  # never shown again
    with scopes_disabled():
        connector = Connector.objects.get(tenant=connected_tenant, kind="sftp")
        assert json.loads(connector.credentials)["password"] == sftp_server.password  # kept, encrypted
        # The connector was saved due in a minute: the worker's schedule may not start it before "Run now".
        Connector.objects.filter(pk=connector.pk).update(next_run_at=timezone.now() + timedelta(hours=1))

    sftp_server.drop("invoices.csv", invoice_file())
    page.get_by_role("button", name="Run now").click()

    # The run log: the worker read the file; one invoice created, the other with its error in words.
    documents = page.locator("#documents ~ table, table.connector-documents").first
    for _ in range(WAIT_MS // 2000):
        if page.get_by_text("SFTP-E2E-2").count():
            break
        page.wait_for_timeout(2000)
        page.reload()
    expect(documents).to_contain_text("SFTP-E2E-1")
    expect(documents).to_contain_text("Invoice created")
    expect(documents).to_contain_text("SFTP-E2E-2")
    expect(documents).to_contain_text("To fix")
    expect(documents).to_contain_text("Row 5, column “line_quantity”: must be a number")
    expect(page.get_by_role("button", name="Retry this document")).to_be_visible()
    runs = page.locator("table.connector-runs, #runs ~ table").first
    expect(runs.locator("tbody tr").first).to_contain_text("Done, with documents to fix")

    assert (sftp_server.folder / "error" / "invoices.csv").exists()
    assert "must be a number" in (sftp_server.folder / "error" / "invoices.csv.errors.txt").read_text()
    with scopes_disabled():
        assert list(Invoice.objects.filter(tenant=connected_tenant).values_list("document_number", flat=True)) == [
            "SFTP-E2E-1"
        ]
