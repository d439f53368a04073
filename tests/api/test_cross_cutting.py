"""Conventions every route shares: list pagination, Idempotency-Key (also under concurrency), X-Request-Id,
JSON-only errors on /api/, /health and the /status page."""

import json
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.contrib.staticfiles import finders
from django_scopes import scopes_disabled

from invoicing.models import Customer, Invoice, Item
from tests.api.conftest import (
    assert_error_shape,
    invoice_body,
    invoice_count,
    key_client,
    new_key,
)

CREATE = "/api/v1/invoices/create"
LIST_KEYS = {"items", "total", "limit", "offset"}


# --- pagination -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "maximum"),
    [
        ("/api/v1/invoices", 500),
        ("/api/v1/customers", 200),
        ("/api/v1/items", 200),
        ("/api/v1/invoices/drafts", 500),
    ],
)
def test_list_shape_defaults_and_maximum_limit(api, path, maximum):
    page = api.get(path)
    assert page.status_code == 200
    assert set(page.json()) == LIST_KEYS
    assert (page.json()["limit"], page.json()["offset"], page.json()["items"]) == (50, 0, [])
    assert api.get(path, {"limit": maximum}).json()["limit"] == maximum
    for bad in (maximum + 1, 10_000, -1, "ten"):
        response = api.get(path, {"limit": bad})
        body = assert_error_shape(response, 400)
        assert "limit" in body["fields"]
    assert_error_shape(api.get(path, {"offset": -5}), 400)


def test_limit_and_offset_page_through_customers_and_items(api):
    for n in range(5):
        assert (
            api.post(
                "/api/v1/customers",
                {"customerKind": "B2B", "name": f"Buyer {n}", "tin": f"1000000{n}-0001", "email": f"b{n}@x.ng"},
                format="json",
            ).status_code
            == 201
        )
        assert (
            api.post(
                "/api/v1/items", {"name": f"Item {n}", "unitPriceKobo": 100 + n, "hsCode": "8517.11"}, format="json"
            ).status_code
            == 201
        )
    for path in ("/api/v1/customers", "/api/v1/items"):
        page = api.get(path, {"limit": 2, "offset": 3}).json()
        assert (page["total"], page["limit"], page["offset"]) == (5, 2, 3)
        assert [row["name"].split()[-1] for row in page["items"]] == ["3", "4"]
        assert api.get(path, {"limit": 2, "offset": 10}).json()["items"] == []


@pytest.mark.parametrize(
    "path",
    ["/api/v1/invoices", "/api/v1/customers", "/api/v1/items", "/api/v1/invoices/drafts", "/api/v1/helpers/states"],
)
def test_an_offset_past_the_end_is_an_empty_page_however_large(api, path):
    # Found by the fuzzer: an offset beyond a 64-bit integer was a 500 (the database could not bind it).
    for offset in (10**6, 2**63, 10**30):
        page = api.get(path, {"offset": offset})
        assert page.status_code == 200, (offset, page.content[:300])
        assert (page.json()["items"], page.json()["offset"]) == ([], offset)


def test_certified_invoices_page(api, ready):
    for n in range(3):
        assert api.post(CREATE, invoice_body(document_number=f"P-{n}"), format="json").status_code == 202
    with scopes_disabled():
        Invoice.objects.filter(tenant=ready).update(status="CERTIFIED")
    page = api.get("/api/v1/invoices", {"limit": 2}).json()
    assert (page["total"], len(page["items"])) == (3, 2)
    assert len(api.get("/api/v1/invoices", {"limit": 2, "offset": 2}).json()["items"]) == 1


# --- Idempotency-Key -------------------------------------------------------------------------------


def test_same_key_and_body_replays_the_first_answer_and_makes_one_invoice(api, ready):
    key = {"Idempotency-Key": "order-7781"}
    first = api.post(CREATE, invoice_body(), format="json", headers=key)
    assert first.status_code == 202 and "Idempotency-Replayed" not in first
    again = api.post(CREATE, invoice_body(), format="json", headers=key)
    assert again.status_code == 202
    assert again.json() == first.json()
    assert again["Idempotency-Replayed"] == "true"
    assert invoice_count(ready) == 1
    other = api.post(CREATE, invoice_body(note="changed"), format="json", headers=key)
    assert_error_shape(other, 409)
    assert invoice_count(ready) == 1


