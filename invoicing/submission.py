"""Sending an invoice to NRS: the locked state machine of ARCHITECTURE.md step 4.

PENDING → (claimed) SUBMITTING → irn/validate → validate → sign → (B2B/B2G) transmit → CERTIFIED | REPORTED.
- The row is claimed by a compare-and-swap UPDATE, in its own transaction, before any network call: a task
  delivered twice does the work once. In a worker, invoicing/dispatch.py claims many rows at once, fairly,
  and runs each attempt here on a thread of its own (`submission_claimed`).
- A rejected document is FAILED for good, with NRS's own words. Bad credentials hold it as BLOCKED.
- A transient failure goes back to PENDING with a backoff; after the last attempt it is FAILED with
  SUBMISSION_ERROR. Once a sign has been sent, `confirm` is asked before any sign is sent again, so a lost
  sign response never becomes a second sign. When NRS as a whole is away (the host's circuit is open) or asks
  everyone to slow down (429/503), the invoice waits in PENDING instead, the attempt uncounted: it did nothing
  wrong (integrations/nrs/hosts.py).
- A sweeper re-queues rows stuck in SUBMITTING (a worker died) and PENDING rows whose turn has come.
"""

import logging
from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from integrations.nrs import hosts
from integrations.nrs.client import NrsClient, base_url_for
from integrations.nrs.errors import NrsBadCredentials, NrsError, NrsNotFound, NrsTransient
from integrations.nrs.payload import Document, build_document
from integrations.nrs.qr import NoActiveKey, tenant_qr_payload
from integrations.nrs.shapes import Line, Party
from integrations.reference.units import unit_code
from invoicing import notices
from invoicing.buyer_mail import invoice_email_on_certify
from invoicing.external_originals import credit_left, external_amount
from invoicing.models import Invoice, Kind
from invoicing.services import SUBMIT_TASK as TASK
from invoicing.services import Actor, event, invoice_enqueue
from invoicing.setup import tenant_setup
from invoicing.shapes import OPTIONAL_TEXT, allowance_charges_of, line_of
from invoicing.templatetags.money import format_money
from invoicing.validation import LIVE
from invoicing.wording import (
    CREDENTIALS_REFUSED,
    credentials_held_sentence,
    gave_up_sentence,
    rejected_sentence,
    requeued_sentence,
    retry_sentence,
    waiting_sentence,
)
from portal.queueing import enqueue

logger = logging.getLogger(__name__)
Status = Invoice.Status


def backoff(attempt: int) -> timedelta:
    """Seconds before attempt `attempt + 1`: settings.NRS_RETRY_BACKOFF, the last value repeating."""
    steps = settings.NRS_RETRY_BACKOFF
    return timedelta(seconds=steps[min(attempt - 1, len(steps) - 1)])


def invoice_document(invoice: Invoice, lines: list | None = None) -> dict:
    """The NRS document, rebuilt from what was issued (snapshots and lines), never from live settings.

    `lines`: the checked lines of an invoice not saved (the validate-only check), instead of its saved rows."""
    buyer = Party.from_dict(invoice.buyer)
    return build_document(
        Document(
            business_id=str(invoice.tenant.nrs_business_id),
            irn=invoice.irn,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            invoice_type=invoice.invoice_type,
            invoice_kind=invoice.kind,
            supplier=Party.from_dict(invoice.supplier),
            customer=buyer if invoice.kind != Kind.B2C or buyer.tin else None,
            lines=[nrs_unit(line) for line in (lines if lines is not None else map(line_of, invoice.lines.all()))],
            currency=invoice.currency,
            exchange_rate=invoice.exchange_rate,
            billing_references=_billing_references(invoice),
            payment_means=invoice.payment_means,
            allowance_charges=allowance_charges_of(invoice.allowance_charges),
            **{text.nrs: getattr(invoice, name) for name, text in OPTIONAL_TEXT.items() if text.nrs},
        )
    )


def _billing_references(invoice: Invoice) -> list:
    """The invoice a note corrects, as (IRN, issue date): certified in Flowpoint, or issued outside it."""
    if invoice.original_id:
        return [(invoice.original.irn, invoice.original.issue_date)]
    if invoice.external_original_irn:
        return [(invoice.external_original_irn, invoice.external_original_date)]
    return []


def nrs_unit(line: Line) -> Line:
    """A line as NRS takes it: its unit of measure as the UN/ECE code ("kg" is KGM). The checks on create
    refuse a unit with no code; an older line's unknown unit is left out (NRS then reads a price per 1)."""
    return replace(line, unit=unit_code(line.unit) or "")


