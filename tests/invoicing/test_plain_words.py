"""The invoice page, the invoice list and the dashboard speak business: what happened and what to do, times in
Lagos, no machine codes or HTTP calls outside the one "Technical details" section.

NRS is played by a stand-in for the HTTP session, so the real client records its calls and the real pipeline
writes its timeline; nothing leaves the process."""

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from invoicing.models import Invoice
from invoicing.services import Actor, invoice_create
from invoicing.submission import submission_run
from tenants.models import CryptoKey
from tenants.services import crypto_key_delete
from tests.conftest import member
from tests.invoicing.conftest import body

CODE = re.compile(r"\b[A-Z]{2,}_[A-Z_]+\b")
NINE_UTC = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 in Lagos


class _Visible(HTMLParser):
    """The text a person reads without opening anything: no tags, scripts or styles, and nothing inside the
    element with `skip_id` (the technical details)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, skip_id):
        super().__init__()
        self.skip_id, self.skipping, self.parts = skip_id, 0, []
        self.quiet = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        if self.skipping:
            self.skipping += 1
        elif dict(attrs).get("id") == self.skip_id:
            self.skipping = 1
        if tag in ("script", "style", "title"):
            self.quiet += 1

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if self.skipping:
            self.skipping -= 1
        if tag in ("script", "style", "title"):
            self.quiet -= 1

    def handle_data(self, data):
        if not self.skipping and not self.quiet:
            self.parts.append(data)


def visible(html: str, skip_id="technical") -> str:
    parser = _Visible(skip_id)
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def technical(html: str) -> str:
    assert 'id="technical"' in html, "the page has no technical details"
    section = html.split('id="technical"', 1)[1].split("</section>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", section).split())


def assert_plain(text: str):
    assert not CODE.findall(text), CODE.findall(text)
    assert "UTC" not in text and "a.m.." not in text and "p.m.." not in text and "POST " not in text
    for machine in ("no answer", "Transient", "irn_validate", "HTTP ", "Could not connect"):
        assert machine not in text


# --- NRS as a stand-in for the HTTP session ---------------------------------------------------------------------


def answer(status: int, body: dict) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers["Content-Type"] = "application/json"
    return response


OK = answer(200, {"code": 200, "data": {"ok": True}})


class FakeNrs:
    """Answers each call by its path: `routes` maps a path fragment to a response or an exception to raise."""

    def __init__(self, **routes):
        self.routes = routes

    def request(self, method, url, **kwargs):
        for fragment, outcome in self.routes.items():
            if fragment.replace("_", "/") in url:
                if isinstance(outcome, Exception):
                    raise outcome
                return outcome
        return OK


@pytest.fixture
def nrs(monkeypatch, settings):
    settings.NRS_CIRCUIT_FAILURES = 100  # each test's failures are about the invoice, not an NRS outage

    def use(**routes):
        fake = FakeNrs(**routes)
        monkeypatch.setattr("integrations.nrs.client._session", lambda: fake)
        return fake

    return use


@pytest.fixture
def clerk(client, ready_tenant):
    client.force_login(member(ready_tenant, "clerk"))
    return client


def new_invoice(tenant, number="INV-2026-001", **changes):
    invoice = invoice_create(tenant=tenant, data=body(document_number=number, **changes), actor=Actor())
    assert invoice.status == "PENDING"
    return invoice


def reload(invoice):
    with scopes_disabled():
        return Invoice.objects.get(pk=invoice.pk)


def page(client, invoice) -> str:
    response = client.get(reverse("invoice_detail", args=[invoice.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- the invoice page ----------------------------------------------------------------------------------------------


def test_a_rejected_invoice_says_what_nrs_said_and_what_to_do_without_codes(clerk, ready_tenant, nrs):
    refusal = {"code": 400, "error": {"details": "buyer TIN 12345678-0001 is not registered", "public_message": ""}}
    nrs(irn_validate=answer(400, refusal))
    invoice = new_invoice(ready_tenant)
    assert submission_run(invoice.pk) == "failed"
    assert reload(invoice).nrs_reason == "NRS_REJECTED"  # the API's code is kept
    html = page(clerk, invoice)
    text = visible(html)
    assert_plain(text)
    assert "NRS rejected this invoice." in text
    assert "NRS said: buyer TIN 12345678-0001 is not registered" in text
    assert "press Retry" in text and "create a new one with the right details" in text
    assert "Retry" in visible(html.split("</h1>")[1].split("</div>")[0])  # the button beside the heading
    calls = technical(html)
    assert "Technical details: what Flowpoint sent to NRS and what it answered (1 call)" in calls
    assert "POST irn_validate" in calls and "HTTP 400" in calls and "is not registered" in calls


def test_an_invoice_nrs_never_answered_is_failed_in_plain_words(clerk, ready_tenant, nrs, settings):
    settings.NRS_MAX_ATTEMPTS = 2
    nrs(api=requests.ConnectionError("connection refused"))
    invoice = new_invoice(ready_tenant)
    assert submission_run(invoice.pk) == "retry"
    assert submission_run(invoice.pk, now=datetime.now(UTC) + timedelta(hours=1)) == "failed"
    assert reload(invoice).nrs_reason == "SUBMISSION_ERROR"
    html = page(clerk, invoice)
    text = visible(html)
    assert_plain(text)
    assert "NRS did not respond after 2 tries." in text and "Press Retry to send it again." in text
    assert "NRS said" not in text  # nothing NRS said: it never answered
    calls = technical(html)
    assert "(2 calls)" in calls and "no answer" in calls and "Could not connect to NRS." in calls


def test_a_retry_is_announced_in_lagos_time_and_blames_no_one_wrongly(clerk, ready_tenant, nrs, settings):
    settings.NRS_RETRY_BACKOFF = [60]
    nrs(api=requests.ConnectionError("connection refused"))
    invoice = new_invoice(ready_tenant)
    assert submission_run(invoice.pk, now=NINE_UTC) == "retry"
    with scope(tenant=ready_tenant):
        (entry,) = reload(invoice).events.filter(kind="nrs.retry_scheduled")
    assert entry.message == "Flowpoint could not reach NRS; it tries again automatically at 3 Mar 10:01."
    html = page(clerk, invoice)
    text = visible(html)
    assert_plain(text)
    assert "NRS said" not in text
    assert "Flowpoint could not reach NRS; it tries again automatically at 3 Mar 10:01." in text
    assert "Trying again shortly" in text
    calls = technical(html)
    assert "POST irn_validate" in calls and "no answer" in calls


def test_a_held_invoice_lists_what_is_missing_with_links(clerk, ready_tenant, nrs):
    nrs()
    invoice = new_invoice(ready_tenant)
    with scopes_disabled():
        for key in CryptoKey.objects.filter(tenant=ready_tenant):
            crypto_key_delete(crypto_key=key)
    assert submission_run(invoice.pk) == "blocked"
    assert reload(invoice).block_reason == "BLOCKED_CHECKLIST_FAILED"
    html = page(clerk, invoice)
    text = visible(html)
    assert_plain(text)
    assert "Held, not sent to NRS: your NRS set-up is not complete." in text
    assert "Complete what is missing, then press Retry:" in text and "NRS crypto-key file:" in text
    problem = html.split('id="problem"')[1].split("</div>")[0]
    assert f'href="{reverse("settings_crypto_keys")}"' in problem
    assert 'id="technical"' not in html  # nothing was sent to NRS


def test_a_held_invoice_whose_credentials_nrs_refused_points_to_nrs_set_up(clerk, ready_tenant, nrs):
    nrs(irn_validate=answer(400, {"code": 400, "error": {"details": "unable to validate api key"}}))
    invoice = new_invoice(ready_tenant)
    assert submission_run(invoice.pk) == "blocked"
    html = page(clerk, invoice)
    text = visible(html)
    assert_plain(text)
    assert "NRS did not accept your API key and secret. Enter them again in NRS set-up, then press Retry." in text
    assert f'href="{reverse("settings_nrs")}"' in html.split('id="problem"')[1].split("</div>")[0]


def test_a_certified_invoice_reads_as_business_events_in_lagos_time(clerk, ready_tenant, nrs):
    nrs()
    invoice = new_invoice(ready_tenant)
    assert submission_run(invoice.pk) == "certified"
    with scopes_disabled():
        invoice.events.filter(kind="invoice.created").update(created_at=NINE_UTC)
    html = page(clerk, invoice)
    text = visible(html)
    assert_plain(text)
    timeline = visible(html.split('id="timeline">')[1].split("</ol>")[0])
    assert timeline.startswith("3 Mar 2025, 10:00 Created —")  # 09:00 UTC, shown in Lagos
    for label in ("IRN validated", "Validated by NRS", "Signed by NRS", "Transmitted", "Certified"):
        assert label in timeline
    assert "Standard VAT 7.5%" in text  # the tax category's name, not its code
    calls = technical(html)
    assert "(4 calls)" in calls
    for call in ("POST irn_validate", "POST validate", "POST sign", "POST transmit", "HTTP 200"):
        assert call in calls
    assert 'id="problem"' not in html


# --- the invoice list and the dashboard ----------------------------------------------------------------------------


def certify(invoice, **fields):
    with scopes_disabled():
        Invoice.objects.filter(pk=invoice.pk).update(status="CERTIFIED", **fields)


def test_the_list_shows_the_amount_due_after_a_part_payment_and_a_credit_note(clerk, ready_tenant):
    paid = new_invoice(ready_tenant, "PART-1")
    credited = new_invoice(ready_tenant, "CRED-1")
    certify(paid, amount_paid=Decimal("20000.00"), payment_status="PARTIAL")
    certify(credited)
    note = invoice_create(
        tenant=ready_tenant,
        data=body(
            document_number="CN-1", invoice_type="credit_note", original_invoice_id=str(credited.pk), line__quantity=1
        ),
        actor=Actor(),
    )
    certify(note)
    html = clerk.get(reverse("invoice_list")).content.decode()
    rows = {
        number: visible(row)
        for row in html.split("<tbody>")[1].split("</tr>")
        for number in ("PART-1", "CRED-1", "CN-1")
        if f">{number}<" in row
    }
    assert "₦53,750.00 ₦33,750.00 Certified" in rows["PART-1"]  # total, then what is still due
    due = Decimal("53750.00") - reload(note).payable
    assert f"₦53,750.00 ₦{due:,.2f} Certified" in rows["CRED-1"]
    assert "— Certified" in rows["CN-1"]  # a note asks for no payment of its own
    assert_plain(visible(html))


def test_the_list_reads_the_amounts_due_in_one_query_for_the_page(clerk, ready_tenant):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert clerk.get(reverse("invoice_list")).status_code == 200
        return len(captured)

    certify(new_invoice(ready_tenant, "Q-1"), amount_paid=Decimal("100.00"))
    queries()  # a session's first page also records where it is signed in: counted apart
    few = queries()
    for n in range(2, 7):
        certify(new_invoice(ready_tenant, f"Q-{n}"), amount_paid=Decimal("100.00"))
    assert queries() == few


def failed_and_held(ready_tenant):
    rejected = new_invoice(ready_tenant, "REJ-1")
    gave_up = new_invoice(ready_tenant, "GAVE-1")
    held = new_invoice(ready_tenant, "HELD-1")
    with scopes_disabled():
        Invoice.objects.filter(pk=rejected.pk).update(
            status="FAILED", nrs_reason="NRS_REJECTED", nrs_detail="buyer TIN is not registered"
        )
        Invoice.objects.filter(pk=gave_up.pk).update(
            status="FAILED",
            nrs_reason="SUBMISSION_ERROR",
            nrs_detail="NRS did not succeed after 6 attempts: Could not connect to NRS.",
            attempts=6,
        )
        Invoice.objects.filter(pk=held.pk).update(
            status="BLOCKED", block_reason="NO_KEYS", block_detail="Upload the NRS crypto-key file."
        )


def test_the_list_and_the_dashboard_say_what_went_wrong_in_the_page_s_words(clerk, ready_tenant):
    failed_and_held(ready_tenant)
    listed = visible(clerk.get(reverse("invoice_list")).content.decode())
    dashboard = clerk.get(reverse("dashboard")).content.decode()
    attention = visible(dashboard.split('id="attention"')[1].split("</ul>")[0])
    for text in (listed, attention):
        assert_plain(text)
        assert "NRS rejected this invoice. NRS said: “buyer TIN is not registered”" in text
        assert "NRS did not respond after 6 tries." in text
        assert "Held, not sent to NRS: your NRS crypto-key file is missing." in text
    assert_plain(visible(dashboard))


# --- times elsewhere: one format, Lagos time, no "a.m.." -----------------------------------------------------------


def test_settings_pages_show_saved_and_uploaded_times_in_lagos_time_without_a_double_full_stop(client, ready_tenant):
    with scopes_disabled():
        CryptoKey.objects.filter(tenant=ready_tenant).update(uploaded_at=NINE_UTC)
    type(ready_tenant).objects.filter(pk=ready_tenant.pk).update(nrs_credentials_updated_at=NINE_UTC)
    client.force_login(member(ready_tenant, "admin"))
    nrs_page = visible(client.get(reverse("settings_nrs")).content.decode())
    assert "Saved 3 Mar 2025, 10:00. They are never shown again" in nrs_page
    keys = visible(client.get(reverse("settings_crypto_keys")).content.decode())
    assert "3 Mar 2025, 10:00" in keys
    wizard = visible(client.get(reverse("onboarding_step", args=["keys"])).content.decode())
    assert "uploaded 3 Mar 2025, 10:00." in wizard
    for text in (nrs_page, keys, wizard):
        assert "a.m." not in text and "p.m." not in text and "UTC" not in text


def test_a_rotated_webhook_secret_is_noted_in_lagos_time(ready_tenant):
    from integrations.webhooks.models import WebhookEndpoint
    from integrations.webhooks.services import webhook_rotate_secret
    from tenants.models import AuditEvent

    with scope(tenant=ready_tenant):
        endpoint = WebhookEndpoint.objects.create(
            tenant=ready_tenant, url="https://erp.example.ng/hooks", events=["invoice.certified"], secret="s" * 32
        )
    webhook_rotate_secret(endpoint=endpoint, secret="t" * 32, now=NINE_UTC)
    with scope(tenant=ready_tenant):
        (noted,) = AuditEvent.objects.filter(kind="webhook.secret_rotated")
    assert noted.message == "Signing secret replaced; the old one also signs until 4 Mar 2025, 10:00."


# --- actions refused on the invoice page ---------------------------------------------------------------------------


def test_a_payment_nrs_never_heard_of_is_not_blamed_on_nrs(clerk, ready_tenant, nrs):
    invoice = new_invoice(ready_tenant)
    certify(invoice)
    nrs(update=requests.ConnectionError("connection refused"))
    response = clerk.post(
        reverse("invoice_payment", args=[invoice.pk]), {"payment_status": "PARTIAL", "amount": "1000"}, follow=True
    )
    text = visible(response.content.decode())
    assert_plain(text)
    assert "NRS could not be reached just now, so nothing was changed. Try again in a moment." in text
    assert "Payment not reported: Flowpoint could not reach NRS. Nothing was changed; try again." in text
    assert reload(invoice).amount_paid == 0


def test_a_payment_nrs_refused_quotes_nrs(clerk, ready_tenant, nrs):
    invoice = new_invoice(ready_tenant)
    certify(invoice)
    nrs(update=answer(400, {"code": 400, "error": {"details": "payment reference already used"}}))
    response = clerk.post(
        reverse("invoice_payment", args=[invoice.pk]), {"payment_status": "PARTIAL", "amount": "1000"}, follow=True
    )
    text = visible(response.content.decode())
    assert_plain(text)
    assert "nothing was changed. Try again. NRS said: “payment reference already used”" in text
    assert "NRS did not accept the payment update. NRS said: “payment reference already used”" in text


@pytest.mark.parametrize(
    "said, shown",
    [
        ("Could not connect to NRS.", ""),
        ("NRS did not answer in time.", ""),
        ("Request to NRS failed: SSLError.", ""),
        ("NRS answered HTTP 502 without a JSON envelope.", ""),
        ("HTTP 400", ""),
        ("buyer TIN is not registered", "buyer TIN is not registered"),
    ],
)
def test_only_what_nrs_answered_counts_as_nrs_s_words(said, shown):
    from invoicing.wording import nrs_words

    assert nrs_words(said) == shown


def test_timeline_entries_written_in_the_old_words_read_in_today_s(clerk, ready_tenant):
    """Rows stay as written; the page rewords the old forms that quoted connection errors or printed UTC."""
    from invoicing.models import InvoiceEvent

    invoice = new_invoice(ready_tenant)
    old = [
        ("nrs.retry_scheduled", "NRS was unavailable (Could not connect to NRS.); trying again at 09:42:05 UTC."),
        (
            "nrs.requeued",
            "The attempt started at 09:30:00 UTC stopped without finishing (its worker was lost); "
            "queued for NRS again. NRS is asked before anything is signed again.",
        ),
        (
            "nrs.waiting",
            "NRS is unreachable (Could not connect to NRS.); it goes out automatically when NRS answers again.",
        ),
        ("invoice.failed", "NRS did not succeed after 6 attempts: Could not connect to NRS."),
        ("invoice.payment_failed", "NRS refused the payment update: NRS did not answer in time."),
    ]
    with scope(tenant=ready_tenant):
        InvoiceEvent.objects.bulk_create(
            InvoiceEvent(tenant=ready_tenant, invoice=invoice, kind=kind, message=message) for kind, message in old
        )
        InvoiceEvent.objects.filter(invoice=invoice, kind__in=[kind for kind, _ in old]).update(created_at=NINE_UTC)
    text = visible(page(clerk, invoice))
    assert_plain(text)
    assert "Flowpoint could not reach NRS; it tries again automatically at 3 Mar 10:42." in text
    assert "The attempt that started at 3 Mar 10:30 stopped without finishing" in text
    assert "NRS is not answering at the moment" in text
    assert "NRS did not respond after 6 tries" in text
    assert "Payment not reported: Flowpoint could not reach NRS." in text
