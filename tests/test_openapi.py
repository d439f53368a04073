"""OpenAPI 3.1 at /api/v1/schema and the docs at /api/docs: valid, complete, the spec's examples, offline."""

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from invoicing.api.spec_examples import SPEC_B2B, SPEC_B2C, without_autofilled
from portal.openapi import documented

SPEC = Path(settings.BASE_DIR).parent / "shared" / "spec" / "000_e1b4ae54c034cd89.txt"
AUTOFILLED = ("business_id", "accounting_supplier_party")
METHODS = ("get", "post", "put", "patch", "delete")

# The spec's "Full request" examples without the autofilled supplier fields (which the spec says not to send).
B2B = without_autofilled(SPEC_B2B)
B2C = without_autofilled(SPEC_B2C)


@pytest.fixture(scope="module")
def generated():
    """The schema as the view builds it, and what drf-spectacular complained about while building it."""
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    problems = {**GENERATOR_STATS._warn_cache, **GENERATOR_STATS._error_cache}
    GENERATOR_STATS.reset()
    return json.loads(json.dumps(schema, default=str)), problems


@pytest.fixture
def schema(generated):
    return generated[0]


def _api_routes():
    """(OpenAPI path, methods, callback) of every DRF route under /api/v1 in the URLconf."""

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern

    for route, pattern in walk(get_resolver().url_patterns, ""):
        if not route.startswith("api/v1/") or not hasattr(pattern.callback, "cls") or pattern.name == "api_schema":
            continue
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "{" + re.sub(r"(^|_)pk$", r"\1id", m[1]) + "}", route)
        methods = [m for m in pattern.callback.cls.http_method_names if m in METHODS]
        yield path, methods, pattern.callback


def _expected_security(path):
    # Sign-out answers 204 with or without a session: it needs none (schemathesis' ignored_auth holds it to that).
    if path.startswith("/api/v1/invoices/verify/") or path in ("/api/v1/auth/login", "/api/v1/auth/logout"):
        return []
    if path.startswith(("/api/v1/auth/", "/api/v1/tenant/", "/api/v1/integrations/")):
        return [{"cookieAuth": []}]
    return [{"FlowpointKey": []}, {"cookieAuth": []}]


def _spec_example(heading):
    """The JSON example after `heading` in the published reference, without the autofilled fields."""
    text = SPEC.read_text()
    start = text.index("{", text.index(heading))
    example, _end = json.JSONDecoder().raw_decode(text, start)
    return {key: value for key, value in example.items() if key not in AUTOFILLED}


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_schema_is_valid_openapi_3_1_and_builds_without_warnings(generated):
    schema, problems = generated
    assert schema["openapi"] == "3.1.0"
    assert schema["info"]["title"] == "Flowpoint API" and schema["info"]["version"] == "1.0.0"
    try:  # the stricter check: $refs resolve, path parameters match the templates, schemas are JSON Schema
        from openapi_spec_validator import validate
    except ImportError:  # drf-spectacular's own: the OpenAPI 3.1 JSON Schema only
        from drf_spectacular.validation import validate_schema as validate
    validate(schema)
    assert problems == {}, "drf-spectacular could not document something; see the extend_schema(...) on the views"


def test_every_api_route_is_documented_with_responses_and_the_right_security(schema):
    routes = list(_api_routes())
    assert len(routes) >= 40
    undocumented = [path for path, _methods, callback in routes if not documented(callback)]
    assert undocumented == [], "declare these routes' operations with extend_schema(...) on their views"
    for path, methods, _callback in routes:
        assert path in schema["paths"], path
        for method in methods:
            operation = schema["paths"][path][method]
            assert operation["summary"] and operation["tags"], (method, path)
            codes = set(operation["responses"])
            assert codes & {"200", "201", "202", "204"}, (method, path, codes)
            assert operation["security"] == _expected_security(path), (method, path)
            if path != "/api/v1/auth/login" and operation["security"]:
                assert {"401", "403"} <= codes, (method, path)
            assert "429" in codes, (method, path)  # every /api/v1 route is rate-limited
    health = schema["paths"]["/health"]["get"]
    assert health["security"] == [] and set(health["responses"]) == {"200", "503"}
    assert schema["components"]["securitySchemes"]["FlowpointKey"] == {
        **schema["components"]["securitySchemes"]["FlowpointKey"],
        "type": "apiKey",
        "in": "header",
        "name": "X-Flowpoint-Key",
    }
    assert schema["components"]["securitySchemes"]["cookieAuth"]["in"] == "cookie"


