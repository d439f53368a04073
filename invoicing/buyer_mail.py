"""E-mailing a certified invoice's PDF to its buyer: asked for on the invoice page, or on certification when the
customer asked for every invoice (`Customer.email_on_certify`).

Asking writes a timeline entry and queues a task (never on the request path: SMTP is slow and sometimes away).
The task renders the PDF if no one has yet, sends it through Django's e-mail, and writes what happened on the
timeline: sent, trying again (with backoff), or given up. Each send has a request id, kept on its timeline
entries, so a task django-q2 runs twice sends once.
"""

import uuid
from datetime import timedelta
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from invoicing.errors import InvoiceError
from invoicing.models import Invoice, InvoiceEvent
from invoicing.services import Actor, event
from invoicing.verification import verify_url
from portal.queueing import enqueue, enqueue_on_commit

TASK = "invoicing.tasks.email_invoice"
MAX_ATTEMPTS = 5

QUEUED = "email.queued"
SENT = "email.sent"
RETRYING = "email.retry_scheduled"
GAVE_UP = "email.failed"


def backoff(attempt: int) -> timedelta:
    """1, 4, 16, 64 minutes: a mail server that is down for an hour still gets the invoice."""
    return timedelta(minutes=4 ** (attempt - 1))


def invoice_email_queue(*, invoice: Invoice, to: str, actor: Actor | None = None, automatic: bool = False):
    """Queue the invoice's PDF for `to`; the send happens in a task once this transaction commits."""
    to = (to or "").strip()
    if not invoice.is_certified:
        raise InvoiceError("not_certified", _("Only a certified or reported invoice can be sent to the buyer."))
    try:
        validate_email(to)
    except Exception as exc:
        raise InvoiceError("invalid_email", _("Enter the buyer's e-mail address, such as ap@acme.ng.")) from exc
    with transaction.atomic():
        message = (
            _("Queued for e-mail to %(to)s, as the customer asks for every certified invoice.")
            if automatic
            else _("Queued for e-mail to %(to)s.")
        )
        request_id = uuid.uuid4().hex
        queued = event(invoice, QUEUED, message % {"to": to}, actor, to=to, request=request_id)
        enqueue_on_commit(TASK, str(invoice.pk), request_id)
    return queued


def invoice_email_on_certify(invoice: Invoice) -> None:
    """On certification: queue the e-mail if the customer asked for it. Call it in the certifying transaction,
    so the task commits with the status (a crash between them cannot lose it)."""
    customer = invoice.customer
    if customer is None or not customer.email_on_certify:
        return
    to = (invoice.buyer or {}).get("email") or customer.email
    try:
        invoice_email_queue(invoice=invoice, to=to, automatic=True)
    except InvoiceError:  # never undo a certification over an address: say so where the clerk looks
        event(
            invoice,
            GAVE_UP,
            _("Not e-mailed to the buyer: %(to)s is not an e-mail address. Send it from this page.")
            % {"to": to or _("no address")},
        )


def _done(invoice: Invoice, request_id: str) -> bool:
    return InvoiceEvent.objects.filter(invoice=invoice, kind__in=(SENT, GAVE_UP), data__request=request_id).exists()


def invoice_email_send(*, invoice_id: str, request_id: str, attempt: int = 1) -> str:
    """The task's work: send the queued e-mail, once; on failure try again later, then give up on the timeline."""
    with scopes_disabled():
        invoice = Invoice.objects.select_related("tenant").filter(pk=invoice_id).first()
    if invoice is None:
        return "gone"
    with scope(tenant=invoice.tenant):
        queued = InvoiceEvent.objects.filter(invoice=invoice, kind=QUEUED, data__request=request_id).first()
        if queued is None or _done(invoice, request_id):
            return "done"
        to = queued.data["to"]
        try:
            _message(invoice, to).send()
        except Exception as exc:  # SMTP refusals, connection errors, a PDF that would not render: all retried
            return _failed(invoice, request_id, to, attempt, exc)
        event(invoice, SENT, _("E-mailed to %(to)s with the PDF attached.") % {"to": to}, request=request_id, to=to)
        return "sent"


def _failed(invoice: Invoice, request_id: str, to: str, attempt: int, exc: Exception) -> str:
    reason = str(exc) or exc.__class__.__name__
    if attempt >= MAX_ATTEMPTS:
        event(
            invoice,
            GAVE_UP,
            _("The e-mail to %(to)s could not be sent after %(n)d tries (%(reason)s). Send it again when it is fixed.")
            % {"to": to, "n": attempt, "reason": reason},
            request=request_id,
            to=to,
        )
        return "failed"
    when = timezone.now() + backoff(attempt)
    at = timezone.localtime(when).strftime("%H:%M")  # TIME_ZONE: Africa/Lagos, as on every screen
    event(
        invoice,
        RETRYING,
        _("The e-mail to %(to)s could not be sent (%(reason)s); trying again at %(at)s.")
        % {"to": to, "reason": reason, "at": at},
        request=request_id,
        to=to,
    )
    enqueue(TASK, str(invoice.pk), request_id, attempt + 1, when=when)
    return "retry"


def _pdf(invoice: Invoice) -> tuple[str, bytes]:
    from invoicing.pdf import invoice_pdf_store

    if not invoice.pdf:
        invoice_pdf_store(invoice)
    with invoice.pdf.open("rb") as stored:
        content = stored.read()
    return f"{invoice.document_number}.pdf".replace("/", "-"), content


def _sender(invoice: Invoice) -> tuple[str, list[str]]:
    """From: the business's name on the platform's address (our domain sends, so the mail is delivered);
    Reply-To: the business itself, so the buyer's answer reaches it."""
    supplier = invoice.supplier or {}
    name = supplier.get("name") or invoice.tenant.name
    _default_name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    reply_to = supplier.get("email") or invoice.tenant.effective_email
    return formataddr((name, address)), [formataddr((name, reply_to))] if reply_to else []


def _message(invoice: Invoice, to: str) -> EmailMultiAlternatives:
    context = {
        "invoice": invoice,
        "supplier": (invoice.supplier or {}).get("name") or invoice.tenant.name,
        "buyer": (invoice.buyer or {}).get("name", ""),
        "kind": invoice.get_invoice_type_display(),
        "verify_url": verify_url(invoice.irn),
    }
    subject = _("%(kind)s %(number)s from %(supplier)s") % {
        "kind": context["kind"],
        "number": invoice.document_number,
        "supplier": context["supplier"],
    }
    text = render_to_string("invoicing/email/invoice.txt", context)
    html = render_to_string("invoicing/email/invoice.html", context)
    from_email, reply_to = _sender(invoice)
    message = EmailMultiAlternatives(subject, text, from_email, [to], reply_to=reply_to)
    message.attach_alternative(html, "text/html")
    name, content = _pdf(invoice)
    message.attach(name, content, "application/pdf")
    return message
