"""Isolation matrix: every URL pattern of the resolver, requested as another tenant (B) with tenant A's ids.

The product rule: no route, list, search, file or webhook ever shows one tenant another's data.

ROUTES says, for every pattern, how B asks for it (a pattern missing from the table fails the test):

  Owned(...)    the path names one of A's rows (or A's IRN). B, with an admin's session or an API key, is
                refused whatever the method (404/405, 401/403, or sent to sign in), and nothing of A changes.
  Listing(...)  no path parameters: B's own lists, searches, look-ups, exports, dashboards and forms. B GETs it
                as is and with search terms (or A's ids) that match A's data; A, asking the same, is shown A's
                data, so B being shown none of it means something.
  Public(...)   parameters that are not A's row ids (onboarding steps, bearer tokens, the public IRN check):
                anyone may ask; the answer shows none of A's data (verify: only what an IRN check publishes).
  Excluded(why) not answered by a Flowpoint tenant at all.

Every answer (headers too; files streamed in full) is searched for MARK: distinctive strings of A's data.
Controls ask A the same questions, so that B's empty answers mean the tenant filter worked, not that the
request missed. Further down: A's ids in request bodies, stored files, webhook deliveries, Idempotency-Key
replays and the session's tenant id.
"""

import csv
import io
import operator
from types import SimpleNamespace
from urllib.parse import urlencode
from uuid import uuid4

import pytest
from django.apps import apps
from django.core import mail
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_scopes import scope, scopes_disabled

from portal.models import UserSession
from tenants import services
from tenants.models import Location, Tenant, TenantOwned
from tests.conftest import member
from tests.factories import make_ready, received_invoice

KEY_HEADER = "X-Flowpoint-Key"


class MARK:
    """Tenant A's data is built from these strings; none may appear in anything tenant B is shown.

    Search terms below are parts of them ("Zq7 Buyer"), so a page that echoes the search box is no false alarm.
    """

    tenant = "Zuberi Zq7 Foods Ltd"
    tin = "31415926-0001"
    street = "7 Zq7 Marker Close"
    admin = "boss.zq7@first.example.ng"
    clerk = "clerk.zq7@first.example.ng"
    invitee = "invitee.zq7@first.example.ng"
    customer = "Acme Zq7 Buyer Ltd"
    customer_tin = "27182818-0001"
    customer_email = "ap@zq7-buyer.ng"
    item = "Zq7 Secret Widget"
    draft = "DRAFT-ZQ7-0001"
    certified = "CERT-ZQ7-0042"
    review = "REVIEW-ZQ7-0007"
    note = "Zq7 private note"
    line = "Zq7 secret consulting"
    payment_reference = "PAYREF-ZQ7-99"
    pdf = "ZQ7 STORED PDF BYTES"
    batch_file = "zq7-secret-batch.csv"
    batch_buyer = "Batch Zq7 Buyer Ltd"
    batch_number = "CSV-ZQ7-0001"
    audit = "Zq7 audit marker"
    webhook_url = "https://93.184.216.34/zq7-secret-hooks"
    webhook_secret = "first-tenant-zq7-0123456789"
    nrs_call = "Zq7 NRS answered"
    nrs_api_key = "nrs-key-zq7-never-shown"
    nrs_api_secret = "nrs-secret-zq7-never-shown"
    sandbox_path = "/sandbox/nrs/ZQ7-SANDBOX-PATH"
    supplier = "Zq7 Supplier Works Ltd"
    supplier_tin = "16180339-0001"
    received = "RCV-ZQ7-0009"
    quickbooks_connector = "Zq7 QuickBooks books"
    connector = "Zq7 Ledger Books"
    connector_secret = "odoo-key-zq7-never-shown"
    source_document = "ODOO-ZQ7-0005"
    notification = "Zq7 notice for the admin"
    exchange_rate = "987.654321"  # A's naira per 1 Swiss franc, as the settings page and the editor's look-up show it


class A(str):
    """A value of tenant A's data, by attribute path into the `first` fixture: A("certified.irn")."""

    def of(self, first):
        return operator.attrgetter(self)(first)


def _fill(params: dict, first) -> dict:
    return {key: value.of(first) if isinstance(value, A) else value for key, value in params.items()}


class Owned:
    def __init__(self, **params):
        self.params = params


class Listing:
    def __init__(self, *queries, nothing_of_a_tenant=""):
        self.queries = queries  # each a dict of GET parameters (values may be A(...))
        self.nothing_of_a_tenant = nothing_of_a_tenant  # why even A is shown no tenant data here


class Public:
    def __init__(self, *param_sets, why, path="", publishes=()):
        self.param_sets = param_sets or ({},)
        self.why = why
        self.path = path  # for an unnamed pattern: the URL, formatted with A's data as `a`
        self.publishes = publishes  # attribute names of MARK this public answer may show


class Excluded:
    def __init__(self, why):
        self.why = why


# Search terms: parts of A's strings (see MARK), each in the parameter the view reads.
FIND_CUSTOMER = ({"q": "Zq7 Buyer"}, {"q": "27182818"}, {"q": "zq7-buyer"})
FIND_ITEM = ({"q": "Secret Widget"},)
FIND_INVOICE = ({"q": "ZQ7-004"}, {"q": "CERTZQ7"}, {"q": "Zq7 Buyer"})
FIND_SUPPLIER = ({"q": "Zq7 Supplier"}, {"q": "16180339"})

# The embedded NRS sandbox's own API stands in for NRS: callers are sandbox businesses authenticated by NRS
# credentials (x-api-key/x-api-secret), not Flowpoint tenants, and it looks documents up within the calling
# business (integrations/nrs/sandbox/api.py; tests/nrs/ cover it). Nothing here is answered by a tenant.
SANDBOX_NRS_API = (
    "sandbox/nrs/api",
    "sandbox/nrs/api/v1/entity/<uuid:entity_id>",
    "sandbox/nrs/api/v1/invoice/irn/validate",
    "sandbox/nrs/api/v1/invoice/validate",
    "sandbox/nrs/api/v1/invoice/sign",
    "sandbox/nrs/api/v1/invoice/confirm/<str:irn>",
    "sandbox/nrs/api/v1/invoice/download/<str:irn>",
    "sandbox/nrs/api/v1/invoice/update/<str:irn>",
    "sandbox/nrs/api/v1/invoice/transmit/self-health-check",
    "sandbox/nrs/api/v1/invoice/transmit/lookup/<str:irn>",
    "sandbox/nrs/api/v1/invoice/transmit/pull",
    "sandbox/nrs/api/v1/invoice/transmit/<str:irn>",
    "sandbox/nrs/api/v1/invoice/resources/<slug:name>",
    "sandbox/nrs/api/v1/invoice/<uuid:business_id>",
    "sandbox/nrs/api/v1/utilities/verify-tin/",
    "sandbox/nrs/^(?P<path>.*)$",
)

