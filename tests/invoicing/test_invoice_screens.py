"""The clerk screens through the Django test client: editor, list, invoice page, queue, gates, dashboard."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from invoicing.models import GateRules, Invoice
from invoicing.services import Actor, invoice_create
from tests.conftest import member
from tests.invoicing.conftest import body
from tests.plain_words import api_words


def editor_post(action="submit", lines=None, **fields):
    data = {
        "invoice_kind": "B2B",
        "invoice_type": "invoice",
        "document_number": "INV-100",
        "issue_date": "2026-11-20",
        "currency": "NGN",
        "customer_name": "Acme Ltd",
        "customer_tin": "12345678-0001",
        "customer_email": "ap@acme.ng",
        "customer_address": "42 Marina Road",
        "customer_city": "Lagos",
        "customer_postal_code": "101001",
        "customer_country": "NG",
        "action": action,
    }
    data.update(fields)
    lines = lines or [("Consulting", "8517.11", "2", "25,000"), ("Pens", "9608.10", "10", "150")]
    data.update(
        {
            "lines-TOTAL_FORMS": str(len(lines)),
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "1",
            "lines-MAX_NUM_FORMS": "500",
        }
    )
    for i, (description, code, quantity, price) in enumerate(lines):
        data.update(
            {
                f"lines-{i}-description": description,
                f"lines-{i}-hsn_code": code,
                f"lines-{i}-quantity": quantity,
                f"lines-{i}-unit_price": price,
                f"lines-{i}-discount": "0",
                f"lines-{i}-tax_scheme": "STANDARD_VAT",
                f"lines-{i}-tax_rate": "7.5",
            }
        )
    return data


@pytest.fixture
def clerk(client, ready_tenant):
    client.force_login(member(ready_tenant, "clerk"))
    return client


def test_a_clerk_submits_a_two_line_invoice_from_the_editor(clerk, ready_tenant):
    response = clerk.post(reverse("invoice_new"), editor_post())
    with scopes_disabled():
        invoice = Invoice.objects.get()
    assert response["Location"] == reverse("invoice_detail", args=[invoice.pk])
    assert invoice.status == "PENDING" and invoice.payable == Decimal("55362.50")
    page = clerk.get(response["Location"]).content.decode()
    assert "₦55,362.50" in page and "Queued for NRS" in page and invoice.irn in page


def test_editor_errors_sit_beside_their_fields_and_nothing_typed_is_lost(clerk):
    response = clerk.post(
        reverse("invoice_new"),
        editor_post(customer_email="", lines=[("Consulting", "9999.99", "2", "25,000"), ("Pens", "9608.10", "1", "")]),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "B2B invoices need the buyer&#x27;s TIN" in html or "B2B invoices need the buyer's TIN" in html
    assert 'value="42 Marina Road"' in html and 'value="25,000"' in html and 'value="9999.99"' in html
    fixed = clerk.post(reverse("invoice_new"), editor_post(lines=[("Consulting", "9999.99", "2", "25,000")]))
    assert "9999.99 is not a known HS code" in fixed.content.decode()
    row = fixed.content.decode().split('id="lines"')[1].split("</tr>", 2)[1]  # the first line's row
    assert "There is no such code: type the code or words and pick one from the list." in row  # beside its code
    assert api_words(fixed.content.decode()) == []  # no "see GET /api/v1/helpers/hs-codes" on the page
    with scopes_disabled():
        assert not Invoice.objects.exists()


def test_drafts_are_saved_edited_submitted_and_deleted(clerk):
    response = clerk.post(reverse("invoice_new"), editor_post(action="draft"))
    with scopes_disabled():
        draft = Invoice.objects.get()
    assert draft.status == "DRAFT"
    edit = clerk.get(reverse("invoice_edit", args=[draft.pk])).content.decode()
    assert 'value="INV-100"' in edit and 'value="25000"' in edit
    clerk.post(reverse("invoice_edit", args=[draft.pk]), editor_post(action="draft", document_number="INV-101"))
    draft.refresh_from_db()
    assert draft.document_number == "INV-101" and draft.status == "DRAFT"
    clerk.post(reverse("invoice_submit", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == "PENDING"
    assert clerk.get(reverse("invoice_edit", args=[draft.pk]), follow=True).redirect_chain  # not editable now
    clerk.post(reverse("invoice_new"), editor_post(action="draft", document_number="INV-102"))
    with scopes_disabled():
        other = Invoice.objects.get(document_number="INV-102")
    clerk.post(reverse("invoice_delete", args=[other.pk]))
    with scopes_disabled():
        assert not Invoice.objects.filter(pk=other.pk).exists()
    assert response.status_code == 302


def test_list_filters_search_and_empty_states(clerk, ready_tenant):
    assert "No invoices yet" in clerk.get(reverse("invoice_list")).content.decode()
    invoice_create(tenant=ready_tenant, data=body(), actor=Actor())
    invoice_create(
        tenant=ready_tenant,
        data=body(document_number="B2C-1", invoice_kind="B2C", customer={"name": "Walk-in Kemi"}),
        actor=Actor(),
    )
    html = clerk.get(reverse("invoice_list")).content.decode()
    assert "INV-2026-001" in html and "B2C-1" in html
    only_b2c = clerk.get(reverse("invoice_list"), {"kind": "B2C"}).content.decode()
    assert "B2C-1" in only_b2c and "INV-2026-001" not in only_b2c
    search = clerk.get(reverse("invoice_list"), {"q": "kemi"}).content.decode()
    assert "B2C-1" in search and "INV-2026-001" not in search
    none = clerk.get(reverse("invoice_list"), {"status": "FAILED"}).content.decode()
    assert "No invoice matches these filters" in none


def test_review_queue_decisions_and_roles(client, ready_tenant):
    GateRules.objects.create(tenant=ready_tenant, review="all")
    clerk_user, reviewer = member(ready_tenant, "clerk"), member(ready_tenant, "reviewer")
    invoice = invoice_create(tenant=ready_tenant, data=body(), actor=Actor(clerk_user))
    client.force_login(clerk_user)
    assert client.get(reverse("invoice_queue")).status_code == 403  # clerks have no queue
    assert client.post(reverse("invoice_review", args=[invoice.pk]), {"decision": "approve"}).status_code == 403
    client.force_login(reviewer)
    queue = client.get(reverse("invoice_queue")).content.decode()
    assert "INV-2026-001" in queue
    page = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert "Review this invoice" in page and "Edit" not in page.split("Timeline")[0].split("</h1>")[1][:300]
    rejected = client.post(
        reverse("invoice_review", args=[invoice.pk]), {"decision": "reject", "comment": ""}, follow=True
    )
    assert "Say why it is rejected" in rejected.content.decode()
    client.post(reverse("invoice_review", args=[invoice.pk]), {"decision": "reject", "comment": "Wrong PO"})
    invoice.refresh_from_db()
    assert invoice.status == "DRAFT"
    client.force_login(clerk_user)
    assert "Sent back:" in client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert "Wrong PO" in client.get(reverse("invoice_edit", args=[invoice.pk])).content.decode()


def test_gate_settings_are_admin_only_and_validated(client, ready_tenant):
    client.force_login(member(ready_tenant, "clerk"))
    assert client.get(reverse("settings_gates")).status_code == 403
    client.force_login(member(ready_tenant, "admin"))
    bad = client.post(reverse("settings_gates"), {"review": "above", "maker_checker": "on"})
    assert "Enter the amount above which invoices need review" in bad.content.decode()
    client.post(reverse("settings_gates"), {"review": "b2g", "approval_above": "1000000", "maker_checker": "on"})
    rules = GateRules.objects.get(tenant=ready_tenant)
    assert (rules.review, rules.approval_above, rules.maker_checker) == ("b2g", Decimal("1000000.00"), True)


def test_certified_invoice_page_offers_pdf_qr_payment_and_notes(clerk, ready_tenant):
    invoice = invoice_create(tenant=ready_tenant, data=body(), actor=Actor())
    from integrations.nrs.qr import tenant_qr_payload

    with scopes_disabled():
        Invoice.objects.filter(pk=invoice.pk).update(
            status="CERTIFIED", qr_payload=tenant_qr_payload(ready_tenant, invoice.irn)
        )
    page = clerk.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    for text in ("Download PDF", "Record payment", "Credit note", "Debit note", 'id="qr"'):
        assert text in page
    qr = clerk.get(reverse("invoice_qr", args=[invoice.pk]))
    assert qr["Content-Type"] == "image/png" and qr.content.startswith(b"\x89PNG")
    pdf = clerk.get(reverse("invoice_pdf", args=[invoice.pk]))
    assert pdf["Content-Type"] == "application/pdf" and b"".join(pdf.streaming_content).startswith(b"%PDF")
    invoice.refresh_from_db()
    assert invoice.pdf  # rendered on demand, then stored
    note_form = clerk.get(reverse("invoice_new"), {"type": "credit_note", "original": invoice.pk}).content.decode()
    assert "New credit note" in note_form and "Corrects invoice INV-2026-001" in note_form


def test_payment_is_refused_before_certification_with_a_clear_message(clerk, ready_tenant):
    invoice = invoice_create(tenant=ready_tenant, data=body(), actor=Actor())
    response = clerk.post(reverse("invoice_payment", args=[invoice.pk]), {"payment_status": "PAID"}, follow=True)
    assert "Payments can be reported only for invoices NRS has certified" in response.content.decode()


def test_dashboard_counts_attention_deadlines_and_chart(clerk, ready_tenant):
    failed = invoice_create(tenant=ready_tenant, data=body(), actor=Actor())
    b2c = invoice_create(
        tenant=ready_tenant,
        data=body(document_number="C-1", invoice_kind="B2C", customer={"name": "Walk-in"}),
        actor=Actor(),
    )
    certified = invoice_create(tenant=ready_tenant, data=body(document_number="OK-1"), actor=Actor())
    from django.utils import timezone

    with scopes_disabled():
        Invoice.objects.filter(pk=failed.pk).update(status="FAILED", nrs_detail="tin is invalid")
        Invoice.objects.filter(pk=certified.pk).update(status="CERTIFIED", issue_date=timezone.localdate())
    html = clerk.get(reverse("dashboard")).content.decode()
    attention = html.split('id="attention"')[1].split("</ul>")[0]
    assert "INV-2026-001" in attention and "tin is invalid" in attention
    deadlines = html.split('id="b2c-due"')[1].split("</ul>")[0]
    assert "C-1" in deadlines and "report by" in deadlines
    assert "Last 30 days: 1 invoice certified or reported, ₦3,750.00 VAT charged" in html
    with scope(tenant=ready_tenant):
        assert b2c.b2c_report_deadline is not None
