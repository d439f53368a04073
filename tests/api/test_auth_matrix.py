"""Who may call what, route by route, built from the URLconf so that a new /api/v1/ route without a row here fails.

For every integrator route and method: (a) a valid key works, (b) no key, (c) a revoked key and (d) an expired
key get 401, (e) another tenant's valid key gets 404 on the first tenant's ids and only its own data on lists,
searches and creates, (f) a signed-in portal clerk gets what the key gets, and (g) a read-only key gets 403 on
every write and what a key gets on every read. Admin routes
(/api/v1/tenant/*, /api/v1/integrations/*) refuse API keys and non-admin sessions with 403.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from rest_framework.test import APIClient

from invoicing.models import Batch, Customer, Invoice, Item, ReceivedInvoice
from invoicing.services import Actor, invoice_create
from tests.api.conftest import assert_error_shape, invoice_body, new_key
from tests.conftest import member
from tests.factories import TenantFactory, make_ready

PUBLIC = {"api_invoice_verify", "api_schema"}  # the schema documents a published reference: public
AUTH = {"api_auth_login", "api_auth_logout", "api_auth_me"}
ADMIN_PREFIXES = ("api/v1/tenant/", "api/v1/integrations/")


def api_routes():
    """(name, route, methods) of every URL pattern under /api/v1/."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield pattern, prefix + str(pattern.pattern)

    found = []
    for pattern, route in walk(get_resolver().url_patterns):
        if not route.startswith("api/v1/"):
            continue
        view_class = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
        methods = sorted({m.upper() for m in getattr(view_class, "http_method_names", ["get"])} - {"OPTIONS", "HEAD"})
        found.append((pattern.name, route, methods))
    return found


ROUTES = api_routes()
ADMIN = [(n, r, m) for n, r, ms in ROUTES if r.startswith(ADMIN_PREFIXES) for m in ms]
INTEGRATOR = [(n, m) for n, r, ms in ROUTES if not r.startswith(ADMIN_PREFIXES) and n not in PUBLIC | AUTH for m in ms]


# --- the two tenants' data ---------------------------------------------------------------------------


def _invoice(tenant, number, status=None, **changes):
    invoice = invoice_create(tenant=tenant, data=invoice_body(document_number=number), actor=Actor(), draft=True)
    if status:
        from integrations.nrs.qr import tenant_qr_payload

        values = {"status": status, **changes}
        if status == "CERTIFIED":
            values.update(certified_at=timezone.now(), qr_payload=tenant_qr_payload(tenant, invoice.irn))
        with scopes_disabled():
            Invoice.objects.filter(pk=invoice.pk).update(**values)
    return invoice


def _data(tenant, letter):
    """A tenant's invoices (certified, pending, failed, drafts), a customer and an item, with unique names."""
    from invoicing import master_data

    name = "Alpha" if letter == "A" else "Beta"
    with scope(tenant=tenant):
        customer = master_data.customer_create(
            tenant=tenant,
            data={"customerKind": "B2B", "name": f"{name} Buyer Ltd", "tin": f"{letter * 8}-0001", "email": "a@b.ng"},
        )
        item = master_data.item_create(
            tenant=tenant, data={"name": f"{name} Widget", "unitPriceKobo": 150000, "hsCode": "8517.11"}
        )
    return SimpleNamespace(
        tenant=tenant,
        received=_received(tenant, letter),
        certified=_invoice(tenant, f"{letter}-CERT-1", "CERTIFIED"),
        pending=_invoice(tenant, f"{letter}-PEND-1", "PENDING"),
        failed={who: _invoice(tenant, f"{letter}-FAIL-{who}", "FAILED", nrs_reason="SUBMISSION_ERROR") for who in WHO},
        draft={who: _invoice(tenant, f"{letter}-DRAFT-{who}") for who in WHO},
        customer=customer,
        item=item,
        batch=_Batches(tenant),
        markers=[
            f"{letter}-CERT-1",
            f"{letter}-PEND-1",
            f"{letter}-DRAFT-",
            f"{name} Buyer",
            f"{name} Widget",
            f"{letter}-RCVD-1",
        ],
    )


def _received(tenant, letter):
    """An invoice a supplier sent the tenant through NRS, acknowledged already: acknowledging it again answers
    200 and asks NRS nothing (there is no NRS here)."""
    from tests.purchases_factory import make_received_invoice

    received = make_received_invoice(tenant, number=f"{letter}-RCVD-1")
    with scopes_disabled():
        ReceivedInvoice.objects.filter(pk=received.pk).update(status="acknowledged", acknowledged_at=timezone.now())
    return received


