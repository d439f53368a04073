"""Every machine code of the spec's tables, produced over HTTP with a real input, with its exact HTTP status.

Invoice routes answer `reason`, master-data POST routes answer `code`, search routes a plain `error`.
The spec's "HTTP status codes" table is covered at the end (401, 403, 400, 404, 409, 429, 503, 502).
"""

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from invoicing.models import Customer, GateRules, Invoice
from tests.api.conftest import (
    assert_error_shape,
    b2c_body,
    invoice_body,
    invoice_count,
    invoice_of,
    key_client,
    new_key,
)
from tests.conftest import set_faults
from tests.factories import TenantFactory

CREATE = "/api/v1/invoices/create"


def create(api, data, **headers):
    return api.post(CREATE, data, format="json", headers=headers)


def held(api, tenant, **rules):
    from invoicing.services import gate_rules

    GateRules.objects.filter(pk=gate_rules(tenant).pk).update(**rules)
    response = create(api, invoice_body())
    assert response.status_code == 201, response.content
    return response.json()


# --- invoice codes (reason) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"customer__tin": None},
        {"customer__email": None},
        {"customer__address": None},
        {"customer__city": None},
        {"customer__postal_code": None},
        {"customer__tin": "1234"},
        {"customer__email": "not-an-email"},
        {"invoice_kind": "B2G", "customer__tin": ""},
        {"customer__name": ""},
    ],
)
def test_customer_validation_failed_on_create(api, ready, changes):
    body = assert_error_shape(create(api, invoice_body(**changes)), 400, reason="CUSTOMER_VALIDATION_FAILED")
    assert body["fields"]
    assert invoice_count(ready) == 0


def test_customer_validation_failed_names_every_missing_buyer_field(api):
    data = invoice_body()
    data["customer"] = {"name": "Acme Ltd"}
    body = assert_error_shape(create(api, data), 400, reason="CUSTOMER_VALIDATION_FAILED")
    assert set(body["fields"]) == {f"customer.{f}" for f in ("tin", "email", "address", "city", "postal_code")}
    assert set(body["fields"].values()) == {"required"}


def test_customer_validation_failed_on_patch_draft(api):
    draft = api.post("/api/v1/invoices/drafts", invoice_body(), format="json")
    assert draft.status_code == 201
    url = f"/api/v1/invoices/drafts/{draft.json()['invoiceId']}"
    response = api.patch(url, {"customer": {"tin": ""}}, format="json")
    body = assert_error_shape(response, 400, reason="CUSTOMER_VALIDATION_FAILED")
    assert "customer.tin" in body["fields"]
    assert api.get(url).json()["customer"]["tin"] == "12345678-0001"  # unchanged


@pytest.mark.parametrize("missing", ["tin", "location"])
def test_supplier_validation_failed_on_create_and_on_submit(key_file, missing):
    from tests.factories import make_ready

    tenant = make_ready(TenantFactory(name="Half Ready Ltd"), key_file)
    api = key_client(tenant)
    draft = api.post("/api/v1/invoices/drafts", invoice_body(), format="json")  # drafts need no supplier
    assert draft.status_code == 201
    if missing == "tin":
        tenant.tin = ""
        tenant.save()
    else:
        from tenants.models import Location

        with scope(tenant=tenant):
            Location.objects.all().delete()
    assert_error_shape(create(api, invoice_body(document_number="X-1")), 400, reason="SUPPLIER_VALIDATION_FAILED")
    submit = api.post(f"/api/v1/invoices/drafts/{draft.json()['invoiceId']}/submit")
    assert_error_shape(submit, 400, reason="SUPPLIER_VALIDATION_FAILED")


def test_document_number_conflict_with_a_certified_invoice_is_409(api, ready):
    first = create(api, invoice_body())
    assert first.status_code == 202
    with scopes_disabled():  # NRS certified it (the sandbox run is in test_contract_examples)
        Invoice.objects.filter(pk=first.json()["invoiceId"]).update(status="CERTIFIED", certified_at=timezone.now())
    body = assert_error_shape(create(api, invoice_body()), 409, reason="DOCUMENT_NUMBER_CONFLICT_INVOICE")
    assert body["fields"] == {"document_number": "already used"}
    assert invoice_count(ready) == 1


@pytest.mark.parametrize("number", ["3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f", "3F2B8C1E4D5A4B6C9E7F0A1B2C3D4E5F", "---"])
def test_invalid_document_number(api, number):
    assert_error_shape(create(api, invoice_body(document_number=number)), 400, reason="invalid_document_number")


