"""The invoice PDF as a customer (and a phone scanning its QR code) sees it."""

import io
import json
import socket
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import zxingcpp
from django.conf import settings
from django_scopes import scope
from fontTools.ttLib import TTFont
from PIL import Image
from pypdf import PdfReader
from pyzbar import pyzbar

from integrations.nrs.payload import build_irn
from integrations.nrs.qr import qr_payload
from integrations.nrs.sandbox.models import SandboxBusiness
from integrations.nrs.sandbox.services import business_provision, qr_decrypt
from integrations.nrs.totals import line_amounts
from invoicing.models import Invoice, InvoiceLine
from invoicing.pdf import (
    ResourceRefused,
    StaticOnlyURLFetcher,
    html_to_pdf,
    invoice_pdf_html,
    invoice_pdf_store,
    render_invoice_pdf,
)
from invoicing.templatetags.money import money, naira
from tests.factories import TenantFactory

SANDBOX_MARK = "SANDBOX — NOT A TAX INVOICE"
SUPPLIER_TIN = "20198222-0002"
BUYER_TIN = "31234567-0001"
ISSUE_DAY = date(2025, 11, 20)

SUPPLIER = {
    "name": "Kola Foods Ltd",
    "tin": SUPPLIER_TIN,
    "email": "billing@kolafoods.ng",
    "telephone": "+2348012345678",
    "description": "Food processing",
    "address": {
        "street": "12 Allen Avenue",
        "city": "Ikeja",
        "postal_zone": "100001",
        "lga": "NG-LA-IKJ",
        "lga_name": "Ikeja",
        "state": "NG-LA",
        "state_name": "Lagos",
        "country": "NG",
    },
}
BUYER = {
    "name": "Adebayo Stores Ltd",
    "tin": BUYER_TIN,
    "email": "accounts@adebayo.ng",
    "telephone": "+2348098765432",
    "description": "",
    "address": {
        "street": "5 Wuse Zone 4",
        "city": "Abuja",
        "postal_zone": "900001",
        "lga": "NG-FC-AMA",
        "lga_name": "Abuja Municipal",
        "state": "NG-FC",
        "state_name": "Federal Capital Territory",
        "country": "NG",
    },
}
# (description, quantity, unit price, discount, tax category, rate, HS code, ISIC code)
LINES = [
    (
        "Garri (white), 50 kg bag",
        Decimal("1000"),
        Decimal("500.00"),
        Decimal("0"),
        "STANDARD_VAT",
        Decimal("7.5"),
        "1106.20",
        "",
    ),  # fmt: skip
    (
        "Delivery, Lagos to Abuja",
        Decimal("2"),
        Decimal("15000.00"),
        Decimal("5000.00"),
        "ZERO_VAT",
        Decimal("0"),
        "",
        "4923",
    ),  # fmt: skip
]
AMOUNT_PAID = Decimal("100000.00")


@pytest.fixture
def nrs():
    """A real sandbox business: its key file encrypts the QR code and its private key decrypts it."""
    issued = business_provision(name="Kola Foods Ltd", tin=SUPPLIER_TIN)
    return issued, SandboxBusiness.objects.get(pk=issued["business_id"])


def make_tenant(issued, environment="sandbox"):
    return TenantFactory(
        name="Kola Foods Ltd", tin=SUPPLIER_TIN, environment=environment, nrs_service_id=issued["service_id"]
    )


