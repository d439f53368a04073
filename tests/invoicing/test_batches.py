"""CSV batches: the file format, per-row errors placed on their row and column, the API's routes and limits,
the portal pages, and a 1,000-row file whose valid invoices NRS (the sandbox, over HTTP) certifies."""

import csv
import io
import re
import time
import uuid
from html import unescape

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from invoicing import batch_tasks
from invoicing.batches import COLUMNS
from invoicing.models import Batch, BatchInvoice, Invoice
from invoicing.services import Actor, invoice_create
from tenants import services as tenant_services
from tests.conftest import member
from tests.invoicing.conftest import body

KEY = "X-Flowpoint-Key"
UPLOAD = "/api/v1/invoices/upload/csv"
SUBMIT = "/api/v1/invoices/upload/csv/submit"


def batch_url(batch_id, query=""):
    return f"/api/v1/invoices/batches/{batch_id}{query}"


def api_key(tenant) -> str:
    with scope(tenant=tenant):
        return tenant_services.api_key_create(tenant=tenant, name="ERP")[1]


def good_row(n: int, **changes) -> dict:
    """One B2B invoice of one line (the spec's example buyer), numbered CSV-00000…"""
    row = {
        "invoice_kind": "B2B",
        "invoice_type": "invoice",
        "document_number": f"CSV-{n:05d}",
        "issue_date": "2026-04-25",
        "due_date": "2026-05-25",
        "currency": "NGN",
        "customer_name": "Acme Ltd",
        "customer_tin": "12345678-0001",
        "customer_email": "ap@acme.ng",
        "customer_phone": "+2348012345678",
        "customer_address": "42 Marina Road",
        "customer_city": "Lagos",
        "customer_postal_code": "101001",
        "customer_state": "NG-LA",
        "customer_lga": "NG-LA-LIS",
        "customer_country": "NG",
        "line_description": "Consulting services",
        "line_quantity": "2",
        "line_unit_price": "25000",
        "line_hsn_code": "8517.11",
        "line_tax_scheme": "STANDARD_VAT",
        "line_tax_rate": "7.5",
        "line_unit_of_measure": "Each",
    }
    row.update(changes)
    return row


def csv_bytes(rows, columns=COLUMNS, bom=False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns] if isinstance(row, dict) else row)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode()


def upload(client, key, content, url=UPLOAD, **headers):
    return client.post(url, data=content, content_type="text/csv", headers={KEY: key, **headers})


def named(content: bytes, name="invoices.csv"):
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def upload_file(client, key, content, name="invoices.csv", url=UPLOAD, **headers):
    return client.post(url, {"file": named(content, name)}, headers={KEY: key, **headers})


def validated(client, key, content) -> dict:
    """Upload, run the validation task (as a worker would), and read the batch back."""
    response = upload(client, key, content)
    assert response.status_code == 202, response.json()
    batch_id = response.json()["batchId"]
    assert batch_tasks.validate_batch(batch_id) == "validated"
    return client.get(batch_url(batch_id), headers={KEY: key}).json()


@pytest.fixture
def key(ready_tenant):
    return api_key(ready_tenant)


# --- the file as a whole ------------------------------------------------------------------------------


def test_the_template_has_every_column_and_two_rows_of_one_invoice_that_validate(client, key):
    response = client.get("/api/v1/invoices/upload/csv/template", headers={KEY: key})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == list(COLUMNS) and len(rows) == 3
    batch = validated(client, key, response.content)
    assert (batch["status"], batch["rows"], batch["invoiceCount"], batch["valid"], batch["errors"]) == (
        "VALIDATED",
        2,
        1,
        1,
        [],
    )
    assert client.get("/api/v1/invoices/upload/csv/template").status_code == 401


def file_level(client, key, content):
    response = upload(client, key, content)
    assert response.status_code == 400
    data = response.json()
    assert data["reason"] == "CSV_INVALID" and data["status"] == "INVALID"
    assert data["fields"] == {"file": data["error"]}
    with scopes_disabled():
        assert Batch.objects.get(pk=data["batchId"]).status == "INVALID"
    return data["errors"]


def test_unknown_columns_are_a_file_level_error_naming_them(client, key):
    columns = [*COLUMNS, "Customer Name", "vat"]
    errors = file_level(client, key, csv_bytes([good_row(1)], columns))
    assert errors == [
        {
            "row": 1,
            "column": None,
            "message": "Unknown columns “Customer Name” and “vat”. Column names are lower case with underscores, "
            "exactly as in the template. Allowed columns are those of the template.",
            "code": "unknown_columns",
        }
    ]


def test_missing_required_columns_are_a_file_level_error(client, key):
    columns = [c for c in COLUMNS if c not in ("issue_date", "line_unit_price", "line_hsn_code", "line_isic_code")]
    errors = file_level(client, key, csv_bytes([good_row(1)], columns))
    assert [(e["code"], e["message"]) for e in errors] == [
        ("missing_columns", "Missing required columns “issue_date” and “line_unit_price”."),
        (
            "missing_columns",
            "Missing column “line_hsn_code” (goods) or “line_isic_code” (services): the file needs at least one.",
        ),
    ]


def test_a_file_that_is_not_utf8_is_a_file_level_error_with_its_line(client, key):
    content = csv_bytes([good_row(1), good_row(2, customer_name="Société Générale")]).decode().encode("latin-1")
    assert file_level(client, key, content) == [
        {
            "row": 3,
            "column": None,
            "message": "The file is not UTF-8 text: byte 0xe9 on line 3 cannot be read. Save it as “CSV UTF-8 "
            "(comma delimited)” and upload it again.",
            "code": "bad_encoding",
        }
    ]


def test_utf8_with_a_byte_order_mark_as_excel_saves_it_is_read(client, key):
    batch = validated(client, key, csv_bytes([good_row(1, customer_name="Société Générale")], bom=True))
    assert (batch["status"], batch["valid"], batch["errors"]) == ("VALIDATED", 1, [])