def test_a_refusal_is_replayed_too_and_a_new_key_is_a_new_request(api, ready):
    bad = invoice_body(customer__tin=None)
    first = api.post(CREATE, bad, format="json", headers={"Idempotency-Key": "k-1"})
    assert_error_shape(first, 400, reason="CUSTOMER_VALIDATION_FAILED")
    replay = api.post(CREATE, bad, format="json", headers={"Idempotency-Key": "k-1"})
    assert replay.status_code == 400 and replay["Idempotency-Replayed"] == "true"
    assert api.post(CREATE, invoice_body(), format="json", headers={"Idempotency-Key": "k-2"}).status_code == 202


def test_idempotency_keys_belong_to_one_tenant(api, ready, key_file):
    from tests.factories import TenantFactory, make_ready

    other_tenant = make_ready(TenantFactory(name="Other Business Ltd"), key_file)
    other_tenant.nrs_service_id = "B0THERS1"  # its own NRS service ID, so its own IRNs
    other_tenant.save()
    other = key_client(other_tenant)
    headers = {"Idempotency-Key": "shared-key"}
    mine = api.post(CREATE, invoice_body(), format="json", headers=headers)
    theirs = other.post(CREATE, invoice_body(), format="json", headers=headers)
    assert mine.status_code == theirs.status_code == 202, theirs.content
    assert "Idempotency-Replayed" not in theirs and theirs.json()["invoiceId"] != mine.json()["invoiceId"]


