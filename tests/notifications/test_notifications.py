"""Notifications, each produced by the real event, shown under the bell and e-mailed (a real SMTP server,
aiosmtpd) exactly once, even when the sending task runs again."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from invoicing import tasks
from invoicing.models import GateRules, Invoice
from invoicing.services import Actor, invoice_create, invoice_review
from tenants.models import Notification, NotificationPreference
from tenants.notifications import notify, send_daily_digests, send_notification_email
from tests.conftest import member
from tests.invoicing.conftest import body

pytestmark = pytest.mark.usefixtures("queue_inline")  # the e-mail tasks run as their change commits


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs `call` as a committed change would: what waits for the commit (the e-mail tasks) runs after it."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def gates(tenant, **rules):
    GateRules.objects.update_or_create(tenant=tenant, defaults=rules)


def notifications_of(tenant, user) -> list[Notification]:
    with scope(tenant=tenant):
        return list(Notification.objects.filter(user=user).order_by("created_at", "id"))


def mails_to(inbox, address) -> list:
    return [message for recipients, message in inbox.messages if address in recipients]


def subject(message) -> str:
    return str(message["Subject"]).strip()  # the header parser keeps the space before an encoded word


def parts(message) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def send_again(tenant, user):
    """What a retried task does: every one of the member's notifications is sent again (it must not be)."""
    for notification in notifications_of(tenant, user):
        assert send_notification_email(notification.pk) in ("already sent", "no address")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_invoice_held_for_review_tells_the_reviewers_once_and_then_the_approvers(
    committed, ready_tenant, smtp_inbox
):
    clerk = member(ready_tenant, "clerk", email="clerk@kola.ng")
    reviewer = member(ready_tenant, "reviewer", email="rev@kola.ng")
    approver = member(ready_tenant, "approver", email="appr@kola.ng")
    gates(ready_tenant, review="all", approval_above=1)
    invoice = committed(invoice_create, tenant=ready_tenant, data=body(document_number="KF-0101"), actor=Actor(clerk))
    assert invoice.status == Invoice.Status.PENDING_REVIEW

    (message,) = mails_to(smtp_inbox, "rev@kola.ng")
    assert subject(message) == "Invoice KF-0101 is waiting for your review · Kola Foods Ltd"
    text, html = parts(message)
    for part in (text, html):
        assert "waits for your review" in part and "₦" in part
        assert f"https://portal.example.ng/invoices/{invoice.pk}/" in part
        assert "Lagos time" in part
    assert mails_to(smtp_inbox, "clerk@kola.ng") == [] and mails_to(smtp_inbox, "appr@kola.ng") == []
    send_again(ready_tenant, reviewer)
    assert len(smtp_inbox.messages) == 1

    committed(invoice_review, invoice=invoice, user=reviewer, approve=True)
    (message,) = mails_to(smtp_inbox, "appr@kola.ng")
    assert "is waiting for your approval" in subject(message)
    send_again(ready_tenant, approver)
    assert len(smtp_inbox.messages) == 2
    assert [n.title for n in notifications_of(ready_tenant, approver)] == [
        "Invoice KF-0101 is waiting for your approval"
    ]


def test_a_rejected_invoice_tells_its_creator_the_reason(committed, ready_tenant, smtp_inbox):
    clerk = member(ready_tenant, "clerk", email="clerk@kola.ng")
    reviewer = member(ready_tenant, "reviewer", email="rev@kola.ng")
    gates(ready_tenant, review="all")
    invoice = committed(invoice_create, tenant=ready_tenant, data=body(document_number="KF-0102"), actor=Actor(clerk))
    committed(invoice_review, invoice=invoice, user=reviewer, approve=False, comment="Wrong PO number")

    (message,) = mails_to(smtp_inbox, "clerk@kola.ng")
    assert subject(message).startswith("Invoice KF-0102 was rejected at review")
    for part in parts(message):
        assert "Wrong PO number" in part
    send_again(ready_tenant, clerk)
    assert len(mails_to(smtp_inbox, "clerk@kola.ng")) == 1


