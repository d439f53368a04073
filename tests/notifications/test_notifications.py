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