@pytest.mark.parametrize(
    ("path", "body", "model"),
    [
        (
            "/api/v1/customers",
            {"customerKind": "B2B", "name": "Acme Ltd", "tin": "12345678-0001", "email": "ap@acme.ng"},
            Customer,
        ),
        ("/api/v1/items", {"name": "Pens", "unitPriceKobo": 15000, "hsCode": "9608.10"}, Item),
        ("/api/v1/invoices/drafts", invoice_body(), Invoice),
    ],
)
def test_every_creating_post_honours_the_idempotency_key(api, ready, path, body, model):
    headers = {"Idempotency-Key": f"create-{path}"}
    first = api.post(path, body, format="json", headers=headers)
    again = api.post(path, body, format="json", headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotency-Replayed"] == "true"
    with scopes_disabled():
        assert model.objects.filter(tenant=ready).count() == 1
    assert_error_shape(api.post(path, {**body, "name": "Something else"}, format="json", headers=headers), 409)


def test_concurrent_duplicates_make_exactly_one_invoice(live_server, transactional_db, key_file):
    """N clients fire the same create with the same key at once against the threaded live server."""
    from tests.factories import TenantFactory, make_ready

    tenant = make_ready(TenantFactory(name="Kola Foods Ltd"), key_file)
    key = new_key(tenant)
    url = live_server.url + CREATE
    payload = json.dumps(invoice_body())
    headers = {"X-Flowpoint-Key": key, "Content-Type": "application/json", "Idempotency-Key": "race-1"}
    n = 8
    barrier = threading.Barrier(n)

    def fire(_):
        barrier.wait()
        return requests.post(url, data=payload, headers=headers, timeout=30)

    with ThreadPoolExecutor(n) as pool:
        responses = list(pool.map(fire, range(n)))
    statuses = sorted(r.status_code for r in responses)
    assert invoice_count(tenant) == 1, statuses
    created = [r for r in responses if r.status_code == 202 and "Idempotency-Replayed" not in r.headers]
    assert len(created) == 1, statuses
    invoice_id = created[0].json()["invoiceId"]
    for response in responses:
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.headers.get("X-Request-Id")
        if response is created[0]:
            continue
        if response.status_code == 202:
            assert response.headers["Idempotency-Replayed"] == "true"
            assert response.json()["invoiceId"] == invoice_id
        else:
            assert response.status_code == 409, (response.status_code, response.text)
            assert response.json()["error"]
    # Once the first has finished, the key replays it.
    late = requests.post(url, data=payload, headers=headers, timeout=30)
    assert late.status_code == 202 and late.headers["Idempotency-Replayed"] == "true"
    assert late.json()["invoiceId"] == invoice_id
    assert invoice_count(tenant) == 1


# --- X-Request-Id -----------------------------------------------------------------------------------


def test_every_response_carries_a_request_id(api, anon, client, ready, settings):
    responses = {
        "200": api.get("/api/v1/invoices"),
        "202": api.post(CREATE, invoice_body(), format="json"),
        "400": api.post(CREATE, invoice_body(lines="x"), format="json"),
        "401": anon.get("/api/v1/invoices"),
        "403": api.get("/api/v1/tenant/profile"),
        "404 route": api.get("/api/v1/no-such-route"),
        "404 row": api.get(f"/api/v1/invoices/{uuid.uuid4()}"),
        "405": api.get(CREATE),
        "415": api.generic("POST", CREATE, b"a,b", content_type="text/plain"),
        "health": client.get("/health"),
        "status page": client.get("/status"),
        "verify": anon.get("/api/v1/invoices/verify/nope"),
    }
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": 1}
    responses["429"] = api.get("/api/v1/invoices")
    assert responses["429"].status_code == 429
    for what, response in responses.items():
        assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", response.get("X-Request-Id", "")), what
    ids = [r["X-Request-Id"] for r in responses.values()]
    assert len(set(ids)) == len(ids)
    assert api.get("/api/v1/nope", headers={"X-Request-Id": "erp-42"})["X-Request-Id"] == "erp-42"


# --- JSON errors only on /api/ ----------------------------------------------------------------------


def _json_error(response, status):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    assert b"<html" not in response.content.lower() and b"traceback" not in response.content.lower()
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    return body


@pytest.mark.parametrize(
    "path",
    ["/api/v1/no-such-route", "/api/no-such-version/invoices", "/api/v1/invoices/not-a-uuid", "/api/v1/helpers/x"],
)
def test_unknown_api_routes_are_json_404s(api, anon, path):
    _json_error(api.get(path), 404)
    _json_error(anon.post(path, {}, format="json"), 404)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_unsafe_requests_to_unknown_api_routes_are_json_404s_not_csrf_pages(ready, method):
    # Found by the fuzzer: DELETE /api/v1/invoices/drafts/not-a-uuid got Django's HTML "CSRF verification failed"
    # page (403): the catch-all 404 view was not CSRF-exempt, and the CSRF check runs before any view. Django's
    # test client skips that check unless asked; integrators' HTTP clients do not.
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_X_FLOWPOINT_KEY=new_key(ready))
    for path in ("/api/v1/invoices/drafts/not-a-uuid", "/api/v1/invoices/nope/retry", "/api/v1/no-such-route"):
        _json_error(client.generic(method, path, b"{}", content_type="application/json"), 404)


def test_a_csrf_failure_on_an_api_path_is_json(rf):
    from portal.api_errors import csrf_failure

    response = csrf_failure(rf.post("/api/v1/anything"), reason="CSRF cookie not set.")
    assert response.status_code == 403 and response["Content-Type"] == "application/json"
    assert "X-CSRFToken" in json.loads(response.content)["error"]
    page = csrf_failure(rf.post("/settings/"), reason="CSRF cookie not set.")
    assert page.status_code == 403 and page["Content-Type"].startswith("text/html")  # the portal keeps its page


NUL_QUERIES = [
    "/api/v1/invoices?q=INV%00",
    "/api/v1/invoices?customer_tin=1234%00",
    "/api/v1/invoices/drafts?x%00=1",
    "/api/v1/customers?q=Ac%00me",
    "/api/v1/customers/search?q=Ac%00me",
    "/api/v1/items?q=%00",
    "/api/v1/items/search?q=Con%00",
    "/api/v1/helpers/hs-codes?q=85%00",
    "/api/v1/helpers/lgas?state=NG-LA%00",
]