def test_a_submission_nrs_rejects_tells_the_creator_and_the_admins_in_nrs_words(
    committed, connected_tenant, smtp_inbox
):
    clerk = member(connected_tenant, "clerk", email="clerk@kola.ng")
    member(connected_tenant, "admin", email="boss@kola.ng")
    connected_tenant.nrs_service_id = "ZZZZ9999"  # a service ID that is not this business's at NRS
    connected_tenant.save()
    invoice = committed(
        invoice_create, tenant=connected_tenant, data=body(document_number="KF-0103"), actor=Actor(clerk)
    )
    with scopes_disabled():
        assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.FAILED

    for address in ("clerk@kola.ng", "boss@kola.ng"):
        (message,) = mails_to(smtp_inbox, address)
        assert subject(message).startswith("Invoice KF-0103 could not be submitted to NRS")
        for part in parts(message):
            assert "irn validation failed for this business" in part
            assert connected_tenant.nrs_api_secret not in part  # no secret in any mail
    send_again(connected_tenant, clerk)
    # The task running again for an invoice already failed changes nothing either.
    assert tasks.submit_invoice(str(invoice.pk)) != "failed"
    assert len(mails_to(smtp_inbox, "clerk@kola.ng")) == 1


def test_the_same_event_never_notifies_twice(committed, ready_tenant, smtp_inbox):
    admin = member(ready_tenant, "admin", email="boss@kola.ng")
    first = committed(notify, ready_tenant, [admin, admin], "webhook_paused", "Paused", "Why", "/settings/", "event-1")
    again = committed(notify, ready_tenant, [admin], "webhook_paused", "Paused", "Why", "/settings/", "event-1")
    assert len(first) == 1 and again == []
    assert len(smtp_inbox.messages) == 1


def test_a_member_who_chose_the_daily_summary_gets_one_mail_a_day(committed, ready_tenant, smtp_inbox):
    clerk = member(ready_tenant, "clerk", email="clerk@kola.ng")
    reviewer = member(ready_tenant, "reviewer", email="rev@kola.ng")
    with scope(tenant=ready_tenant):
        NotificationPreference.objects.create(
            tenant=ready_tenant, user=reviewer, kind="waiting_for_you", email=True, digest=True
        )
    gates(ready_tenant, review="all")
    for number in ("KF-0201", "KF-0202"):
        committed(invoice_create, tenant=ready_tenant, data=body(document_number=number), actor=Actor(clerk))
    assert smtp_inbox.messages == []  # nothing at once

    assert send_daily_digests(now=timezone.now() + timedelta(seconds=1)) == 1
    assert send_daily_digests(now=timezone.now() + timedelta(seconds=1)) == 0  # the task again: nothing more
    ((recipients, message),) = smtp_inbox.messages
    assert recipients == ["rev@kola.ng"]
    assert subject(message) == "Your daily summary · Kola Foods Ltd: 2 notifications"
    for part in parts(message):
        assert "KF-0201" in part and "KF-0202" in part and "Lagos time" in part


def test_e_mail_off_keeps_it_under_the_bell_only(committed, ready_tenant, smtp_inbox, client):
    clerk = member(ready_tenant, "clerk", email="clerk@kola.ng")
    reviewer = member(ready_tenant, "reviewer", email="rev@kola.ng")
    page = signed_in(reviewer)
    response = page.post(
        reverse("notification_settings"),
        {"email_waiting_for_you": "off", "email_invoice_rejected": "digest"},
        follow=True,
    )
    assert "Your notification settings are saved." in response.content.decode()
    assert 'value="off" selected' in response.content.decode()
    gates(ready_tenant, review="all")
    committed(invoice_create, tenant=ready_tenant, data=body(document_number="KF-0301"), actor=Actor(clerk))
    assert smtp_inbox.messages == []
    assert len(notifications_of(ready_tenant, reviewer)) == 1


