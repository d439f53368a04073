"""The spec's request examples, posted verbatim over HTTP, get the documented outcomes; then the invoice
goes through the embedded NRS sandbox and every read/write route of its lifecycle answers as documented.

Spec decisions applied here:
- "You never send business_id or accounting_supplier_party … Do not include them in your POST body" and yet the
  spec's full examples carry them: an integrator copying an example must not be refused for them, and they must
  never reach the invoice (the supplier is "always your organisation … not from the JSON body").
- The published B2B example's buyer e-mail reads "[email protected]" (how the page was copied). The spec
  requires "Valid email on the buyer party", so the verbatim example is refused on that one field alone, with
  CUSTOMER_VALIDATION_FAILED; with a real address the same example is accepted.
"""

import json

import pytest
from django.conf import settings as django_settings
from django_scopes import scopes_disabled

from invoicing.models import GateRules, Invoice
from tests.api.conftest import (
    REAL_EMAIL,
    SPEC_B2B_JSON,
    SPEC_B2C_JSON,
    SPEC_EMAIL,
    assert_error_shape,
    b2c_body,
    invoice_body,
    invoice_count,
    invoice_of,
    key_client,
    post_raw,
    spec_b2b_with_real_email,
)

CREATE = "/api/v1/invoices/create"
AUTOFILLED = "autofilled from your account"


def _expected_irn(tenant, document_number="INV-2026-001", day="20260425"):
    return f"{''.join(ch for ch in document_number if ch.isalnum())}-{tenant.nrs_service_id}-{day}"


def _assert_pending(response, tenant, document_number):
    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) == {"status", "invoiceId", "irn"}
    assert body["status"] == "PENDING"
    assert body["irn"] == _expected_irn(tenant, document_number)
    return body


def _assert_supplier_is_the_tenant(detail, tenant):
    supplier = detail["supplier"]
    assert AUTOFILLED not in json.dumps(supplier)
    assert supplier["name"] == tenant.name
    assert supplier["tin"] == tenant.tin
    assert supplier["email"] == tenant.effective_email()
    assert (supplier["address"], supplier["city"], supplier["postalCode"]) == ("12 Allen Avenue", "Ikeja", "100001")
    assert (supplier["state"], supplier["lga"], supplier["country"]) == ("NG-LA", "NG-LA-IKJ", "NG")


# --- the examples as published ---------------------------------------------------------------------


def test_the_b2b_example_verbatim_is_refused_only_for_its_rendered_email(api, ready):
    assert SPEC_EMAIL == "[email protected]"
    response = post_raw(api, CREATE, SPEC_B2B_JSON)
    body = assert_error_shape(response, 400, reason="CUSTOMER_VALIDATION_FAILED")
    # Nothing else in the example is at fault: not the autofilled keys, not any other buyer field.
    assert set(body["fields"]) == {"customer.email"}
    assert invoice_count(ready) == 0


def test_the_b2b_example_with_a_real_email_is_accepted_and_its_autofilled_keys_are_ignored(api, ready):
    text = SPEC_B2B_JSON.replace(SPEC_EMAIL, REAL_EMAIL)
    assert json.loads(text) == spec_b2b_with_real_email()  # the one change
    body = _assert_pending(post_raw(api, CREATE, text), ready, "INV-2026-001")

    detail = api.get(f"/api/v1/invoices/{body['invoiceId']}").json()
    assert detail["status"] == "PENDING" and detail["invoiceKind"] == "B2B" and detail["invoiceType"] == "invoice"
    assert (detail["documentNumber"], detail["issueDate"], detail["dueDate"]) == (
        "INV-2026-001",
        "2026-04-25",
        "2026-05-25",
    )
    assert (detail["currency"], detail["note"], detail["poReference"]) == (
        "NGN",
        "Thank you for your business",
        "PO-7781",
    )
    assert detail["customer"] == {
        "name": "Acme Ltd",
        "tin": "12345678-0001",
        "email": REAL_EMAIL,
        "phone": "+2348012345678",
        "address": "42 Marina Road",
        "city": "Lagos",
        "postalCode": "101001",
        "state": "",
        "lga": "",
        "country": "NG",
    }
    _assert_supplier_is_the_tenant(detail, ready)
    [line] = detail["lines"]
    assert (line["description"], line["quantity"], line["unitPrice"], line["hsnCode"]) == (
        "Consulting services",
        "1",
        "50000.00",
        "8517.11",
    )
    assert (line["taxScheme"], line["taxRate"], line["unitOfMeasure"]) == ("STANDARD_VAT", "7.5", "Each")
    assert detail["totals"]["payableAmount"] == "53750.00" and detail["totals"]["taxAmount"] == "3750.00"
    with scopes_disabled():
        stored = Invoice.objects.get(pk=body["invoiceId"])
    assert AUTOFILLED not in json.dumps(stored.supplier)


