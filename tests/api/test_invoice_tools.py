"""Integrator tools beside create: validate without issuing, the QR code of a certified invoice, NRS's own copy."""

import base64
import html
import io
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import zxingcpp
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from PIL import Image

from integrations.nrs import hosts
from integrations.nrs.models import NrsHost
from integrations.nrs.sandbox.models import SandboxBusiness, SandboxRequest
from integrations.nrs.sandbox.services import qr_decrypt, stored_document_change
from invoicing import tasks
from invoicing.models import Invoice, InvoiceEvent
from invoicing.nrs_copy import nrs_copies_check
from invoicing.services import Actor, invoice_create
from tenants.models import Notification
from tests.api.conftest import invoice_body, key_client, new_key
from tests.conftest import member
from tests.factories import TenantFactory, make_ready

VALIDATE = "/api/v1/invoices/validate"


def several_faults() -> dict:
    """Four independent mistakes: no buyer TIN, a due date before the issue date, a free line, an unknown HS code."""
    data = invoice_body(customer__tin=None, due_date="2026-04-01", line__unit_price=0)
    data["issue_date"] = "2026-04-25"
    data["lines"].append({**data["lines"][0], "unit_price": 1000, "hsn_code": "9999.99"})
    return data


@pytest.fixture
def ready(key_file):
    return make_ready(TenantFactory(name="Kola Foods Ltd"), key_file)


def saved(tenant) -> tuple[int, int]:
    with scope(tenant=tenant):
        return Invoice.objects.count(), InvoiceEvent.objects.count()


# --- validate -----------------------------------------------------------------------------------------------


def test_validate_answers_every_problem_of_a_body_at_once_and_saves_nothing(ready):
    api = key_client(ready)
    answer = api.post(VALIDATE, several_faults(), format="json")
    assert answer.status_code == 400
    body = answer.json()
    assert body["valid"] is False, body
    assert body["error"] == "4 problems: fix each and check again."
    by_field = {problem["field"]: problem for problem in body["errors"]}
    assert set(by_field) == {"due_date", "customer.tin", "lines[0].unit_price", "lines[1].hsn_code"}
    assert by_field["customer.tin"]["code"] == "CUSTOMER_VALIDATION_FAILED"
    assert by_field["lines[0].unit_price"] == {
        "field": "lines[0].unit_price",
        "code": "unresolvable_unit_price",
        "message": "must be greater than 0",
        "fix": "Line 1 needs a positive unit price.",
    }
    assert by_field["lines[1].hsn_code"]["fix"] == "Line 2: 9999.99 is not a known HS code."
    assert body["reason"] == body["errors"][0]["code"]
    assert body["fields"]["due_date"] == "must be on or after the issue date"
    assert saved(ready) == (0, 0)


def test_validate_names_a_broken_allowance_with_the_rest_of_the_body_checked(ready):
    """A document allowance that could not be read (no amount, an amount that is not a number) is one of the
    problems listed, beside the others; the rules after it still run (and do not trip over it: no 500)."""
    data = invoice_body(customer__tin=None)
    data["allowance_charges"] = [
        {"charge_indicator": False, "reason": "Loyalty discount"},
        {"charge_indicator": True, "amount": "lots", "reason": "Delivery"},
    ]
    answer = key_client(ready).post(VALIDATE, data, format="json")
    assert answer.status_code == 400, answer.content
    fields = {problem["field"] for problem in answer.json()["errors"]}
    assert {"allowance_charges[0].amount", "allowance_charges[1].amount", "customer.tin"} <= fields
    assert saved(ready) == (0, 0)


def test_create_still_answers_the_first_refusal_only(ready):
    answer = key_client(ready).post("/api/v1/invoices/create", several_faults(), format="json")
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "The due date is before the issue date.",
        "reason": "incomplete_unpatchable",
        "fields": {"due_date": "must be on or after the issue date"},
    }


def test_shape_errors_and_rules_come_together(ready):
    data = invoice_body(customer__email="not-an-address", line__quantity="lots")
    data.pop("currency")
    body = key_client(ready).post(VALIDATE, data, format="json").json()
    assert {p["field"]: p["message"] for p in body["errors"]} == {
        "currency": "required",
        "lines[0].quantity": "must be a number",
        "customer.email": "must be a valid e-mail address",
    }
    # Each on screen in words: parsing's generic sentence is replaced by the field's own.
    assert {p["field"]: p["fix"] for p in body["errors"]}["lines[0].quantity"] == "Must be a number."


def test_a_valid_body_answers_its_irn_and_total_and_leaves_the_number_usable(ready):
    api = key_client(ready)
    answer = api.post(VALIDATE, invoice_body(), format="json")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["valid"] is True and body["errors"] == [] and body["nrs"] is None
    assert body["payable"] == "53750.00"  # 50,000.00 + 7.5% VAT
    assert body["irn"].startswith(invoice_body()["document_number"].replace("-", ""))
    assert all(item["ok"] for item in body["readiness"])
    assert saved(ready) == (0, 0)
    again = api.post(VALIDATE, invoice_body(), format="json")  # no number was used up by the check
    assert again.status_code == 200
    created = api.post("/api/v1/invoices/create", invoice_body(), format="json")
    assert created.status_code == 202
    assert created.json()["irn"] == body["irn"]


