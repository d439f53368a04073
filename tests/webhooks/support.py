"""Webhook test support: a real HTTP receiver on loopback, endpoints, invoices in a chosen state, signature checks."""

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from integrations.webhooks import services
from integrations.webhooks.models import WebhookDelivery
from invoicing.models import Invoice
from invoicing.services import Actor, invoice_create
from tests.invoicing.conftest import body, queue_inline, ready_tenant  # noqa: F401

SECRET = "whk-test-secret-0123456789abcdef"


class Receiver:
    """Records every request (method, path, headers, raw body); answers with the next queued status, else
    `status`, after `delay` seconds."""

    def __init__(self):
        self.requests = []
        self.statuses = []
        self.status = 204
        self.delay = 0.0
        self.response_body = b""
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with receiver._lock:
                    receiver.requests.append(
                        {
                            "method": self.command,
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": raw,
                        }
                    )
                    status = receiver.statuses.pop(0) if receiver.statuses else receiver.status
                if receiver.delay:
                    time.sleep(receiver.delay)  # the receiver may be slow; Flowpoint's workers never sleep
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(receiver.response_body)))
                    self.end_headers()
                    self.wfile.write(receiver.response_body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout)

            do_POST = do_GET = do_PUT = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_port}/hooks/flowpoint"

    @property
    def bodies(self):
        return [json.loads(r["body"]) for r in self.requests]

    def wait_for(self, count, timeout=20.0):
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return len(self.requests) >= count

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def page(browser, live_server):
    from tests.conftest import TIMEOUT_MS

    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def sign_in(page):
    """Sign in through the /login/ form, as a person would."""
    from playwright.sync_api import expect

    from tests.factories import PASSWORD

    def _sign_in(user):
        page.goto("/login/")
        page.get_by_label("E-mail").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("header .who")).to_contain_text(user.email)
        return page

    return _sign_in


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    settings.WEBHOOK_TIMEOUT = 10.0
    r = Receiver()
    try:
        yield r
    finally:
        r.close()


@pytest.fixture
def other_receiver(receiver):
    r = Receiver()
    try:
        yield r
    finally:
        r.close()


def make_endpoint(tenant, url, events=None, secret=SECRET, **kwargs):
    return services.webhook_create(
        tenant=tenant,
        url=url,
        events=events or ["invoice.pending", "invoice.certified", "invoice.failed"],
        secret=secret,
        **kwargs,
    )


def make_invoice(tenant, status="CERTIFIED", **changes):
    """An invoice made by the real service (as a draft: nothing is queued), then put in `status` as the NRS
    pipeline would."""
    invoice = invoice_create(tenant=tenant, data=body(**changes), actor=Actor(), draft=True)
    fields = {"status": status}
    if status in ("CERTIFIED", "REPORTED"):
        fields["certified_at"] = timezone.now()
    if status == "FAILED":
        fields.update(nrs_reason="NRS_REJECTED", nrs_detail="buyer TIN 12345678-0001 is not registered")
    with scope(tenant=tenant):
        Invoice.objects.filter(pk=invoice.pk).update(**fields)
        invoice.refresh_from_db()
    return invoice


def deliveries(tenant=None):
    with scopes_disabled():
        qs = WebhookDelivery.objects.select_related("event").order_by("id")
        if tenant is not None:
            qs = qs.filter(tenant=tenant)
        return list(qs)


def expected_hex(raw: bytes, secret=SECRET) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def standard_ok(request, secret=SECRET) -> bool:
    """Standard Webhooks check: any v1 signature over `{id}.{timestamp}.{body}` with the secret's UTF-8 bytes."""
    h = request["headers"]
    signed = f"{h['webhook-id']}.{h['webhook-timestamp']}.".encode() + request["body"]
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(part.split(",", 1)[1], expected)
        for part in h["webhook-signature"].split()
        if part.startswith("v1,")
    )
