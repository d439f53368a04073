"""The invoice PDF e-mailed to its buyer, received by a real SMTP server (aiosmtpd) over Django's SMTP backend:
sent from the invoice page, and on certification when the customer asks for it."""

import io
import re

import pytest
from django.urls import reverse
from django_q.models import Schedule
from django_scopes import scope, scopes_disabled
from pypdf import PdfReader

from invoicing import tasks
from invoicing.buyer_mail import invoice_email_on_certify, invoice_email_queue
from invoicing.master_data import customer_create
from invoicing.models import Invoice
from invoicing.services import Actor, invoice_create
from tests import mailserver
from tests.conftest import member
from tests.invoicing.conftest import ACME_CUSTOMER, body
from tests.mailserver import free_port

smtp_inbox = mailserver.smtp_inbox  # the fixture, here


def certified(tenant, **changes) -> Invoice:
    """Created and certified by the sandbox: the submission task runs as the invoice commits (queue_inline)."""
    invoice = invoice_create(tenant=tenant, data=body(**changes), actor=Actor())
    with scopes_disabled():
        invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.status == Invoice.Status.CERTIFIED
    return invoice


def timeline(invoice):
    with scope(tenant=invoice.tenant):
        return [(e.kind, e.message) for e in invoice.events.order_by("created_at", "id")]


def assert_invoice_mail(message, invoice):
    assert invoice.document_number in message["Subject"]
    assert "Kola Foods Ltd" in message["From"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    verify = f"https://portal.example.ng/verify/{invoice.irn}"
    for part in (text, html):
        assert verify in part
        assert "₦53,750.00" in part
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    pdf = attachment.get_payload(decode=True)
    assert pdf.startswith(b"%PDF")
    assert invoice.document_number in "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.usefixtures("queue_inline")
def test_a_clerk_sends_the_pdf_to_the_buyer_from_the_invoice_page(client, connected_tenant, smtp_inbox):
    invoice = certified(connected_tenant)
    client.force_login(member(connected_tenant, "clerk"))
    page = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert "Send to buyer" in page and 'value="' + invoice.buyer["email"] + '"' in page

    response = client.post(reverse("invoice_send", args=[invoice.pk]), {"email": "accounts@buyer.ng"}, follow=True)
    assert "on its way to accounts@buyer.ng" in response.content.decode()

    ((recipients, message),) = smtp_inbox.messages
    assert recipients == ["accounts@buyer.ng"]
    assert_invoice_mail(message, invoice)
    kinds = [kind for kind, _message in timeline(invoice)]
    assert kinds[-2:] == ["email.queued", "email.sent"]
    page = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert "E-mailed to accounts@buyer.ng with the PDF attached." in page


@pytest.mark.usefixtures("queue_inline")
def test_a_customer_who_asks_gets_each_invoice_by_e_mail_on_certification(connected_tenant, smtp_inbox):
    with scope(tenant=connected_tenant):
        customer_create(tenant=connected_tenant, data=ACME_CUSTOMER, email_on_certify=True)
    invoice = certified(connected_tenant, customer__tin=ACME_CUSTOMER["tin"], customer__email="ap@acme.ng")
    assert invoice.customer_id

    ((recipients, message),) = smtp_inbox.messages
    assert recipients == ["ap@acme.ng"]
    assert_invoice_mail(message, invoice)
    assert [kind for kind, _message in timeline(invoice)][-3:] == ["invoice.certified", "email.queued", "email.sent"]


@pytest.mark.usefixtures("queue_inline")
def test_a_customer_who_did_not_ask_gets_nothing_on_certification(connected_tenant, smtp_inbox):
    with scope(tenant=connected_tenant):
        customer_create(tenant=connected_tenant, data=ACME_CUSTOMER)
    invoice = certified(connected_tenant, customer__tin=ACME_CUSTOMER["tin"])
    assert invoice.customer_id and smtp_inbox.messages == []


@pytest.mark.usefixtures("queue_inline")
def test_a_mail_server_that_refuses_is_retried_and_shown_on_the_timeline(connected_tenant, smtp_inbox, settings):
    invoice = certified(connected_tenant)
    settings.EMAIL_PORT = free_port()  # nobody listens there
    invoice_email_queue(invoice=invoice, to="ap@acme.ng")
    kind, message = timeline(invoice)[-1]
    assert kind == "email.retry_scheduled" and "could not be sent" in message and "trying again at" in message
    (retry,) = Schedule.objects.filter(func="invoicing.tasks.email_invoice")
    invoice_id, request_id, attempt = (part.strip(" '") for part in retry.args.split(","))
    assert invoice_id == str(invoice.pk) and attempt == "2"

    # The scheduled retry, once the mail server is back: sent once, even when django-q2 runs it twice.
    settings.EMAIL_PORT = smtp_inbox.port
    for _run in range(2):
        tasks.email_invoice(invoice_id, request_id, int(attempt))
    assert len(smtp_inbox.messages) == 1
    assert timeline(invoice)[-1][0] == "email.sent"


def test_another_business_cannot_send_an_invoice(client, ready_tenant, other_tenant, smtp_inbox):
    invoice = invoice_create(tenant=ready_tenant, data=body(), actor=Actor())
    with scopes_disabled():
        Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.CERTIFIED)
    client.force_login(member(other_tenant, "admin"))
    response = client.post(reverse("invoice_send", args=[invoice.pk]), {"email": "thief@example.ng"})
    assert response.status_code == 404
    assert smtp_inbox.messages == []
    assert not [kind for kind, _message in timeline(invoice) if kind.startswith("email.")]