def test_too_many_rows_or_bytes_and_empty_files_are_file_level_errors(client, key):
    short = list(csv.reader(io.StringIO(csv_bytes([good_row(1)]).decode())))[1]
    errors = file_level(client, key, csv_bytes([short] * 20_001))
    assert errors == [
        {
            "row": 20_002,
            "column": None,
            "message": "The file has more than 20,000 rows (row 20002 is one too many). Split it into several files.",
            "code": "too_many_rows",
        }
    ]
    huge = csv_bytes([]) + b"x" * (20 * 1024 * 1024)
    response = upload_file(client, key, huge)
    assert response.status_code == 413  # refused before it becomes a batch (tests/test_upload_limits.py)
    assert response.json()["code"] == "file_too_large"
    assert (
        response.json()["error"] == "The file is larger than 20 MB. Split it into several files of at most 20,000 rows."
    )
    assert file_level(client, key, b"\r\n")[0]["code"] == "empty_file"
    assert file_level(client, key, csv_bytes([]))[0]["message"] == "The file has a header but no rows."


def test_no_file_at_all_is_a_400_naming_the_field(client, key):
    response = client.post(UPLOAD, {}, headers={KEY: key})
    assert response.status_code == 400
    assert response.json()["fields"] == {"file": "required"}


# --- rows and invoices ----------------------------------------------------------------------------------


def test_rows_with_one_document_number_are_one_invoice_and_must_agree(client, key, ready_tenant):
    rows = [
        good_row(1),
        good_row(1, line_description="Ball pens", line_hsn_code="9608.10", line_quantity="10", line_unit_price="150"),
        # Header cells may be left empty on later rows of an invoice…
        {
            "document_number": "CSV-00001",
            "line_description": "Staples",
            "line_quantity": "1",
            "line_unit_price": "500",
            "line_hsn_code": "9608.10",
        },
        good_row(2),
        # …but when they are filled they must match the first row.
        good_row(2, customer_name="Acme Nigeria Ltd", due_date="2026-06-30", line_description="Other"),
    ]
    batch = validated(client, key, csv_bytes(rows))
    assert (batch["rows"], batch["invoiceCount"], batch["valid"], batch["invalid"]) == (5, 2, 1, 1)
    assert batch["errors"] == [
        {
            "row": 6,
            "column": "due_date",
            "message": "differs from row 5 (2026-05-25): every row of invoice CSV-00002 must repeat the same value "
            "or leave it empty",
            "code": "inconsistent_invoice_fields",
        },
        {
            "row": 6,
            "column": "customer_name",
            "message": "differs from row 5 (Acme Ltd): every row of invoice CSV-00002 must repeat the same value or "
            "leave it empty",
            "code": "inconsistent_invoice_fields",
        },
    ]
    with scopes_disabled():
        group = BatchInvoice.objects.get(batch_id=batch["batchId"], document_number="CSV-00001")
    assert group.rows == [2, 3, 4]
    assert [line["description"] for line in group.data["lines"]] == ["Consulting services", "Ball pens", "Staples"]


def test_errors_of_a_later_line_land_on_its_own_row(client, key):
    rows = [good_row(1), good_row(1, line_description="Ball pens", line_unit_price="-5"), good_row(2)]
    batch = validated(client, key, csv_bytes(rows))
    assert batch["errors"] == [
        {"row": 3, "column": "line_unit_price", "message": "must be greater than 0", "code": "unresolvable_unit_price"}
    ]
    assert [(i["documentNumber"], i["row"], i["rows"], i["status"]) for i in batch["invoices"]] == [
        ("CSV-00001", 2, [2, 3], "INVALID"),
        ("CSV-00002", 4, [4], "VALID"),
    ]


def test_a_row_with_too_many_cells_or_no_number_is_an_error_of_that_row(client, key):
    header = csv_bytes([]).decode().strip()
    good = csv_bytes([good_row(1)]).decode().splitlines()[1]
    content = "\r\n".join(
        [header, good, good.replace("CSV-00001", "CSV-00002") + ",surplus", "", good.replace("CSV-00001", "")]
    ).encode()
    batch = validated(client, key, content)
    assert (batch["rows"], batch["invoiceCount"], batch["valid"]) == (3, 3, 1)
    assert batch["errors"] == [
        {
            "row": 3,
            "column": None,
            "message": "This row has 37 cells but the header has 36 columns: a comma inside a value must be quoted.",
            "code": "extra_cells",
        },
        # Row 4 is blank and skipped; the numbering still counts it, as a spreadsheet does.
        {
            "row": 5,
            "column": "document_number",
            "message": "required: every row needs the invoice number",
            "code": "invalid_document_number",
        },
    ]


def test_numbers_already_used_and_numbers_that_give_one_irn_are_conflicts(client, key, ready_tenant):
    invoice_create(tenant=ready_tenant, data=body(document_number="CSV-00002"), actor=Actor())
    rows = [good_row(1), good_row(2), good_row(3, document_number="CSV00001"), good_row(4, document_number="CSV/00001")]
    batch = validated(client, key, csv_bytes(rows))
    assert batch["errors"] == [
        {
            "row": 3,
            "column": "document_number",
            "message": "already used by an existing invoice (queued for NRS); pick a different number",
            "code": "DOCUMENT_NUMBER_CONFLICT_INVOICE",
        },
        {
            "row": 4,
            "column": "document_number",
            "message": "gives the same IRN as invoice CSV-00001 (row 2) issued the same day: only the letters and "
            "digits of a number count",
            "code": "DOCUMENT_NUMBER_CONFLICT_FILE",
        },
        {
            "row": 5,
            "column": "document_number",
            "message": "gives the same IRN as invoice CSV-00001 (row 2) issued the same day: only the letters and "
            "digits of a number count",
            "code": "DOCUMENT_NUMBER_CONFLICT_FILE",
        },
    ]
    assert (batch["valid"], batch["invalid"]) == (1, 3)