def test_unresolved_b2b_missing_tin(api, ready):
    # Customers saved through Flowpoint always have a TIN (POST /customers requires it): this is a buyer record
    # that arrived without one (e.g. imported before TINs were required).
    with scope(tenant=ready):
        customer = Customer.objects.create(
            tenant=ready, name="Legacy Buyer Ltd", email="ap@legacy.ng", address="1 Broad St", city="Lagos"
        )
    data = invoice_body(customer_id=customer.pk)
    data["customer"] = {}
    body = assert_error_shape(create(api, data), 400, reason="unresolved_b2b_missing_tin")
    assert body["fields"] == {"customer.tin": "required"}


def test_unresolved_b2b_customer_address(api):
    saved = api.post(
        "/api/v1/customers",
        {"customerKind": "B2B", "name": "No Address Ltd", "tin": "87654321-0001", "email": "ap@noaddress.ng"},
        format="json",
    )
    assert saved.status_code == 201, saved.content
    data = invoice_body(customer_id=saved.json()["id"])
    data["customer"] = {}
    body = assert_error_shape(create(api, data), 400, reason="unresolved_b2b_customer_address")
    assert set(body["fields"]) == {"customer.address", "customer.city", "customer.postal_code"}


@pytest.mark.parametrize("changes", [{"line__hsn_code": "9999.99"}, {"line__hsn_code": None}])
def test_unresolvable_hsn(api, changes):
    assert_error_shape(create(api, invoice_body(**changes)), 400, reason="unresolvable_hsn")


@pytest.mark.parametrize("price", [0, -5, None])
def test_unresolvable_unit_price(api, price):
    assert_error_shape(create(api, invoice_body(line__unit_price=price)), 400, reason="unresolvable_unit_price")


@pytest.mark.parametrize(
    "changes",
    [
        {"lines": "Consulting services"},
        {"lines": []},
        {"line__quantity": [1]},
        {"line__quantity": "one"},
        {"issue_date": "25/04/2026"},
        {"invoice_kind": "B2X"},
        {"customer": "Acme Ltd"},
        {"currency": "XXX"},
        {"line__tax_scheme": "NOT_A_SCHEME"},
    ],
)
def test_incomplete_unpatchable(api, ready, changes):
    body = assert_error_shape(create(api, invoice_body(**changes)), 400, reason="incomplete_unpatchable")
    assert body["fields"]
    assert invoice_count(ready) == 0


def test_zero_value(api):
    # 0.001 × ₦0.01 rounds to ₦0.00: every field is valid, the total payable is zero.
    data = invoice_body(line__quantity="0.001", line__unit_price="0.01")
    assert_error_shape(create(api, data), 400, reason="ZERO_VALUE")


@pytest.mark.parametrize(
    ("reason", "change"),
    [
        ("NO_BUSINESS_ID", {"nrs_business_id": None}),
        ("NO_SERVICE_ID", {"nrs_service_id": ""}),
    ],
)
def test_missing_nrs_ids(api, ready, reason, change):
    for field, value in change.items():
        setattr(ready, field, value)
    ready.save()
    body = assert_error_shape(create(api, invoice_body()), 400, reason=reason)
    assert body.get("detail")


def test_no_keys(api, ready):
    from tenants.models import CryptoKey

    with scope(tenant=ready):
        CryptoKey.objects.update(is_active=False)
    assert_error_shape(create(api, invoice_body()), 400, reason="NO_KEYS")


@pytest.mark.parametrize(
    ("rules", "reason", "status"),
    [
        ({"review": GateRules.Review.ALL}, "BLOCKED_PENDING_REVIEW", "PENDING_REVIEW"),
        ({"approval_above": 1000}, "BLOCKED_PENDING_APPROVAL", "PENDING_APPROVAL"),
    ],
)
def test_blocked_pending_review_and_approval(api, ready, rules, reason, status):
    # On create: the spec's create-status table, 201 BLOCKED:… with the reason.
    created = held(api, ready, **rules)
    assert created["status"].startswith("BLOCKED:") and created["reason"] == reason
    assert invoice_of(created["invoiceId"]).status == status
    # The machine-code table: while still held, the reason is a 400 ("complete it in the portal, then retry").
    retry = api.post(f"/api/v1/invoices/{created['invoiceId']}/retry")
    assert_error_shape(retry, 400, reason=reason)
    assert invoice_of(created["invoiceId"]).status == status


def test_blocked_checklist_failed(api, ready):
    # Everything POST /create checks is in place, but NRS credentials are not: saved, not submitted.
    ready.nrs_api_key = ready.nrs_api_secret = ""
    ready.save()
    response = create(api, invoice_body())
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"].startswith("BLOCKED:") and created["reason"] == "BLOCKED_CHECKLIST_FAILED"
    assert created["detail"]
    # Retried before the set-up is fixed: the machine-code table's 400, with the failed checks in detail.
    retry = api.post(f"/api/v1/invoices/{created['invoiceId']}/retry")
    body = assert_error_shape(retry, 400, reason="BLOCKED_CHECKLIST_FAILED")
    assert "NRS API key" in body.get("detail", "")
    assert invoice_of(created["invoiceId"]).status == "BLOCKED"