def _claim(invoice_id, now) -> bool:
    with transaction.atomic(), scopes_disabled():
        claimed = (
            Invoice.objects.filter(pk=invoice_id, status=Status.PENDING)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .update(status=Status.SUBMITTING, submitting_since=now, attempts=F("attempts") + 1)
        )
    return claimed == 1


def submission_run(invoice_id, *, now=None) -> str:
    """One attempt at sending an invoice, claimed here. Returns what happened (for logs and tests)."""
    now = now or timezone.now()
    if not _claim(invoice_id, now):
        return "skipped"
    return submission_claimed(invoice_id, now=now)


def submission_claimed(invoice_id, *, now=None) -> str:
    """The attempt at an invoice already claimed (SUBMITTING) by this process: the dispatcher's unit of work."""
    now = now or timezone.now()
    with scopes_disabled():
        invoice = Invoice.objects.select_related("tenant", "original").get(pk=invoice_id)
    with scope(tenant=invoice.tenant):
        return _attempt(invoice, now)


def submission_release(invoice_id) -> None:
    """Hand back an invoice claimed but not started (its process is stopping): PENDING, the attempt uncounted."""
    with scopes_disabled():
        Invoice.objects.filter(pk=invoice_id, status=Status.SUBMITTING).update(
            status=Status.PENDING, submitting_since=None, attempts=F("attempts") - 1
        )


def _save(invoice, **changes):
    for field, value in changes.items():
        setattr(invoice, field, value)
    invoice.save(update_fields=[*changes, "updated_at"])


def _attempt(invoice: Invoice, now) -> str:
    # The per-process copy of the set-up, read here outside any transaction so that it is kept: the
    # certification's transaction needs it again for the webhook event.
    missing = [item for item in tenant_setup(invoice.tenant).readiness(invoice.tenant) if not item.ok]
    if missing:
        detail = "; ".join(f"{item.label}: {item.detail}" for item in missing)
        _save(invoice, status=Status.BLOCKED, block_reason="BLOCKED_CHECKLIST_FAILED", block_detail=detail)
        event(invoice, "invoice.held", detail, reason="BLOCKED_CHECKLIST_FAILED")
        return "blocked"
    client = NrsClient(invoice.tenant)
    try:
        if not invoice.signed_at and invoice.external_original_irn and not invoice.external_original_checked_at:
            refused = _external_original_check(client, invoice)
            if refused:
                reason, message = refused
                return _fail(invoice, reason, message, NrsNotFound(message), message=message)
        if not invoice.signed_at:
            _sign(client, invoice)
        if invoice.kind in (Kind.B2B, Kind.B2G) and not invoice.transmitted_at:
            client.transmit(invoice.irn)
            with transaction.atomic():  # one commit for the step and its timeline entry
                _save(invoice, transmitted_at=timezone.now())
                event(invoice, "nrs.transmit", "Transmitted to the buyer's access point.")
        return _finish(invoice)
    except NrsTransient as exc:
        return _transient(invoice, exc, now)
    except NrsBadCredentials as exc:
        # The API's detail keeps NRS's words; the timeline says it plainly (the words are in the NRS calls).
        detail = f"{CREDENTIALS_REFUSED} ({exc}). Update them in Settings → NRS set-up."
        _save(invoice, status=Status.BLOCKED, block_reason="BLOCKED_CHECKLIST_FAILED", block_detail=detail)
        event(invoice, "invoice.held", credentials_held_sentence(), reason="BLOCKED_CHECKLIST_FAILED")
        return "blocked"
    except NrsError as exc:  # rejected or not found: NRS said no to this document
        return _fail(invoice, "NRS_REJECTED", exc.details or str(exc), exc)
    except NoActiveKey as exc:
        _save(invoice, status=Status.BLOCKED, block_reason="NO_KEYS", block_detail=str(exc))
        event(invoice, "invoice.held", f"Not sent: no NRS crypto-key file is on file. {exc}", reason="NO_KEYS")
        return "blocked"