def test_the_customer_form_keeps_the_choice_to_e_mail_certified_invoices(client, tenant):
    from invoicing.master_data import customer_update
    from invoicing.models import Customer

    client.force_login(member(tenant, "clerk"))
    form = client.get(reverse("customer_new")).content.decode()
    assert "Send each certified invoice to this customer" in form
    client.post(reverse("customer_new"), ACME_CUSTOMER | {"emailOnCertify": "on"})
    with scope(tenant=tenant):
        customer = Customer.objects.get()
        assert customer.email_on_certify
        edit = client.get(reverse("customer_edit", args=[customer.pk])).content.decode()
        assert re.search(r'<input type="checkbox" name="emailOnCertify"[^>]* checked', edit)
        # An update through the API's customer shape leaves the portal's choice as it was.
        customer_update(customer=customer, data={"city": "Ikeja"})
        customer.refresh_from_db()
        assert customer.email_on_certify and customer.city == "Ikeja"

    client.post(reverse("customer_edit", args=[customer.pk]), ACME_CUSTOMER)  # the box left unticked
    customer.refresh_from_db()
    assert not customer.email_on_certify


@pytest.mark.usefixtures("queue_inline")
def test_a_customer_without_a_usable_address_is_certified_and_told_on_the_timeline(connected_tenant, smtp_inbox):
    with scope(tenant=connected_tenant):
        customer = customer_create(tenant=connected_tenant, data=ACME_CUSTOMER, email_on_certify=True)
    invoice = certified(connected_tenant, customer__tin=ACME_CUSTOMER["tin"])
    # An address that stopped being one after the invoice was issued (an older snapshot, a data fix).
    with scopes_disabled():
        Invoice.objects.filter(pk=invoice.pk).update(buyer={**invoice.buyer, "email": ""})
        customer.email = "not an address"
        customer.save(update_fields=["email"])
        invoice = Invoice.objects.select_related("customer").get(pk=invoice.pk)
    with scope(tenant=connected_tenant):
        invoice_email_on_certify(invoice)
    assert smtp_inbox.messages[1:] == []
    kind, message = timeline(invoice)[-1]
    assert kind == "email.failed" and "not an address is not an e-mail address" in message
