"""django-q2 entry points: thin, load by id, call the service, safe to run twice."""

from django_scopes import scope, scopes_disabled

from invoicing import dispatch, submission
from portal.queueing import enqueue


def submit_invoice(invoice_id: str) -> str:
    """In a qcluster worker: this process's dispatcher claims waiting invoices fairly and keeps many in flight
    (the id is only a hint: the database is the queue). Called directly (sync mode, a shell, tests): the one
    invoice, here and now."""
    if dispatch.in_worker():
        return dispatch.dispatcher().run()
    return submission.submission_run(invoice_id)


def sweep_invoices() -> dict:
    if dispatch.in_worker():  # one dispatch serves every invoice due, instead of a task per invoice
        found = submission.sweep(queue_each=False)
        if found["stuck"] or found["queued"]:
            enqueue(dispatch.DISPATCH_TASK)
        return found
    return submission.sweep()


def dispatch_submissions() -> str:
    """Claim and send whatever waits for NRS (queued by a dispatch whose time was up, or by the sweeper)."""
    if dispatch.in_worker():
        return dispatch.dispatcher().run()
    worker = dispatch.Dispatcher()
    try:
        worker.run_until_idle()
    finally:
        worker.close()
    return "idle"


def render_pdf(invoice_id: str) -> bool:
    """Render and store the PDF of a certified invoice, unless it is there already."""
    from invoicing.models import Invoice
    from invoicing.pdf import invoice_pdf_store

    with scopes_disabled():
        invoice = Invoice.objects.select_related("tenant").filter(pk=invoice_id).first()
    if invoice is None or invoice.pdf or not invoice.is_certified:
        return False
    with scope(tenant=invoice.tenant):
        invoice_pdf_store(invoice)
    return True


PDF_BACKFILL_LIMIT = 30  # per run of the schedule: about ten seconds of a worker


def render_pdfs(limit: int = PDF_BACKFILL_LIMIT) -> int:
    """Pre-render the PDFs of certified invoices, oldest first, only while nobody's work is waiting.

    Certification and CSV batches must not queue behind PDF rendering: the run stops as soon as an invoice
    waits for NRS or a batch for validation or submission. A download renders (and stores) a missing PDF
    itself.
    """
    from invoicing.models import Invoice

    with scopes_disabled():
        missing = list(
            Invoice.objects.filter(status__in=Invoice.CERTIFIED_STATUSES, pdf="")
            .order_by("certified_at")
            .values_list("pk", flat=True)[:limit]
        )
    rendered = 0
    for pk in missing:
        if _work_waiting():
            break
        rendered += render_pdf(str(pk))
    return rendered


def _work_waiting() -> bool:
    from invoicing.models import Batch, Invoice

    with scopes_disabled():
        return (
            Invoice.objects.filter(status__in=(Invoice.Status.PENDING, Invoice.Status.SUBMITTING)).exists()
            or Batch.objects.filter(status__in=(Batch.Status.VALIDATING, Batch.Status.SUBMITTING)).exists()
        )


def email_invoice(invoice_id: str, request_id: str, attempt: int = 1) -> str:
    """Send a queued e-mail of the invoice's PDF to its buyer (invoicing/buyer_mail.py); retried with backoff."""
    from invoicing.buyer_mail import invoice_email_send

    return invoice_email_send(invoice_id=invoice_id, request_id=request_id, attempt=attempt)