@pytest.mark.parametrize("url", NUL_QUERIES)
def test_a_nul_character_in_a_query_is_a_400_naming_the_parameter(api, nul_like_postgresql, url):
    # Found by the fuzzer: PostgreSQL cannot compare text holding a NUL (SQLite can), so on PostgreSQL every
    # search with one was a 500.
    body = _json_error(api.get(url), 400)
    assert list(body["fields"].values()) == ["must not contain NUL characters (\\u0000)"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (CREATE, invoice_body(customer__name="Acme\x00Ltd"), "customer.name"),
        ("/api/v1/invoices/drafts", invoice_body(line__description="\x00"), "lines[0].description"),
        ("/api/v1/customers", {"customerKind": "B2B", "name": "A\x00", "tin": "1234567", "email": "a@b.ng"}, "name"),
        ("/api/v1/items", {"name": "Tea", "unitPriceKobo": 100, "hsCode": "0902.10\x00"}, "hsCode"),
    ],
)
def test_a_nul_character_in_a_body_is_a_400_naming_the_field(api, ready, nul_like_postgresql, path, body, field):
    answer = _json_error(api.post(path, body, format="json"), 400)
    assert field in answer["fields"]
    assert answer.get("reason", answer.get("code")) in ("incomplete_unpatchable", "invalid_characters")
    assert invoice_count(ready) == 0


def test_a_nul_character_in_an_irn_or_an_idempotency_key_is_no_500(api, anon, nul_like_postgresql):
    _json_error(api.get("/api/v1/invoices/INV%00-94ND90NR-20260425/status"), 404)
    _json_error(anon.get("/api/v1/invoices/verify/INV%00-94ND90NR-20260425"), 400)
    response = api.post(CREATE, invoice_body(), format="json", headers={"Idempotency-Key": "k\x001"})
    assert "Idempotency-Key" in _json_error(response, 400)["error"]


def test_wrong_method_is_a_json_405(api):
    for method, path in (("get", CREATE), ("delete", "/api/v1/invoices"), ("put", "/api/v1/customers")):
        response = getattr(api, method)(path)
        _json_error(response, 405)
        assert response["Allow"]


def test_unsupported_media_type_is_a_json_415(api, ready):
    for content_type, data in (("text/plain", b"hello"), ("application/xml", b"<invoice/>")):
        _json_error(api.generic("POST", CREATE, data, content_type=content_type), 415)
    assert invoice_count(ready) == 0


@pytest.mark.parametrize("raw", [b"{", b'{"invoice_kind": "B2B",}', b"not json", b"\xff\xfe"])
def test_malformed_json_is_a_json_400(api, ready, raw):
    _json_error(api.generic("POST", CREATE, raw, content_type="application/json"), 400)
    assert invoice_count(ready) == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"lines": "one consulting service"},
        {"line__quantity": [1]},
        {"line__unit_price": {"amount": 50000}},
        {"customer__tin": ["12345678-0001"]},
        {"document_number": {"n": 1}},
        {"line__description": True},
    ],
)
def test_wrong_types_are_incomplete_unpatchable(api, ready, changes):
    body = _json_error(api.post(CREATE, invoice_body(**changes), format="json"), 400)
    assert body["reason"] == "incomplete_unpatchable" and body["fields"]
    assert invoice_count(ready) == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"line__unit_price": 10**20},
        {"line__unit_price": "99999999999999999.99"},
        {"line__quantity": "1e15"},
        {"line__fee": 1e300},
        {"line__quantity": 10**10, "line__unit_price": 10**6},  # each fits, the line does not
    ],
)
def test_amounts_beyond_what_an_invoice_holds_are_incomplete_unpatchable(api, ready, changes):
    # Found while fuzzing: such a draft was saved, then every read of it (and of the drafts list) was a 500 (on
    # PostgreSQL the save itself failed).
    for path in (CREATE, "/api/v1/invoices/drafts"):
        body = _json_error(api.post(path, invoice_body(**changes), format="json"), 400)
        assert body["reason"] == "incomplete_unpatchable" and body["fields"], body
    assert invoice_count(ready) == 0
    assert api.get("/api/v1/invoices/drafts").status_code == 200


