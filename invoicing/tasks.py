"""django-q2 entry points: thin, load by id, call the service, safe to run twice."""

from django_scopes import scope, scopes_disabled

from invoicing import submission


def submit_invoice(invoice_id: str) -> str:
    return submission.submission_run(invoice_id)


def sweep_invoices() -> dict:
    return submission.sweep()


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