def test_errors_have_the_spec_shape_and_responses_the_common_headers(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"error", "reason", "code", "detail", "fields"}
    assert error["required"] == ["error"]
    names = ("Error", "PaymentError", "PurchaseNrsError", "BatchRejected", "VerifyFailure", "ValidationFailed")
    error_like = {f"#/components/schemas/{name}" for name in names}
    seen = set()
    for path, method, operation in _operations(schema):
        for code, response in operation["responses"].items():
            headers = response["headers"]
            assert "X-Request-Id" in headers, (method, path, code)
            if path.startswith("/api/v1/"):
                assert {"RateLimit-Policy", "RateLimit"} <= set(headers), (method, path, code)
            if code == "429":
                assert "Retry-After" in headers
            if code >= "400" and path.startswith("/api/v1/"):
                for body in response["content"].values():
                    assert body["schema"]["$ref"] in error_like, (method, path, code)
                seen.add(code)
    assert {"400", "401", "403", "404", "409", "413", "415", "429", "500", "502"} <= seen


def test_creating_posts_take_an_idempotency_key(schema):
    for path in ("/api/v1/invoices/create", "/api/v1/invoices/drafts", "/api/v1/customers", "/api/v1/items"):
        operation = schema["paths"][path]["post"]
        assert "Idempotency-Key" in [p["name"] for p in operation["parameters"] if p["in"] == "header"], path
        assert (
            "Idempotency-Replayed"
            in operation["responses"]["201" if "201" in operation["responses"] else "202"]["headers"]
        )