def _external_original_check(client, invoice) -> tuple[str, str] | None:
    """A note whose original, issued outside Flowpoint, NRS could not be asked about at create: asked now, before
    the note is signed (invoicing/external_originals.py). (reason, sentence) when the note cannot go; an NRS
    outage raises NrsTransient, and the note waits as any submission does."""
    irn = invoice.external_original_irn
    try:
        data = client.confirm(irn)
    except NrsNotFound:
        return "ORIGINAL_NOT_FOUND", f"Not sent: NRS does not know invoice {irn}, which this note corrects."
    payable = external_amount(data)
    with transaction.atomic():
        _save(invoice, external_original_checked_at=timezone.now(), external_original_payable=payable)
        event(invoice, "nrs.original_confirmed", f"NRS knows invoice {irn}, which this note corrects.")
    if invoice.invoice_type == Invoice.Type.CREDIT_NOTE and payable is not None:
        notes = Q(external_original_irn=irn)
        left = credit_left(original_payable=payable, notes=notes, live=LIVE, exclude=invoice.pk)
        if invoice.payable > left:
            return (
                "CREDIT_NOTE_EXCEEDS_INVOICE",
                f"Not sent: this credit note ({format_money(invoice.payable)}) is more than what is left of invoice "
                f"{irn} ({format_money(left)}), as NRS knows it.",
            )
    return None


def _confirmed(client, invoice) -> bool:
    try:
        client.confirm(invoice.irn)
    except NrsNotFound:
        return False
    return True


def _sign(client: NrsClient, invoice: Invoice) -> None:
    document = invoice_document(invoice)
    if invoice.sign_attempted and _confirmed(client, invoice):
        # An earlier sign reached NRS although its answer did not reach us.
        _save(invoice, signed_at=timezone.now())
        event(invoice, "nrs.confirm", "NRS already had it signed: reconciled without signing again.")
        return
    if invoice.attempts <= 1:
        client.irn_validate(
            irn=invoice.irn, invoice_reference=invoice.document_number, business_id=invoice.tenant.nrs_business_id
        )
        event(invoice, "nrs.irn_validate", "IRN accepted by NRS.")
    client.validate(document)
    with transaction.atomic():  # one commit for the timeline entry and the flag
        event(invoice, "nrs.validate", "Document validated by NRS.")
        _save(invoice, sign_attempted=True)  # from here on, ask before signing again
    try:
        client.sign(document)
    except NrsTransient:
        if not _confirmed(client, invoice):
            raise
        event(invoice, "nrs.confirm", "The sign answer was lost; NRS confirms it is signed.")
    with transaction.atomic():  # one commit for the step and its timeline entry
        _save(invoice, signed_at=timezone.now())
        event(invoice, "nrs.sign", "Signed by NRS.")


def _finish(invoice: Invoice) -> str:
    status = Status.REPORTED if invoice.kind == Kind.B2C else Status.CERTIFIED
    qr_payload = tenant_qr_payload(invoice.tenant, invoice.irn)
    kind = "invoice.reported" if status == Status.REPORTED else "invoice.certified"
    # The status, its timeline entry and its webhook event commit together, or not at all.
    with transaction.atomic():
        _save(
            invoice,
            status=status,
            certified_at=timezone.now(),
            qr_payload=qr_payload,
            nrs_reason="",
            nrs_detail="",
            next_attempt_at=None,
            submitting_since=None,
        )
        event(invoice, kind, "Reported to NRS." if status == Status.REPORTED else "Certified by NRS.", irn=invoice.irn)
        if invoice.original_id:  # a certified note changes what its original asks for: its PDF is stale
            from invoicing.pdf import invoice_pdf_discard  # WeasyPrint loads only where a PDF is touched

            invoice_pdf_discard(Invoice.objects.get(pk=invoice.original_id))
        if invoice.customer_id:  # its e-mail task commits with the certification, or neither does
            invoice_email_on_certify(invoice)
    # No PDF here: a render costs more CPU than the whole submission. Downloads render on demand, and the
    # `render-pdfs` schedule fills in the rest when no submission is waiting (invoicing/tasks.py).
    return status.lower()


def _transient(invoice: Invoice, exc: NrsTransient, now) -> str:
    if exc.throttled or (exc.host_down and hosts.state(base_url_for(invoice.tenant), fresh=True).open):
        return _wait_for_nrs(invoice, exc)
    if invoice.attempts >= settings.NRS_MAX_ATTEMPTS:
        return _fail(invoice, "SUBMISSION_ERROR", f"NRS did not succeed after {invoice.attempts} attempts: {exc}", exc)
    when = now + backoff(invoice.attempts)
    _save(invoice, status=Status.PENDING, next_attempt_at=when, submitting_since=None, nrs_detail=str(exc))
    # What went wrong exactly stays in nrs_detail and the NRS calls; the timeline says who could not do what, and
    # when the next try is, in the business's time (Africa/Lagos).
    event(invoice, "nrs.retry_scheduled", retry_sentence(when, answered=exc.status_code is not None))
    enqueue(TASK, str(invoice.pk), when=when)
    return "retry"


