"""The invoice PDF: one standalone HTML template rendered by WeasyPrint.

Everything on the page comes from the invoice as issued (its supplier and buyer snapshots, its lines and
totals, its QR payload), so a PDF rebuilt later is the document that was sent. The renderer reaches nothing
outside the project: fonts come from our static files, the QR code is a data: URI, and any other URL is
refused by `StaticOnlyURLFetcher`.
"""

import base64
import mimetypes
import re
from functools import cache
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit
from urllib.request import url2pathname

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django_scopes import scope
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from integrations.nrs.qr import qr_png
from integrations.nrs.shapes import Address, Party
from integrations.nrs.totals import LineAmounts, document_totals
from integrations.reference.models import Country, TaxCategory
from invoicing.balance import invoice_balance
from invoicing.models import Invoice
from invoicing.shapes import allowance_charges_of
from invoicing.summary import describe_lines, payment_means_label, total_rows
from invoicing.verification import verify_url
from invoicing.wording import TAX_WORDS

TEMPLATE = "invoicing/pdf/invoice.html"
FONT = "fonts/DejaVuSans.ttf"
VAT_CATEGORIES = {"STANDARD_VAT", "REDUCED_VAT", "ZERO_VAT", "EXEMPTED"}


class ResourceRefused(ValueError):
    """The PDF asked for something outside the project's static files."""


def static_roots() -> list[Path]:
    """Where the PDF may read files from: STATICFILES_DIRS and the invoicing app's own static folder."""
    roots = []
    for entry in settings.STATICFILES_DIRS:
        path = entry[1] if isinstance(entry, (tuple, list)) else entry
        roots.append(Path(path).resolve())
    app_static = Path(apps.get_app_config("invoicing").path) / "static"
    if app_static.is_dir():
        roots.append(app_static.resolve())
    return roots


class StaticOnlyURLFetcher(URLFetcher):
    """Serves data: URIs and files under the static roots; raises `ResourceRefused` for everything else.

    An invoice PDF is rendered by a worker from data partly typed by customers: it must never become a way
    to make the server fetch a URL or read a file (SSRF, local file disclosure).
    """

    def __init__(self, roots: list[Path] | None = None):
        super().__init__(timeout=1, allow_redirects=False, fail_on_errors=False)
        self.roots = [Path(root).resolve() for root in (roots if roots is not None else static_roots())]

    def fetch(self, url, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return self._data(url)
        if scheme == "file":
            return self._file(url)
        raise ResourceRefused(f"The invoice PDF fetches nothing from {scheme or 'a relative URL'}: {url[:80]}")

    def open(self, url, data=None, timeout=None):
        # OpenerDirector's own entry point; route it through the same checks.
        return self.fetch(url if isinstance(url, str) else url.full_url)

    @staticmethod
    def _data(url: str) -> URLFetcherResponse:
        header, comma, data = url[len("data:") :].partition(",")
        if not comma:
            raise ResourceRefused("Malformed data: URI.")
        body = unquote_to_bytes(data)
        if header.lower().endswith(";base64"):
            header = header[: -len(";base64")]
            body = base64.b64decode(body)
        return URLFetcherResponse(url, body, {"Content-Type": header or "text/plain;charset=US-ASCII"})

    def _file(self, url: str) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise ResourceRefused(f"Refused remote file URL: {url[:80]}")
        try:
            path = Path(url2pathname(parts.path)).resolve(strict=True)
        except (OSError, RuntimeError) as error:
            raise ResourceRefused(f"No such static file: {url[:80]}") from error
        if not path.is_file() or not any(path.is_relative_to(root) for root in self.roots):
            raise ResourceRefused(f"Refused a file outside the static files: {url[:80]}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": content_type})


@cache
def _base_url() -> str:
    """The static folder holding the PDF fonts, so the template's relative `fonts/…` URLs resolve into it."""
    found = finders.find(FONT)
    if not found:
        raise RuntimeError(f"static/{FONT} is missing: the invoice PDF needs its font.")
    return Path(found).resolve().parent.parent.as_uri() + "/"


def html_to_pdf(html: str) -> bytes:
    """Any HTML through the same locked-down renderer (fonts from static, no network)."""
    return HTML(string=html, base_url=_base_url(), url_fetcher=StaticOnlyURLFetcher()).write_pdf()


# --- the document ---------------------------------------------------------------------------------


def _place(address: Address) -> list[str]:
    """Address lines as a Nigerian reader expects them: street; city and postcode; LGA and state; foreign country."""
    lines = [address.street]
    lines.append(" ".join(part for part in (address.city, address.postal_zone) if part))
    lga = address.lga_name or ""
    state = address.state_name or ""
    if state and not state.lower().endswith(("state", "territory")):
        state = f"{state} State"
    lines.append(", ".join(part for part in (f"{lga} LGA" if lga else "", state) if part))
    country = (address.country or "").upper()
    if country and country != "NG":  # a Nigerian address needs no country line on a Nigerian invoice
        lines.append(Country.objects.filter(pk=country).values_list("name", flat=True).first() or country)
    return [line for line in lines if line]