def test_a_read_only_key_may_check_a_body_but_not_create_it(ready):
    api = key_client(ready, plaintext=new_key(ready, read_only=True))
    assert api.post(VALIDATE, invoice_body(), format="json").json()["valid"] is True
    assert api.post(VALIDATE, several_faults(), format="json").status_code == 400
    refused = api.post("/api/v1/invoices/create", invoice_body(), format="json")
    assert refused.status_code == 403 and "read-only" in refused.json()["error"]
    assert saved(ready) == (0, 0)


def test_validate_names_an_incomplete_business_set_up(tenant):
    body = key_client(tenant).post(VALIDATE, invoice_body(), format="json").json()
    assert body["valid"] is False
    whole = [p for p in body["errors"] if p["field"] is None]
    assert whole and whole[0]["code"] == "SUPPLIER_VALIDATION_FAILED"
    assert any(not item["ok"] for item in body["readiness"])


def test_a_number_already_certified_is_named_too(ready):
    api = key_client(ready)
    assert api.post("/api/v1/invoices/create", invoice_body(), format="json").status_code == 202
    body = api.post(VALIDATE, invoice_body(line__unit_price=0), format="json").json()
    assert {p["field"] for p in body["errors"]} == {"document_number", "lines[0].unit_price"}


def test_the_nrs_flag_is_a_boolean(ready):
    answer = key_client(ready).post(VALIDATE + "?nrs=maybe", invoice_body(), format="json")
    assert answer.status_code == 400
    assert answer.json()["fields"] == {"nrs": "must be one of true, false"}


# --- with the sandbox ---------------------------------------------------------------------------------------


def requests_to(suffix: str) -> int:
    return SandboxRequest.objects.filter(path__endswith=suffix).count()