def test_the_largest_amounts_an_invoice_holds_are_accepted_and_read_back(api, ready):
    # (SQLite keeps 15 significant digits of a decimal; PostgreSQL all 18: the totals are not compared here.)
    body = invoice_body(line__quantity="99999999.9999", line__unit_price="9999999.99")
    draft = api.post("/api/v1/invoices/drafts", body, format="json")
    assert draft.status_code == 201, draft.content
    again = api.get(f"/api/v1/invoices/drafts/{draft.json()['invoiceId']}")
    assert again.status_code == 200
    assert (again.json()["lines"][0]["quantity"], again.json()["lines"][0]["unitPrice"]) == (
        "99999999.9999",
        "9999999.99",
    )
    assert api.get("/api/v1/invoices/drafts").json()["total"] == 1


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"42", b"null"])
def test_a_body_that_is_not_an_object_is_incomplete_unpatchable(api, body):
    response = api.generic("POST", CREATE, body, content_type="application/json")
    assert _json_error(response, 400)["reason"] == "incomplete_unpatchable"


HUGE = 5 * 1024 * 1024 + 1024


def _huge_invoice() -> bytes:
    data = invoice_body(note="x" * HUGE)
    return json.dumps(data).encode()


@pytest.mark.parametrize("idempotency", [False, True])
@pytest.mark.parametrize("path", [CREATE, "/api/v1/invoices/drafts", "/api/v1/customers"])
def test_a_body_above_5_mb_is_a_json_413(api, ready, path, idempotency):
    headers = {"Idempotency-Key": "big-1"} if idempotency else {}
    response = api.generic("POST", path, _huge_invoice(), content_type="application/json", headers=headers)
    _json_error(response, 413)
    assert invoice_count(ready) == 0


def test_errors_over_real_http_are_json_too(live_server, transactional_db, key_file):
    from tests.factories import TenantFactory, make_ready

    key = new_key(make_ready(TenantFactory(name="Kola Foods Ltd"), key_file))
    base = live_server.url
    session = requests.Session()
    session.headers["X-Flowpoint-Key"] = key
    checks = [
        (session.get(base + "/api/v1/no-such-route"), 404),
        (session.get(base + CREATE), 405),
        (session.post(base + CREATE, data=b"{", headers={"Content-Type": "application/json"}), 400),
        (session.post(base + CREATE, data=b"x", headers={"Content-Type": "text/plain"}), 415),
        (session.post(base + CREATE, data=_huge_invoice(), headers={"Content-Type": "application/json"}), 413),
        (requests.get(base + "/api/v1/invoices"), 401),
    ]
    for response, status in checks:
        assert response.status_code == status, (status, response.status_code, response.text[:300])
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.json()["error"] and response.headers["X-Request-Id"]


# --- /health and /status ----------------------------------------------------------------------------


def test_health_is_ok_and_not_rate_limited(client, api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": 1, "auth": 1}
    for _ in range(5):
        response = client.get("/health")
        assert response.status_code == 200 and response.json() == {"status": "ok"}
        assert response["Content-Type"].startswith("application/json")
        assert "RateLimit" not in response and "Retry-After" not in response
    assert api.get("/api/v1/invoices").status_code == 200
    assert api.get("/api/v1/invoices").status_code == 429  # the limit is really this low
    assert client.get("/health").status_code == 200


def test_the_public_status_page_polls_health(client):
    response = client.get("/status")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert 'id="status-line"' in html
    src = re.search(r'<script[^>]+src="([^"]*app\.js)"', html).group(1)
    path = finders.find(src.removeprefix("/static/"))
    assert path, src
    script = open(path).read()
    assert re.search(r"""fetch\(\s*["']/health["']""", script)
    assert "setInterval" in script
    # Plain uptime only: the page never names a dependency.
    for word in ("database", "queue", "redis", "postgres", "sqlite"):
        assert word not in html.lower()