WHO = ("key", "session")
LISTS_WITH_TENANT_ROWS = (
    "api_invoice_list",
    "api_drafts",
    "api_customers",
    "api_customers_search",
    "api_items",
    "api_items_search",
    "api_purchase_list",
)


def _csv_file(name="invoices.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from invoicing.batches import template_csv

    return SimpleUploadedFile(name, template_csv().encode(), content_type="text/csv")


def _ubl_file(invoice, number):
    """`invoice` as another system would export it in UBL 2.1, under a number of its own."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from integrations.connectors.ubl import invoice_to_ubl

    with scope(tenant=invoice.tenant):
        xml = invoice_to_ubl(invoice).replace(f">{invoice.document_number}<".encode(), f">{number}<".encode())
    return SimpleUploadedFile(f"{number}.xml", xml, content_type="application/xml")


class _Batches(dict):
    """A tenant's CSV batches (uploaded, still validating), made when a test first asks for one."""

    def __init__(self, tenant):
        super().__init__()
        self.tenant = tenant

    def __missing__(self, who):
        from invoicing.batches import batch_upload

        self[who] = batch_upload(tenant=self.tenant, file=_csv_file(f"{who}.csv"), actor=Actor())
        return self[who]


@pytest.fixture
def world(key_file):
    a = make_ready(TenantFactory(name="Kola Foods Ltd"), key_file)
    b = make_ready(TenantFactory(name="Other Business Ltd"), key_file)
    b.nrs_service_id = "B0THERS1"
    b.save()
    return SimpleNamespace(a=_data(a, "A"), b=_data(b, "B"))


def _snapshot(tenant):
    with scopes_disabled():
        return (
            sorted(Invoice.objects.filter(tenant=tenant).values_list("id", "status", "payment_status", "note")),
            sorted(Customer.objects.filter(tenant=tenant).values_list("id", "name", "archived_at")),
            sorted(Item.objects.filter(tenant=tenant).values_list("id", "name", "archived_at")),
            sorted(Batch.objects.filter(tenant=tenant).values_list("id", "status", "submit_requested")),
            sorted(ReceivedInvoice.objects.filter(tenant=tenant).values_list("id", "status", "acknowledged_at")),
        )


# --- the matrix --------------------------------------------------------------------------------------


@dataclass
class Case:
    path: Callable  # (tenant data, who) -> path
    ok: int  # status for the owner's key or session
    scope: str  # "id": another tenant gets 404; "list": only its own rows; "create": made in its own tenant
    body: Callable = lambda d, who: None
    reason: str | None = None  # when `ok` is an error status: proof the row was found and the caller admitted
    role: str = "clerk"  # the portal member of (f): a clerk, unless the portal keeps the action to other roles
    query: dict = field(default_factory=dict)
    format: str = "json"


def _invoice_path(suffix=""):
    return lambda d, who: f"/api/v1/invoices/{d.certified.pk}{suffix}"


HELPER_NAMES = (
    "states",
    "lgas",
    "countries",
    "currencies",
    "invoice-types",
    "tax-categories",
    "payment-means",
    "quantity-units",
    "hs-codes",
    "service-codes",
)

MATRIX = {
    ("api_invoice_create", "POST"): Case(
        lambda d, who: "/api/v1/invoices/create",
        202,
        "create",
        body=lambda d, who: invoice_body(document_number=f"NEW-{who}"),
    ),
    ("api_invoice_list", "GET"): Case(lambda d, who: "/api/v1/invoices", 200, "list"),
    ("api_drafts", "GET"): Case(lambda d, who: "/api/v1/invoices/drafts", 200, "list"),
    ("api_drafts", "POST"): Case(
        lambda d, who: "/api/v1/invoices/drafts",
        201,
        "create",
        body=lambda d, who: invoice_body(document_number=f"NEW-DRAFT-{who}"),
    ),
    ("api_draft", "GET"): Case(lambda d, who: f"/api/v1/invoices/drafts/{d.draft[who].pk}", 200, "id"),
    ("api_draft", "PATCH"): Case(
        lambda d, who: f"/api/v1/invoices/drafts/{d.draft[who].pk}", 200, "id", body=lambda d, who: {"note": who}
    ),
    ("api_draft", "DELETE"): Case(lambda d, who: f"/api/v1/invoices/drafts/{d.draft[who].pk}", 204, "id"),
    ("api_draft_submit", "POST"): Case(lambda d, who: f"/api/v1/invoices/drafts/{d.draft[who].pk}/submit", 202, "id"),
    ("api_invoice_detail", "GET"): Case(_invoice_path(), 200, "id"),
    ("api_invoice_retry", "POST"): Case(lambda d, who: f"/api/v1/invoices/{d.failed[who].pk}/retry", 202, "id"),
    ("api_invoice_payment", "PATCH"): Case(
        _invoice_path("/payment"),
        400,
        "id",
        body=lambda d, who: {"paymentStatus": "SOMETIMES"},  # refused before any NRS call
        reason="incomplete_unpatchable",
    ),
    ("api_invoice_reconcile", "POST"): Case(
        lambda d, who: f"/api/v1/invoices/{d.pending.pk}/reconcile", 400, "id", reason="NOT_SIGNED"
    ),
    ("api_invoice_pdf", "GET"): Case(_invoice_path("/pdf"), 200, "id"),
    ("api_invoice_validate", "POST"): Case(
        lambda d, who: "/api/v1/invoices/validate",
        200,
        "list",  # nothing is made: each business's check of its own body
        body=lambda d, who: invoice_body(document_number=f"CHECK-{who}"),
    ),
    ("api_invoice_qr", "GET"): Case(_invoice_path("/qr"), 200, "id"),
    ("api_invoice_qr_by_irn", "GET"): Case(lambda d, who: f"/api/v1/invoices/by-irn/{d.certified.irn}/qr", 200, "id"),
    ("api_invoice_nrs", "GET"): Case(  # refused before any NRS call: the row was found, the caller admitted
        lambda d, who: f"/api/v1/invoices/{d.pending.pk}/nrs", 400, "id", reason="NOT_SIGNED"
    ),
    ("api_invoice_status", "GET"): Case(lambda d, who: f"/api/v1/invoices/{d.certified.irn}/status", 200, "id"),
    ("api_customers", "GET"): Case(lambda d, who: "/api/v1/customers", 200, "list"),
    ("api_customers", "POST"): Case(
        lambda d, who: "/api/v1/customers",
        201,
        "create",
        body=lambda d, who: {
            "customerKind": "B2B",
            "name": f"New Buyer {who}",
            "tin": f"9999{len(who)}999-0001",
            "email": "ap@new.ng",
        },
    ),
    ("api_customers_search", "GET"): Case(lambda d, who: "/api/v1/customers/search", 200, "list", query={"q": "Buyer"}),
    ("api_items", "GET"): Case(lambda d, who: "/api/v1/items", 200, "list"),
    ("api_items", "POST"): Case(
        lambda d, who: "/api/v1/items",
        201,
        "create",
        body=lambda d, who: {"name": f"New Item {who}", "unitPriceKobo": 100, "serviceCode": "6201"},
    ),
    ("api_items_search", "GET"): Case(lambda d, who: "/api/v1/items/search", 200, "list", query={"q": "Widget"}),
    ("api_batch_upload", "POST"): Case(
        lambda d, who: "/api/v1/invoices/upload/csv",
        202,
        "create",
        body=lambda d, who: {"file": _csv_file()},
        format="multipart",
    ),
    ("api_invoice_upload_ubl", "POST"): Case(
        lambda d, who: "/api/v1/invoices/upload/ubl",
        202,
        "create",
        body=lambda d, who: {"file": _ubl_file(d.certified, f"NEW-UBL-{who}")},
        format="multipart",
    ),
    ("api_batch_submit", "POST"): Case(
        lambda d, who: "/api/v1/invoices/upload/csv/submit",
        202,
        "id",
        body=lambda d, who: {"batchId": str(d.batch[who].pk)},
    ),
    ("api_batch", "GET"): Case(lambda d, who: f"/api/v1/invoices/batches/{d.batch[who].pk}", 200, "id"),
    ("api_purchase_list", "GET"): Case(lambda d, who: "/api/v1/purchases", 200, "list"),
    ("api_purchase_sync", "POST"): Case(lambda d, who: "/api/v1/purchases/sync", 202, "list"),
    ("api_purchase_detail", "GET"): Case(lambda d, who: f"/api/v1/purchases/{d.received.irn}", 200, "id"),
    ("api_purchase_acknowledge", "POST"): Case(
        lambda d, who: f"/api/v1/purchases/{d.received.irn}/acknowledge", 200, "id", role="approver"
    ),
    ("api_batch_template", "GET"): Case(lambda d, who: "/api/v1/invoices/upload/csv/template", 200, "list"),
    **{
        (f"api_helper_{name}", "GET"): Case(
            lambda d, who, name=name: f"/api/v1/helpers/{name}",
            200,
            "list",
            query={"state": "NG-LA"} if name == "lgas" else {},
        )
        for name in HELPER_NAMES
    },
}
# POSTs that only check what they are sent: a read-only key may call them.
CHANGE_NOTHING = {("api_invoice_validate", "POST")}


def test_every_api_route_of_the_urlconf_is_in_the_matrix():
    names = [n for n, _, _ in ROUTES]
    assert all(names), f"unnamed /api/v1/ routes: {[r for n, r, _ in ROUTES if not n]}"
    assert all(n.startswith("api_") for n in names), names
    missing = sorted(set(INTEGRATOR) - set(MATRIX))
    assert not missing, f"integrator routes without auth-matrix coverage (add rows to MATRIX): {missing}"
    assert not set(MATRIX) - set(INTEGRATOR), f"rows for routes that no longer exist: {set(MATRIX) - set(INTEGRATOR)}"
    assert PUBLIC | AUTH <= set(names)
    assert len(INTEGRATOR) >= 30 and len(ADMIN) >= 16


def _call(client, method, path, body=None, query=None, format="json", **headers):
    if query:
        from urllib.parse import urlencode

        path = f"{path}?{urlencode(query)}"
    return getattr(client, method.lower())(path, body, format=format, headers=headers)


def _text(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("latin-1")
    return response.content.decode()


def _assert_ok(case, response):
    assert response.status_code == case.ok, (response.status_code, _text(response)[:400])
    if case.reason:
        assert response.json()["reason"] == case.reason


@pytest.mark.parametrize(("name", "method"), INTEGRATOR, ids=[f"{m} {n}" for n, m in INTEGRATOR])
def test_integrator_route(world, name, method):
    case = MATRIX[(name, method)]
    a, b = world.a, world.b
    anon = APIClient()

    # (e) another tenant's valid key, on the first tenant's ids: 404; on lists, searches and creates: its own.
    path_a = case.path(a, "key")
    for who in WHO:  # rows the calls below use exist before the snapshot
        case.path(a, who), case.body(a, who)
    before = _snapshot(a.tenant)
    other = _call(
        anon, method, path_a, case.body(a, "key"), case.query, case.format, **{"X-Flowpoint-Key": new_key(b.tenant)}
    )
    text = _text(other)
    assert not [m for m in a.markers if m in text], f"{name} showed the first tenant's data to another: {text}"
    if case.scope == "id":
        assert_error_shape(other, 404)
    else:
        assert other.status_code == case.ok, (other.status_code, text[:400])
        if name in LISTS_WITH_TENANT_ROWS and method == "GET":
            assert b.markers and any(m in text for m in b.markers), "the other tenant's own rows are listed"
        if case.scope == "create":
            created = other.json()
            row_id = created.get("invoiceId") or created.get("batchId") or created.get("id")
            model = (
                Invoice
                if "invoiceId" in created
                else Batch
                if "batchId" in created
                else Customer
                if "customers" in path_a
                else Item
            )
            with scopes_disabled():
                assert model.objects.get(pk=row_id).tenant_id == b.tenant.pk
    assert _snapshot(a.tenant) == before

    # (b) no key, (c) a revoked key, (d) an expired key: 401, nothing done.
    for headers, word in (
        ({}, "key"),
        ({"X-Flowpoint-Key": new_key(a.tenant, revoked=True)}, "revoked"),
        ({"X-Flowpoint-Key": new_key(a.tenant, expired=True)}, "expired"),
    ):
        response = _call(anon, method, path_a, case.body(a, "key"), case.query, case.format, **headers)
        assert word in assert_error_shape(response, 401)["error"]
    assert _snapshot(a.tenant) == before

    # (g) the owner's read-only key: every write refused (403, saying so), nothing done; reads, and the checks that
    # change nothing (validate), answer as (a).
    read_only = {"X-Flowpoint-Key": new_key(a.tenant, read_only=True)}
    if method in ("GET", "HEAD", "OPTIONS") or (name, method) in CHANGE_NOTHING:
        _assert_ok(case, _call(anon, method, path_a, case.body(a, "key"), case.query, case.format, **read_only))
    else:
        response = _call(anon, method, path_a, case.body(a, "key"), case.query, case.format, **read_only)
        assert "read-only" in assert_error_shape(response, 403)["error"]
        assert _snapshot(a.tenant) == before

    # (a) the owner's valid key.
    owner = _call(
        anon, method, path_a, case.body(a, "key"), case.query, case.format, **{"X-Flowpoint-Key": new_key(a.tenant)}
    )
    _assert_ok(case, owner)
    if case.scope == "list":
        text = _text(owner)
        assert not [m for m in b.markers if m in text]

    # (f) a signed-in portal clerk of the first tenant (or the role the portal keeps the action to): the same
    # answer as the key.
    session = APIClient()
    session.force_login(member(a.tenant, case.role))
    _assert_ok(case, _call(session, method, case.path(a, "session"), case.body(a, "session"), case.query, case.format))


def test_the_public_verify_route_needs_no_key_and_serves_any_tenants_certified_irn(world):
    anon = APIClient()
    for data in (world.a, world.b):
        response = anon.get(f"/api/v1/invoices/verify/{data.certified.irn}")
        assert response.status_code == 200 and response.json()["valid"] is True
        assert response.json()["supplier"]["name"] == data.tenant.name
    # Only certified ones: a pending invoice's IRN is not found.
    assert anon.get(f"/api/v1/invoices/verify/{world.a.pending.irn}").status_code == 404


def test_auth_routes_sign_a_portal_user_in_and_out(world):
    from tests.factories import PASSWORD

    clerk = member(world.a.tenant, "clerk")
    client = APIClient()
    assert_error_shape(client.get("/api/v1/auth/me"), 401)
    login = client.post("/api/v1/auth/login", {"email": clerk.email, "password": PASSWORD}, format="json")
    assert login.status_code == 200 and login.json()["role"] == "clerk"
    assert client.get("/api/v1/auth/me").json()["tenant"]["name"] == world.a.tenant.name
    assert client.get("/api/v1/invoices").status_code == 200  # the session reaches the integrator API
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert_error_shape(client.get("/api/v1/invoices"), 401)
    assert_error_shape(key_get("/api/v1/auth/me", new_key(world.a.tenant)), 403)


def test_a_person_of_two_businesses_has_the_role_and_data_of_the_one_the_session_works_in(world):
    """The business switcher over the API session: `me` lists both businesses; the admin routes and the data
    follow the business the session works in, and the role there (a clerk of A, an admin of B)."""
    from django.urls import reverse

    from tenants.models import Membership

    person = member(world.a.tenant, "clerk")  # A first: a new session works in A
    with scope(tenant=world.b.tenant):
        Membership.objects.create(tenant=world.b.tenant, user=person, role="admin")
    client = APIClient()
    client.force_login(person)
    me = client.get("/api/v1/auth/me").json()
    assert (me["tenant"]["name"], me["role"]) == ("Kola Foods Ltd", "clerk")
    assert me["businesses"] == [
        {"id": str(world.a.tenant.pk), "name": "Kola Foods Ltd", "role": "clerk"},
        {"id": str(world.b.tenant.pk), "name": "Other Business Ltd", "role": "admin"},
    ]
    assert_error_shape(client.get("/api/v1/tenant/profile"), 403)  # a clerk in A
    numbers = {row["documentNumber"] for row in client.get("/api/v1/invoices").json()["items"]}
    assert "A-CERT-1" in numbers and not any(n.startswith("B-") for n in numbers)

    switched = client.post(reverse("business_switch", args=[world.b.tenant.pk]))
    assert (switched.status_code, switched["Location"]) == (302, reverse("dashboard"))
    assert client.session["tenant_id"] == str(world.b.tenant.pk), dict(client.session)
    me = client.get("/api/v1/auth/me").json()
    assert (me["tenant"]["name"], me["role"]) == ("Other Business Ltd", "admin")
    assert client.get("/api/v1/tenant/profile").json()["legalName"] == "Other Business Ltd"  # an admin in B
    numbers = {row["documentNumber"] for row in client.get("/api/v1/invoices").json()["items"]}
    assert "B-CERT-1" in numbers and not any(n.startswith("A-") for n in numbers)


def key_get(path, key):
    return APIClient().get(path, headers={"X-Flowpoint-Key": key})


@pytest.mark.parametrize(("name", "route", "method"), ADMIN, ids=[f"{m} {n}" for n, _, m in ADMIN])
def test_admin_routes_refuse_api_keys_and_non_admin_sessions_with_403(tenant, name, route, method):
    path = "/" + route.replace("<int:pk>", "1").replace("<int:delivery_pk>", "1").replace("<int:document_pk>", "1")
    path = path.replace("<uuid:pk>", "00000000-0000-0000-0000-000000000001")
    assert "<" not in path, f"add a placeholder for {route}"
    key = _call(APIClient(), method, path, {}, **{"X-Flowpoint-Key": new_key(tenant)})
    assert_error_shape(key, 403)
    for role in ("clerk", "reviewer", "approver"):
        session = APIClient()
        session.force_login(member(tenant, role))
        assert_error_shape(_call(session, method, path, {}), 403)
    assert_error_shape(_call(APIClient(), method, path, {}), 401)
    admin = APIClient()
    admin.force_login(member(tenant, "admin"))
    assert _call(admin, method, path, {}).status_code not in (401, 403)