def test_every_route_taking_an_idempotency_key_documents_its_409(schema):
    # Found by the fuzzer: POST /invoices/upload/csv answered an undocumented 409 IDEMPOTENCY_CONFLICT.
    taking = [
        (method, path)
        for path, method, operation in _operations(schema)
        if "Idempotency-Key" in [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
    ]
    assert len(taking) >= 7
    for method, path in taking:
        assert "409" in schema["paths"][path][method]["responses"], (method, path)


def test_create_invoice_carries_the_spec_b2b_and_b2c_examples_verbatim(schema):
    operation = schema["paths"]["/api/v1/invoices/create"]["post"]
    body = operation["requestBody"]
    assert body["required"] is True
    content = body["content"]["application/json"]
    assert content["schema"] == {"$ref": "#/components/schemas/InvoiceRequest"}
    examples = content["examples"]
    # Same keys, same order, same values: what an integrator copies is what the spec shows.
    assert json.dumps(examples["B2B"]["value"]) == json.dumps(B2B)
    assert json.dumps(examples["B2C"]["value"]) == json.dumps(B2C)
    assert examples["B2G"]["value"]["invoice_kind"] == "B2G"
    for example in examples.values():
        assert not set(AUTOFILLED) & set(example["value"])
    if SPEC.exists():  # shared/ beside the repository, as in CI
        assert json.dumps(_spec_example("Full request — B2B")) == json.dumps(B2B)
        assert json.dumps(_spec_example("Full request — B2C")) == json.dumps(B2C)
    request = schema["components"]["schemas"]["InvoiceRequest"]
    assert not set(AUTOFILLED) & set(request["properties"])
    assert set(B2B) <= set(request["properties"])
    assert set(B2B["customer"]) <= set(schema["components"]["schemas"]["InvoiceCustomerInput"]["properties"])
    assert set(B2B["lines"][0]) <= set(schema["components"]["schemas"]["InvoiceLineInput"]["properties"])
    responses = operation["responses"]
    (queued,) = responses["202"]["content"]["application/json"]["examples"].values()
    assert queued["value"]["status"] == "PENDING" and {"invoiceId", "irn"} <= set(queued["value"])
    (held,) = responses["201"]["content"]["application/json"]["examples"].values()
    assert held["value"]["status"].startswith("BLOCKED:")
    reasons = {e["value"].get("reason") for e in responses["400"]["content"]["application/json"]["examples"].values()}
    assert {"CUSTOMER_VALIDATION_FAILED", "SUPPLIER_VALIDATION_FAILED"} <= reasons


def _parameters(schema, path):
    return {p["name"]: p for p in schema["paths"][path]["get"].get("parameters", []) if p["in"] == "query"}


def test_helper_and_list_routes_list_their_parameters(schema):
    helpers = [path for path in schema["paths"] if path.startswith("/api/v1/helpers/")]
    assert len(helpers) == 10
    for path in helpers:
        parameters = _parameters(schema, path)
        assert {"limit", "offset", "q"} <= set(parameters), path
        assert parameters["limit"]["schema"]["maximum"] == 1000
        assert parameters["limit"]["schema"]["default"] == 50  # as every list (the spec), whatever the maximum
        assert parameters["q"]["description"]
    assert _parameters(schema, "/api/v1/helpers/lgas")["state"]["schema"]["type"] == "string"

    invoices = _parameters(schema, "/api/v1/invoices")
    assert set(invoices) == {"limit", "offset", "from", "to", "invoice_kind", "customer_tin", "payment_status", "q"}
    assert invoices["limit"]["schema"]["maximum"] == 500 and invoices["limit"]["schema"]["default"] == 50
    assert invoices["invoice_kind"]["schema"]["enum"] == ["B2B", "B2C", "B2G"]
    for path in ("/api/v1/customers", "/api/v1/items"):
        assert _parameters(schema, path)["limit"]["schema"]["maximum"] == 200
    for path in ("/api/v1/customers/search", "/api/v1/items/search"):
        q = _parameters(schema, path)["q"]
        assert q["required"] is True and (q["schema"]["minLength"], q["schema"]["maxLength"]) == (2, 100)
    page = schema["paths"]["/api/v1/invoices"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert page["required"] == ["items", "total", "limit", "offset"]


def test_the_webhooks_are_described(schema):
    assert list(schema["webhooks"]) == [
        "invoice.pending",
        "invoice.certified",
        "invoice.failed",
        "invoice.payment_updated",
        "invoice.acknowledged",
        "purchase.received",
    ]
    for name, item in schema["webhooks"].items():
        operation = item["post"]
        envelope = "PurchaseWebhookEvent" if name == "purchase.received" else "WebhookEvent"
        assert operation["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{envelope}"
        }
        assert operation["requestBody"]["content"]["application/json"]["example"]["type"] == name
        assert "x-flowpoint-signature" in [p["name"] for p in operation["parameters"]]
    assert "x-flowpoint-signature" in schema["info"]["description"]  # and the retry table, for every reader
    assert "Endpoint auto-paused" in schema["info"]["description"]


def test_the_schema_is_public_json_by_default_and_yaml_on_request(client, schema):
    response = client.get("/api/v1/schema", HTTP_X_FLOWPOINT_KEY="fp_test_not-a-key")  # a bad key is no 401 here
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["X-Request-Id"] and response["RateLimit"]
    served = response.json()
    assert served["paths"].keys() == schema["paths"].keys()
    assert served["info"]["version"] == "1.0.0"

    response = client.get("/api/v1/schema?format=yaml")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.oai.openapi;")
    assert yaml.safe_load(response.content)["openapi"] == "3.1.0"


@pytest.mark.parametrize("url", ["/api/docs", "/api/docs/swagger"])
def test_the_docs_render_from_same_origin_assets_only(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "/api/v1/schema" in html
    other_hosts = {urlparse(u).netloc for u in re.findall(r"""https?://[^\s"'<>)]+""", html)} - {"testserver"}
    assert other_hosts == set(), other_hosts
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    static = [a for a in assets if a.startswith(settings.STATIC_URL)]
    assert any(a.endswith((".js",)) for a in static)
    for asset in static:
        assert finders.find(asset.removeprefix(settings.STATIC_URL)), asset  # shipped by the sidecar, not a CDN
    # The UIs' own scripts may not reach out either (Redoc's bundle would fetch its logo from a CDN).
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'" and policy["img-src"] == "'self' data: blob:"


@pytest.mark.e2e
def test_a_reader_sees_the_create_operation_and_its_examples_and_nothing_loads_from_elsewhere(browser, live_server):
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    origin = urlparse(live_server.url).netloc
    fetched = []
    page.on("requestfinished", lambda request: fetched.append(request.url))
    try:
        page.goto("/api/docs#tag/Invoices/operation/createInvoice")
        expect(page.get_by_role("heading", name="Create and queue an invoice for NRS")).to_be_visible()
        examples = page.locator("select").filter(has_text="Full request — B2C (Business-to-Consumer)").first
        expect(examples).to_have_value("Full request — B2B (Business-to-Business)")
    finally:
        context.close()
    elsewhere = [url for url in fetched if urlparse(url).scheme in ("http", "https") and urlparse(url).netloc != origin]
    assert elsewhere == []


def test_the_api_docs_show_how_to_verify_a_delivery_in_python():
    from django.conf import settings

    description = settings.SPECTACULAR_SETTINGS["DESCRIPTION"]
    assert "```python" in description and "hmac.compare_digest" in description and "MAX_AGE_MS" in description