# Not in the resolver, so not here: no Django admin is mounted; static files (shared assets, nothing of a tenant)
# are served by WhiteNoise's middleware; stored files (PDFs, CSV uploads) have no URL of their own and are served
# only through the Owned routes below (test_stored_files_have_no_url_of_their_own).
ROUTES = {
    # --- public pages and sign-in ---------------------------------------------------------------------------
    "signup": Listing(nothing_of_a_tenant="sign-up form"),
    "signup_business": Listing(nothing_of_a_tenant="new-business form"),
    "login": Listing(nothing_of_a_tenant="sign-in form"),
    "logout": Listing(nothing_of_a_tenant="POST only; GET is a 405"),
    "two_factor_verify": Listing(nothing_of_a_tenant="code form; a session owing no code is sent on"),
    "status": Listing(nothing_of_a_tenant="uptime page"),
    "health": Listing(nothing_of_a_tenant="uptime JSON"),
    "metrics": Listing(nothing_of_a_tenant="operators' platform totals behind METRICS_TOKEN (unset here: a 404)"),
    "password_reset": Listing(nothing_of_a_tenant="e-mail form"),
    "password_reset_done": Listing(nothing_of_a_tenant="static page"),
    "password_reset_complete": Listing(nothing_of_a_tenant="static page"),
    "password_reset_confirm": Public(
        {"uidb64": A("admin_uidb64"), "token": "set-password"},
        {"uidb64": A("admin_uidb64"), "token": "c0ffee-0123456789abcdef0123456789abcdef"},
        why="the token is the credential (mailed to A's admin); A's user id without it is an invalid link",
    ),
    "invitation": Public(
        {"token": A("invitation.token_hash")},
        {"token": A("invitation.pk")},
        why="the token is the credential (mailed to the invitee); A's stored hash or row id is no token",
    ),
    # --- dashboard, onboarding, settings ----------------------------------------------------------------------
    "dashboard": Listing(),
    "dashboard_nrs_queue": Listing(nothing_of_a_tenant="the NRS queue's counts: numbers, no strings of A's"),
    "onboarding": Listing(nothing_of_a_tenant="redirects to a step"),
    "onboarding_step": Public(
        *({"step": step} for step in ("business", "location", "nrs", "credentials", "keys", "done", "nope")),
        why="the steps are the same words for every tenant; each shows the signed-in tenant's own data",
    ),
    "settings_profile": Listing(),
    "settings_nrs": Listing(),
    "nrs_sandbox_connect": Listing(nothing_of_a_tenant="POST only"),
    "nrs_calls": Listing(),
    "tin_verify": Listing(nothing_of_a_tenant="POST only"),
    "settings_locations": Listing(),
    "location_new": Listing(nothing_of_a_tenant="empty form"),
    "location_edit": Owned(pk=A("location.pk")),
    "location_make_primary": Owned(pk=A("location.pk")),
    "location_delete": Owned(pk=A("location.pk")),
    "settings_crypto_keys": Listing(),
    "crypto_key_activate": Owned(pk=A("crypto_key.pk")),
    "crypto_key_delete": Owned(pk=A("crypto_key.pk")),
    "crypto_key_valid_until": Owned(pk=A("crypto_key.pk")),
    "settings_api_keys": Listing(),
    "api_key_revoke": Owned(pk=A("api_key.pk")),
    # A business's id is only a way to choose among one's own: to anyone not a member it is a 404, as if there were
    # no such business. (The accountant, a member of A too, may switch to A: ACCOUNTANT_MAY.)
    "business_switch": Owned(tenant_id=A("tenant.pk")),
    "business_list": Listing(nothing_of_a_tenant="the signed-in person's own businesses: names every header shows"),
    "account_security": Listing(nothing_of_a_tenant="the signed-in person's own sessions, no business data"),
    "account_password": Listing(nothing_of_a_tenant="password form"),
    "account_session_sign_out": Owned(pk=A("user_session.pk")),  # a person's session: only theirs, 404 to others
    "account_sessions_sign_out_others": Listing(nothing_of_a_tenant="POST only; ends the caller's own sessions"),
    "notification_list": Listing(),
    "notification_read": Owned(pk=A("notification.pk")),
    "notification_read_all": Listing(nothing_of_a_tenant="POST only"),
    "notification_settings": Listing(nothing_of_a_tenant="the same kinds for every business; the member's choices"),
    "settings_team": Listing(),
    "settings_security": Listing(nothing_of_a_tenant="the signed-in person's own second factor"),
    "member_role": Owned(pk=A("membership.pk")),
    "member_remove": Owned(pk=A("membership.pk")),
    "invitation_revoke": Owned(pk=A("invitation.pk")),
    "settings_audit": Listing(
        {"kind": "settings"}, {"user": A("admin.pk")}, {"format": "csv"}, {"format": "csv", "kind": "invoice"}
    ),
    "settings_gates": Listing(nothing_of_a_tenant="review/approval rules: no strings of A's"),
    "settings_exchange_rates": Listing(),
    "exchange_rate_delete": Owned(pk=A("exchange_rate.pk")),
    "exchange_rate_lookup": Listing({"currency": "CHF", "date": "2026-11-20"}),
    # --- invoices, customers, items, CSV batches (portal) -------------------------------------------------
    "invoice_list": Listing(*FIND_INVOICE, {"status": "CERTIFIED"}, {"status": "attention"}, {"kind": "B2B"}),
    "invoice_new": Listing({"original": A("certified.pk")}, {"type": "credit_note", "original": A("certified.pk")}),
    "invoice_queue": Listing(),
    "invoice_detail": Owned(pk=A("certified.pk")),
    "invoice_edit": Owned(pk=A("draft.pk")),
    "invoice_delete": Owned(pk=A("draft.pk")),
    "invoice_submit": Owned(pk=A("draft.pk")),
    "invoice_retry": Owned(pk=A("review.pk")),
    "invoice_payment": Owned(pk=A("certified.pk")),
    "invoice_reconcile": Owned(pk=A("certified.pk")),
    "invoice_send": Owned(pk=A("certified.pk")),
    "invoice_review": Owned(pk=A("review.pk")),
    "invoice_approve": Owned(pk=A("review.pk")),
    "invoice_pdf": Owned(pk=A("certified.pk")),
    "invoice_qr": Owned(pk=A("certified.pk")),
    "invoice_ubl": Owned(pk=A("certified.pk")),
    "customer_list": Listing(*FIND_CUSTOMER),
    "customer_new": Listing(nothing_of_a_tenant="empty form"),
    "customer_lookup": Listing(*FIND_CUSTOMER),
    "customer_edit": Owned(pk=A("customer.pk")),
    "customer_archive": Owned(pk=A("customer.pk")),
    "customer_verify_tin": Owned(pk=A("customer.pk")),
    "item_list": Listing(*FIND_ITEM),
    "item_new": Listing(nothing_of_a_tenant="empty form"),
    "item_lookup": Listing(*FIND_ITEM),
    "item_edit": Owned(pk=A("item.pk")),
    "item_archive": Owned(pk=A("item.pk")),
    "batch_upload": Listing(),  # lists the recent batches
    "ubl_import": Listing(nothing_of_a_tenant="an upload form: its results are shown only in the answer to a POST"),
    "batch_detail": Owned(pk=A("batch.pk")),
    "batch_submit": Owned(pk=A("batch.pk")),
    "batch_progress": Owned(pk=A("batch.pk")),
    **{
        f"codes_{name}": Listing(nothing_of_a_tenant="code lists for the CSV file, the same for every tenant")
        for name in ("states", "lgas", "hs_codes", "service_codes", "tax_categories")
    },
    # --- the buyer's side: invoices received through NRS, suppliers, VAT for the month (portal) --------------------
    "purchase_list": Listing(*FIND_SUPPLIER, {"q": "RCV-ZQ7"}, {"status": "new"}, {"month": "2026-11"}),
    "purchase_check_now": Listing(nothing_of_a_tenant="POST only"),
    "purchase_detail": Owned(pk=A("received.pk")),
    "purchase_acknowledge": Owned(pk=A("received.pk")),
    "purchase_decide": Owned(pk=A("received.pk")),
    "purchase_pdf": Owned(pk=A("received.pk")),
    "purchase_qr": Owned(pk=A("received.pk")),
    "supplier_list": Listing(*FIND_SUPPLIER),
    # A's certified invoice is dated April 2026, its received one November. (The XLSX is zipped, so no string
    # search could tell; it is built from the same rows as the CSV, which is searched.)
    "vat_report": Listing({"month": "2026-04"}, {"month": "2026-11"}, {"month": "2026-04", "format": "csv"}),
    # --- webhooks (portal): one endpoint per tenant, so the routes name none -----------------------------------
    "settings_webhooks": Listing({"state": "pending"}),
    "webhook_deliveries_partial": Listing({"state": "pending"}),
    "webhook_edit": Listing(),
    "webhook_rotate": Listing(nothing_of_a_tenant="confirmation form"),
    "webhook_pause": Listing(nothing_of_a_tenant="POST only"),
    "webhook_enable": Listing(nothing_of_a_tenant="POST only"),
    "webhook_test": Listing(nothing_of_a_tenant="POST only"),
    "webhook_delete": Listing(),  # the confirmation names the endpoint's URL
    "webhook_redeliver": Owned(pk=A("delivery.pk")),
    "webhook_redeliver_failed": Listing(nothing_of_a_tenant="POST only"),
    # --- connectors: QuickBooks' OAuth connect (admin session only) ---------------------------------------------
    "quickbooks_connect": Owned(pk=A("quickbooks.pk")),
    "quickbooks_callback": Listing(nothing_of_a_tenant="takes only the answer to this session's own sign-in"),
    # --- connectors (portal) -----------------------------------------------------------------------------------
    "settings_connectors": Listing(),
    "connector_new": Listing(nothing_of_a_tenant="the kinds to choose from"),
    "connector_detail": Owned(pk=A("connector.pk")),
    "connector_edit": Owned(pk=A("connector.pk")),
    "connector_pause": Owned(pk=A("connector.pk")),
    "connector_resume": Owned(pk=A("connector.pk")),
    "connector_run": Owned(pk=A("connector.pk")),
    "connector_delete": Owned(pk=A("connector.pk")),
    "connector_document_retry": Owned(pk=A("connector.pk"), document_pk=A("source_document.pk")),
    # --- admin API (a portal admin's session; keys get 403) ----------------------------------------------------
    "api_auth_login": Listing(nothing_of_a_tenant="POST only"),
    "api_auth_logout": Listing(nothing_of_a_tenant="POST only"),
    "api_auth_me": Listing(),
    "api_tenant_profile": Listing(),
    "api_tenant_nrs_credentials": Listing(nothing_of_a_tenant="write-only: whether they are set, and when"),
    "api_tenant_locations": Listing(),
    "api_tenant_location": Owned(pk=A("location.pk")),
    "api_tenant_crypto_keys": Listing(),
    "api_tenant_crypto_key": Owned(pk=A("crypto_key.pk")),
    "api_tenant_api_keys": Listing(),
    "api_tenant_api_key": Owned(pk=A("api_key.pk")),
    "api_tenant_readiness": Listing(),  # the checklist names the primary location
    "api_tenant_exchange_rates": Listing(),
    "api_tenant_exchange_rate": Owned(pk=A("exchange_rate.pk")),
    "api_webhooks": Listing(),
    "api_webhook": Owned(pk=A("webhook.pk")),
    "api_webhook_deliveries": Owned(pk=A("webhook.pk")),
    "api_webhook_redeliver": Owned(pk=A("webhook.pk"), delivery_pk=A("delivery.pk")),
    "api_connectors": Listing(),
    "api_connector": Owned(pk=A("connector.pk")),
    "api_connector_runs": Owned(pk=A("connector.pk")),
    "api_connector_documents": Owned(pk=A("connector.pk")),
    "api_connector_sync": Owned(pk=A("connector.pk")),
    "api_connector_document_retry": Owned(pk=A("connector.pk"), document_pk=A("source_document.pk")),
    # --- integrator API (an API key, or a member's session) --------------------------------------------------
    "api_batch_upload": Listing(nothing_of_a_tenant="POST only"),
    "api_invoice_upload_ubl": Listing(nothing_of_a_tenant="POST only"),
    "api_batch_submit": Listing(nothing_of_a_tenant="POST only; A's batch id in the body: see BODY_IDS"),
    "api_batch_template": Listing(nothing_of_a_tenant="the CSV template"),
    "api_batch": Owned(pk=A("batch.pk")),
    "api_invoice_create": Listing(nothing_of_a_tenant="POST only; A's ids in the body: see BODY_IDS"),
    "api_invoice_list": Listing(*FIND_INVOICE, {"customer_tin": MARK.customer_tin}, {"payment_status": "PARTIAL"}),
    "api_drafts": Listing(),
    "api_draft": Owned(pk=A("draft.pk")),
    "api_draft_submit": Owned(pk=A("draft.pk")),
    "api_invoice_verify": Public(
        {"irn": A("certified.irn")},
        {"irn": A("draft.irn")},
        why="the spec's public IRN check (no key): anyone holding a printed IRN may confirm it is certified",
        publishes=("tenant", "tin", "certified"),
    ),
    "verify_page": Public(
        {"irn": A("certified.irn")},
        {"irn": A("draft.irn")},
        why="the public verify page a buyer opens from the PDF's plain QR code: the verify API's answer, as a page",
        publishes=("tenant", "tin", "certified"),
    ),
    "api_invoice_detail": Owned(pk=A("certified.pk")),
    "api_invoice_retry": Owned(pk=A("review.pk")),
    "api_invoice_payment": Owned(pk=A("certified.pk")),
    "api_invoice_reconcile": Owned(pk=A("certified.pk")),
    "api_invoice_pdf": Owned(pk=A("certified.pk")),
    "api_invoice_status": Owned(irn=A("certified.irn")),
    "api_invoice_validate": Listing(nothing_of_a_tenant="POST only; A's ids in the body: see BODY_IDS"),
    "api_invoice_qr": Owned(pk=A("certified.pk")),
    "api_invoice_qr_by_irn": Owned(irn=A("certified.irn")),
    "api_invoice_nrs": Owned(pk=A("certified.pk")),
    "api_purchase_list": Listing({"q": "Zq7 Supplier"}, {"supplier_tin": MARK.supplier_tin}, {"status": "new"}),
    "api_purchase_sync": Listing(nothing_of_a_tenant="POST only: queues a pull of the caller's own business"),
    "api_purchase_detail": Owned(irn=A("received.irn")),
    "api_purchase_acknowledge": Owned(irn=A("received.irn")),
    "api_customers": Listing(*FIND_CUSTOMER),
    "api_customers_search": Listing(*FIND_CUSTOMER),
    "api_items": Listing(*FIND_ITEM),
    "api_items_search": Listing(*FIND_ITEM),
    **{
        f"api_helper_{name}": Listing(nothing_of_a_tenant="reference data, the same for every tenant")
        for name in (
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
    },
    "api_schema": Listing(nothing_of_a_tenant="the OpenAPI schema"),
    "api_docs": Listing(nothing_of_a_tenant="the API docs"),
    "api_docs_swagger": Listing(nothing_of_a_tenant="the API docs"),
    "^api/": Public(
        why="the JSON 404 of any other /api/ path",
        path="/api/v1/invoices/{a.certified.pk}/no-such-route?q=Zq7",
    ),
    # --- the embedded NRS sandbox ------------------------------------------------------------------------------
    # Its console lists what the sandbox received: a business sees only what its own sandbox identity sent
    # (also tests/nrs/test_sandbox_portal.py::test_sandbox_console_shows_a_business_only_its_own_requests).
    "sandbox_console": Listing(),
    "sandbox_faults": Listing(nothing_of_a_tenant="fault switches, for staff only"),
    "sandbox_copy_change": Listing(nothing_of_a_tenant="a form to change the sandbox's stored copy, for staff only"),
    **{pattern: Excluded("NRS credentials, not tenants: see SANDBOX_NRS_API") for pattern in SANDBOX_NRS_API},
}


class InvoiceBody(dict):
    """The spec's B2B create body, changed (`customer__x`, `line__x` as in tests/invoicing/conftest.body)."""


class PortalForm(dict):
    """Fields of a portal form, posted form-encoded; a refused form comes back (200) with its errors."""


# A's ids where the body, not the path, names them: B is refused, shown nothing of A's, and creates nothing.
BODY_IDS = (
    ("api_batch_submit", "key", {"batchId": A("batch.pk")}),
    ("api_drafts", "key", InvoiceBody(invoice_type="credit_note", original_invoice_id=A("certified.pk"))),
    ("api_drafts", "session", InvoiceBody(invoice_type="credit_note", original_invoice_id=A("certified.pk"))),
    ("api_invoice_create", "key", InvoiceBody(invoice_type="credit_note", original_irn=A("certified.irn"))),
    ("api_invoice_create", "key", InvoiceBody(customer_id=A("customer.pk"))),
    ("api_invoice_validate", "key", InvoiceBody(invoice_type="credit_note", original_irn=A("certified.irn"))),
    ("api_invoice_validate", "key", InvoiceBody(customer_id=A("customer.pk"), line__item_id=A("item.pk"))),
    ("api_drafts", "key", InvoiceBody(line__item_id=A("item.pk"))),
    (
        "invoice_new",
        "session",
        PortalForm(
            invoice_type="credit_note",
            original_invoice_id=A("certified.pk"),
            **{"lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0"},
        ),
    ),
)


def _all_routes(patterns=None, prefix=""):
    """(key, pattern) of every URL pattern, recursively; the key is its name, or its full pattern if unnamed."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from _all_routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield p.name or prefix + str(p.pattern), p


def _of_kind(kind):
    return [(key, entry) for key, entry in ROUTES.items() if isinstance(entry, kind)]


# --- tenant A, with something behind every route --------------------------------------------------------------


def _csv(rows) -> bytes:
    from invoicing.batches import COLUMNS

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


BATCH_ROW = {
    "invoice_kind": "B2B",
    "invoice_type": "invoice",
    "document_number": MARK.batch_number,
    "issue_date": "2026-04-25",
    "due_date": "2026-05-25",
    "currency": "NGN",
    "customer_name": MARK.batch_buyer,
    "customer_tin": MARK.customer_tin,
    "customer_email": MARK.customer_email,
    "customer_phone": "+2348012345678",
    "customer_address": "42 Marina Road",
    "customer_city": "Lagos",
    "customer_postal_code": "101001",
    "customer_state": "NG-LA",
    "customer_lga": "NG-LA-LIS",
    "customer_country": "NG",
    "line_description": MARK.line,
    "line_quantity": "2",
    "line_unit_price": "25000",
    "line_hsn_code": "8517.11",
    "line_tax_scheme": "STANDARD_VAT",
    "line_tax_rate": "7.5",
    "line_unit_of_measure": "Each",
}
BATCH_ROW_INVALID = {**BATCH_ROW, "document_number": "CSV-ZQ7-0002", "customer_tin": "not-a-tin"}


def _invoice(tenant, number, status="DRAFT", **fields):
    """An invoice made by the real service as a draft (nothing is queued), then put in `status` as the NRS
    pipeline would have (certifying for real needs the sandbox over HTTP; tests/invoicing does that)."""
    from invoicing.models import Invoice
    from invoicing.services import Actor, invoice_create
    from tests.invoicing.conftest import body

    data = body(
        document_number=number,
        note=MARK.note,
        customer__name=MARK.customer,
        customer__tin=MARK.customer_tin,
        customer__email=MARK.customer_email,
        line__description=MARK.line,
    )
    invoice = invoice_create(tenant=tenant, data=data, actor=Actor(), draft=True)
    with scope(tenant=tenant):
        Invoice.objects.filter(pk=invoice.pk).update(status=status, **fields)
        invoice.refresh_from_db()
    return invoice


@pytest.fixture
def second(other_tenant):
    """Tenant B: an admin's session, an API key, a webhook endpoint and a sandbox identity of its own."""
    from integrations.webhooks.services import webhook_create

    services.tenant_update(tenant=other_tenant, nrs_business_id=uuid4())
    with scope(tenant=other_tenant):
        _row, key = services.api_key_create(tenant=other_tenant, name="B's ERP")
    webhook = webhook_create(
        tenant=other_tenant, url="https://93.184.216.35/b-hooks", events=["invoice.certified"], secret="b" * 24
    )
    return SimpleNamespace(tenant=other_tenant, admin=member(other_tenant, "admin"), key=key, webhook=webhook)


@pytest.fixture
def first(tenant, second, key_file, settings):
    """Tenant A: every kind of row a route can show, each carrying a MARK string. (B exists first, so that A's
    webhook events are emitted while B has an endpoint too.)"""
    from integrations.connectors.models import Connector
    from integrations.nrs.models import NrsCall
    from integrations.nrs.qr import tenant_qr_payload
    from integrations.nrs.sandbox.models import SandboxBusiness, SandboxRequest
    from integrations.webhooks.models import WebhookDelivery, WebhookEndpoint
    from integrations.webhooks.services import webhook_create, webhook_emit
    from invoicing import batches
    from invoicing.models import Batch, Customer, Item
    from invoicing.services import Actor
    from tenants.audit import audit
    from tenants.models import ApiKey, CryptoKey, Invitation, Membership

    # Hundreds of API requests in one test: a 429 would hide what the route itself answers.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": 100_000, "auth": 100_000}
    settings.QUICKBOOKS_OAUTH_URL = "http://127.0.0.1:9/"  # "Connect QuickBooks" calls nobody outside this machine
    make_ready(tenant, key_file)
    services.tenant_update(tenant=tenant, name=MARK.tenant, tin=MARK.tin)
    services.nrs_credentials_set(tenant=tenant, api_key=MARK.nrs_api_key, api_secret=MARK.nrs_api_secret)
    with scope(tenant=tenant):
        Location.objects.update(street=MARK.street)
    admin = member(tenant, "admin", email=MARK.admin)
    clerk = member(tenant, "clerk", email=MARK.clerk)
    with scope(tenant=tenant):
        _key, key = services.api_key_create(tenant=tenant, name="A's ERP")
        services.invitation_create(
            tenant=tenant, email=MARK.invitee, role="clerk", invited_by=admin, base_url="http://x/"
        )
        customer = Customer.objects.create(
            tenant=tenant, kind="B2B", name=MARK.customer, tin=MARK.customer_tin, email=MARK.customer_email
        )
        item = Item.objects.create(tenant=tenant, name=MARK.item, unit_price_kobo=100000, hs_code_id="8517.11")
        audit(tenant, "settings.profile_updated", MARK.audit, user=admin)
        NrsCall.objects.create(
            tenant=tenant,
            endpoint="confirm",
            method="GET",
            url="https://nrs/x",
            outcome="ok",
            message=MARK.nrs_call,
            duration_ms=5,
        )

    draft = _invoice(tenant, MARK.draft)
    review = _invoice(tenant, MARK.review, "PENDING_REVIEW", block_reason="REVIEW_REQUIRED")
    certified = _invoice(
        tenant,
        MARK.certified,
        "CERTIFIED",
        certified_at=timezone.now(),
        payment_status="PARTIAL",
        amount_paid=1000,
        payment_reference=MARK.payment_reference,
    )
    with scope(tenant=tenant):
        certified.qr_payload = tenant_qr_payload(tenant, certified.irn)
        # A stand-in for the stored PDF, in plain text so that serving it to anyone else is caught by MARK.
        certified.pdf.save(f"{MARK.certified}.pdf", ContentFile(f"%PDF-1.4 {MARK.pdf}".encode()), save=False)
        certified.save()

    batch = batches.batch_upload(
        tenant=tenant,
        file=ContentFile(_csv([BATCH_ROW, BATCH_ROW_INVALID]), name=MARK.batch_file),
        actor=Actor(user=admin),
    )
    batches.batch_validate_run(str(batch.pk))  # what the queued task does: rows, groups and errors

    with scope(tenant=tenant):
        Connector.objects.create(tenant=tenant, kind="quickbooks", name=MARK.quickbooks_connector)
    webhook_create(tenant=tenant, url=MARK.webhook_url, events=["invoice.certified"], secret=MARK.webhook_secret)
    event = webhook_emit(invoice=certified, kind="invoice.certified")

    # What A's own sandbox identity sent to the embedded NRS sandbox (its console's "received" list).
    sandbox = SandboxBusiness.objects.create(
        business_id=tenant.nrs_business_id,
        name=MARK.tenant,
        service_id="ZQ7SBX01",
        private_key_pem="x",
        public_key_pem="x",
        certificate="c",
    )
    SandboxRequest.objects.create(method="POST", path=MARK.sandbox_path, status_code=200, business=sandbox)

    # An invoice another business certified for A's TIN, as A's purchase inbox holds it.
    received = received_invoice(
        tenant,
        supplier_name=MARK.supplier,
        supplier_tin=MARK.supplier_tin,
        document_number=MARK.received,
        lines=((MARK.line, "8517.11", "2", "25000"),),
    )

    # A connector with a secret and a document waiting for a fix.
    from integrations.connectors.models import Connector, SourceDocument

    with scope(tenant=tenant):
        connector = Connector.objects.create(
            tenant=tenant,
            kind="odoo",
            name=MARK.connector,
            settings={"url": "https://zq7.odoo.com", "database": "zq7", "username": "ap@zq7.ng"},
            credentials=f'{{"api_key": "{MARK.connector_secret}"}}',
        )
        source_document = SourceDocument.objects.create(
            tenant=tenant, connector=connector, source_id="42", reference=MARK.source_document, state="error"
        )

    # A's exchange rate (invoicing/exchange_rates.py), as an admin adds it in Settings.
    from datetime import date
    from decimal import Decimal

    from invoicing.exchange_rates import rate_add

    with scope(tenant=tenant):
        exchange_rate = rate_add(
            tenant=tenant, currency="CHF", rate=Decimal(MARK.exchange_rate), valid_from=date(2020, 1, 1)
        )

    # A notification for A's admin (the member B's requests are compared with), as a producer makes it.
    from tenants.notifications import notify

    (notification,) = notify(tenant, [admin], "webhook_paused", MARK.notification, MARK.notification, "", "zq7")

    # An accountant who is an admin of A and of B (every role check passes in both), A first: without the
    # session's choice of B their requests would work in A. Their unread notice in A is counted in B's switcher,
    # never shown.
    accountant = member(tenant, "admin", email="accountant@both.example.ng")
    with scope(tenant=second.tenant):
        Membership.objects.create(tenant=second.tenant, user=accountant, role="admin")
    notify(tenant, [accountant], "webhook_paused", MARK.notification, MARK.notification, "", "zq7-accountant")
    second.accountant = accountant

    with scopes_disabled():
        return SimpleNamespace(
            exchange_rate=exchange_rate,
            notification=notification,
            connector=connector,
            source_document=source_document,
            received=received,
            tenant=tenant,
            admin=admin,
            admin_uidb64=urlsafe_base64_encode(force_bytes(admin.pk)),
            key=key,
            location=Location.objects.get(tenant=tenant),
            crypto_key=CryptoKey.objects.get(tenant=tenant),
            api_key=ApiKey.objects.get(tenant=tenant),
            membership=Membership.objects.get(tenant=tenant, user=clerk),
            invitation=Invitation.objects.get(tenant=tenant),
            customer=customer,
            item=item,
            draft=draft,
            review=review,
            certified=certified,
            batch=Batch.objects.get(pk=batch.pk),
            webhook=WebhookEndpoint.objects.get(tenant=tenant),
            delivery=WebhookDelivery.objects.get(tenant=tenant),
            event=event,
            quickbooks=Connector.objects.get(tenant=tenant, kind="quickbooks"),
            user_session=UserSession.objects.create(
                session_key="zq7" + "0" * 29, user=admin, user_agent="Zq7Browser/1.0", last_seen_at=timezone.now()
            ),
        )


@pytest.fixture
def markers(first):
    """MARK's strings and A's generated ones (IRNs, ids, key prefix and fingerprint, NRS business id...)."""
    found = {value for name, value in vars(MARK).items() if not name.startswith("_")}
    found |= {first.draft.irn, first.certified.irn, first.review.irn, first.event.id, first.received.irn}
    found |= {str(row.pk) for row in (first.draft, first.review, first.certified, first.batch, first.received)}
    found |= {first.api_key.prefix, first.crypto_key.fingerprint, str(first.tenant.nrs_business_id)}
    assert all(len(marker) >= 8 for marker in found)  # long enough never to turn up by chance
    return found


# Every portal page shows the signed-in person their business's name and their e-mail: that is no evidence that
# a search found anything.
CHROME = {MARK.tenant, MARK.admin}


def _session(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _keyed(key) -> Client:
    return Client(headers={KEY_HEADER: key})


def _as(who, second) -> Client:
    """Tenant B's admin signed in to the portal, B's API key, nobody, or the accountant working in B."""
    return {
        "session": lambda: _session(second.admin),
        "key": lambda: _keyed(second.key),
        "anonymous": Client,
        "accountant": lambda: _working_in(second.accountant, second.tenant),
    }[who]()


def _working_in(user, tenant) -> Client:
    """The person signed in, working in `tenant` (as the business switcher leaves the session)."""
    client = _session(user)
    session = client.session
    session["tenant_id"] = str(tenant.pk)
    session.save()
    return client


# The accountant belongs to A and to B, and works in B: the name of A, a business of theirs, is theirs to see (the
# switcher lists it on every page); nothing else of A's is. Switching to A is theirs to do (tested on its own below).
ACCOUNTANT_SEES = {MARK.tenant}
ACCOUNTANT_MAY = {"business_switch"}


def _markers_for(who, markers) -> set:
    return markers - ACCOUNTANT_SEES if who == "accountant" else markers


def _text(response) -> str:
    """Headers and the whole body (a file is streamed to its end, which also closes it)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return str(dict(response.headers)) + body.decode("utf-8", "replace")


def _shown(response, markers, sent: str) -> set:
    """A's markers in the answer, but for those the request itself sent (a 404 may echo the IRN it was given)."""
    text = _text(response)
    return {marker for marker in markers if marker in text and marker not in sent}


def _url(name, entry, first, params=None, query=None) -> str:
    url = entry.path.format(a=first) if getattr(entry, "path", "") else reverse(name, kwargs=_fill(params or {}, first))
    return url + ("?" + urlencode(_fill(query, first)) if query else "")


def _a_rows(tenant):
    """Every tenant-owned row of A, and A itself: what a refused request must leave as it was."""
    with scopes_disabled():
        rows = {"tenant": list(Tenant.objects.filter(pk=tenant.pk).values())}
        for model in apps.get_models():
            if issubclass(model, TenantOwned):
                rows[model.__name__] = list(model.objects.filter(tenant=tenant).order_by("pk").values())
        return rows


def _allowed(response):
    return response.get("Allow", "").lower()


def _refused_by_key(response) -> bool:
    """With B's key: the admin API's 403, the integrator API's 404, or the portal's sign-in page."""
    if response.status_code == 302:
        return response["Location"].startswith(reverse("login"))
    return response.status_code in (401, 403, 404, 405)


# --- the table covers every route ---------------------------------------------------------------------------


def test_every_url_pattern_is_in_the_table():
    keys = [key for key, _pattern in _all_routes()]
    assert len(keys) == len(set(keys)), "two patterns share a name: key the table by something else"
    assert set(keys) - set(ROUTES) == set(), "new routes: say in ROUTES how another tenant requests them"
    assert set(ROUTES) - set(keys) == set(), "ROUTES names routes that no longer exist"


def test_the_table_fills_every_parameter_of_every_pattern():
    for key, pattern in _all_routes():
        entry = ROUTES[key]
        expected = set(pattern.pattern.converters) if hasattr(pattern.pattern, "converters") else set()
        if isinstance(entry, Owned):
            assert set(entry.params) == expected and expected, key
            assert all(isinstance(value, A) for value in entry.params.values()), key
        elif isinstance(entry, Listing):
            assert expected == set(), f"{key} has path parameters: it is Owned or Public"
        elif isinstance(entry, Public) and not entry.path:
            assert all(set(params) == expected for params in entry.param_sets), key


# --- routes that name one of A's rows ---------------------------------------------------------------------------


def test_the_owned_routes_answer_the_first_tenant_itself(first, second):
    """The control: A's own session and key get past the look-up (B's 404 below is a refusal, not a typo)."""
    for client in (_session(first.admin), _keyed(first.key)):
        for name, entry in _of_kind(Owned):
            response = client.get(_url(name, entry, first, entry.params))
            assert response.status_code != 404, f"A itself gets 404 on {name}: fix its parameters in ROUTES"


@pytest.mark.parametrize("who", ["session", "key", "accountant"])
def test_another_tenant_is_refused_on_every_owned_route_and_changes_nothing(who, first, second, markers):
    client = _as(who, second)
    before = _a_rows(first.tenant)
    mail.outbox.clear()
    for name, entry in _of_kind(Owned):
        if who == "accountant" and name in ACCOUNTANT_MAY:
            continue
        url = _url(name, entry, first, entry.params)
        for method in ("get", "post", "put", "patch", "delete"):
            response = getattr(client, method)(url)
            where = f"{who}: {method.upper()} {url} ({name}) answered {response.status_code}"
            if who != "key":  # B's admins pass every role check: only the tenant filter stands in the way
                assert response.status_code in (404, 405), where  # a 403 would tell B that the row exists
            else:
                assert _refused_by_key(response), where
            assert response.status_code != 405 or method not in _allowed(response), where
            assert not _shown(response, _markers_for(who, markers), url), where
    assert _a_rows(first.tenant) == before
    assert mail.outbox == []


# --- routes without parameters: lists, searches, look-ups, exports ---------------------------------------------------


def test_the_first_tenant_is_shown_its_own_data_where_the_table_says(first, second, markers):
    """The control: each search shows A its own data, and each page said to hold tenant data shows A some, so B
    being shown none of it below means the tenant filter worked, not that the search missed."""
    clients = (_session(first.admin), _keyed(first.key))
    for name, entry in _of_kind(Listing):
        if entry.nothing_of_a_tenant:  # and the table says so truthfully
            url = _url(name, entry, first)
            assert not any(_shown(client.get(url), markers - CHROME, url) for client in clients), name
            continue
        for query in entry.queries:
            url = _url(name, entry, first, query=query)
            found = any(_shown(client.get(url), markers - CHROME, url) for client in clients)
            assert found, f"A's own search {url} finds nothing of A's: fix the parameter or the term in ROUTES"
        if not entry.queries:
            url = _url(name, entry, first)
            assert any(_shown(client.get(url), markers, url) for client in clients), f"nothing of A's at {url}"


@pytest.mark.parametrize("who", ["anonymous", "session", "key", "accountant"])
def test_another_tenant_is_shown_none_of_the_first_tenants_data_on_any_listing(who, first, second, markers):
    client = _as(who, second)
    for name, entry in _of_kind(Listing):
        for query in (None, *entry.queries):
            url = _url(name, entry, first, query=query)
            response = client.get(url)
            assert response.status_code < 500 and response.status_code != 429, f"{who}: {url} {response.status_code}"
            assert not _shown(response, _markers_for(who, markers), url), f"{who}: GET {url} shows A's data"
    if who == "accountant":  # still working in B after every page: nothing above moved the session to A
        assert client.get(reverse("api_auth_me")).json()["tenant"]["id"] == str(second.tenant.pk)


def test_stored_files_have_no_url_of_their_own(first, second, markers):
    """A's stored PDF and uploaded CSV, asked for by their storage names where a file server might answer."""
    from django.conf import settings

    for who in ("anonymous", "session", "key"):
        client = _as(who, second)
        for name in (first.certified.pdf.name, first.batch.file.name):
            for prefix in {settings.MEDIA_URL, "/", "/media/", settings.STATIC_URL}:
                url = prefix + name
                response = client.get(url)
                assert response.status_code == 404 and not _shown(response, markers, url), f"{who}: {url}"


def test_the_audit_log_csv_export_of_another_tenant_has_only_its_own_rows(first, second, markers):
    response = _session(second.admin).get(reverse("settings_audit"), {"format": "csv"})
    text = _text(response)
    assert response["Content-Type"].startswith("text/csv") and text.count("\n") >= 2  # B's own API-key event
    assert not {marker for marker in markers if marker in text}


# --- routes with parameters that are not A's ids ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "session", "key", "accountant"])
def test_public_routes_show_another_tenant_nothing_of_the_first(who, first, second, markers):
    client = _as(who, second)
    for name, entry in _of_kind(Public):
        allowed = {getattr(MARK, field) for field in entry.publishes}
        allowed |= ACCOUNTANT_SEES if who == "accountant" else set()
        for params in entry.param_sets:
            url = _url(name, entry, first, params)
            response = client.get(url)
            assert response.status_code < 500, f"{who}: {url} {response.status_code}"
            assert not _shown(response, markers - allowed, url), f"{who}: GET {url} shows A's data"


def test_the_public_irn_check_publishes_only_what_is_printed_on_the_invoice(first, second):
    irn = first.certified.irn
    found = _keyed(second.key).get(reverse("api_invoice_verify", args=[irn])).json()
    assert found["valid"] is True and found["irn"] == irn  # the spec's public check works across tenants...
    assert set(found) == {
        "valid",
        "irn",
        "documentNumber",
        "invoiceType",
        "issueDate",
        "status",
        "supplier",
        "payableAmount",
        "currency",
        "certifiedAt",
    }  # ...and shows no buyer, lines, payment or ids: a new field here needs a decision
    assert found["supplier"] == {"name": MARK.tenant, "tin": MARK.tin}
    assert _keyed(second.key).get(reverse("api_invoice_verify", args=[first.draft.irn])).status_code == 404


# --- A's ids in a body, in the session, in an API key -----------------------------------------------------------


def test_the_first_tenants_ids_in_a_body_are_unknown_to_another_tenant(first, second, markers, key_file):
    from invoicing.models import Invoice
    from tests.invoicing.conftest import body

    make_ready(second.tenant, key_file)  # so that B's requests get as far as looking the ids up
    before = _a_rows(first.tenant)
    for name, who, data in BODY_IDS:
        client = _as(who, second)
        filled = _fill(data, first)
        if isinstance(data, PortalForm):
            response = client.post(reverse(name), filled)
        else:
            filled = body(document_number="B-CN-1", **filled) if isinstance(data, InvoiceBody) else filled
            response = client.post(reverse(name), filled, content_type="application/json")
        where = f"{who}: POST {name} with A's ids answered {response.status_code}: {response.content[:300]}"
        assert response.status_code in ((200,) if isinstance(data, PortalForm) else (400, 404)), where
        assert not _shown(response, markers, str(filled)), where
    assert _a_rows(first.tenant) == before
    with scopes_disabled():
        assert not Invoice.objects.filter(tenant=second.tenant).exists()
    # The control for the form (its refusal is silent): the editor names A's original to A itself.
    form = _fill(BODY_IDS[-1][2], first)
    assert MARK.certified in _session(first.admin).post(reverse("invoice_new"), form).content.decode()


def test_an_idempotency_key_replays_only_to_the_tenant_that_used_it(first, second):
    """Replayed answers are stored per tenant: B sending A's key and body gets its own answer, not A's."""
    from tests.invoicing.conftest import ACME_CUSTOMER

    def create(key):
        data = {**ACME_CUSTOMER, "name": "Idempotent Buyer"}
        return _keyed(key).post(
            reverse("api_customers"), data, content_type="application/json", headers={"Idempotency-Key": "erp-run-42"}
        )

    mine = create(first.key)
    assert create(first.key)["Idempotency-Replayed"] == "true"  # the control: A's retry is a replay
    theirs = create(second.key)
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotency-Replayed" not in theirs and theirs.json()["id"] != mine.json()["id"]


def test_a_session_cannot_be_pointed_at_the_first_tenant(first, second, markers):
    """The session's tenant id picks among the user's own memberships; A's id there is ignored."""
    client = _session(second.admin)
    session = client.session
    session["tenant_id"] = str(first.tenant.pk)
    session.save()
    assert client.get(reverse("api_auth_me")).json()["tenant"]["id"] == str(second.tenant.pk)
    for page in ("dashboard", "settings_profile", "invoice_list", "customer_list", "api_tenant_profile"):
        response = client.get(reverse(page))
        assert response.status_code == 200 and not _shown(response, markers, ""), page


def test_the_first_tenants_webhook_events_go_to_its_own_endpoint_only(first, second):
    from integrations.webhooks.models import WebhookDelivery, WebhookEvent

    with scopes_disabled():
        assert [d.endpoint_id for d in WebhookDelivery.objects.filter(event__tenant=first.tenant)] == [first.webhook.pk]
        assert not WebhookDelivery.objects.filter(endpoint=second.webhook).exists()
        assert not WebhookEvent.objects.filter(tenant=second.tenant).exists()


def test_an_api_key_only_ever_resolves_to_its_own_tenant(tenant, other_tenant):
    with scope(tenant=other_tenant):
        _row, plaintext = services.api_key_create(tenant=other_tenant, name="B")
    seen = {}

    def probe(request):
        seen["tenant"] = request.tenant

    from tenants.middleware import TenantMiddleware

    TenantMiddleware(probe)(type("R", (), {"headers": {KEY_HEADER: plaintext}, "user": None})())
    assert seen["tenant"] == other_tenant


def test_tenant_owned_queries_outside_a_tenant_scope_raise():
    from django_scopes.exceptions import ScopeError

    with pytest.raises(ScopeError):
        list(Location.objects.all())