def _party(snapshot: dict) -> dict:
    party = Party.from_dict(snapshot)
    return {
        "name": party.name,
        "tin": party.tin,
        "email": party.email,
        "telephone": party.telephone,
        "address_lines": _place(party.address),
    }


def _tax_summary(invoice: Invoice, lines) -> list[dict]:
    """Taxable amount and tax per (category, rate), grouped exactly as the NRS payload groups them: the added
    taxes (with the document's allowances and charges), then any tax the buyer withholds."""
    totals = document_totals(
        (
            (
                LineAmounts(line.line_extension, line.tax_amount, line.withholding_amount),
                line.tax_category,
                line.tax_rate,
                line.withholding_rate,
            )
            for line in lines
        ),
        allowance_charges_of(invoice.allowance_charges),
    )
    groups = totals.groups + totals.withheld_groups
    names = dict(TaxCategory.objects.filter(code__in={g.category for g in groups}).values_list("code", "name"))
    return [
        {
            "category": group.category,
            "label": TAX_WORDS.get(group.category)
            or names.get(group.category)
            or group.category.replace("_", " ").capitalize(),
            "rate": group.rate,
            "taxable": group.taxable,
            "tax": group.tax,
        }
        for group in groups
    ]


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def invoice_pdf_context(invoice: Invoice) -> dict:
    with scope(tenant=invoice.tenant):
        lines = list(invoice.lines.all())
        original = invoice.original
        balance = invoice_balance(invoice)
    tax_summary = _tax_summary(invoice, lines)
    describe_lines(lines)
    certified = bool(invoice.qr_payload)
    qr_data_uri = verify_qr_data_uri = check_url = ""
    if certified:
        qr_data_uri = png_data_uri(qr_png(invoice.qr_payload))
        # NRS's code is encrypted for NRS's app; this plain one opens our public verify page in any phone camera.
        check_url = verify_url(invoice.irn)
        verify_qr_data_uri = png_data_uri(qr_png(check_url))
    only_vat = all(line.tax_category in VAT_CATEGORIES for line in lines)
    tax_label = _("VAT") if only_vat else _("Tax")
    return {
        "invoice": invoice,
        "balance": balance,
        "title": invoice.get_invoice_type_display(),
        "is_note": invoice.invoice_type != Invoice.Type.INVOICE,
        "original": original,
        "supplier": _party(invoice.supplier),
        "buyer": _party(invoice.buyer),
        "lines": lines,
        "tax_summary": tax_summary,
        "tax_label": tax_label,
        "total_rows": total_rows(invoice, lines, tax_label=tax_label),
        "payment_by": payment_means_label(invoice.payment_means),
        "currency": invoice.currency,
        "certified": certified,
        "qr_data_uri": qr_data_uri,
        "verify_qr_data_uri": verify_qr_data_uri,
        "verify_url": check_url,
        "sandbox": invoice.tenant.is_sandbox,
    }


def invoice_pdf_html(invoice: Invoice) -> str:
    return render_to_string(TEMPLATE, invoice_pdf_context(invoice))


def render_invoice_pdf(invoice: Invoice) -> bytes:
    return html_to_pdf(invoice_pdf_html(invoice))


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-_")


def invoice_pdf_filename(invoice: Invoice) -> str:
    number = _safe(invoice.document_number) or "invoice"
    return f"{number}-{_safe(invoice.irn) or invoice.pk}.pdf"


def invoice_pdf_discard(invoice: Invoice) -> None:
    """The stored PDF no longer shows what is owed (a payment, a certified note): drop it once this commits.

    The next download renders a fresh one and the `render-pdfs` schedule re-renders it in the background, so
    nobody is handed a PDF that contradicts the invoice page.
    """
    if not invoice.pdf:
        return
    stale = invoice.pdf.name
    storage = invoice.pdf.storage
    Invoice.objects.filter(pk=invoice.pk, pdf=stale).update(pdf="")
    invoice.pdf = ""
    transaction.on_commit(lambda: storage.delete(stale))


def invoice_pdf_store(invoice: Invoice) -> None:
    """Render and (re)place the invoice's stored PDF. Safe to run twice: the previous file is removed."""
    pdf = render_invoice_pdf(invoice)
    if invoice.pdf:
        invoice.pdf.delete(save=False)
    invoice.pdf.save(invoice_pdf_filename(invoice), ContentFile(pdf), save=False)
    invoice.save(update_fields=["pdf"])
