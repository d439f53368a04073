"""What outside clients found (issue 16): each answer is now the one the schema promises, never a 500 or a silent
change of the request. Errors keep the API's shape and name the field and the fix."""

import pytest

from tests.api.conftest import assert_error_shape, b2c_body, invoice_body, key_client

BEYOND_INT64 = 2**63  # one more than the largest id the database holds


@pytest.mark.parametrize(
    "query, field",
    [
        ("from=2026-02-30", "from"),
        ("to=2026-13-01", "to"),
        ("to=", "to"),
        ("from=25/04/2026", "from"),
        ("offset=", "offset"),
        ("limit=", "limit"),
        ("offset=²", "offset"),
        ("invoice_kind=", "invoice_kind"),
        ("q=" + "x" * 101, "q"),
    ],
)
def test_an_invoice_list_filter_the_schema_refuses_is_a_400_naming_it(api, query, field):
    body = assert_error_shape(api.get(f"/api/v1/invoices?{query}"), 400)
    assert field in body["fields"], body
    assert "must" in body["fields"][field], body


def test_real_dates_still_filter(api):
    response = api.get("/api/v1/invoices?from=2024-02-29&to=2026-12-31&q=" + "x" * 100)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "path",
    ["/api/v1/customers", "/api/v1/items", "/api/v1/helpers/states", "/api/v1/helpers/hs-codes"],
)
def test_q_over_100_characters_is_refused_not_cut(api, path):
    body = assert_error_shape(api.get(f"{path}?q={'a' * 101}"), 400)
    assert body["fields"]["q"] == "must be at most 100 characters (it has 101)"
    assert api.get(f"{path}?q={'a' * 100}").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/invoices/drafts", "/api/v1/customers", "/api/v1/helpers/lgas"])
def test_an_empty_page_parameter_is_refused(api, path):
    body = assert_error_shape(api.get(f"{path}?offset="), 400)
    assert body["fields"] == {"offset": "must be a whole number ≥ 0"}


@pytest.mark.parametrize("route", ["/api/v1/invoices/create", "/api/v1/invoices/drafts"])
@pytest.mark.parametrize(
    "changes, field",
    [
        ({"customer_id": BEYOND_INT64}, "customer_id"),
        ({"line__item_id": BEYOND_INT64}, "lines[0].item_id"),
        ({"customer_id": 0}, "customer_id"),
        ({"customer_id": True}, "customer_id"),
    ],
)
def test_an_id_beyond_64_bits_is_a_400_naming_it(api, route, changes, field):
    body = assert_error_shape(api.post(route, invoice_body(**changes), format="json"), 400)
    assert body["reason"] == "incomplete_unpatchable" and field in body["fields"], body


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"note": 5}, "note"),
        ({"document_number": "N" * 51}, "document_number"),
        ({"customer__name": 0}, "customer.name"),
        ({"line__quantity": True}, "lines[0].quantity"),
        ({"due_date": "2026-02-30"}, "due_date"),
    ],
)
def test_a_body_the_schema_refuses_is_refused(api, changes, field):
    body = assert_error_shape(api.post("/api/v1/invoices/drafts", invoice_body(**changes), format="json"), 400)
    assert body["reason"] == "incomplete_unpatchable" and field in body["fields"], body


@pytest.mark.parametrize("field", ["original_irn", "original_invoice_id", "note", "po_reference"])
def test_null_where_the_schema_says_string_is_refused(api, field):
    """The reference allows no null in the request (its examples have none), so the schema does not either."""
    sent = invoice_body()
    sent[field] = None
    body = assert_error_shape(api.post("/api/v1/invoices/drafts", sent, format="json"), 400)
    assert body["fields"][field] == "must be text (a JSON string) (not null)", body


def test_a_b2c_draft_is_still_accepted(api):
    assert api.post("/api/v1/invoices/drafts", b2c_body(), format="json").status_code == 201


def test_an_item_name_must_be_text(api):
    body = assert_error_shape(
        api.post("/api/v1/items", {"name": 0, "unitPriceKobo": 5000, "serviceCode": "6201"}, format="json"), 400
    )
    assert body["code"] == "invalid_field" and "name" in body["fields"], body


def test_an_integral_float_cost_is_a_whole_number_of_kobo(api):
    response = api.post(
        "/api/v1/items",
        {"name": "Audit", "unitPriceKobo": 5000, "costKobo": 500.0, "serviceCode": "6201"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = assert_error_shape(
        api.post("/api/v1/items", {"name": "Half", "unitPriceKobo": 5000, "costKobo": 0.5, "serviceCode": "6201"}), 400
    )
    assert body["code"] == "invalid_cost"


@pytest.mark.parametrize("method", ["TRACE", "POST", "DELETE", "PUT"])
def test_health_answers_other_methods_with_405_and_allow(client, method):
    response = client.generic(method, "/health")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.json()["error"] == f"{method} is not allowed on /health: use GET."


def test_health_still_answers_get_and_head(client):
    assert client.get("/health").status_code == 200
    assert client.head("/health").status_code == 200


def test_a_session_key_holder_gets_the_same_refusals(ready):
    assert key_client(ready).get("/api/v1/invoices?from=2026-02-30").status_code == 400


def test_a_draft_patch_without_a_body_is_refused_and_an_empty_object_changes_nothing(api):
    draft = api.post("/api/v1/invoices/drafts", invoice_body(document_number="PATCH-1"), format="json").json()
    path = f"/api/v1/invoices/drafts/{draft['invoiceId']}"
    body = assert_error_shape(api.patch(path), 400, reason="incomplete_unpatchable")
    assert body["fields"] == {"body": "required"}
    unchanged = api.patch(path, {}, format="json")
    assert unchanged.status_code == 200 and unchanged.json()["documentNumber"] == "PATCH-1"


@pytest.mark.parametrize("field, limit", [("note", 2000), ("po_reference", 100)])
def test_an_optional_text_too_long_is_refused_on_create_and_on_a_draft_change_alike(api, field, limit):
    too_long = {field: "x" * (limit + 1)}
    body = assert_error_shape(api.post("/api/v1/invoices/create", invoice_body(**too_long), format="json"), 400)
    assert body["fields"] == {field: f"at most {limit} characters"}
    draft = api.post("/api/v1/invoices/drafts", invoice_body(document_number="LONG-1"), format="json").json()
    path = f"/api/v1/invoices/drafts/{draft['invoiceId']}"
    body = assert_error_shape(api.patch(path, too_long, format="json"), 400)
    assert body["fields"] == {field: f"at most {limit} characters"}
    kept = api.patch(path, {field: "x" * limit}, format="json").json()
    assert kept["poReference" if field == "po_reference" else "note"] == "x" * limit  # not cut


@pytest.mark.parametrize("path", ["/api/v1/customers/search", "/api/v1/items/search"])
def test_a_typeahead_q_counts_characters_as_the_schema_does(api, path):
    # The schema's pattern (an ECMA-262 regex) sees U+001F as a character, not white space: "\x1f¬" is 2 of them.
    assert api.get(path, {"q": "\r \x1f¬\f"}).status_code == 200
    assert api.get(path, {"q": " \t¬\u00a0"}).status_code == 400  # one character besides the spaces
