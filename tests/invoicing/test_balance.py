"""What an invoice still asks for: its total, corrected by certified notes, less payments; and the PDF keeping up."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from invoicing import tasks
from invoicing.balance import Balance, invoice_balance, output_vat, outstanding_total
from invoicing.forms import PaymentForm, read_money
from invoicing.models import Invoice
from invoicing.payments import invoice_record_payment
from invoicing.pdf import invoice_pdf_html, invoice_pdf_store
from invoicing.services import Actor, invoice_create
from tests.conftest import member
from tests.invoicing.conftest import body
from tests.pdftext import line_with, pdf_lines

pytestmark = pytest.mark.usefixtures("connected_tenant")


def reload(invoice):
    with scopes_disabled():
        return Invoice.objects.get(pk=invoice.pk)


def certified(tenant, **changes):
    invoice = invoice_create(tenant=tenant, data=body(**changes), actor=Actor())
    tasks.submit_invoice(str(invoice.pk))
    return reload(invoice)


def note(tenant, original, kind, number, price, **changes):
    return invoice_create(
        tenant=tenant,
        data=body(
            document_number=number,
            invoice_type=kind,
            original_invoice_id=str(original.pk),
            line__unit_price=price,
            **changes,
        ),
        actor=Actor(),
    )


def balance(invoice):
    with scope(tenant=invoice.tenant):
        return invoice_balance(reload(invoice))


def test_the_arithmetic():
    assert Balance(payable=Decimal("100.00")).due == Decimal("100.00")
    assert Balance(payable=Decimal("100.00"), paid=Decimal("30.00"), credited=Decimal("20.00")).due == Decimal("50.00")
    assert Balance(payable=Decimal("100.00"), debited=Decimal("10.00")).due == Decimal("110.00")
    overpaid = Balance(payable=Decimal("100.00"), paid=Decimal("100.00"), credited=Decimal("25.00"))
    assert overpaid.due == Decimal("0.00") and overpaid.overpaid == Decimal("25.00")


def test_a_certified_credit_note_reduces_and_a_debit_note_raises_the_original_amount_due(connected_tenant):
    original = certified(connected_tenant)  # 50,000 + 7.5% VAT
    assert balance(original).due == Decimal("53750.00")
    credit = note(connected_tenant, original, "credit_note", "CN-1", 10000)
    assert balance(original).due == Decimal("53750.00")  # not yet certified: corrects nothing
    tasks.submit_invoice(str(credit.pk))
    assert balance(original).due == Decimal("43000.00")  # 10,750 credited
    debit = note(connected_tenant, original, "debit_note", "DN-1", 2000)
    tasks.submit_invoice(str(debit.pk))
    assert balance(original).due == Decimal("45150.00")  # 2,150 added
    invoice_record_payment(invoice=reload(original), status="PARTIAL", amount="20000", actor=Actor())
    after = balance(original)
    assert (after.paid, after.credited, after.debited, after.due) == (
        Decimal("20000.00"),
        Decimal("10750.00"),
        Decimal("2150.00"),
        Decimal("25150.00"),
    )
    with scope(tenant=original.tenant):
        html = invoice_pdf_html(reload(original))  # the PDF counts them as the page does
    assert "Credit notes" in html and "−₦10,750.00" in html and "+₦2,150.00" in html and "₦25,150.00" in html


def test_a_payment_makes_the_stored_pdf_stale_and_the_next_one_shows_it(
    connected_tenant, django_capture_on_commit_callbacks
):
    invoice = certified(connected_tenant)
    with scope(tenant=invoice.tenant):
        invoice_pdf_store(invoice)
    assert reload(invoice).pdf
    with django_capture_on_commit_callbacks(execute=True):
        invoice_record_payment(invoice=reload(invoice), status="PARTIAL", amount="20000", actor=Actor())
    assert not reload(invoice).pdf  # the next download (or the render-pdfs schedule) renders a fresh one
    assert tasks.render_pdf(str(invoice.pk))
    stored = reload(invoice)
    with stored.pdf.open("rb") as handle:
        lines = pdf_lines(handle.read())  # as pdftotext reads the page: each label beside its amount
    assert line_with(lines, "Amount paid") == "Amount paid ₦20,000.00"
    assert line_with(lines, "Amount due") == "Amount due ₦33,750.00"


def test_money_inputs_read_thousands_separators_and_the_naira_sign():
    assert read_money("500,000") == Decimal("500000")
    assert read_money(" ₦500,000.50 ") == Decimal("500000.50")
    assert read_money("") is None
    with pytest.raises(ValueError):
        read_money("five hundred")
    form = PaymentForm({"payment_status": "PARTIAL", "amount": "abc", "reference": "T-1"})
    assert not form.is_valid()
    assert form.errors["amount"] == ["Amount paid: enter an amount in naira, such as 500,000 or 500,000.50."]


def test_the_dashboard_shows_what_is_outstanding_and_this_month_output_vat(connected_tenant, client):
    today = {"issue_date": timezone.localdate().isoformat(), "due_date": timezone.localdate().isoformat()}
    paid_part = certified(connected_tenant, document_number="A-1", **today)  # 53,750.00, VAT 3,750.00
    credited = certified(connected_tenant, document_number="A-2", **today)  # 53,750.00, VAT 3,750.00
    overpaid = certified(connected_tenant, document_number="A-3", **today)
    invoice_record_payment(invoice=paid_part, status="PARTIAL", amount="50000", actor=Actor())
    tasks.submit_invoice(
        str(note(connected_tenant, credited, "credit_note", "CN-A2", 10000, **today).pk)
    )  # 10,750, VAT 750
    invoice_record_payment(invoice=overpaid, status="PAID", actor=Actor())
    tasks.submit_invoice(
        str(note(connected_tenant, overpaid, "credit_note", "CN-A3", 1000, **today).pk)
    )  # over-paid: adds 0
    with scope(tenant=connected_tenant):
        assert outstanding_total(Invoice.objects.all()) == Decimal("3750.00") + Decimal("43000.00")
        start = timezone.localdate().replace(day=1)
        assert output_vat(Invoice.objects.all(), start, timezone.localdate()) == Decimal("11250.00") - Decimal("825.00")
    client.force_login(member(connected_tenant, "clerk"))
    html = client.get(reverse("dashboard")).content.decode()
    assert "₦46,750.00" in html.split('id="outstanding"')[1].split("</a>")[0]
    assert "₦10,425.00" in html.split('id="vat-month"')[1].split("</div>")[0]
    # The headline counts what the cards call Certified and Reported, and each measure has its own axis.
    assert "Last 30 days: 5 invoices certified or reported" in html
    assert html.count("<figure") == 2 and "Day of issue" in html


def test_an_invoice_line_and_a_gate_take_prices_as_people_type_them(connected_tenant):
    from invoicing.forms import GateRulesForm, LineForm

    line = LineForm({"description": "Rice", "quantity": "2", "unit_price": "₦1,500.50", "tax_scheme": "STANDARD_VAT"})
    assert line.is_valid(), line.errors
    assert line.as_data()["unit_price"] == Decimal("1500.50")
    gates = GateRulesForm({"review": "never", "approval_above": "₦100,000"})
    assert gates.is_valid(), gates.errors
    assert gates.cleaned_data["approval_above"] == Decimal("100000")
    refused = GateRulesForm({"review": "never", "approval_above": "a lot"})
    assert not refused.is_valid()
    assert refused.errors["approval_above"] == [
        "Approval required above (₦): enter an amount in naira, such as 500,000 or 500,000.50."
    ]


def test_the_api_detail_counts_a_certified_credit_note_in_amount_due(connected_tenant):
    from tests.api.conftest import key_client

    original = certified(connected_tenant)
    tasks.submit_invoice(str(note(connected_tenant, original, "credit_note", "CN-API", 10000).pk))
    totals = key_client(connected_tenant).get(f"/api/v1/invoices/{original.pk}").json()["totals"]
    assert (totals["payableAmount"], totals["amountPaid"], totals["amountDue"]) == ("53750.00", "0.00", "43000.00")