def test_the_b2c_example_verbatim_is_accepted(api, ready):
    body = _assert_pending(post_raw(api, CREATE, SPEC_B2C_JSON), ready, "INV-2026-042")
    detail = api.get(f"/api/v1/invoices/{body['invoiceId']}").json()
    assert detail["invoiceKind"] == "B2C" and detail["customer"]["name"] == "Walk-in Customer"
    assert detail["customer"]["tin"] == "" and detail["customer"]["email"] == ""
    _assert_supplier_is_the_tenant(detail, ready)


def test_the_b2g_variant_of_the_example_is_accepted(api, ready):
    data = spec_b2b_with_real_email()
    data.update(invoice_kind="B2G", document_number="INV-2026-G01")
    body = _assert_pending(api.post(CREATE, data, format="json"), ready, "INV-2026-G01")
    assert api.get(f"/api/v1/invoices/{body['invoiceId']}").json()["invoiceKind"] == "B2G"


def test_the_examples_without_the_autofilled_keys_are_accepted_too(api, ready):
    _assert_pending(api.post(CREATE, invoice_body(), format="json"), ready, "INV-2026-001")
    _assert_pending(api.post(CREATE, b2c_body(), format="json"), ready, "INV-2026-042")


def test_an_incomplete_supplier_profile_refuses_the_example(key_file):
    """ "Supplier profile must be complete before the request succeeds."""
    from tests.factories import TenantFactory

    tenant = TenantFactory(name="New Business Ltd")  # no TIN, no location, nothing from NRS yet
    response = key_client(tenant).post(CREATE, spec_b2b_with_real_email(), format="json")
    assert_error_shape(response, 400, reason="SUPPLIER_VALIDATION_FAILED")


# --- held by review / approval rules: 201 BLOCKED:… --------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "reason"),
    [
        ({"review": GateRules.Review.ALL}, "BLOCKED_PENDING_REVIEW"),
        ({"approval_above": 1000}, "BLOCKED_PENDING_APPROVAL"),
    ],
)
def test_with_review_or_approval_rules_the_example_is_saved_and_held_with_201(api, ready, rules, reason):
    from invoicing.services import gate_rules

    GateRules.objects.filter(pk=gate_rules(ready).pk).update(**rules)
    response = post_raw(api, CREATE, SPEC_B2B_JSON.replace(SPEC_EMAIL, REAL_EMAIL))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"].startswith("BLOCKED:") and body["status"].removeprefix("BLOCKED:") in reason
    assert body["reason"] == reason
    assert body["invoiceId"] and invoice_of(body["invoiceId"]).status in ("PENDING_REVIEW", "PENDING_APPROVAL")
    # Held, so neither certified nor queued: the certified list does not show it.
    assert api.get("/api/v1/invoices").json()["total"] == 0
    summary = api.get(f"/api/v1/invoices/{body['invoiceId']}").json()
    assert summary["reason"] == reason


# --- through the sandbox to certified: the lifecycle routes ------------------------------------------


@pytest.fixture
def lifecycle(connected_tenant, queue_inline):
    """The spec's B2B and B2C examples created over HTTP and certified by the embedded NRS sandbox."""
    api = key_client(connected_tenant)
    b2b = _assert_pending(
        post_raw(api, CREATE, SPEC_B2B_JSON.replace(SPEC_EMAIL, REAL_EMAIL)), connected_tenant, "INV-2026-001"
    )
    b2c = _assert_pending(post_raw(api, CREATE, SPEC_B2C_JSON), connected_tenant, "INV-2026-042")
    return api, connected_tenant, b2b, b2c