def test_the_bell_counts_unread_and_the_list_marks_them_read(committed, ready_tenant):
    clerk = member(ready_tenant, "clerk", email="clerk@kola.ng")
    reviewer = member(ready_tenant, "reviewer", email="rev@kola.ng")
    gates(ready_tenant, review="all")
    invoice = None
    for number in ("KF-0401", "KF-0402"):
        invoice = committed(invoice_create, tenant=ready_tenant, data=body(document_number=number), actor=Actor(clerk))
    page = signed_in(reviewer)
    html = page.get(reverse("dashboard")).content.decode()
    assert 'id="bell-count">2<' in html
    assert 'id="bell-count"' not in signed_in(clerk).get(reverse("dashboard")).content.decode()

    html = page.get(reverse("notification_list")).content.decode()
    assert html.index("KF-0402") < html.index("KF-0401")  # newest first
    newest, older = reversed(notifications_of(ready_tenant, reviewer))
    response = page.post(reverse("notification_read", args=[newest.pk]), {"open": "1"})
    assert response.url == reverse("invoice_detail", args=[invoice.pk])
    assert 'id="bell-count">1<' in page.get(reverse("dashboard")).content.decode()
    page.post(reverse("notification_read_all"))
    assert 'id="bell-count"' not in page.get(reverse("notification_list")).content.decode()
    assert all(n.read_at for n in notifications_of(ready_tenant, reviewer))


def test_another_business_never_sees_or_marks_them(committed, ready_tenant, other_tenant):
    clerk = member(ready_tenant, "clerk", email="clerk@kola.ng")
    reviewer = member(ready_tenant, "reviewer", email="rev@kola.ng")
    gates(ready_tenant, review="all")
    committed(invoice_create, tenant=ready_tenant, data=body(document_number="KF-0501"), actor=Actor(clerk))
    (mine,) = notifications_of(ready_tenant, reviewer)
    outsider = signed_in(member(other_tenant, "admin", email="them@other.ng"))
    assert "KF-0501" not in outsider.get(reverse("notification_list")).content.decode()
    assert outsider.post(reverse("notification_read", args=[mine.pk])).status_code == 404
    outsider.post(reverse("notification_read_all"))
    assert notifications_of(ready_tenant, reviewer)[0].read_at is None
    # Nor does a colleague of the same business: notifications are each member's own.
    assert signed_in(clerk).post(reverse("notification_read", args=[mine.pk])).status_code == 404


def test_an_invoice_arriving_in_the_purchase_inbox_tells_admins_and_approvers_once(committed, ready_tenant, smtp_inbox):
    """The pull saves each received IRN once (invoicing/purchases/pull.py _save): so is it notified."""
    from invoicing.models import ReceivedInvoice
    from invoicing.purchases import pull
    from tests.factories import received_invoice

    member(ready_tenant, "admin", email="boss@kola.ng")
    member(ready_tenant, "approver", email="appr@kola.ng")
    member(ready_tenant, "clerk", email="clerk@kola.ng")
    # The document NRS delivers: one made by the factory, then removed, so that the pull saves it for real.
    made = received_invoice(ready_tenant, supplier_name="Dangote Supplies Ltd", document_number="DS0042")
    document = made.document
    with scope(tenant=ready_tenant):
        ReceivedInvoice.objects.filter(pk=made.pk).delete()
        assert committed(pull._save, ready_tenant, document, pull._read(document)) is True
        assert committed(pull._save, ready_tenant, document, pull._read(document)) is False  # seen again
        received = ReceivedInvoice.objects.get(irn=made.irn)

    assert sorted(r[0] for r, _m in smtp_inbox.messages) == ["appr@kola.ng", "boss@kola.ng"]
    message = mails_to(smtp_inbox, "boss@kola.ng")[0]
    assert subject(message).startswith("Dangote Supplies Ltd sent you an invoice DS0042")
    for part in parts(message):
        assert "purchase inbox" in part and "₦" in part
        assert f"https://portal.example.ng/purchases/{received.pk}/" in part