def test_not_signed_and_not_eligible_before_certification(api, ready):
    created = create(api, invoice_body())
    assert created.status_code == 202
    invoice_id = created.json()["invoiceId"]
    assert_error_shape(api.post(f"/api/v1/invoices/{invoice_id}/reconcile"), 400, reason="NOT_SIGNED")
    payment = api.patch(f"/api/v1/invoices/{invoice_id}/payment", {"paymentStatus": "PAID"}, format="json")
    assert_error_shape(payment, 400, reason="NOT_ELIGIBLE")
    assert invoice_of(invoice_id).payment_reported is False


# --- against the NRS sandbox: SUBMISSION_ERROR ---------------------------------------------------------


def test_submission_error_502_on_payment_when_nrs_fails_and_on_a_failed_submission(connected_tenant, settings):
    from invoicing import tasks

    api = key_client(connected_tenant)
    created = create(api, b2c_body())
    assert created.status_code == 202
    invoice_id = created.json()["invoiceId"]
    assert tasks.submit_invoice(invoice_id) == "reported"

    set_faults(error_rate=1.0)
    response = api.patch(f"/api/v1/invoices/{invoice_id}/payment", {"paymentStatus": "PAID"}, format="json")
    body = assert_error_shape(response, 502, reason="SUBMISSION_ERROR")
    assert body["paymentReported"] is False
    assert isinstance(body["nrsError"], str) and body["nrsError"]
    detail = api.get(f"/api/v1/invoices/{invoice_id}").json()
    assert (detail["paymentStatus"], detail["paymentReported"]) == ("UNPAID", False)

    # A submission that NRS keeps failing ends FAILED with SUBMISSION_ERROR; POST /retry queues it again.
    settings.NRS_MAX_ATTEMPTS = 1
    second = create(api, invoice_body())
    assert second.status_code == 202
    assert tasks.submit_invoice(second.json()["invoiceId"]) == "failed"
    poll = api.get(f"/api/v1/invoices/{second.json()['irn']}/status").json()
    assert (poll["status"], poll["reason"]) == ("FAILED", "SUBMISSION_ERROR")
    set_faults()
    retried = api.post(f"/api/v1/invoices/{second.json()['invoiceId']}/retry")
    assert retried.status_code == 202 and retried.json()["status"] == "PENDING"


# --- master-data codes (code) -------------------------------------------------------------------------

CUSTOMER = {
    "customerKind": "B2B",
    "name": "Acme Ltd",
    "tin": "12345678-0001",
    "email": "ap@acme.ng",
    "phone": "+2348012345678",
    "address": "42 Marina Road",
    "city": "Lagos",
    "postalCode": "101001",
    "state": "NG-LA",
    "lga": "NG-LA-IKJ",
}
ITEM = {"name": "Consulting services", "unitPriceKobo": 5000000, "hsCode": "8517.11", "taxScheme": "STANDARD_VAT"}


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"name": ""}, "missing_field", "name"),
        ({"customerKind": None}, "missing_field", "customerKind"),
        ({"tin": None}, "missing_field", "tin"),
        ({"tin": "1234"}, "invalid_tin", "tin"),
        ({"tin": "12$45678"}, "invalid_tin", "tin"),
        ({"email": None}, "invalid_email", "email"),
        ({"email": "ap@"}, "invalid_email", "email"),
        ({"phone": "08012345678"}, "invalid_phone", "phone"),
        ({"state": "NG-XX", "lga": None}, "invalid_state", "state"),
        ({"lga": "NG-XX-NOPE"}, "invalid_lga", "lga"),
        ({"state": None}, "invalid_lga", "lga"),
        ({"lga": "NG-KN-AJI"}, "invalid_lga", "lga"),  # an LGA of Kano, with state NG-LA
        ({"customerKind": "B2C"}, "invalid_kind", "customerKind"),
    ],
)
def test_customer_codes(api, ready, changes, code, field):
    data = {k: v for k, v in {**CUSTOMER, **changes}.items() if v is not None}
    body = assert_error_shape(api.post("/api/v1/customers", data, format="json"), 400, code=code)
    assert field in body["fields"]
    with scope(tenant=ready):
        assert not Customer.objects.exists()