def test_the_examples_are_certified_and_every_lifecycle_route_answers_as_documented(lifecycle, anon):
    api, tenant, b2b, b2c = lifecycle
    assert invoice_of(b2b["invoiceId"]).status == "CERTIFIED"
    assert invoice_of(b2c["invoiceId"]).status == "REPORTED"  # "B2C invoices typically reach reported"

    # Not certified: a draft and an invoice held for review never appear on GET /invoices.
    draft = api.post("/api/v1/invoices/drafts", invoice_body(document_number="DRAFT-1"), format="json")
    assert draft.status_code == 201
    from invoicing.services import gate_rules

    GateRules.objects.filter(pk=gate_rules(tenant).pk).update(review=GateRules.Review.ALL)
    held = api.post("/api/v1/invoices/create", invoice_body(document_number="HELD-1"), format="json")
    assert held.status_code == 201 and held.json()["status"].startswith("BLOCKED:")

    # It really went over HTTP to the embedded sandbox: NRS signed both IRNs.
    from integrations.nrs.sandbox.models import SandboxRequest

    assert django_settings.NRS_SANDBOX_URL.endswith("/sandbox/nrs")
    for irn in (b2b["irn"], b2c["irn"]):
        assert SandboxRequest.objects.filter(path__endswith="/invoice/sign", request_body__contains=irn).count() == 1

    # GET /invoices: certified only, the spec's list shape.
    listing = api.get("/api/v1/invoices")
    assert listing.status_code == 200
    page = listing.json()
    assert set(page) == {"items", "total", "limit", "offset"}
    assert (page["total"], page["limit"], page["offset"]) == (2, 50, 0)
    assert {i["invoiceId"] for i in page["items"]} == {b2b["invoiceId"], b2c["invoiceId"]}
    assert {i["status"] for i in page["items"]} == {"CERTIFIED", "REPORTED"}

    # GET /invoices/{id}
    detail = api.get(f"/api/v1/invoices/{b2b['invoiceId']}")
    assert detail.status_code == 200
    detail = detail.json()
    assert (detail["status"], detail["irn"]) == ("CERTIFIED", b2b["irn"])
    assert detail["nrs"]["signedAt"] and detail["nrs"]["transmittedAt"] and detail["nrs"]["certifiedAt"]
    assert detail["qrPayload"] and detail["links"]["pdf"] == f"/api/v1/invoices/{b2b['invoiceId']}/pdf"
    _assert_supplier_is_the_tenant(detail, tenant)

    # GET /invoices/{irn}/status
    for created, status in ((b2b, "CERTIFIED"), (b2c, "REPORTED")):
        poll = api.get(f"/api/v1/invoices/{created['irn']}/status")
        assert poll.status_code == 200
        assert (poll.json()["status"], poll.json()["invoiceId"]) == (status, created["invoiceId"])

    # GET /invoices/{id}/pdf
    pdf = api.get(f"/api/v1/invoices/{b2b['invoiceId']}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")

    # PATCH /invoices/{id}/payment on the reported B2C invoice: PARTIAL, PAID, UNPAID.
    url = f"/api/v1/invoices/{b2c['invoiceId']}/payment"
    partial = api.patch(url, {"paymentStatus": "PARTIAL", "amountPaid": 20000, "reference": "TRX-1"}, format="json")
    assert partial.status_code == 200, partial.content
    assert partial.json() == {
        "paymentStatus": "PARTIAL",
        "nrsPaymentStatus": "PARTIAL",
        "amountPaid": "20000.00",
        "paymentReported": True,
    }
    after = api.get(f"/api/v1/invoices/{b2c['invoiceId']}").json()
    assert after["paymentStatus"] == "PARTIAL" and after["paymentReported"] is True
    assert after["totals"]["amountDue"] == "33750.00"
    paid = api.patch(url, {"paymentStatus": "PAID"}, format="json")
    assert paid.status_code == 200
    assert paid.json() == {
        "paymentStatus": "PAID",
        "nrsPaymentStatus": "PAID",
        "amountPaid": "53750.00",
        "paymentReported": True,
    }
    unpaid = api.patch(url, {"paymentStatus": "UNPAID"}, format="json")
    assert unpaid.status_code == 200
    assert unpaid.json() == {
        "paymentStatus": "UNPAID",
        "nrsPaymentStatus": "PENDING",
        "amountPaid": "0.00",
        "paymentReported": True,
    }
    from integrations.nrs.sandbox.models import SandboxInvoice

    assert SandboxInvoice.objects.get(irn=b2c["irn"]).payment_status == "PENDING"
    filtered = api.get("/api/v1/invoices", {"payment_status": "UNPAID", "invoice_kind": "B2C"}).json()
    assert [i["invoiceId"] for i in filtered["items"]] == [b2c["invoiceId"]]

    # POST /invoices/{id}/reconcile
    reconciled = api.post(f"/api/v1/invoices/{b2b['invoiceId']}/reconcile")
    assert reconciled.status_code == 200, reconciled.content
    assert (reconciled.json()["status"], reconciled.json()["irn"]) == ("CERTIFIED", b2b["irn"])

    # The example's document number is now taken by a certified invoice.
    again = post_raw(api, CREATE, SPEC_B2B_JSON.replace(SPEC_EMAIL, REAL_EMAIL))
    assert_error_shape(again, 409, reason="DOCUMENT_NUMBER_CONFLICT_INVOICE")

    # GET /invoices/verify/{irn}: public, no key.
    verified = anon.get(f"/api/v1/invoices/verify/{b2b['irn']}")
    assert verified.status_code == 200, verified.content
    body = verified.json()
    assert body["valid"] is True and body["irn"] == b2b["irn"] and body["documentNumber"] == "INV-2026-001"
    assert body["supplier"] == {"name": tenant.name, "tin": tenant.tin} and body["payableAmount"] == "53750.00"
    assert anon.get(f"/api/v1/invoices/verify/{b2c['irn']}").json()["valid"] is True
    malformed = anon.get("/api/v1/invoices/verify/not-an-irn")
    assert (malformed.status_code, malformed.json()) == (
        400,
        {"error": "Malformed IRN.", "valid": False, "reason": "malformed IRN"},
    )
    unknown = anon.get(f"/api/v1/invoices/verify/NOPE2026001-{tenant.nrs_service_id}-20260425")
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"error": "IRN not found.", "valid": False, "reason": "IRN not found"},
    )
    # A held (never certified) invoice's IRN is not verifiable either.
    held_irn = invoice_of(held.json()["invoiceId"]).irn
    assert anon.get(f"/api/v1/invoices/verify/{held_irn}").status_code == 404