def test_validate_with_nrs_asks_nrs_validate_and_never_sign(connected_tenant):
    answer = key_client(connected_tenant).post(VALIDATE + "?nrs=true", invoice_body(), format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["nrs"] == {"checked": True, "valid": True}
    assert requests_to("/invoice/validate") == 1
    assert requests_to("/invoice/sign") == 0
    assert saved(connected_tenant) == (0, 0)


def test_validate_with_nrs_reports_nrs_own_refusal_in_its_words(connected_tenant):
    connected_tenant.nrs_business_id = uuid.uuid4()  # an id NRS does not know for these credentials
    connected_tenant.save()
    answer = key_client(connected_tenant).post(VALIDATE + "?nrs=true", invoice_body(), format="json")
    assert answer.status_code == 400
    body = answer.json()
    assert body["valid"] is False and body["errors"] == [] and body["reason"] == "NRS_REJECTED"
    assert body["nrs"]["checked"] is True and body["nrs"]["valid"] is False
    assert body["nrs"]["message"] == "invoicerequest.invoice.businessid does not match the business of the api key"
    assert body["error"].startswith("NRS refused the invoice: ")
    assert requests_to("/invoice/sign") == 0


def test_validate_with_nrs_while_the_circuit_is_open_is_a_503_with_retry_after(connected_tenant, settings):
    host = hosts.host_row(settings.NRS_SANDBOX_URL)
    NrsHost.objects.filter(pk=host.pk).update(
        circuit=NrsHost.Circuit.OPEN, next_probe_at=timezone.now() + timedelta(seconds=20)
    )
    answer = key_client(connected_tenant).post(VALIDATE + "?nrs=true", invoice_body(), format="json")
    assert answer.status_code == 503
    assert answer.json()["reason"] == "NRS_UNAVAILABLE"
    assert 1 <= int(answer["Retry-After"]) <= 21
    assert requests_to("/invoice/validate") == 0


def certified(tenant) -> Invoice:
    invoice = invoice_create(tenant=tenant, data=invoice_body(), actor=Actor())
    assert tasks.submit_invoice(str(invoice.pk)) == "certified"
    with scopes_disabled():
        return Invoice.objects.get(pk=invoice.pk)


def test_the_qr_payload_decrypts_with_the_sandbox_key_to_the_irn_and_the_png_holds_it(connected_tenant):
    invoice = certified(connected_tenant)
    api = key_client(connected_tenant)
    body = api.get(f"/api/v1/invoices/{invoice.pk}/qr").json()
    business = SandboxBusiness.objects.get(business_id=connected_tenant.nrs_business_id)
    plain = qr_decrypt(business, body["qrPayload"])
    irn, _dot, stamp = plain["irn"].rpartition(".")
    assert irn == invoice.irn and stamp.isdigit()
    assert plain["certificate"] == business.certificate
    assert body["qrCodeDataUrl"].startswith("data:image/png;base64,")

    png = api.get(f"/api/v1/invoices/{invoice.pk}/qr", HTTP_ACCEPT="image/png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)), formats=zxingcpp.BarcodeFormat.QRCode)
    assert found.text == body["qrPayload"]
    data_url_png = base64.b64decode(body["qrCodeDataUrl"].split(",", 1)[1])
    (again,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(data_url_png)), formats=zxingcpp.BarcodeFormat.QRCode)
    assert again.text == body["qrPayload"]

    svg = api.get(f"/api/v1/invoices/{invoice.pk}/qr?format=svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content
    by_irn = api.get(f"/api/v1/invoices/by-irn/{invoice.irn}/qr").json()
    assert by_irn["qrPayload"] == body["qrPayload"]


def test_qr_and_nrs_copy_of_an_invoice_not_certified_are_refused(ready):
    invoice = invoice_create(tenant=ready, data=invoice_body(), actor=Actor())
    api = key_client(ready)
    qr = api.get(f"/api/v1/invoices/{invoice.pk}/qr")
    assert qr.status_code == 404 and qr.json()["reason"] == "NOT_SIGNED"
    assert api.get(f"/api/v1/invoices/by-irn/{invoice.irn}/qr").status_code == 404
    copy = api.get(f"/api/v1/invoices/{invoice.pk}/nrs")
    assert copy.status_code == 400 and copy.json()["reason"] == "NOT_SIGNED"


def test_another_business_gets_404_for_qr_and_nrs_copy(connected_tenant, key_file):
    invoice = certified(connected_tenant)
    other = key_client(make_ready(TenantFactory(name="Other Ltd"), key_file))
    assert other.get(f"/api/v1/invoices/{invoice.pk}/qr").status_code == 404
    assert other.get(f"/api/v1/invoices/by-irn/{invoice.irn}/qr").status_code == 404
    assert other.get(f"/api/v1/invoices/{invoice.pk}/nrs").status_code == 404
    assert requests_to(f"/invoice/confirm/{invoice.irn}") == 0


def test_the_nrs_copy_shows_a_difference_the_sandbox_was_made_to_hold(connected_tenant, client):
    invoice = certified(connected_tenant)
    api = key_client(connected_tenant)
    same = api.get(f"/api/v1/invoices/{invoice.pk}/nrs").json()
    assert same["found"] is True and same["matches"] is True and same["differences"] == []
    assert same["nrs"]["signed"] is True and same["nrs"]["transmitted"] is True
    assert same["nrs"]["paymentStatus"] == "PENDING"

    stored_document_change(invoice.irn, ("legal_monetary_total", "payable_amount"), 537500)
    body = api.get(f"/api/v1/invoices/{invoice.pk}/nrs").json()
    assert body["matches"] is False
    assert body["differences"] == [{"field": "payable", "label": "Total", "nrs": "537500.00", "flowpoint": "53750.00"}]
    assert body["flowpoint"]["payable"] == "53750.00"
    assert Decimal(str(body["nrs"]["document"]["legal_monetary_total"]["payable_amount"])) == Decimal("537500")

    admin = member(connected_tenant, "admin", email="owner@kola.example.ng")
    client.force_login(admin)
    page = html.unescape(client.get(f"/invoices/{invoice.pk}/").content.decode())
    assert "NRS's copy differs: Total ₦537,500.00 at NRS, ₦53,750.00 here." in page


def test_nrs_copy_when_nrs_has_no_record(connected_tenant):
    invoice = certified(connected_tenant)
    from integrations.nrs.sandbox.models import SandboxInvoice

    SandboxInvoice.objects.filter(irn=invoice.irn).delete()
    body = key_client(connected_tenant).get(f"/api/v1/invoices/{invoice.pk}/nrs").json()
    assert body["found"] is False and body["matches"] is False and body["nrs"] is None
    assert body["differences"][0]["field"] == "missing"


def test_the_schedule_checks_a_sample_and_tells_the_admins_of_a_difference(connected_tenant):
    admin = member(connected_tenant, "admin", email="owner@kola.example.ng")
    invoice = certified(connected_tenant)
    stored_document_change(invoice.irn, ("accounting_customer_party", "party_name"), "Someone Else Ltd")
    report = nrs_copies_check()
    assert report == {"checked": 1, "differing": 1, "stopped": False}
    with scopes_disabled():
        invoice.refresh_from_db()
        notes = list(Notification.objects.filter(user=admin, kind="nrs_copy_differs"))
    assert invoice.nrs_differences[0]["field"] == "buyer_name"
    assert len(notes) == 1 and "Buyer's name Someone Else Ltd at NRS" in notes[0].body
    # Checked within the last day: the next run leaves it alone.
    assert nrs_copies_check()["checked"] == 0


def test_the_admins_queue_lists_invoices_whose_nrs_copy_differs(connected_tenant, client):
    invoice = certified(connected_tenant)
    stored_document_change(invoice.irn, ("legal_monetary_total", "payable_amount"), 537500)
    nrs_copies_check()
    client.force_login(member(connected_tenant, "admin", email="owner@kola.example.ng"))
    page = html.unescape(client.get("/invoices/queue/").content.decode())
    assert "NRS's copy differs" in page
    assert "Total ₦537,500.00 at NRS, ₦53,750.00 here" in page
    client.force_login(member(connected_tenant, "reviewer", email="rev@kola.example.ng"))
    assert "NRS's copy differs" not in html.unescape(client.get("/invoices/queue/").content.decode())