def test_a_csv_upload_with_errors_tells_its_uploader(committed, ready_tenant, smtp_inbox):
    from django.core.files.base import ContentFile

    from invoicing import batches
    from tests.invoicing.test_batches import csv_bytes, good_row

    clerk = member(ready_tenant, "clerk", email="clerk@kola.ng")
    member(ready_tenant, "admin", email="boss@kola.ng")
    content = csv_bytes([good_row(1), good_row(2, line_quantity="two")])
    batch = committed(
        batches.batch_upload,
        tenant=ready_tenant,
        file=ContentFile(content, name="april.csv"),
        actor=Actor(user=clerk),
    )
    committed(batches.batch_validate_run, str(batch.pk))
    committed(batches.batch_validate_run, str(batch.pk))  # a redelivered task: checked once, told once

    ((recipients, message),) = smtp_inbox.messages
    assert recipients == ["clerk@kola.ng"]
    assert subject(message).startswith("april.csv has errors to fix")
    for part in parts(message):
        assert "1 error in 1 of 2 invoices" in part
        assert f"https://portal.example.ng/invoices/batches/{batch.pk}/" in part
    send_again(ready_tenant, clerk)
    assert len(smtp_inbox.messages) == 1


def test_a_connector_run_with_documents_to_fix_tells_the_admins(committed, ready_tenant, smtp_inbox, monkeypatch):
    from integrations.connectors import sync
    from integrations.connectors.models import Connector
    from tests.connectors.test_sync import Ledger

    admin = member(ready_tenant, "admin", email="boss@kola.ng")
    member(ready_tenant, "clerk", email="clerk@kola.ng")
    ledger = Ledger()
    monkeypatch.setitem(sync.KINDS, "odoo", ledger)
    ledger.documents["1"] = {"bad": "The customer has no TIN."}
    with scope(tenant=ready_tenant):
        connector = Connector.objects.create(tenant=ready_tenant, kind="odoo", name="Head office books")
    run = committed(sync.connector_sync, connector)
    assert run.failed == 1

    ((recipients, message),) = smtp_inbox.messages
    assert recipients == ["boss@kola.ng"]
    assert subject(message).startswith("Head office books: 1 document to fix")
    for part in parts(message):
        assert "1 of its 1 documents could not become invoices" in part
    send_again(ready_tenant, admin)
    assert len(smtp_inbox.messages) == 1


def test_a_b2c_invoice_near_and_past_its_24_hour_deadline_tells_its_creator_then_the_admins(
    committed, ready_tenant, smtp_inbox
):
    from invoicing.notices import b2c_deadlines

    clerk = member(ready_tenant, "clerk", email="clerk@kola.ng")
    member(ready_tenant, "admin", email="boss@kola.ng")
    gates(ready_tenant, review="all")  # held for review: not reported, the clock runs
    invoice = committed(
        invoice_create,
        tenant=ready_tenant,
        data=body(document_number="KF-0701", invoice_kind="B2C"),
        actor=Actor(clerk),
    )
    smtp_inbox.messages.clear()
    with scopes_disabled():
        submitted = Invoice.objects.get(pk=invoice.pk).submitted_at
    deadline = timezone.localtime(submitted + timedelta(hours=24))

    assert committed(b2c_deadlines, now=submitted + timedelta(hours=19)) == 0  # 5 hours left: nothing yet
    assert committed(b2c_deadlines, now=submitted + timedelta(hours=21)) == 1
    assert committed(b2c_deadlines, now=submitted + timedelta(hours=22)) == 0  # the check again: told once
    ((recipients, message),) = smtp_inbox.messages
    assert recipients == ["clerk@kola.ng"]
    assert subject(message).startswith(f"Invoice KF-0701 must be reported to NRS by {deadline:%-d %b %Y, %H:%M}")
    for part in parts(message):
        assert "less than 4 hours from now" in part and "Lagos time" in part

    assert committed(b2c_deadlines, now=submitted + timedelta(hours=25)) == 1
    assert committed(b2c_deadlines, now=submitted + timedelta(hours=26)) == 0
    missed = [(r, m) for r, m in smtp_inbox.messages if "missed" in subject(m)]
    assert sorted(r[0] for r, _m in missed) == ["boss@kola.ng", "clerk@kola.ng"]


