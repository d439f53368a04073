"""A received document as a PDF for the files: the supplier's invoice as NRS delivered it, with its IRN, titled as
received, through the invoice PDF's locked-down renderer (shipped fonts with ₦, nothing fetched)."""

import re

from django.template.loader import render_to_string

from integrations.nrs.qr import qr_png
from invoicing.models import ReceivedInvoice
from invoicing.pdf import html_to_pdf, png_data_uri
from invoicing.purchases.document import document_view

TEMPLATE = "invoicing/pdf/received.html"


def received_pdf_html(received: ReceivedInvoice) -> str:
    doc = document_view(received)
    qr_data_uri = png_data_uri(qr_png(doc.qr_code)) if doc.qr_code else ""
    return render_to_string(
        TEMPLATE,
        {"received": received, "doc": doc, "sandbox": received.tenant.is_sandbox, "qr_data_uri": qr_data_uri},
    )


def received_pdf(received: ReceivedInvoice) -> bytes:
    return html_to_pdf(received_pdf_html(received))


def received_pdf_filename(received: ReceivedInvoice) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", received.document_number or received.irn).strip("-_") or "received"
    return f"received-{safe}.pdf"
