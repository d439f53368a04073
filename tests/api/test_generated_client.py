"""A client generated from /api/v1/schema by openapi-python-client, as an integrator would make one, driven against
a live server through create → status → detail → PDF (issue 16).

Nothing in the generated code is edited and the generator runs with its defaults (only its formatting hooks are
off, for speed): the schema alone has to be enough. Every parsed answer must hold no field outside the declared
schema (`additional_properties` empty, at every depth), and the PDF must be a PDF.
"""

import importlib
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
import requests

from tests.api.conftest import invoice_body, new_key

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "flowpoint_client"


@pytest.fixture
def generated_client(live_server, tmp_path, monkeypatch):
    """The package openapi-python-client makes from the served schema, imported from a temporary folder."""
    schema = requests.get(f"{live_server.url}/api/v1/schema", timeout=30)
    assert schema.status_code == 200, schema.text[:300]
    (tmp_path / "schema.json").write_bytes(schema.content)
    (tmp_path / "config.yaml").write_text(f"post_hooks: []\npackage_name_override: {PACKAGE}\n")
    made = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(tmp_path / "schema.json"),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / "generated" / PACKAGE),
            "--config",
            str(tmp_path / "config.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    # What the generator cannot read of a schema, it reports (WARNING / ERROR): here, nothing. (Alone, the CSV
    # routes' text/csv bodies would be: it writes no text bodies; they take application/octet-stream as well.)
    assert not [line for line in made.stdout.splitlines() if line.startswith(("WARNING", "ERROR"))], made.stdout
    monkeypatch.syspath_prepend(str(tmp_path / "generated"))
    for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
        monkeypatch.delitem(sys.modules, name)
    return importlib.import_module(PACKAGE)


def undeclared(value, where="answer") -> list[str]:
    """Where a parsed model holds fields the schema does not declare (openapi-python-client keeps them in
    `additional_properties`), walking nested models and lists."""
    found = []
    if attrs.has(type(value)):
        extra = getattr(value, "additional_properties", {})
        found += [f"{where}.{name}" for name in extra]
        for field in attrs.fields(type(value)):
            if field.name != "additional_properties":
                found += undeclared(getattr(value, field.name), f"{where}.{field.name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += undeclared(item, f"{where}[{index}]")
    return found


def test_a_generated_client_goes_from_create_to_the_pdf_with_no_field_outside_the_schema(
    generated_client, connected_tenant, live_server, queue_inline
):
    client_module = importlib.import_module(f"{PACKAGE}.client")
    create = importlib.import_module(f"{PACKAGE}.api.invoices.create_invoice")
    status = importlib.import_module(f"{PACKAGE}.api.invoices.get_invoice_status")
    detail = importlib.import_module(f"{PACKAGE}.api.invoices.get_invoice")
    pdf = importlib.import_module(f"{PACKAGE}.api.invoices.get_invoice_pdf")
    models = importlib.import_module(f"{PACKAGE}.models")
    types = importlib.import_module(f"{PACKAGE}.types")

    client = client_module.AuthenticatedClient(
        base_url=live_server.url,
        token=new_key(connected_tenant),
        prefix="",
        auth_header_name="X-Flowpoint-Key",
        raise_on_unexpected_status=True,  # an answer the schema does not declare fails the test
        timeout=30.0,
    )

    # create: the spec's B2B example, as the generated model sends it
    body = models.InvoiceRequest.from_dict(invoice_body(document_number="GEN-1"))
    created = create.sync_detailed(client=client, body=body, idempotency_key="generated-client-GEN-1")
    assert created.status_code == 202, created.content[:500]
    queued = created.parsed
    assert isinstance(queued, models.InvoiceQueued), queued
    assert undeclared(queued) == []
    invoice_id, irn = queued.invoice_id, queued.irn

    # detail: certified by the sandbox (the queue runs inline), every nested part declared
    shown = detail.sync_detailed(invoice_id, client=client)
    assert shown.status_code == 200, shown.content[:500]
    invoice = shown.parsed
    assert isinstance(invoice, models.InvoiceDetail), invoice
    assert undeclared(invoice) == []
    assert invoice.status.value == "CERTIFIED"
    assert invoice.customer.address == "42 Marina Road" and invoice.customer.postal_code == "101001"
    assert invoice.lines[0].description == "Consulting services"

    # status by IRN
    polled = status.sync_detailed(irn, client=client)
    assert polled.status_code == 200, polled.content[:500]
    assert isinstance(polled.parsed, models.InvoiceSummary) and undeclared(polled.parsed) == []
    assert polled.parsed.irn == irn and polled.parsed.status.value == "CERTIFIED"

    # the PDF: a file, as the schema declares it
    document = pdf.sync_detailed(invoice_id, client=client)
    assert document.status_code == 200
    assert isinstance(document.parsed, types.File), document.parsed
    assert document.parsed.payload.read().startswith(b"%PDF")
    assert document.headers["content-type"] == "application/pdf"


def test_a_generated_client_lists_and_reads_received_invoices_with_no_field_outside_the_schema(
    generated_client, connected_tenant, live_server
):
    from tests.purchases_factory import make_received_invoice

    listing = importlib.import_module(f"{PACKAGE}.api.purchases.list_purchases")
    reading = importlib.import_module(f"{PACKAGE}.api.purchases.get_purchase")
    models = importlib.import_module(f"{PACKAGE}.models")
    client = importlib.import_module(f"{PACKAGE}.client").AuthenticatedClient(
        base_url=live_server.url,
        token=new_key(connected_tenant),
        prefix="",
        auth_header_name="X-Flowpoint-Key",
        raise_on_unexpected_status=True,
        timeout=30.0,
    )
    received = make_received_invoice(connected_tenant, number="SI-GEN-1")

    page = listing.sync_detailed(client=client, supplier_tin="23456789-0001")
    assert page.status_code == 200, page.content[:500]
    assert undeclared(page.parsed) == [] and page.parsed.total == 1
    assert page.parsed.items[0].irn == received.irn and page.parsed.items[0].payable_amount == "43000.00"

    shown = reading.sync_detailed(received.irn, client=client)
    assert shown.status_code == 200, shown.content[:500]
    assert isinstance(shown.parsed, models.PurchaseDetail) and undeclared(shown.parsed) == []
    assert shown.parsed.lines[0].description == "A4 paper, boxes" and shown.parsed.taxes[0].tax_amount == "3000.00"