def test_an_incomplete_supplier_profile_is_said_once_and_blocks_submission(client, tenant):
    key = api_key(tenant)  # a tenant with nothing set up
    batch = validated(client, key, csv_bytes([good_row(1)]))
    assert batch["valid"] == 1
    assert batch["errors"][0]["row"] is None and batch["errors"][0]["code"] == "SUPPLIER_VALIDATION_FAILED"
    response = client.post(SUBMIT, {"batchId": batch["batchId"]}, content_type="application/json", headers={KEY: key})
    assert response.status_code == 400 and response.json()["reason"] == "SUPPLIER_VALIDATION_FAILED"


# --- submission -----------------------------------------------------------------------------------------


def submit(client, key, batch_id, **headers):
    return client.post(SUBMIT, {"batchId": batch_id}, content_type="application/json", headers={KEY: key, **headers})


@pytest.mark.usefixtures("queue_inline")
def test_submit_creates_the_valid_invoices_through_the_service_and_skips_the_invalid(
    client, key, ready_tenant, django_capture_on_commit_callbacks
):
    ready_tenant.nrs_api_key = ""  # not connected to NRS: created invoices are held, nothing is sent
    ready_tenant.save()
    batch = validated(client, key, csv_bytes([good_row(1), good_row(2, line_quantity="x"), good_row(3)]))
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, key, batch["batchId"])
    assert response.status_code == 202
    assert response.json()["status"] in ("SUBMITTING", "DONE")
    data = client.get(batch_url(batch["batchId"]), headers={KEY: key}).json()
    assert (data["status"], data["submitted"], data["held"], data["pending"], data["progress"]) == (
        "DONE",
        2,
        2,
        0,
        100,
    )
    with scopes_disabled():
        made = Invoice.objects.filter(tenant=ready_tenant).order_by("document_number")
        assert [(i.document_number, i.status, i.block_reason) for i in made] == [
            ("CSV-00001", "BLOCKED", "BLOCKED_CHECKLIST_FAILED"),
            ("CSV-00003", "BLOCKED", "BLOCKED_CHECKLIST_FAILED"),
        ]
        assert {i.created_by_key_id for i in made} != {None}
    assert [(i["documentNumber"], i["status"]) for i in data["invoices"]] == [
        ("CSV-00001", "BLOCKED"),
        ("CSV-00002", "INVALID"),
        ("CSV-00003", "BLOCKED"),
    ]
    again = submit(client, key, batch["batchId"])
    assert again.status_code == 409 and again.json()["reason"] == "BATCH_ALREADY_SUBMITTED"

    # Counts follow the invoices' current statuses: one sent again to NRS reopens the batch until it is answered.
    with scopes_disabled():
        Invoice.objects.filter(document_number="CSV-00003").update(status="PENDING")
    data = client.get(batch_url(batch["batchId"]), headers={KEY: key}).json()
    assert (data["status"], data["held"], data["pending"], data["progress"], data["finishedAt"]) == (
        "SUBMITTING",
        1,
        1,
        50,
        None,
    )


def test_what_cannot_be_submitted(client, key):
    invalid = upload(client, key, b"nonsense\r\n1\r\n").json()["batchId"]
    assert submit(client, key, invalid).json()["reason"] == "CSV_INVALID"
    nothing = validated(client, key, csv_bytes([good_row(1, invoice_kind="")]))
    response = submit(client, key, nothing["batchId"])
    assert (response.status_code, response.json()["reason"]) == (400, "NO_VALID_INVOICES")
    assert submit(client, key, str(uuid.uuid4())).status_code == 404
    response = client.post(SUBMIT, {}, content_type="application/json", headers={KEY: key})
    assert (response.status_code, response.json()["fields"]) == (400, {"batchId": "required"})


