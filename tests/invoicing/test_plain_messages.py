"""Refusals a person reads speak business: no API field names or machine codes on a page, every missing part of the
business's set-up listed with where to fix it, payments in full after a credit note, phone numbers and postal
codes as people type them. The API keeps its codes and field names."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from invoicing import tasks
from invoicing.errors import InvoiceError
from invoicing.models import Invoice
from invoicing.payments import invoice_record_payment
from invoicing.services import Actor, invoice_as_data, invoice_create
from tests.conftest import member
from tests.factories import TenantFactory
from tests.invoicing.conftest import body
from tests.invoicing.test_invoice_screens import editor_post
from tests.plain_words import api_words, visible_text


def reload(invoice):
    with scopes_disabled():
        return Invoice.objects.get(pk=invoice.pk)


def field_error(html: str, field_id: str) -> str:
    """The error shown under a form field (by its input's id), as read."""
    after = html.split(f'id="{field_id}"', 1)[1]
    return visible_text(after.split('class="error"', 1)[1].split("</p>", 1)[0].split(">", 1)[1])


def test_the_words_check_finds_api_names():
    """The check the tests below rely on: it sees what it must not let through, and lets plain words pass."""
    assert api_words("<p>PAID means the full ₦1.00; use PARTIAL otherwise.</p>") == ["PAID", "PARTIAL"]
    assert api_words("<p>amountPaid: must be 1</p><p>send customer.tin</p>") == ["amountPaid", "customer.tin"]
    assert api_words("<span>SUPPLIER_VALIDATION_FAILED</span> see GET /api/v1/x") == [
        "SUPPLIER_VALIDATION_FAILED",
        "GET /",
    ]
    assert api_words('<p title="amountPaid">Paid in full means the whole ₦1.00.</p><details>NO_KEYS</details>') == []


# --- paying in full after a credit note ----------------------------------------------------------------


def certified(tenant, **changes):
    invoice = invoice_create(tenant=tenant, data=body(**changes), actor=Actor())
    tasks.submit_invoice(str(invoice.pk))
    return reload(invoice)


@pytest.fixture
def credited(connected_tenant):
    """Certified for ₦645,000.00 (600,000 + 7.5% VAT), less a certified credit note of ₦145,000.00: ₦500,000.00."""
    original = certified(connected_tenant, document_number="INV-500", line__unit_price=600000)
    note = invoice_create(
        tenant=connected_tenant,
        data=body(
            document_number="CN-500",
            invoice_type="credit_note",
            original_invoice_id=str(original.pk),
            line__unit_price="134883.72",  # + 7.5% VAT = 145,000.00
            note="Returned goods",
        ),
        actor=Actor(),
    )
    tasks.submit_invoice(str(note.pk))
    assert reload(note).status == "CERTIFIED" and reload(original).payable == Decimal("645000.00")
    return reload(original)


@pytest.fixture
def clerk(client, connected_tenant):
    client.force_login(member(connected_tenant, "clerk"))
    return client


def test_paid_in_full_after_a_credit_note_is_the_corrected_total_on_the_invoice_page(clerk, credited):
    page = clerk.get(reverse("invoice_detail", args=[credited.pk])).content.decode()
    assert "Leave it empty for paid in full (₦500,000.00)." in page
    response = clerk.post(
        reverse("invoice_payment", args=[credited.pk]), {"payment_status": "PAID", "amount": "500,000", "reference": ""}
    )
    assert response.status_code == 302, field_error(response.content.decode(), "id_amount")
    after = reload(credited)
    assert (after.payment_status, after.amount_paid, after.payment_reported) == ("PAID", Decimal("500000.00"), True)


def test_paid_in_full_without_an_amount_records_the_corrected_total(credited):
    with scope(tenant=credited.tenant):
        answer = invoice_record_payment(invoice=credited, status="PAID", actor=Actor())
    assert answer == {  # the API's answer, as before: only the amount follows the credit note
        "paymentStatus": "PAID",
        "nrsPaymentStatus": "PAID",
        "amountPaid": "500000.00",
        "paymentReported": True,
    }


def test_a_part_payment_is_less_than_the_corrected_total(credited):
    with scope(tenant=credited.tenant), pytest.raises(InvoiceError) as refused:
        invoice_record_payment(invoice=credited, status="PARTIAL", amount="500000", actor=Actor())
    assert refused.value.fields == {"amountPaid": "must be between 0 and 500000.00"}  # the API's key stays
    assert "₦500,000.00" in refused.value.message and api_words(refused.value.message) == []
    with scope(tenant=credited.tenant):
        invoice_record_payment(invoice=reload(credited), status="PARTIAL", amount="499999.99", actor=Actor())
    assert reload(credited).amount_paid == Decimal("499999.99")


def test_a_refused_payment_says_why_beside_the_amount_in_plain_words(clerk, credited):
    response = clerk.post(
        reverse("invoice_payment", args=[credited.pk]), {"payment_status": "PAID", "amount": "645,000", "reference": ""}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert field_error(html, "id_amount") == (
        "Paid in full means the whole ₦500,000.00 (after credit and debit notes); "
        "if less was paid, record it as partly paid."
    )
    assert 'value="645,000"' in html  # what was typed stays
    assert "Leave it empty for paid in full (₦500,000.00)." in html
    assert api_words(html, start='id="payment"') == []
    assert reload(credited).payment_status == "UNPAID"


# --- the editor's refusals ------------------------------------------------------------------------------


@pytest.fixture
def editor_clerk(client, ready_tenant):
    client.force_login(member(ready_tenant, "clerk"))
    return client


def test_the_editors_refusals_fit_under_each_fields_label_and_name_no_api_field(editor_clerk):
    response = editor_clerk.post(
        reverse("invoice_new"),
        editor_post(customer_tin="", customer_email="", customer_city="", customer_postal_code=""),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert field_error(html, "id_customer_tin") == "Enter the buyer's TIN, such as 12345678-0001."
    assert field_error(html, "id_customer_email") == "Enter the buyer's e-mail address, such as ap@acme.ng."
    assert field_error(html, "id_customer_city") == "Enter the buyer's city."
    assert field_error(html, "id_customer_postal_code") == "Enter the buyer's postal code, such as 100001."
    assert ">required<" not in html and api_words(html) == []


def test_a_saved_customer_without_a_tin_is_explained_without_api_names(ready_tenant, editor_clerk):
    from invoicing.models import Customer

    with scope(tenant=ready_tenant):
        customer = Customer.objects.create(
            tenant=ready_tenant, kind="B2B", name="Old Buyer Ltd", email="ap@old.ng", address="1 Road", city="Ikeja",
            postal_code="100001",
        )  # fmt: skip
    with scope(tenant=ready_tenant), pytest.raises(InvoiceError) as refused:
        invoice_create(tenant=ready_tenant, data=body(customer_id=customer.pk, customer__tin=""), actor=Actor())
    assert refused.value.reason == "unresolved_b2b_missing_tin" and refused.value.fields == {"customer.tin": "required"}
    assert refused.value.message == "The saved customer Old Buyer Ltd has no TIN: add the buyer's TIN."
    response = editor_clerk.post(reverse("invoice_new"), editor_post(customer_id=str(customer.pk), customer_tin=""))
    html = response.content.decode()
    assert field_error(html, "id_customer_tin") == "Enter the buyer's TIN, such as 12345678-0001."
    assert "has no TIN: add the buyer&#x27;s TIN." in html and api_words(html) == []


def test_an_unknown_tax_scheme_is_refused_without_its_code_or_field_name(ready_tenant):
    with scope(tenant=ready_tenant), pytest.raises(InvoiceError) as refused:
        invoice_create(tenant=ready_tenant, data=body(line__tax_scheme="STANDARD_X"), actor=Actor())
    assert refused.value.fields == {"lines[0].tax_scheme": "must be a tax category such as STANDARD_VAT"}
    assert refused.value.message.startswith("Line 1: that tax scheme is not one NRS knows")
    assert api_words(refused.value.message) == []


# --- an incomplete business set-up -------------------------------------------------------------------------


@pytest.fixture
def unready():
    """A business that has done nothing yet but its name: five of the six items are missing."""
    return TenantFactory(name="Fresh Start Ltd")


def test_the_editor_lists_every_missing_set_up_item_with_a_link_for_an_admin(client, unready):
    client.force_login(member(unready, "admin", email="ada@fresh.ng"))
    response = client.post(reverse("invoice_new"), editor_post())
    html = response.content.decode()
    assert response.status_code == 200
    section = html.split('id="setup-missing"', 1)[1].split("</section>", 1)[0]
    links = {
        "business_profile": reverse("settings_profile"),
        "primary_location": reverse("settings_locations"),
        "nrs_business_id": reverse("settings_nrs"),
        "nrs_service_id": reverse("settings_nrs"),
        "nrs_credentials": reverse("settings_nrs"),
        "crypto_key": reverse("settings_crypto_keys"),
    }
    for key, url in links.items():
        if key == "business_profile":
            continue  # the name is set and the admin's e-mail stands in: only the TIN is missing
        item = section.split(f'data-key="{key}"', 1)[1].split("</li>", 1)[0]
        assert f'href="{url}"' in item, key
    profile = section.split('data-key="business_profile"', 1)[1].split("</li>", 1)[0]
    assert "Add the business&#x27;s TIN (Tax Identification Number)." in profile
    assert f'href="{links["business_profile"]}"' in profile
    assert "Only an admin" not in section and api_words(html) == []
    with scopes_disabled():
        assert not Invoice.objects.filter(tenant=unready).exists()


def test_a_clerk_is_told_to_ask_an_admin_instead_of_a_settings_link(client, unready):
    client.force_login(member(unready, "clerk"))
    response = client.post(reverse("invoice_new"), editor_post())
    section = response.content.decode().split('id="setup-missing"', 1)[1].split("</section>", 1)[0]
    assert section.count("<li") == 6 and section.count("Only an admin of your business can complete these") == 1
    assert "/settings/" not in section
    assert "Business profile" in section and "NRS crypto-key file" in section


def test_the_profile_item_names_every_missing_profile_field_in_plain_words(unready):
    from tenants.readiness import tenant_readiness

    unready.name = ""
    profile = tenant_readiness(unready)[0]
    assert profile.detail == (
        "Add the business's legal name, TIN (Tax Identification Number) and business e-mail address."
    )


def test_the_refusal_names_every_missing_item_and_keeps_the_codes(unready):
    with scope(tenant=unready), pytest.raises(InvoiceError) as refused:
        invoice_create(tenant=unready, data=body(), actor=Actor())
    assert refused.value.reason == "SUPPLIER_VALIDATION_FAILED"
    for label in ("Business profile", "Primary business location", "NRS business ID", "NRS crypto-key file"):
        assert label in refused.value.message
    assert api_words(refused.value.message) == []


def test_the_readiness_checklist_shows_no_machine_codes(client, unready):
    client.force_login(member(unready, "admin"))
    html = client.get(reverse("dashboard")).content.decode()
    assert 'data-key="crypto_key"' in html
    assert "SUPPLIER_VALIDATION_FAILED" not in html and "NO_KEYS" not in html and api_words(html) == []


# --- the buyer as people type it -------------------------------------------------------------------------


def test_the_buyers_phone_typed_the_nigerian_way_is_read_in_international_form(editor_clerk, ready_tenant):
    response = editor_clerk.post(reverse("invoice_new"), editor_post(customer_phone="0803 123 4567"))
    assert response.status_code == 302
    with scope(tenant=ready_tenant):
        invoice = Invoice.objects.get()
        assert invoice_as_data(invoice)["customer"]["phone"] == "+2348031234567"


def test_a_postal_code_of_letters_is_refused_beside_the_field(editor_clerk):
    response = editor_clerk.post(reverse("invoice_new"), editor_post(customer_postal_code="ABC"))
    html = response.content.decode()
    assert response.status_code == 200
    assert field_error(html, "id_customer_postal_code") == (
        "A Nigerian postal code is 6 digits, such as 100001 (Lagos) or 900001 (Abuja)."
    )
    assert 'value="ABC"' in html
    with scopes_disabled():
        assert not Invoice.objects.exists()
    abroad = editor_post(customer_postal_code="SW1A 1AA", customer_country="GB", customer_state="", customer_lga="")
    assert editor_clerk.post(reverse("invoice_new"), abroad | {"action": "draft"}).status_code == 302


def test_the_editors_state_and_lga_lists_ask_for_a_choice(editor_clerk):
    html = editor_clerk.get(reverse("invoice_new")).content.decode()
    assert '<option value="" selected>Choose a state…</option>' in html
    assert '<option value="" selected>Choose an LGA…</option>' in html
    assert ">—</option>" not in html and "---------" not in html


def test_a_csv_upload_of_a_business_not_set_up_lists_what_is_missing(client, unready):
    from invoicing import batch_tasks
    from invoicing.models import Batch
    from tests.invoicing.test_batches import csv_bytes, good_row, named

    client.force_login(member(unready, "admin", email="ada@fresh.ng"))
    response = client.post(reverse("batch_upload"), {"file": named(csv_bytes([good_row(1)]), "march.csv")})
    with scopes_disabled():
        batch = Batch.objects.get()
    batch_tasks.validate_batch(str(batch.pk))
    page = client.get(response["Location"]).content.decode()
    section = page.split('id="setup-missing"', 1)[1].split("</section>", 1)[0]
    assert section.count("<li") == 6 and f'href="{reverse("settings_crypto_keys")}"' in section
    assert "SUPPLIER_VALIDATION_FAILED" not in page
    refused = client.post(reverse("batch_submit", args=[batch.pk]), follow=True).content.decode()
    assert "Nothing can be submitted until your business set-up is complete." in refused
    assert 'id="setup-missing"' in refused
    assert api_words(refused.split("<table", 1)[0], start="<main") == []  # the file's own cells follow