def make_invoice(tenant, issued, *, number="INV/2025/0042", certified=True, invoice_type="invoice", original=None):
    amounts = [
        line_amounts(quantity=qty, unit_price=price, discount=discount, tax_rate=rate)
        for _, qty, price, discount, _, rate, _, _ in LINES
    ]
    extension = sum((a.line_extension for a in amounts), Decimal("0.00"))
    tax = sum((a.tax for a in amounts), Decimal("0.00"))
    irn = build_irn(number, issued["service_id"], ISSUE_DAY)
    with scope(tenant=tenant):
        invoice = Invoice.objects.create(
            tenant=tenant,
            kind="B2B",
            invoice_type=invoice_type,
            type_code={"invoice": "381", "credit_note": "380", "debit_note": "384"}[invoice_type],
            document_number=number,
            irn=irn,
            issue_date=ISSUE_DAY,
            due_date=date(2025, 12, 20),
            original=original,
            supplier=SUPPLIER,
            buyer=BUYER,
            line_extension=extension,
            tax_total=tax,
            payable=extension + tax,
            amount_paid=AMOUNT_PAID,
            note="Pay by bank transfer to GTBank 0123456789 within 30 days.",
            po_reference="PO-7781",
            status=Invoice.Status.CERTIFIED if certified else Invoice.Status.PENDING,
            certified_at=datetime(2025, 11, 20, 9, 30, tzinfo=UTC) if certified else None,
            qr_payload=qr_payload(irn=irn, key_file=json.dumps(issued["crypto_keys"])) if certified else "",
        )
        for position, ((description, qty, price, discount, category, rate, hs, isic), line) in enumerate(
            zip(LINES, amounts, strict=True), start=1
        ):
            InvoiceLine.objects.create(
                tenant=tenant,
                invoice=invoice,
                position=position,
                description=description,
                quantity=qty,
                unit_price=price,
                discount=discount,
                hsn_code=hs,
                isic_code=isic,
                tax_category=category,
                tax_rate=rate,
                line_extension=line.line_extension,
                tax_amount=line.tax,
            )
    return invoice


def flat(text: str) -> str:
    """PDF text without whitespace: table cells and wrapped lines come out with arbitrary breaks."""
    return "".join(text.split())


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def assert_shows(text: str, *expected: str):
    for item in expected:
        assert flat(item) in flat(text), f"{item!r} is not on the PDF"


def test_certified_invoice_shows_parties_lines_tax_summary_totals_and_irn(nrs):
    issued, _ = nrs
    invoice = make_invoice(make_tenant(issued), issued)

    data = render_invoice_pdf(invoice)

    assert data.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    text = pdf_text(data)
    # 1000 × ₦500 at 7.5 % = ₦500,000 + ₦37,500 VAT; 2 × ₦15,000 − ₦5,000 discount = ₦25,000 zero-rated.
    assert_shows(
        text,
        "Invoice",
        "INV/2025/0042",
        invoice.irn,
        f"TIN {SUPPLIER_TIN}",
        f"TIN {BUYER_TIN}",
        "BILL TO",  # small caps label
        "Ikeja LGA, Lagos State",
        "Abuja Municipal LGA, Federal Capital Territory",
        "Issue date 20 Nov 2025",
        "Due date 20 Dec 2025",
        "HS 1106.20",
        "ISIC 4923",
        "1,000 ₦500.00 — 7.5% ₦500,000.00",
        "2 ₦15,000.00 ₦5,000.00 0% ₦25,000.00",
        "Standard VAT 7.5% ₦500,000.00 ₦37,500.00",
        "Zero-rated VAT 0% ₦25,000.00 ₦0.00",
        "Subtotal ₦525,000.00",
        "VAT ₦37,500.00",
        "Total ₦562,500.00",
        "Amount paid ₦100,000.00",
        "Amount due ₦462,500.00",
        "Pay by bank transfer to GTBank 0123456789 within 30 days.",
        "PO-7781",
        "Scan to verify with NRS",
    )
    assert "Not yet certified" not in text


def test_sandbox_tenant_gets_the_not_a_tax_invoice_mark_and_a_live_tenant_does_not(nrs):
    issued, _ = nrs
    sandbox = render_invoice_pdf(make_invoice(make_tenant(issued, "sandbox"), issued))
    live = render_invoice_pdf(make_invoice(make_tenant(issued, "live"), issued, number="INV/2025/0043"))

    assert SANDBOX_MARK in pdf_text(sandbox)
    assert "NOT A TAX INVOICE" not in pdf_text(live)
    assert_shows(pdf_text(live), "Total ₦562,500.00", "Scan to verify with NRS")


