"""The purchase inbox through the Django test client: list and filters, the received document, acknowledge /
accept / dispute by role, the PDF for the files, the suppliers list, "Check now", the dashboard's buyer-side cards
and the delivery lines on a sent invoice."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from integrations.nrs.errors import NrsRejected
from invoicing.models import Invoice, PurchasePull
from tests.conftest import member
from tests.factories import invoices_in, received_invoice
from tests.pdftext import pdf_lines
from tests.plain_words import api_words


class FakeNrs:
    """NRS's transmit confirmation, as the buyer's side calls it: records the IRNs confirmed, or refuses."""

    confirmed: list = []
    refuse_with = ""

    def __init__(self, tenant, **kwargs):
        self.tenant = tenant

    def transmit_confirm(self, irn):
        if FakeNrs.refuse_with:
            raise NrsRejected("refused", status_code=400, details=FakeNrs.refuse_with)
        FakeNrs.confirmed.append(irn)
        return {}


@pytest.fixture
def fake_nrs(monkeypatch):
    FakeNrs.confirmed = []
    FakeNrs.refuse_with = ""
    monkeypatch.setattr("invoicing.purchases.services.NrsClient", FakeNrs)
    return FakeNrs


@pytest.fixture
def inbox(ready_tenant):
    """Three received documents from two suppliers, in two months and three states."""
    cement = received_invoice(ready_tenant, document_number="DS-0001", issue_date=date(2026, 11, 10))
    steel = received_invoice(
        ready_tenant,
        supplier_name="Lagos Steel Works Plc",
        supplier_tin="55555555-0001",
        document_number="LSW-77",
        issue_date=date(2026, 10, 3),
        lines=(("Steel rods 12 mm", "7214.20", "40", "12500.50"), ("Delivery to site", "8517.11", "1", "30000")),
        status="accepted",
    )
    note = received_invoice(
        ready_tenant,
        document_number="DS-0002",
        issue_date=date(2026, 11, 20),
        invoice_type="credit_note",
        lines=(("Returned bags", "2523.29", "10", "5000.00"),),
        billing_irn=cement.irn,
        status="disputed",
        dispute_reason="Only 8 bags came back",
    )
    return cement, steel, note


def signed_in(client, tenant, role):
    client.force_login(member(tenant, role))
    return client


def test_the_inbox_lists_every_received_document_with_its_supplier_and_amounts(client, ready_tenant, inbox):
    page = signed_in(client, ready_tenant, "clerk").get(reverse("purchase_list")).content.decode()
    assert "Dangote Supplies Ltd" in page and "87654321-0001" in page and "Lagos Steel Works Plc" in page
    assert "DS-0001" in page and "LSW-77" in page and "Credit note" in page
    # 100 bags × ₦5,000.00 = ₦500,000.00 + 7.5 % VAT ₦37,500.00
    assert "₦537,500.00" in page and "₦37,500.00" in page
    assert "10 Nov 2026" in page and "New" in page and "Accepted" in page and "Disputed" in page
    assert f'href="{reverse("purchase_detail", args=[inbox[0].pk])}"' in page


@pytest.mark.parametrize(
    "query, shown, hidden",
    [
        ({"q": "steel"}, ["LSW-77"], ["DS-0001", "DS-0002"]),
        ({"q": "87654321"}, ["DS-0001", "DS-0002"], ["LSW-77"]),
        ({"status": "new"}, ["DS-0001"], ["LSW-77", "DS-0002"]),
        ({"status": "disputed"}, ["DS-0002"], ["DS-0001", "LSW-77"]),
        ({"month": "2026-10"}, ["LSW-77"], ["DS-0001", "DS-0002"]),
        ({"from": "2026-11-15", "to": "2026-11-30"}, ["DS-0002"], ["DS-0001", "LSW-77"]),
        ({"from": "2026-02-31"}, ["DS-0001", "DS-0002", "LSW-77"], []),  # no such day: not a filter, no error
    ],
)
def test_the_inbox_filters_by_supplier_period_and_status(client, ready_tenant, inbox, query, shown, hidden):
    response = signed_in(client, ready_tenant, "clerk").get(reverse("purchase_list"), query)
    assert response.status_code == 200
    page = response.content.decode()
    table = page[page.index('id="purchases"') :] if 'id="purchases"' in page else ""
    for number in shown:
        assert number in table, (query, number)
    for number in hidden:
        assert number not in table, (query, number)


def test_an_empty_inbox_says_where_invoices_come_from(client, ready_tenant):
    page = signed_in(client, ready_tenant, "clerk").get(reverse("purchase_list")).content.decode()
    assert "No invoices received yet" in page
    assert "certifies an invoice with NRS for your business's TIN" in page.replace("&#x27;", "'")
    assert "Not checked with NRS yet" in page
    page = client.get(reverse("purchase_list"), {"q": "nobody"}).content.decode()
    assert "No received invoice matches these filters" in page


def test_the_inbox_pages_fifty_at_a_time(client, ready_tenant):
    for n in range(51):
        received_invoice(
            ready_tenant, document_number=f"P-{n:03d}", issue_date=date(2026, 11, 1) + timedelta(days=n % 28)
        )
    client = signed_in(client, ready_tenant, "clerk")
    first = client.get(reverse("purchase_list")).content.decode()
    assert "Page 1 of 2" in first and first.count(">P-0") == 50
    second = client.get(reverse("purchase_list"), {"page": 2}).content.decode()
    assert second.count(">P-0") == 1


def test_the_last_check_and_nrs_words_show_in_lagos_time(client, ready_tenant, inbox):
    at = timezone.now().replace(hour=9, minute=42, second=0, microsecond=0)  # 10:42 in Lagos (UTC+1)
    PurchasePull.objects.create(
        tenant=ready_tenant,
        last_pulled_at=at,
        last_error="Access points are offline, kindly try again later",
        last_error_at=at + timedelta(minutes=5),
    )
    page = signed_in(client, ready_tenant, "clerk").get(reverse("purchase_list")).content.decode()
    assert "Last checked with NRS at 10:42" in page
    assert "NRS said:" in page and "Access points are offline, kindly try again later" in page
    assert "The check at 10:47 did not go through" in page


def test_check_now_enqueues_a_pull_and_says_so(client, ready_tenant, monkeypatch):
    queued = []
    monkeypatch.setattr("invoicing.purchases.services.enqueue", lambda task, *args: queued.append((task, args)))
    client = signed_in(client, ready_tenant, "clerk")
    assert client.get(reverse("purchase_check_now")).status_code == 405  # a button, never a link
    response = client.post(reverse("purchase_check_now"), follow=True)
    assert queued == [("invoicing.purchases.tasks.pull_purchases", (str(ready_tenant.pk),))]
    assert "Checking with NRS…" in response.content.decode()


def test_the_detail_page_renders_the_received_document(client, ready_tenant, inbox):
    steel = inbox[1]
    page = signed_in(client, ready_tenant, "clerk").get(reverse("purchase_detail", args=[steel.pk])).content.decode()
    assert "Lagos Steel Works Plc" in page and "55555555-0001" in page
    assert "5 Wharf Road" in page and "Apapa LGA, Lagos State" in page  # codes shown by their names
    assert ready_tenant.name in page  # the buyer
    assert "LSW-77" in page and "3 Oct 2026" in page and steel.irn in page
    # Lines: description, quantity, unit price, tax, amount.
    assert "Steel rods 12 mm" in page and "₦12,500.50" in page and "₦500,020.00" in page and "₦37,501.50" in page
    assert "Delivery to site" in page and "₦30,000.00" in page and "₦2,250.00" in page
    # Taxes by category and rate, and the totals.
    assert "Standard" in page and "7.5%" in page and "₦530,020.00" in page
    assert "₦39,751.50" in page and "₦569,771.50" in page
    assert "Accepted" in page


def test_history_names_who_acknowledged_and_who_disputed_with_the_reason(client, ready_tenant, inbox, fake_nrs):
    approver = member(ready_tenant, "approver", email="ngozi.approver@example.ng")
    client.force_login(approver)
    cement = inbox[0]
    client.post(reverse("purchase_decide", args=[cement.pk]), {"decision": "dispute", "reason": "Wrong unit price"})
    page = client.get(reverse("purchase_detail", args=[cement.pk])).content.decode()
    assert "Receipt acknowledged" in page and f"by {approver.get_full_name()}" in page
    assert "Disputed" in page and "Wrong unit price" in page


def test_a_clerk_sees_the_page_without_buttons_and_a_clerks_post_is_refused(client, ready_tenant, inbox, fake_nrs):
    cement = inbox[0]
    for role in ("clerk", "reviewer"):
        client.force_login(member(ready_tenant, role))
        page = client.get(reverse("purchase_detail", args=[cement.pk])).content.decode()
        assert "Dangote Supplies Ltd" in page
        assert "Acknowledge receipt</button>" not in page and ">Accept</button>" not in page
        assert ">Dispute</button>" not in page
        assert "Admins and approvers acknowledge, accept or dispute" in page
        assert client.post(reverse("purchase_acknowledge", args=[cement.pk])).status_code == 403
        response = client.post(reverse("purchase_decide", args=[cement.pk]), {"decision": "accept"})
        assert response.status_code == 403
    assert fake_nrs.confirmed == []
    with scopes_disabled():
        cement.refresh_from_db()
    assert cement.status == "new" and cement.acknowledged_at is None


@pytest.mark.parametrize("role", ["admin", "approver"])
def test_admins_and_approvers_acknowledge_and_nrs_is_told(client, ready_tenant, inbox, fake_nrs, role):
    cement = inbox[0]
    client = signed_in(client, ready_tenant, role)
    page = client.get(reverse("purchase_detail", args=[cement.pk])).content.decode()
    assert "Acknowledge receipt</button>" in page and ">Accept</button>" in page and ">Dispute</button>" in page
    response = client.post(reverse("purchase_acknowledge", args=[cement.pk]), follow=True)
    assert fake_nrs.confirmed == [cement.irn]
    page = response.content.decode()
    assert "Receipt acknowledged: NRS has told the supplier" in page
    assert "Acknowledged" in page and "Acknowledge receipt</button>" not in page  # done once
    with scopes_disabled():
        cement.refresh_from_db()
    assert cement.status == "acknowledged" and cement.acknowledged_by is not None


def test_accept_acknowledges_first_and_records_the_decision(client, ready_tenant, inbox, fake_nrs):
    cement = inbox[0]
    client = signed_in(client, ready_tenant, "approver")
    response = client.post(reverse("purchase_decide", args=[cement.pk]), {"decision": "accept"}, follow=True)
    assert "Accepted: it counts as input VAT" in response.content.decode()
    assert fake_nrs.confirmed == [cement.irn]
    with scopes_disabled():
        cement.refresh_from_db()
    assert cement.status == "accepted" and cement.decided_at and cement.acknowledged_at


def test_a_dispute_without_a_reason_is_refused_beside_the_reason_field(client, ready_tenant, inbox, fake_nrs):
    cement = inbox[0]
    client = signed_in(client, ready_tenant, "admin")
    response = client.post(reverse("purchase_decide", args=[cement.pk]), {"decision": "dispute", "reason": "  "})
    assert response.status_code == 400
    page = response.content.decode()
    field = page[page.index('for="id_reason"') :]
    assert field.index("Reason for the dispute") < field.index("Say why you dispute this invoice")
    assert 'id="id_reason_error"' in page
    with scopes_disabled():
        cement.refresh_from_db()
    assert cement.status == "new"


def test_nrs_refusing_the_acknowledgement_keeps_the_typed_reason_and_quotes_nrs(client, ready_tenant, inbox, fake_nrs):
    cement = inbox[0]
    fake_nrs.refuse_with = "invoice not found for this business"
    client = signed_in(client, ready_tenant, "admin")
    response = client.post(
        reverse("purchase_decide", args=[cement.pk]), {"decision": "dispute", "reason": "Bags were torn"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "NRS did not take the acknowledgement; nothing was changed" in page
    assert "invoice not found for this business" in page
    assert "Bags were torn</textarea>" in page  # nothing typed is lost
    response = client.post(reverse("purchase_acknowledge", args=[cement.pk]), follow=True)
    assert "NRS did not take the acknowledgement" in response.content.decode()
    with scopes_disabled():
        cement.refresh_from_db()
    assert cement.status == "new" and cement.acknowledged_at is None


def test_another_businesss_received_invoice_is_not_found(client, ready_tenant, other_tenant, fake_nrs):
    theirs = received_invoice(other_tenant, document_number="THEIRS-1")
    client = signed_in(client, ready_tenant, "admin")
    for name in ("purchase_detail", "purchase_pdf"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
    for name in ("purchase_acknowledge", "purchase_decide"):
        assert client.post(reverse(name, args=[theirs.pk]), {"decision": "accept"}).status_code == 404
    assert "THEIRS-1" not in client.get(reverse("purchase_list")).content.decode()
    assert fake_nrs.confirmed == []


def test_the_pdf_is_the_received_document_with_supplier_irn_and_naira(client, ready_tenant, inbox):
    steel = inbox[1]
    response = signed_in(client, ready_tenant, "clerk").get(reverse("purchase_pdf", args=[steel.pk]))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"] and "LSW-77" in response["Content-Disposition"]
    text = "\n".join(pdf_lines(response.content))
    assert "Received from Lagos Steel Works Plc through NRS" in text
    assert "55555555-0001" in text and steel.irn.replace("-", "") in text.replace("-", "").replace("\n", "")
    assert "₦569,771.50" in text and "₦12,500.50" in text and "₦39,751.50" in text


def test_suppliers_list_counts_and_totals_and_links_to_the_filtered_inbox(client, ready_tenant, inbox):
    client = signed_in(client, ready_tenant, "clerk")
    page = client.get(reverse("supplier_list")).content.decode()
    assert "Dangote Supplies Ltd" in page and "87654321-0001" in page and "accounts@supplier.example.ng" in page
    # Dangote: an invoice of ₦537,500.00 less a credit note of ₦53,750.00.
    assert "₦483,750.00" in page and "₦569,771.50" in page
    with scope(tenant=ready_tenant):
        dangote = inbox[0].supplier
    link = f"{reverse('purchase_list')}?supplier={dangote.pk}"
    assert f'href="{link}"' in page
    filtered = client.get(link).content.decode()
    table = filtered[filtered.index('id="purchases"') :]
    assert "DS-0001" in table and "DS-0002" in table and "LSW-77" not in table
    assert "from Dangote Supplies Ltd" in filtered
    assert "Lagos Steel" not in client.get(reverse("supplier_list"), {"q": "8765"}).content.decode()
    assert f'href="{reverse("supplier_list")}"' in client.get(reverse("purchase_list")).content.decode()


def test_every_member_finds_purchases_in_the_navigation(client, ready_tenant):
    for role in ("admin", "clerk", "reviewer", "approver"):
        client.force_login(member(ready_tenant, role))
        page = client.get(reverse("dashboard")).content.decode()
        assert f'<a href="{reverse("purchase_list")}"' in page and ">Purchases</a>" in page


def test_the_dashboard_lists_invoices_unacknowledged_after_seven_days_and_new_purchases(client, ready_tenant, inbox):
    now = timezone.now()
    old, recent, acknowledged, b2c = invoices_in(ready_tenant, "CERTIFIED", 4, buyer={"name": "Acme Ltd"})
    with scopes_disabled():
        Invoice.objects.filter(pk=old.pk).update(document_number="OLD-1", transmitted_at=now - timedelta(days=8))
        Invoice.objects.filter(pk=recent.pk).update(document_number="NEW-1", transmitted_at=now - timedelta(days=2))
        Invoice.objects.filter(pk=acknowledged.pk).update(
            document_number="ACK-1", transmitted_at=now - timedelta(days=9), buyer_acknowledged_at=now
        )
        Invoice.objects.filter(pk=b2c.pk).update(
            document_number="B2C-1", kind="B2C", transmitted_at=now - timedelta(days=9)
        )
    page = signed_in(client, ready_tenant, "clerk").get(reverse("dashboard")).content.decode()
    card = page[page.index('id="unacknowledged"') :]
    card = card[: card.index("</ul>")]
    assert "OLD-1" in card and reverse("invoice_detail", args=[old.pk]) in card and "Acme Ltd" in card
    assert "NEW-1" not in card and "ACK-1" not in card and "B2C-1" not in card
    assert "1 new invoice received" in page and f"{reverse('purchase_list')}?status=new" in page


def test_a_sent_invoice_shows_delivery_and_the_buyers_acknowledgement(client, ready_tenant):
    (invoice,) = invoices_in(ready_tenant, "CERTIFIED", 1, buyer={"name": "Acme Ltd"})
    client = signed_in(client, ready_tenant, "clerk")
    page = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert "Not yet acknowledged by the buyer" in page
    delivered = timezone.now().replace(hour=8, minute=15, second=0, microsecond=0)
    with scopes_disabled():
        Invoice.objects.filter(pk=invoice.pk).update(
            transmitted_at=delivered, delivered_at=delivered, buyer_acknowledged_at=delivered + timedelta(hours=2)
        )
    page = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode().replace("&#x27;", "'")
    assert f"Delivered to the buyer's access point {delivered:%-d %b %Y}, 09:15" in page
    assert f"Acknowledged by the buyer {delivered:%-d %b %Y}, 11:15" in page


def test_the_purchase_pages_speak_business_not_codes(client, ready_tenant, inbox, fake_nrs):
    PurchasePull.objects.create(
        tenant=ready_tenant, last_pulled_at=timezone.now(), last_error="NRS is busy", last_error_at=timezone.now()
    )
    client = signed_in(client, ready_tenant, "admin")
    pages = [
        reverse("purchase_list"),
        reverse("supplier_list"),
        reverse("vat_report") + "?month=2026-11",
        *(reverse("purchase_detail", args=[received.pk]) for received in inbox),
    ]
    for url in pages:
        assert api_words(client.get(url).content.decode(), "<main") == [], url
    refused = client.post(reverse("purchase_decide", args=[inbox[0].pk]), {"decision": "dispute"})
    assert api_words(refused.content.decode(), "<main") == []


def test_the_inbox_and_suppliers_read_a_page_in_a_fixed_number_of_queries(
    client, ready_tenant, django_assert_max_num_queries
):
    client = signed_in(client, ready_tenant, "clerk")
    for n in range(3):
        received_invoice(ready_tenant, supplier_tin=f"1000000{n}-0001", document_number=f"Q-{n}")
    client.get(reverse("purchase_list"))  # a session's first page also records where it is signed in
    with django_assert_max_num_queries(14) as few:  # two pages, each with the member chrome (the bell count too)
        client.get(reverse("purchase_list"))
        client.get(reverse("supplier_list"))
    for n in range(3, 30):
        received_invoice(ready_tenant, supplier_tin=f"100000{n:02d}-0001", document_number=f"Q-{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("purchase_list"))
        client.get(reverse("supplier_list"))