def test_nrs_unreachable_for_15_minutes_and_back_tells_the_admins_once_each(committed, ready_tenant, smtp_inbox):
    from integrations.nrs.client import base_url_for
    from integrations.nrs.models import NrsHost
    from integrations.nrs.outages import nrs_outage_check

    member(ready_tenant, "admin", email="boss@kola.ng")
    member(ready_tenant, "clerk", email="clerk@kola.ng")
    now = timezone.now()
    host = NrsHost.objects.create(
        base_url=base_url_for(ready_tenant), limit=4, circuit="open", failures=5, failing_since=now
    )
    assert committed(nrs_outage_check, now=now + timedelta(minutes=14)) == 0  # not yet 15 minutes
    assert committed(nrs_outage_check, now=now + timedelta(minutes=16)) == 1
    assert committed(nrs_outage_check, now=now + timedelta(minutes=30)) == 0  # the same outage: told once
    NrsHost.objects.filter(pk=host.pk).update(circuit="closed", failures=0, failing_since=None)
    assert committed(nrs_outage_check, now=now + timedelta(minutes=35)) == 1
    assert committed(nrs_outage_check, now=now + timedelta(minutes=40)) == 0

    subjects = [subject(m) for r, m in smtp_inbox.messages]
    assert [r for r, _m in smtp_inbox.messages] == [["boss@kola.ng"], ["boss@kola.ng"]]
    assert subjects == ["NRS is not answering · Kola Foods Ltd", "NRS is answering again · Kola Foods Ltd"]
    since = timezone.localtime(now).strftime("%-d %b %Y, %H:%M")
    for part in parts(smtp_inbox.messages[0][1]):
        assert f"since {since} (Lagos time)" in part and "nothing is lost" in part


def test_an_api_key_expiring_tells_the_admins_at_30_7_and_1_days_once_each(committed, ready_tenant, smtp_inbox):
    from tenants.notifications import credentials_expiring
    from tenants.services import api_key_create

    admin = member(ready_tenant, "admin", email="boss@kola.ng")
    member(ready_tenant, "clerk", email="clerk@kola.ng")
    now = timezone.now()
    expires = now + timedelta(days=40)
    with scope(tenant=ready_tenant):
        key, plaintext = api_key_create(tenant=ready_tenant, name="Sage ERP", expires_at=expires, user=admin)

    told = [
        committed(credentials_expiring, now=expires - timedelta(days=days)) for days in (31, 29.5, 20, 6.5, 6, 0.5, 0.2)
    ]
    assert told == [0, 1, 0, 1, 0, 1, 0]
    subjects = [subject(m) for r, m in smtp_inbox.messages]
    assert all(r == ["boss@kola.ng"] for r, _m in smtp_inbox.messages)  # its creator is an admin: one mail each
    assert subjects == [
        "The API key “Sage ERP” expires within 30 days · Kola Foods Ltd",
        "The API key “Sage ERP” expires within 7 days · Kola Foods Ltd",
        "The API key “Sage ERP” expires tomorrow · Kola Foods Ltd",
    ]
    for _r, message in smtp_inbox.messages:
        for part in parts(message):
            assert plaintext not in part and key.key_hash not in part  # no secret in any mail
            assert "Lagos time" in part
