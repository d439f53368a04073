"""Uploads that are too large or are not what they claim to be: CSV batches (portal and API) and NRS key files
(portal and admin API). Each is refused with a message that names the file field and says how to fix it, and
leaves nothing behind."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from invoicing.models import Batch
from tenants import services as tenant_services
from tenants.models import CryptoKey
from tests.conftest import member
from tests.invoicing.test_batches import csv_bytes, good_row

FIX = "“CSV UTF-8 (comma delimited)”"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
GOOD = csv_bytes([good_row(n) for n in range(1, 11)])  # about 2 KB
NOT_CSV = [
    ("invoices.xlsx", GOOD, "“invoices.xlsx” is not a .csv file."),
    ("invoices.csv", PNG, "The file is a PNG image, not CSV text."),
    ("invoices.csv", b"PK\x03\x04" + b"\x00" * 40, "The file is an Excel workbook (.xlsx) or another zip file"),
    ("invoices.csv", GOOD[:300] + b"\x00" + GOOD[300:], "a NUL byte at byte 301"),
]


def no_batches():
    with scopes_disabled():
        return not Batch.objects.exists()


# --- CSV in the portal: a form error on the same page ------------------------------------------------------


@pytest.fixture
def clerk_client(client, tenant):
    client.force_login(member(tenant, "clerk"))
    return client


def portal_upload(client, name, content):
    response = client.post(reverse("batch_upload"), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200  # the upload page again, not a batch page
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    return html


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        *NOT_CSV,
        ("invoices.csv", GOOD.decode().replace("Acme", "Société").encode("latin-1"), "byte 0xe9 on line 2"),
    ],
)
def test_the_portal_refuses_a_file_that_is_not_csv_text_beside_the_field(clerk_client, name, content, message):
    html = portal_upload(clerk_client, name, content)
    error = html.split('<p class="error" id="id_file_error">', 1)[1].split("</p>", 1)[0]
    assert message in error and FIX in error
    assert no_batches()


def test_the_portal_refuses_a_file_over_the_size_limit(clerk_client, settings):
    settings.CSV_UPLOAD_MAX_BYTES = 1024
    html = portal_upload(clerk_client, "invoices.csv", GOOD)
    assert "The file is larger than 1 KB. Split it into several files of at most 20,000 rows." in html
    assert no_batches()


def test_the_default_limit_fits_a_10000_row_file(settings):
    assert len(csv_bytes([good_row(n) for n in range(10_000)])) < settings.CSV_UPLOAD_MAX_BYTES / 4


# --- CSV in the API: JSON 413 for size, 400 for type ---------------------------------------------------------

UPLOAD, SUBMIT = "/api/v1/invoices/upload/csv", "/api/v1/invoices/upload/csv/submit"


@pytest.fixture
def key(tenant):
    with scope(tenant=tenant):
        return {"X-Flowpoint-Key": tenant_services.api_key_create(tenant=tenant, name="ERP")[1]}


def refused(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert (body["reason"], body["code"]) == ("CSV_INVALID", code)
    assert body["fields"] == {"file": body["error"]}
    assert no_batches()
    return body["error"]


@pytest.mark.parametrize("url", [UPLOAD, SUBMIT])
def test_the_api_answers_413_for_a_file_over_the_limit(client, key, settings, url):
    settings.CSV_UPLOAD_MAX_BYTES = 1024
    multipart = client.post(url, {"file": SimpleUploadedFile("invoices.csv", GOOD)}, headers=key)
    assert refused(multipart, 413, "file_too_large").startswith("The file is larger than 1 KB.")
    raw = client.post(url, GOOD, content_type="text/csv", headers=key)
    refused(raw, 413, "file_too_large")


def test_a_body_over_the_request_limit_is_still_a_json_413(client, key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 512  # the CSV itself streams past this limit; its own limit holds
    settings.CSV_UPLOAD_MAX_BYTES = 1024
    refused(
        client.post(UPLOAD, GOOD, content_type="text/csv", headers={**key, "Idempotency-Key": "big"}),
        413,
        "file_too_large",
    )
    fields = {"file": SimpleUploadedFile("invoices.csv", GOOD[:900]), "note": "x" * 2048}
    response = client.post(UPLOAD, fields, headers=key)  # a form field over the limit: Django's own refusal
    assert response.status_code == 413 and response["Content-Type"] == "application/json"
    assert response.json()["error"]


@pytest.mark.parametrize(("name", "content", "message"), NOT_CSV)
def test_the_api_refuses_a_file_that_is_not_csv_text(client, key, name, content, message):
    response = client.post(UPLOAD, {"file": SimpleUploadedFile(name, content)}, headers=key)
    error = refused(response, 400, "not_csv")
    assert message in error and FIX in error


# --- NRS key files: portal and admin API ---------------------------------------------------------------------

OVERSIZED_KEY = b'{"public_key": "' + b"A" * 70_000 + b'"}'


@pytest.mark.parametrize(
    ("content", "message"),
    [(OVERSIZED_KEY, "too large to be an NRS key file (over 64 KB)"), (PNG, "The file is not JSON text.")],
)
def test_a_key_file_too_large_or_binary_is_refused_in_the_portal_and_the_admin_api(admin_client, content, message):
    page = admin_client.post(
        reverse("settings_crypto_keys"), {"key_file": SimpleUploadedFile("crypto_keys.txt", content)}
    )
    assert page.status_code == 200
    error = page.content.decode().split('<p class="error" id="id_key_file_error">', 1)[1].split("</p>", 1)[0]
    assert message in error

    api = admin_client.post("/api/v1/tenant/crypto-keys", {"file": SimpleUploadedFile("crypto_keys.txt", content)})
    assert api.status_code == 400 and message in api.json()["fields"]["file"]
    assert "crypto_keys.txt" in api.json()["error"]  # the fix: the file NRS's portal hands out
    with scopes_disabled():
        assert not CryptoKey.objects.exists()