def test_the_qr_code_scans_to_the_payload_that_nrs_decrypts_to_the_irn(nrs):
    issued, business = nrs
    invoice = make_invoice(make_tenant(issued), issued)

    images = PdfReader(io.BytesIO(render_invoice_pdf(invoice))).pages[0].images
    assert len(images) == 2  # NRS's, then the plain one that opens our verify page
    decoded = zxingcpp.read_barcodes(images[0].image, formats=zxingcpp.BarcodeFormat.QRCode)

    assert [code.text for code in decoded] == [invoice.qr_payload]
    irn, _, stamp = qr_decrypt(business, decoded[0].text)["irn"].rpartition(".")
    assert irn == invoice.irn
    assert stamp.isdigit()


def test_the_plain_qr_code_opens_the_verify_page_with_the_supplier_and_total(nrs, client, settings):
    issued, _ = nrs
    settings.SITE_URL = "https://flowpoint.example"
    invoice = make_invoice(make_tenant(issued), issued)
    data = render_invoice_pdf(invoice)

    images = PdfReader(io.BytesIO(data)).pages[0].images
    decoded = pyzbar.decode(images[1].image, symbols=[pyzbar.ZBarSymbol.QRCODE])
    url = decoded[0].data.decode()

    assert url == f"https://flowpoint.example/verify/{invoice.irn}"
    assert_shows(pdf_text(data), "Scan to check this invoice", "Scan to verify with NRS", url)
    page = client.get(urlsplit(url).path)
    assert page.status_code == 200
    shown = page.content.decode()
    assert "Kola Foods Ltd" in shown and "₦562,500.00" in shown


def test_the_qr_code_is_printed_at_least_35_mm_wide(nrs):
    issued, _ = nrs
    html = invoice_pdf_html(make_invoice(make_tenant(issued), issued))
    page = PdfReader(io.BytesIO(html_to_pdf(html))).pages[0]
    # The image is drawn by a `cm` operator scaling the unit square to its printed size in points.
    widths = []

    def visit(operator, args, cm, tm):
        if operator == b"Do":
            widths.append(cm[0])

    page.extract_text(visitor_operand_before=visit)
    assert widths and max(widths) / 72 * 25.4 >= 35


def test_the_naira_sign_is_drawn_with_the_shipped_dejavu_font(nrs, monkeypatch):
    issued, _ = nrs
    fetched = []
    original_fetch = StaticOnlyURLFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original_fetch(self, url, headers)

    monkeypatch.setattr(StaticOnlyURLFetcher, "fetch", spy)
    data = render_invoice_pdf(make_invoice(make_tenant(issued), issued))

    static = Path(settings.STATICFILES_DIRS[0]).resolve()
    assert (static / "fonts/DejaVuSans.ttf").as_uri() in fetched
    assert (static / "fonts/DejaVuSans-Bold.ttf").as_uri() in fetched
    assert "₦" in pdf_text(data)
    fonts = PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"]
    assert len(fonts) == 2
    for font in fonts.values():
        font = font.get_object()
        # Our @font-face family (no system font has this name), embedded from DejaVu, drawing ₦ (U+20A6).
        assert "Flowpoint-DejaVu-Sans" in font["/BaseFont"]
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        embedded = TTFont(io.BytesIO(descriptor["/FontFile2"].get_data()))
        assert embedded["name"].getDebugName(1) == "DejaVu Sans"
        assert 0x20A6 in embedded.getBestCmap()