def test_tin_exists(api):
    assert api.post("/api/v1/customers", CUSTOMER, format="json").status_code == 201
    again = api.post("/api/v1/customers", {**CUSTOMER, "name": "Acme Again", "tin": "12345678-0001 "}, format="json")
    assert_error_shape(again, 409, code="tin_exists")


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"name": ""}, "missing_field", "name"),
        ({"hsCode": None}, "missing_field", "hsCode"),
        ({"unitPriceKobo": None}, "invalid_price", "unitPriceKobo"),
        ({"unitPriceKobo": 0}, "invalid_price", "unitPriceKobo"),
        ({"unitPriceKobo": -100}, "invalid_price", "unitPriceKobo"),
        ({"unitPriceKobo": 50000.5}, "invalid_price", "unitPriceKobo"),
        ({"costKobo": -1}, "invalid_cost", "costKobo"),
        ({"taxScheme": "NOT_A_SCHEME"}, "invalid_tax_scheme", "taxScheme"),
    ],
)
def test_item_codes(api, changes, code, field):
    data = {k: v for k, v in {**ITEM, **changes}.items() if v is not None}
    body = assert_error_shape(api.post("/api/v1/items", data, format="json"), 400, code=code)
    assert field in body["fields"]
    assert api.get("/api/v1/items").json()["total"] == 0


def test_item_exists(api):
    assert api.post("/api/v1/items", ITEM, format="json").status_code == 201
    again = api.post("/api/v1/items", {**ITEM, "name": "consulting SERVICES"}, format="json")
    assert_error_shape(again, 409, code="item_exists")


@pytest.mark.parametrize("path", ["/api/v1/customers", "/api/v1/items"])
def test_master_data_valid_creates_answer_201(api, path):
    response = api.post(path, CUSTOMER if "customers" in path else ITEM, format="json")
    assert response.status_code == 201 and response.json()["id"]


# --- search: plain error ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/customers/search", "/api/v1/items/search"])
@pytest.mark.parametrize("query", [{}, {"q": ""}, {"q": "a"}, {"q": " a "}, {"q": "x" * 101}])
def test_search_q_out_of_range_is_a_plain_400(api, path, query):
    response = api.get(path, query)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error"} and body["error"]


@pytest.mark.parametrize("path", ["/api/v1/customers/search", "/api/v1/items/search"])
def test_search_q_in_range_answers(api, path):
    api.post("/api/v1/customers", CUSTOMER, format="json")
    api.post("/api/v1/items", ITEM, format="json")
    for q in ("Ac" if "customers" in path else "Co", "C" * 100):
        assert api.get(path, {"q": q}).status_code == 200
    found = api.get(path, {"q": "Acme" if "customers" in path else "Consult"}).json()
    assert found["total"] == 1 and len(found["items"]) == 1


# --- the HTTP status table ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "fp_test_not-a-real-key", "revoked", "expired"])
def test_401_missing_or_invalid_key(ready, anon, key):
    if key in ("revoked", "expired"):
        key = new_key(ready, **{key: True})
    headers = {} if key is None else {"X-Flowpoint-Key": key}
    response = anon.post(CREATE, invoice_body(), format="json", headers=headers)
    assert_error_shape(response, 401)
    assert invoice_count() == 0


def test_403_api_key_on_admin_route(api):
    for path in ("/api/v1/tenant/profile", "/api/v1/tenant/api-keys", "/api/v1/tenant/readiness"):
        assert_error_shape(api.get(path), 403)


def test_404_unknown_invoice_draft_and_irn(api, ready):
    import uuid

    assert_error_shape(api.get(f"/api/v1/invoices/{uuid.uuid4()}"), 404)
    assert_error_shape(api.get(f"/api/v1/invoices/drafts/{uuid.uuid4()}"), 404)
    assert_error_shape(api.get(f"/api/v1/invoices/NOPE1-{ready.nrs_service_id}-20260425/status"), 404)


def test_409_draft_not_editable(api):
    draft = api.post("/api/v1/invoices/drafts", invoice_body(), format="json").json()
    assert api.post(f"/api/v1/invoices/drafts/{draft['invoiceId']}/submit").status_code == 202
    response = api.patch(f"/api/v1/invoices/drafts/{draft['invoiceId']}", {"note": "late"}, format="json")
    assert_error_shape(response, 409)


def test_429_rate_limited(api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": 2}
    assert api.get("/api/v1/invoices").status_code == 200
    assert api.get("/api/v1/invoices").status_code == 200
    response = api.get("/api/v1/invoices")
    assert_error_shape(response, 429)
    assert response["Retry-After"] and response["RateLimit"] and response["RateLimit-Policy"]


def test_503_health_degraded_when_the_queue_table_is_gone(client):
    """Honestly degraded: the queue's table really is missing (dropped inside the test's transaction)."""
    assert client.get("/health").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE django_q_ormq")
    response = client.get("/health")
    assert response.status_code == 503 and response.json() == {"status": "degraded"}
    assert response["X-Request-Id"]