def test_a_file_can_be_validated_and_submitted_in_one_step(
    client, key, ready_tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload_file(client, key, csv_bytes([good_row(1), good_row(2)]), url=SUBMIT)
    assert response.status_code == 202
    data = response.json()
    assert (data["status"], data["submitRequested"], data["rows"]) == ("VALIDATING", True, 2)
    assert len(callbacks) == 1  # the validation task, queued once the batch is committed
    assert batch_tasks.validate_batch(data["batchId"]) == "validated"
    with scopes_disabled():
        assert Batch.objects.get(pk=data["batchId"]).status == "SUBMITTING"
    assert batch_tasks.submit_batch(data["batchId"]) == "submitted"
    got = client.get(batch_url(data["batchId"]), headers={KEY: key}).json()
    assert (got["submitted"], got["pending"], got["status"]) == (2, 2, "SUBMITTING")  # queued for NRS


def test_a_submission_task_run_twice_creates_each_invoice_once(client, key, ready_tenant):
    batch = validated(client, key, csv_bytes([good_row(n) for n in range(3)]))
    submit(client, key, batch["batchId"])
    assert batch_tasks.submit_batch(batch["batchId"]) == "submitted"
    assert batch_tasks.submit_batch(batch["batchId"]) == "submitted"
    with scopes_disabled():
        assert Invoice.objects.filter(tenant=ready_tenant).count() == 3


def test_the_sweeper_queues_again_the_batches_whose_task_was_lost(client, key, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    queued = []
    monkeypatch.setattr("invoicing.batches.services.enqueue", lambda func, *args: queued.append((func, *args)))
    lost = upload(client, key, csv_bytes([good_row(1)])).json()["batchId"]  # its validation task never ran
    slow = upload(client, key, csv_bytes([good_row(2)])).json()["batchId"]
    stuck = validated(client, key, csv_bytes([good_row(3)]))["batchId"]
    submit(client, key, stuck)  # its first submission task never ran either
    long_ago = timezone.now() - timedelta(minutes=30)
    with scopes_disabled():
        Batch.objects.filter(pk=lost).update(created_at=long_ago)
        Batch.objects.filter(pk=stuck).update(submitted_at=long_ago)
    assert batch_tasks.sweep_batches() == {"validating": 1, "submitting": 1}
    assert queued == [
        ("invoicing.batch_tasks.validate_batch", lost),
        ("invoicing.batch_tasks.submit_batch", stuck),
    ]
    assert slow not in {args[1] for args in queued}
    assert batch_tasks.submit_batch(stuck) == "submitted"
    queued.clear()
    assert batch_tasks.sweep_batches() == {"validating": 1, "submitting": 0}


# --- API conventions ------------------------------------------------------------------------------------


def test_the_sixth_csv_submit_in_a_minute_is_429_with_rate_limit_headers(client, key):
    content = csv_bytes([good_row(1)])
    for n in range(5):
        response = upload_file(client, key, content, url=SUBMIT)
        assert response.status_code == 202, response.json()
        assert response["RateLimit"].startswith(f"limit=5, remaining={4 - n},")
    response = upload_file(client, key, content, url=SUBMIT)
    assert response.status_code == 429
    assert response.json()["reason"] == "RATE_LIMITED"
    assert int(response["Retry-After"]) >= 1
    assert response["RateLimit"].startswith("limit=5, remaining=0, reset=")
    assert "5;w=60" in response["RateLimit-Policy"]
    with scopes_disabled():
        assert Batch.objects.count() == 5


def test_an_idempotency_key_replays_the_upload(client, key):
    content = csv_bytes([good_row(1)])
    first = upload(client, key, content, **{"Idempotency-Key": "upload-1"})
    again = upload(client, key, content, **{"Idempotency-Key": "upload-1"})
    assert first.status_code == again.status_code == 202
    assert again.json()["batchId"] == first.json()["batchId"]
    assert again["Idempotency-Replayed"] == "true"
    with scopes_disabled():
        assert Batch.objects.count() == 1
    other = upload(client, key, csv_bytes([good_row(2)]), **{"Idempotency-Key": "upload-1"})
    assert other.status_code == 409
    multipart = upload_file(client, key, content, **{"Idempotency-Key": "upload-2"})
    replayed = upload_file(client, key, content, **{"Idempotency-Key": "upload-2"})
    assert replayed.json()["batchId"] == multipart.json()["batchId"] and replayed["Idempotency-Replayed"] == "true"


def test_an_upload_too_big_for_memory_still_honours_its_idempotency_key(client, key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # the file streams to disk; the raw body is never loaded
    content = csv_bytes([good_row(n, note="x" * 200) for n in range(5_000)])
    assert len(content) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    for send in (upload_file, upload):  # multipart, then a text/csv body
        first = send(client, key, content, **{"Idempotency-Key": f"big-{send.__name__}"})
        again = send(client, key, content, **{"Idempotency-Key": f"big-{send.__name__}"})
        assert first.status_code == again.status_code == 202, first.json()
        assert first.json()["rows"] == 5_000
        assert again.json()["batchId"] == first.json()["batchId"] and again["Idempotency-Replayed"] == "true"


def test_another_tenants_key_gets_404_and_no_key_401(client, key, other_tenant):
    batch_id = upload(client, key, csv_bytes([good_row(1)])).json()["batchId"]
    stranger = api_key(other_tenant)
    response = client.get(batch_url(batch_id), headers={KEY: stranger})
    assert response.status_code == 404 and response.json() == {"error": "Batch not found."}
    assert submit(client, stranger, batch_id).status_code == 404
    assert client.get(batch_url(batch_id)).status_code == 401
    assert client.post(UPLOAD, csv_bytes([good_row(1)]), content_type="text/csv").status_code == 401
    assert client.get(batch_url(batch_id), headers={KEY: "fp_test_nope"}).status_code == 401
    assert client.get(batch_url(batch_id), headers={KEY: key}).status_code == 200


def test_a_portal_session_works_and_only_clerks_and_admins_upload(client, ready_tenant, key):
    batch_id = upload(client, key, csv_bytes([good_row(1)])).json()["batchId"]
    client.force_login(member(ready_tenant, "approver"))
    assert client.get(batch_url(batch_id)).status_code == 200
    response = client.post(UPLOAD, csv_bytes([good_row(1)]), content_type="text/csv")
    assert response.status_code == 403
    assert response.json()["error"] == "Only clerks and admins can upload or submit CSV batches; your role is Approver."
    client.force_login(member(ready_tenant, "clerk"))
    assert client.post(UPLOAD, csv_bytes([good_row(1)]), content_type="text/csv").status_code == 202


def test_the_invoice_list_is_paginated_and_errors_are_capped(client, key):
    batch = validated(client, key, csv_bytes([good_row(n) for n in range(7)]))
    page = client.get(batch_url(batch["batchId"], "?limit=3&offset=5"), headers={KEY: key}).json()
    assert [i["documentNumber"] for i in page["invoices"]] == ["CSV-00005", "CSV-00006"]
    assert (page["limit"], page["offset"], page["invoiceCount"]) == (3, 5, 7)
    response = client.get(batch_url(batch["batchId"], "?limit=501"), headers={KEY: key})
    assert response.status_code == 400 and response.json()["fields"] == {"limit": "must be 1–500"}


# --- the portal -----------------------------------------------------------------------------------------


def test_the_upload_page_has_the_form_the_template_link_and_the_format(client, ready_tenant):
    client.force_login(member(ready_tenant, "clerk"))
    html = client.get(reverse("batch_upload")).content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert reverse("api_batch_template") in html
    for column in COLUMNS:
        assert f'<td class="code">{column}</td>' in html
    client.force_login(member(ready_tenant, "reviewer"))
    html = client.get(reverse("batch_upload")).content.decode()
    assert 'type="file"' not in html
    assert client.post(reverse("batch_upload")).status_code == 403


def test_a_clerk_uploads_sees_the_bad_cell_marked_and_submits(client, ready_tenant):
    clerk = member(ready_tenant, "clerk")
    client.force_login(clerk)
    content = csv_bytes([good_row(1), good_row(2, customer_email="ap-at-acme"), good_row(3)])
    response = client.post(reverse("batch_upload"), {"file": named(content, "march.csv")})
    with scopes_disabled():
        batch = Batch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("batch_detail", args=[batch.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'aria-valuenow="0"' in page and "Checking every row" in page
    batch_tasks.validate_batch(str(batch.pk))
    page = client.get(reverse("batch_detail", args=[batch.pk])).content.decode()
    assert "march.csv" in page
    assert (
        '<td class="cell-error" data-column="customer_email">ap-at-acme<p class="error">must be a valid e-mail '
        "address</p></td>" in page
    )
    assert 'id="row-3" class="row-error"' in page and 'id="row-2" class=""' in page
    assert "Submit 2 valid invoices" in page
    progress = client.get(reverse("batch_progress", args=[batch.pk])).json()
    assert (progress["status"], progress["progress"], progress["valid"], progress["invalid"]) == (
        "VALIDATED",
        100,
        2,
        1,
    )
    client.post(reverse("batch_submit", args=[batch.pk]))
    with scopes_disabled():
        batch.refresh_from_db()
    assert batch.status == "SUBMITTING" and batch.submitted_by == clerk
    assert "Submit 2 valid invoices" not in client.get(reverse("batch_detail", args=[batch.pk])).content.decode()


def test_an_approver_views_but_cannot_submit(client, ready_tenant, key):
    batch = validated(client, key, csv_bytes([good_row(1)]))
    client.force_login(member(ready_tenant, "approver"))
    page = client.get(reverse("batch_detail", args=[batch["batchId"]])).content.decode()
    assert "Submit 1 valid invoice" not in page
    assert client.post(reverse("batch_submit", args=[batch["batchId"]])).status_code == 403


def test_an_invalid_file_says_why_on_its_page(client, ready_tenant):
    client.force_login(member(ready_tenant, "clerk"))
    content = csv_bytes([good_row(1)], [*COLUMNS, "vat"])
    response = client.post(reverse("batch_upload"), {"file": named(content, "bad.csv")}, follow=True)
    html = response.content.decode()
    assert "This file cannot be used" in html and "Unknown column “vat”." in html


def test_every_error_of_a_row_is_shown_not_only_the_first(client, ready_tenant, key):
    row = good_row(1, customer_state="LAGOS", line_quantity="0", line_unit_price="-5", line_hsn_code="9999.99")
    batch = validated(
        client, key, csv_bytes([row, good_row(1, customer_state="LAGOS", line_description="", line_tax_scheme="VAT")])
    )
    assert sorted((e["row"], e["column"]) for e in batch["errors"]) == [
        (2, "customer_state"),
        (2, "line_hsn_code"),
        (2, "line_quantity"),
        (2, "line_unit_price"),
        (3, "line_description"),
        (3, "line_tax_scheme"),
    ]
    client.force_login(member(ready_tenant, "clerk"))
    page = client.get(reverse("batch_detail", args=[batch["batchId"]])).content.decode()
    for column in ("customer_state", "line_quantity", "line_unit_price", "line_hsn_code"):
        assert f'class="cell-error" data-column="{column}"' in page
    assert "CUSTOMER_VALIDATION_FAILED" not in page and "unresolvable_unit_price" not in page  # the API's codes


# Every row problem the checks can give, one or more per row (the comment says which).
PROBLEM_ROWS = [
    good_row(10, invoice_type="receipt", issue_date="25/04/2026"),  # invoice type; a date as a date
    good_row(11, issue_date="", invoice_kind=""),  # required date and kind
    good_row(12, due_date="2026-01-01", currency="XYZ"),  # due before issue; a currency code
    good_row(13, customer_state="LAGOS", customer_country="Nigeria"),  # state and country codes
    good_row(14, customer_lga="NG-KN-KMC"),  # an LGA of another state
    good_row(15, customer_tin="", customer_email="ap-at-acme", customer_phone="0803"),  # the buyer's contact
    good_row(16, line_hsn_code="0000.00"),  # an unknown HS code
    good_row(17, line_hsn_code="", line_isic_code=""),  # neither code
    good_row(18, line_hsn_code="", line_isic_code="9999"),  # an unknown service code
    good_row(19, line_tax_scheme="VAT", line_tax_rate="150"),  # a tax category; a rate of 0–100
    good_row(20, line_discount="-5"),  # a negative discount
    good_row(21, line_discount="100000000"),  # a discount above the line
    good_row(22, line_quantity="99999999999999", line_unit_price="99"),  # a line too large
    good_row(23, line_quantity="1e20", line_unit_price="abc"),  # numbers
    good_row(24, invoice_type="credit_note"),  # a note without the IRN it corrects
    good_row(25, invoice_type="credit_note", original_irn="INV001-ABCD1234-20260101"),  # an IRN of no invoice
    good_row(26, line_quantity="1", line_unit_price="100", line_discount="100"),  # a zero total
    good_row(27, line_quantity="1", line_unit_price="600000000000000"),  # two lines adding up too much
    good_row(27, line_quantity="1", line_unit_price="600000000000000"),
    good_row(28),
    good_row(28, due_date="2026-06-30"),  # a later row of an invoice that disagrees with its first
    good_row(29, document_number=""),  # no invoice number
]

# What a person must not be shown: machine codes, API field names and routes. The file's own column headings
# may be named, as column “line_hsn_code”, and values quoted as the file holds them (“credit_note”).
MACHINE_WORDS = (
    re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b"),  # UPPER_SNAKE codes: CUSTOMER_VALIDATION_FAILED
    re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b"),  # snake_case names outside quotes: unit_price, customer_state
    re.compile(r"\b[a-z]+[A-Z]\w*\b"),  # camelCase: taxScheme, unitPrice
    re.compile(r"\b[a-z_]{2,}(?:\[\d+\])?\.[a-z_]{2,}\b"),  # dotted keys: customer.state, lines[0].quantity (not e.g.)
    re.compile(r"\blines\[\d+\]"),
    re.compile(r"/api/"),  # routes
    re.compile(r"\b(?:GET|POST|PATCH|DELETE) /"),
)


def machine_words(message: str) -> list[str]:
    """The machine words left in a message once quoted column headings and values are set aside."""
    text = re.sub(r"“[^”]*”", "“…”", message)
    return [match[0] for pattern in MACHINE_WORDS for match in pattern.finditer(text)]


def test_machine_words_are_found_where_they_are():
    assert machine_words("unknown HS code; see GET /api/v1/helpers/hs-codes") == ["/api/", "GET /"]
    assert machine_words("must be an NRS LGA code of customer.state") == ["customer.state"]
    assert machine_words("lines[0].unit_price: must be a number") == ["unit_price", "lines[0].unit_price", "lines[0]"]
    assert machine_words("must be a tax category such as STANDARD_VAT") == ["STANDARD_VAT"]
    assert machine_words("send taxScheme") == ["taxScheme"]
    assert machine_words("a date, e.g. 2026-04-25") == []
    assert machine_words("column “customer_state”: must be “invoice”, “credit_note”, 8517.11 or NG-LA") == []


def test_row_problems_on_the_batch_page_are_in_plain_words_and_the_api_keeps_its_codes(client, ready_tenant, key):
    batch = validated(client, key, csv_bytes(PROBLEM_ROWS))
    errors = batch["errors"]
    assert batch["invalid"] == 20 and batch["valid"] == 0 and len(errors) >= 25
    # The API's answer keeps its keys and machine codes, as documented.
    assert {"CUSTOMER_VALIDATION_FAILED", "incomplete_unpatchable", "unresolvable_hsn", "ZERO_VALUE"} <= {
        e["code"] for e in errors
    }
    assert all(set(e) == {"row", "column", "message", "code"} for e in errors)

    client.force_login(member(ready_tenant, "clerk"))
    page = client.get(reverse("batch_detail", args=[batch["batchId"]]))
    html = page.content.decode()
    listed = [
        unescape(re.sub(r"<[^>]+>", "", item)).strip()
        for item in re.findall(r"<li>(.*?)</li>", re.search(r'<ol class="batch-errors">(.*?)</ol>', html, re.S)[1])
    ]
    beside = [
        unescape(re.sub(r"<[^>]+>", "", text)).strip()
        for text in re.findall(r'<p class="(?:row-problem|error)">(.*?)</p>', html, re.S)
    ]
    # Each in the list, at the start of its row and, when it is about a cell, in the cell.
    assert len(listed) == len(errors) and len(beside) == len(errors) + len([e for e in errors if e["column"]])
    shown = {message: machine_words(message) for message in listed + beside}
    assert {message: words for message, words in shown.items() if words} == {}

    # What the reader sees, in the file's words and naming the lists to look a code up in.
    for expected in (
        "Row 2 · column “invoice_type”: must be “invoice”, “credit_note” or “debit_note” (or left empty for an "
        "invoice)",
        "Row 2 · column “issue_date”: must be a date written year-month-day, e.g. 2026-04-25",
        "Row 6 · column “customer_lga”: must be the code of an LGA of the state in column “customer_state”: see "
        "the list of LGAs",
        "Row 8 · column “line_hsn_code”: is not a known HS code: find the goods in the list of HS codes",
        "Row 9 · column “line_hsn_code”: required: an HS code for goods here, or a service code in column "
        "“line_isic_code”",
        "Row 11 · column “line_tax_scheme”: is not a tax category: use a code from the list of tax categories "
        "(empty means standard VAT)",
        "Row 14 · column “line_quantity”: the quantity times the unit price must be less than 1,000,000,000,000,000",
        "Row 16 · column “original_irn”: required: a credit or debit note gives the IRN of the certified invoice "
        "it corrects",
        "Row 18: The invoice total is zero; lines must add up to a positive amount.",
        "Row 19: The invoice is too large: its lines must add up to less than 1,000,000,000,000,000.",
    ):
        assert expected in listed, (expected, listed)
    # An unknown service code is that row's one code error (not also a "missing" HS code).
    assert [m for m in listed if m.startswith("Row 10 ")] == [
        "Row 10 · column “line_isic_code”: is not a known service code: find the service in the list of service codes"
    ]
    assert "CUSTOMER_VALIDATION_FAILED" not in html and "unresolvable_hsn" not in html
    assert 'href="/invoices/codes/lgas/"' in html  # the lists the messages name are linked below them


def _field_messages(module) -> list[tuple[str, str]]:
    """Every (key, message) of InvoiceError.fields a module's checks can give, read from its source: the literal
    ones and the f-strings (their names given sample values), so a message added later is checked too."""
    import ast
    import inspect
    from decimal import Decimal

    from invoicing.parsing import MAX_AMOUNT, MAX_QUANTITY

    names = {"where": "lines[0]", "name": "quantity", "MAX_AMOUNT": MAX_AMOUNT, "limit": MAX_QUANTITY}
    names["left"] = Decimal("10.00")

    def value(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return eval(compile(ast.Expression(node), "<message>", "eval"), {}, dict(names))  # noqa: S307
        return None

    found = []
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "InvoiceError":
            for keyword in node.keywords:
                if keyword.arg == "fields" and isinstance(keyword.value, ast.Dict):
                    pairs = zip(keyword.value.keys, keyword.value.values, strict=True)
                    found += [(value(k), value(v)) for k, v in pairs]
                elif keyword.arg == "fields" and isinstance(keyword.value, ast.DictComp):
                    found.append(("customer.address", value(keyword.value.value)))
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
            target = node.targets[0]
            if getattr(target.value, "id", "") == "errors":  # parsing.py: errors[key] = message
                found.append((value(target.slice), value(node.value)))
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "grab":  # grab(name, convert, message)
            found.append((value(node.args[0]), value(node.args[2])))
    return [(k, v) for k, v in found if k is not None and v is not None]


def test_every_field_message_of_the_invoice_checks_is_said_in_the_files_words():
    from invoicing import parsing, validation
    from invoicing.batches.words import in_file_words

    messages = _field_messages(parsing) + _field_messages(validation)
    assert len(messages) > 40  # the reading found them
    assert ("lines[0].hsn_code", "unknown HS code; see GET /api/v1/helpers/hs-codes") in messages
    said = {(key, message): in_file_words(key, message) for key, message in messages}
    assert {pair: words for pair, words in said.items() if machine_words(words)} == {}


def test_the_badge_says_whether_anything_can_be_submitted(client, ready_tenant, key):
    client.force_login(member(ready_tenant, "clerk"))

    def badge(rows):
        batch = validated(client, key, csv_bytes(rows))
        page = client.get(reverse("batch_detail", args=[batch["batchId"]])).content.decode()
        return re.search(r'<span class="(badge [\w-]+)"\s*id="batch-status">([^<]+)</span>', page).groups()

    assert badge([good_row(1, line_unit_price="abc")]) == ("badge badge-bad", "Nothing to submit")
    assert badge([good_row(2), good_row(3, line_unit_price="abc")]) == (
        "badge badge-warn",
        "Some invoices have errors",
    )
    assert badge([good_row(4)]) == ("badge badge-ok", "Ready to submit")
    assert "Validated" not in client.get(reverse("batch_upload")).content.decode()


def test_the_pages_link_to_the_code_lists_a_file_may_use(client, ready_tenant, key):
    client.force_login(member(ready_tenant, "clerk"))
    batch = validated(client, key, csv_bytes([good_row(1, customer_state="LAGOS")]))
    for url in (reverse("batch_upload"), reverse("batch_detail", args=[batch["batchId"]])):
        html = client.get(url).content.decode()
        for name in ("states", "lgas", "hs_codes", "service_codes", "tax_categories"):
            link = reverse(f"codes_{name}")
            assert f'<a href="{link}">' in html  # the portal's own page, in the same tab
            opened = client.get(link)
            assert opened.status_code == 200 and opened["Content-Type"].startswith("text/html")
        assert "/api/v1/helpers/" not in html  # never the API's raw JSON


# --- at scale, against the sandbox ------------------------------------------------------------------------


@pytest.fixture
def quick_round_trips(monkeypatch):
    """Keep 990 real NRS round trips quick without changing what they do.

    - The live server sends each answer in one segment (TCP_NODELAY). Without it Nagle's algorithm meets the
      client's delayed ACK and every NRS call waits ~40 ms; a fresh client session makes new connections.
    - django-q keeps no results of successful tasks: with its default save_limit of 250 every finished task
      loads the last 250 results (~20 ms each time).
    - Its ORM broker, inline, does not close this thread's database connection before each task: with the
      suite's CONN_MAX_AGE=0 that is a reconnection (and, on SQLite, a WAL checkpoint) per task.
    """
    import requests
    from django.core.servers.basehttp import WSGIRequestHandler
    from django_q.conf import Conf

    from integrations.nrs import client as nrs_client

    monkeypatch.setattr(WSGIRequestHandler, "disable_nagle_algorithm", True)
    monkeypatch.setattr(nrs_client._local, "session", requests.Session(), raising=False)
    monkeypatch.setattr(Conf, "SAVE_LIMIT", -1)
    monkeypatch.setattr("django_q.brokers.orm.db.close_old_connections", lambda: None)


@pytest.fixture
def chains_in_threads(monkeypatch):
    """A batch's submission chains run side by side in threads, as on several workers (the rest stays inline).

    Returns a function that waits for every chain, continuations included, and re-raises what one raised.
    """
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from invoicing.batches import services as batch_services

    pool = ThreadPoolExecutor(max_workers=batch_services.SUBMIT_CHAINS)
    futures = []
    real_enqueue = batch_services.enqueue

    def run(batch_id):
        try:
            return batch_tasks.submit_batch(batch_id)
        finally:
            connection.close()  # this thread's own connection

    def enqueue(func, *args, **kwargs):
        if func == batch_services.SUBMIT_TASK:
            futures.append(pool.submit(run, *args))
            return None
        return real_enqueue(func, *args, **kwargs)

    def wait():
        done = 0
        while done < len(futures):  # a chain queues its continuation before it ends
            futures[done].result(timeout=600)
            done += 1
        return [f.result() for f in futures]

    monkeypatch.setattr(batch_services, "enqueue", enqueue)
    yield wait
    pool.shutdown(wait=True)


BAD_ROWS = {
    # n: (changes, the error as reported)
    7: ({"customer_tin": ""}, ("customer_tin", "required", "CUSTOMER_VALIDATION_FAILED")),
    100: ({"line_unit_price": "abc"}, ("line_unit_price", "must be a number", "incomplete_unpatchable")),
    222: ({"line_quantity": "0"}, ("line_quantity", "must be greater than 0", "incomplete_unpatchable")),
    333: (
        {"issue_date": "25/04/2026"},
        ("issue_date", "must be a date written year-month-day, e.g. 2026-04-25", "incomplete_unpatchable"),
    ),
    444: (
        {"line_hsn_code": "0000.00"},
        ("line_hsn_code", "is not a known HS code: find the goods in the list of HS codes", "unresolvable_hsn"),
    ),
    555: ({"invoice_kind": "B2X"}, ("invoice_kind", "must be B2B, B2C or B2G", "incomplete_unpatchable")),
    666: (
        {"customer_email": "ap-at-acme"},
        ("customer_email", "must be a valid e-mail address", "CUSTOMER_VALIDATION_FAILED"),
    ),
    777: (
        {"customer_state": "NG-XX"},
        (
            "customer_state",
            "is not a state code: use one from the list of states, e.g. NG-LA for Lagos",
            "CUSTOMER_VALIDATION_FAILED",
        ),
    ),
    888: (
        {"document_number": "CSV00887"},
        (
            "document_number",
            "gives the same IRN as invoice CSV-00887 (row 889) issued the same day: only the letters and digits of "
            "a number count",
            "DOCUMENT_NUMBER_CONFLICT_FILE",
        ),
    ),
    998: (
        {},  # CSV-00998 is certified already (below)
        (
            "document_number",
            "already used by an existing invoice (certified); pick a different number",
            "DOCUMENT_NUMBER_CONFLICT_INVOICE",
        ),
    ),
}


@pytest.mark.usefixtures("queue_inline")
def test_1000_rows_with_10_bad_ones_report_each_error_and_990_invoices_are_certified(
    client, connected_tenant, quick_round_trips, chains_in_threads
):
    started = time.perf_counter()
    earlier = invoice_create(tenant=connected_tenant, data=body(document_number="CSV-00998"), actor=Actor())
    with scopes_disabled():
        assert Invoice.objects.get(pk=earlier.pk).status == "CERTIFIED"
    key = api_key(connected_tenant)
    rows = [good_row(n, **BAD_ROWS[n][0]) if n in BAD_ROWS else good_row(n) for n in range(1000)]

    response = upload(client, key, csv_bytes(rows))  # validated at once: the queue runs inline here
    assert response.status_code == 202
    batch_id = response.json()["batchId"]
    validated_at = time.perf_counter()
    data = client.get(batch_url(batch_id), headers={KEY: key}).json()
    assert (data["status"], data["rows"], data["invoiceCount"], data["valid"], data["invalid"]) == (
        "VALIDATED",
        1000,
        1000,
        990,
        10,
    )
    assert data["errors"] == [
        {"row": n + 2, "column": column, "message": message, "code": code}
        for n, (_, (column, message, code)) in sorted(BAD_ROWS.items())
    ]
    assert (data["errorCount"], data["summary"]) == (10, "10 errors in 10 of 1,000 invoices; 990 valid.")

    response = submit(client, key, batch_id)
    assert response.status_code == 202
    runs = chains_in_threads()
    assert runs.count("submitted") >= 1 and set(runs) <= {"continued", "submitted", "left to another run", "skipped"}
    submitted_at = time.perf_counter()
    data = client.get(batch_url(batch_id, "?limit=500&offset=500"), headers={KEY: key}).json()
    assert (data["status"], data["progress"], data["finishedAt"] is not None) == ("DONE", 100, True)
    assert (data["submitted"], data["certified"], data["failed"], data["pending"], data["held"]) == (990, 990, 0, 0, 0)
    skipped = {n + 2 for n in BAD_ROWS if n >= 500}
    assert len(data["invoices"]) == 500
    for item in data["invoices"]:
        if item["row"] in skipped:
            assert (item["status"], item["invoiceId"], item["irn"]) == ("INVALID", None, None)
        else:
            assert item["status"] == "CERTIFIED" and item["irn"].startswith(item["documentNumber"].replace("-", ""))
    with scopes_disabled():
        certified = Invoice.objects.filter(tenant=connected_tenant, status="CERTIFIED").exclude(pk=earlier.pk)
        assert certified.count() == 990
        assert certified.filter(transmitted_at__isnull=False, qr_payload__gt="").count() == 990
    from integrations.nrs.sandbox.models import SandboxInvoice

    assert SandboxInvoice.objects.filter(irn__in=certified.values_list("irn", flat=True)).count() == 990
    assert not certified.exclude(pdf="").exists()  # PDFs come later: on download, or the render-pdfs schedule
    print(
        f"\n1,000 rows: validated in {validated_at - started:.1f} s, 990 certified over HTTP in "
        f"{submitted_at - validated_at:.1f} s"
    )


def test_a_10000_row_upload_answers_at_once_and_a_real_worker_validates_it(client, ready_tenant, qcluster):
    key = api_key(ready_tenant)
    # 2,500 invoices of four lines each.
    rows = [good_row(n // 4, line_description=f"Item {n % 4 + 1}") for n in range(10_000)]
    content = csv_bytes(rows)
    started = time.perf_counter()
    response = upload(client, key, content)
    answered = time.perf_counter() - started
    assert response.status_code == 202
    data = response.json()
    assert (data["status"], data["rows"], data["invoiceCount"], data["progress"]) == ("VALIDATING", 10_000, 2_500, 0)
    assert answered < 5

    seen = []
    while data["status"] == "VALIDATING" and time.perf_counter() - started < 240:
        time.sleep(0.5)
        data = client.get(batch_url(data["batchId"], "?limit=1"), headers={KEY: key}).json()
        seen.append(data["progress"])
    validated = time.perf_counter() - started
    print(f"\n10,000 rows: 202 in {answered:.2f} s; validated by the worker after {validated:.1f} s; progress {seen}")
    assert (data["status"], data["valid"], data["invalid"], data["errors"]) == ("VALIDATED", 2_500, 0, [])
    assert seen == sorted(seen) and seen[-1] == 100
    with scopes_disabled():
        group = BatchInvoice.objects.get(batch_id=data["batchId"], document_number="CSV-02499")
    assert group.rows == [9998, 9999, 10000, 10001] and len(group.data["lines"]) == 4


def test_the_documented_example_is_a_valid_file(client, key):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "csv-format.md").read_text()
    example = text.split("```csv\n", 1)[1].split("```", 1)[0]
    batch = validated(client, key, example.encode())
    assert (batch["rows"], batch["invoiceCount"], batch["valid"], batch["errors"]) == (3, 2, 2, [])