def test_the_shipped_fonts_come_with_their_licence():
    fonts = Path(settings.BASE_DIR) / "static" / "fonts"
    assert (fonts / "DejaVuSans.ttf").stat().st_size > 100_000
    assert (fonts / "DejaVuSans-Bold.ttf").stat().st_size > 100_000
    assert "Bitstream Vera" in (fonts / "DejaVu-LICENSE.txt").read_text()


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/x.png",
        "http://169.254.169.254/latest/meta-data/",
        "ftp://example.com/x.png",
        "file:///etc/passwd",
        "file://attacker.example/share/x.png",
        (Path(settings.STATICFILES_DIRS[0]) / ".." / "pyproject.toml").as_uri(),
        (Path(settings.STATICFILES_DIRS[0]) / "fonts" / "missing.ttf").as_uri(),
    ],
)
def test_the_url_fetcher_refuses_the_network_and_files_outside_static(url):
    with pytest.raises(ResourceRefused):
        StaticOnlyURLFetcher()(url)


def test_the_url_fetcher_serves_data_uris_and_static_files_only(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "logo.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("do not read")
    (static / "link.txt").symlink_to(tmp_path / "secret.txt")
    fetcher = StaticOnlyURLFetcher(roots=[static])

    assert fetcher("data:text/plain;base64,aGVsbG8=").read() == b"hello"
    assert fetcher("data:,a%20b").read() == b"a b"
    assert fetcher((static / "logo.svg").as_uri()).read() == b"<svg/>"
    with pytest.raises(ResourceRefused):
        fetcher((static / "link.txt").as_uri())  # a symlink out of static is outside static
    with pytest.raises(ResourceRefused):
        fetcher((tmp_path / "secret.txt").as_uri())


def test_rendering_html_with_outside_references_fetches_nothing(monkeypatch, tmp_path):
    png = io.BytesIO()
    Image.new("RGB", (40, 40), "red").save(png, format="PNG")
    outside = tmp_path / "outside.png"
    outside.write_bytes(png.getvalue())
    connections = []

    def no_network(*args, **kwargs):
        connections.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    refused = []
    original_fetch = StaticOnlyURLFetcher.fetch

    def spy(self, url, headers=None):
        try:
            return original_fetch(self, url, headers)
        except ResourceRefused:
            refused.append(url)
            raise

    monkeypatch.setattr(StaticOnlyURLFetcher, "fetch", spy)
    html = f"""<html><head>
      <link rel="stylesheet" href="https://example.com/style.css">
      <style>@import url("http://example.com/more.css");
        body {{ background: url("https://example.com/bg.png"); }}</style>
      </head><body><p>Hello ₦1.00</p>
      <img src="https://example.com/x.png"><img src="file:///etc/passwd">
      <img src="{outside.as_uri()}"><img src="../../../../../../{outside.relative_to("/")}">
      </body></html>"""

    data = html_to_pdf(html)

    assert connections == []
    assert {"https://example.com/style.css", "http://example.com/more.css", "https://example.com/x.png"} <= set(refused)
    assert "file:///etc/passwd" in refused
    assert outside.as_uri() in refused
    assert len(PdfReader(io.BytesIO(data)).pages[0].images) == 0
    assert "Hello" in pdf_text(data)


def test_invoice_pdf_store_saves_the_pdf_under_its_number_and_irn(nrs, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    issued, _ = nrs
    invoice = make_invoice(make_tenant(issued), issued)

    invoice_pdf_store(invoice)
    invoice_pdf_store(invoice)  # a task run twice replaces the file rather than piling up copies

    with scope(tenant=invoice.tenant):
        invoice.refresh_from_db()
    assert Path(invoice.pdf.name).name == f"INV-2025-0042-{invoice.irn}.pdf"
    with invoice.pdf.open("rb") as stored:
        content = stored.read()
    assert content.startswith(b"%PDF")
    assert invoice.irn in pdf_text(content)
    assert [path.name for path in tmp_path.rglob("*.pdf")] == [Path(invoice.pdf.name).name]


def test_invoice_pdf_store_names_an_uncertified_invoice_by_its_id(nrs, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    issued, _ = nrs
    invoice = make_invoice(make_tenant(issued), issued, number="Draft 7/A", certified=False)
    invoice.irn = ""

    invoice_pdf_store(invoice)

    assert Path(invoice.pdf.name).name == f"Draft-7-A-{invoice.pk}.pdf"


def test_a_credit_note_names_the_invoice_it_corrects(nrs):
    issued, _ = nrs
    tenant = make_tenant(issued)
    original = make_invoice(tenant, issued)
    note = make_invoice(tenant, issued, number="CN/2025/0007", invoice_type="credit_note", original=original)

    text = pdf_text(render_invoice_pdf(note))

    assert_shows(text, "Credit note", "CN/2025/0007", f"Corrects invoice INV/2025/0042 (IRN {original.irn})")
    assert "Debit note" not in text


def test_an_uncertified_invoice_has_no_qr_code_and_claims_no_irn(nrs):
    issued, _ = nrs
    invoice = make_invoice(make_tenant(issued), issued, certified=False)

    data = render_invoice_pdf(invoice)

    text = pdf_text(data)
    assert_shows(text, "Not yet certified by NRS — no QR code", "Total ₦562,500.00")
    assert flat(invoice.irn) not in flat(text)
    assert "Scan to verify" not in text
    assert len(PdfReader(io.BytesIO(data)).pages[0].images) == 0


def test_a_foreign_currency_invoice_shows_its_code_instead_of_the_naira_sign(nrs):
    issued, _ = nrs
    invoice = make_invoice(make_tenant(issued), issued)
    invoice.currency = "USD"

    text = pdf_text(html_to_pdf(invoice_pdf_html(invoice)))

    assert_shows(text, "Total USD 562,500.00", "Currency USD")
    assert "₦" not in text


def test_money_filters_round_half_up_with_thousands_and_never_take_floats():
    assert naira(Decimal("537500")) == "₦537,500.00"
    assert naira(Decimal("1234.505")) == "₦1,234.51"
    assert naira(Decimal("0.125")) == "₦0.13"  # half-up, not banker's rounding
    assert naira("-2500.5") == "-₦2,500.50"
    assert naira(7) == "₦7.00"
    assert money(Decimal("1234.5"), "usd") == "USD\u00a01,234.50"
    assert naira(1234.5) == ""  # a float has already lost the kobo it claims
    assert naira(None) == naira("n/a") == ""


def test_a_b2c_invoice_to_a_walk_in_customer_renders_without_buyer_details(nrs):
    issued, _ = nrs
    invoice = make_invoice(make_tenant(issued), issued)
    invoice.kind, invoice.buyer = "B2C", {}

    text = pdf_text(html_to_pdf(invoice_pdf_html(invoice)))

    assert_shows(text, "BILL TO Walk-in customer", f"TIN {SUPPLIER_TIN}", "Total ₦562,500.00")
    assert BUYER_TIN not in text


def test_the_pdf_schedule_renders_missing_pdfs_only_while_no_submission_or_batch_waits(nrs, settings, tmp_path):
    from invoicing.models import Batch
    from invoicing.tasks import render_pdfs

    settings.MEDIA_ROOT = str(tmp_path)
    issued, _business = nrs
    tenant = make_tenant(issued)
    certified = make_invoice(tenant, issued)
    waiting = make_invoice(tenant, issued, number="INV/2025/0043", certified=False)  # PENDING: NRS comes first

    assert render_pdfs() == 0
    certified.refresh_from_db()
    assert not certified.pdf

    with scope(tenant=tenant):
        Invoice.objects.filter(pk=waiting.pk).update(status=Invoice.Status.FAILED)
        batch = Batch.objects.create(tenant=tenant, file_name="march.csv")  # a CSV file being validated
    assert render_pdfs() == 0
    certified.refresh_from_db()
    assert not certified.pdf

    with scope(tenant=tenant):
        Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.VALIDATED)
    assert render_pdfs() == 1
    certified.refresh_from_db()
    assert certified.pdf and PdfReader(certified.pdf.open("rb")).pages
    assert render_pdfs() == 0  # nothing left to render