def _wait_for_nrs(invoice: Invoice, exc: NrsTransient) -> str:
    """NRS as a whole is away or asked everyone to slow down: nothing about this invoice. It waits, the attempt
    uncounted, and goes out as soon as the host takes calls again (the dispatcher asks the host before claiming)."""
    message = waiting_sentence(throttled=exc.throttled)
    with transaction.atomic():
        _save(
            invoice,
            status=Status.PENDING,
            attempts=max(invoice.attempts - 1, 0),
            next_attempt_at=None,
            submitting_since=None,
            nrs_detail=str(exc),
        )
        event(invoice, "nrs.waiting", message)
    return "waiting"


def _fail(invoice: Invoice, reason: str, detail: str, exc: NrsError, message: str = "") -> str:
    if message:  # Flowpoint's own finding (the note's original), in its own words
        pass
    elif reason == "SUBMISSION_ERROR":  # our connection error or NRS's outage, not a verdict on the invoice
        message = gave_up_sentence(invoice.attempts)
    else:  # only words NRS answered are quoted as NRS's
        message = rejected_sentence(exc.details or exc.public_message)
    with transaction.atomic():  # as in _finish: the status with its timeline entry and webhook event
        _save(invoice, status=Status.FAILED, nrs_reason=reason, nrs_detail=detail, submitting_since=None)
        recorded = event(invoice, "invoice.failed", message, reason=reason, public_message=exc.public_message)
        notices.submission_failed(invoice, recorded, message)
    return "failed"


def invoice_retry(*, invoice: Invoice, actor: Actor) -> Invoice:
    """A FAILED invoice is queued again (the spec's retry); attempts start over."""
    from invoicing.errors import InvoiceError

    with scope(tenant=invoice.tenant), transaction.atomic():
        updated = Invoice.objects.filter(pk=invoice.pk, status=Status.FAILED).update(
            status=Status.PENDING, attempts=0, next_attempt_at=None, nrs_reason="", nrs_detail=""
        )
        if not updated:
            raise InvoiceError("NOT_RETRYABLE", "Only failed invoices can be retried.", status=400)
        invoice.refresh_from_db()
        event(invoice, "invoice.retried", "Queued for NRS again.", actor)
        invoice_enqueue(invoice)
    return invoice


def _requeue(invoice: Invoice, now) -> bool:
    """A row a dead worker left in SUBMITTING goes back to PENDING with its timeline entry, in one transaction.
    False when it moved on meanwhile (its worker was only slow)."""
    since = invoice.submitting_since
    with transaction.atomic():
        reset = Invoice.objects.filter(pk=invoice.pk, status=Status.SUBMITTING, submitting_since=since).update(
            status=Status.PENDING, next_attempt_at=now, submitting_since=None
        )
        if reset:
            invoice.status, invoice.next_attempt_at, invoice.submitting_since = Status.PENDING, now, None
            event(invoice, "nrs.requeued", requeued_sentence(since))
    return bool(reset)


def sweep(*, now=None, queue_each: bool = True) -> dict:
    """Re-queue invoices a dead worker left in SUBMITTING, and PENDING ones whose turn has come.

    `queue_each=False`: the caller wakes a dispatcher, which finds them all in the database."""
    now = now or timezone.now()
    stuck_before = now - timedelta(seconds=settings.NRS_STUCK_AFTER_SECONDS)
    with scopes_disabled():
        found = Invoice.objects.filter(status=Status.SUBMITTING, submitting_since__lt=stuck_before)
        stuck = [invoice.pk for invoice in found.only("pk", "tenant_id", "submitting_since") if _requeue(invoice, now)]
        # A PENDING row without a retry time has a task in the queue, unless that task was lost: only a row older
        # than the stuck threshold counts as lost. (A minute re-queued every row of a long backlog each minute, and
        # the duplicates made the backlog longer still.)
        due = list(
            Invoice.objects.filter(status=Status.PENDING)
            .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, updated_at__lt=stuck_before))
            .values_list("pk", flat=True)
        )
    for invoice_id in due if queue_each else ():
        enqueue(TASK, str(invoice_id))
    if stuck or due:
        logger.info("Sweeper: %d stuck in SUBMITTING reset, %d queued", len(stuck), len(due))
    return {"stuck": len(stuck), "queued": len(due)}
