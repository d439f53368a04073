"""The editor's discounts and charges on the whole invoice: any number of rows, each a discount or a charge with
its reason, amount and the VAT it carries, saved through the form as the API saves `allowance_charges`, shown
back on a draft, and each refusal beside the row it is about."""

import re
from decimal import Decimal

from django.urls import reverse
from django_scopes import scopes_disabled

from invoicing.models import Invoice
from tests.api.conftest import key_client
from tests.conftest import member
from tests.invoicing.conftest import body
from tests.invoicing.test_deducted_taxes_and_adjustments import adjustment_rows

# A standard-rated line and a VAT-exempt one: the lines carry two VATs, so each row says which it carries.
HANDSETS = {
    "description": "Telephone handsets",
    "hsn_code": "8517.11",
    "quantity": "4",
    "unit_price": "12,500",
    "tax_scheme": "STANDARD_VAT",
    "tax_rate": "7.5",
}
HORSES = {
    "description": "Breeding horses",
    "hsn_code": "0101.21",
    "quantity": "1",
    "unit_price": "300,000",
    "tax_scheme": "EXEMPTED",
    "tax_rate": "0",
}
BULK = {"charge_indicator": False, "amount": "2345.67", "reason": "Bulk discount on handsets"}
LOYALTY = {"charge_indicator": False, "amount": "10000", "reason": "Breeder's loyalty discount"}
DELIVERY = {"charge_indicator": True, "amount": "4999.99", "reason": "Delivery"}


def posted(adjustments: list, *, number: str = "ADJ-1", action: str = "submit") -> dict:
    """The editor's POST: a B2B buyer, the two lines and the given discount and charge rows."""
    case = body(document_number=number)
    data = {
        "invoice_kind": "B2B",
        "invoice_type": "invoice",
        "document_number": number,
        "issue_date": case["issue_date"],
        "due_date": case["due_date"],
        "currency": "NGN",
        "action": action,
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "500",
        **adjustment_rows(adjustments),
    }
    for key in ("name", "tin", "email", "address", "city", "postal_code", "country"):
        data[f"customer_{key}"] = case["customer"].get(key, "")
    for index, line in enumerate((HANDSETS, HORSES)):
        for key, value in line.items():
            data[f"lines-{index}-{key}"] = value
        data[f"lines-{index}-withholding_rate"] = "0"
    return data


def the_invoice(tenant) -> Invoice:
    with scopes_disabled():
        return Invoice.objects.get(tenant=tenant)


def row_html(page: str, index: int) -> str:
    """The page's discount or charge row `index` (0-based), as rendered."""
    return page.split('<tr class="adjustment-row">')[index + 1].split("</tr>")[0]


def test_two_discounts_at_their_own_vat_and_a_charge_give_the_hand_worked_totals(client, ready_tenant):
    client.force_login(member(ready_tenant, "clerk"))
    rows = [
        {**BULK, "tax_scheme": "STANDARD_VAT", "tax_rate": "7.5"},
        {**LOYALTY, "tax_scheme": "EXEMPTED", "tax_rate": "0"},
        {**DELIVERY, "tax_scheme": "STANDARD_VAT", "tax_rate": "7.5"},
    ]
    response = client.post(reverse("invoice_new"), posted(rows))
    assert response.status_code == 302, response.content.decode()[:3000]
    invoice = the_invoice(ready_tenant)
    # Lines: 4 × 12,500.00 = 50,000.00 at 7.5 % (VAT 3,750.00) + 300,000.00 exempt = 350,000.00.
    # Discounts 2,345.67 (VAT 7.5 %: 175.92525 → −175.93) and 10,000.00 (exempt: no VAT); charge 4,999.99
    # (VAT 7.5 %: 374.99925 → +375.00). Tax-exclusive 350,000.00 − 12,345.67 + 4,999.99 = 342,654.32;
    # VAT 3,750.00 − 175.93 + 375.00 = 3,949.07; payable 342,654.32 + 3,949.07 = 346,603.39.
    assert invoice.line_extension == Decimal("350000.00")
    assert invoice.tax_total == Decimal("3949.07")
    assert invoice.payable == Decimal("346603.39")
    keys = ("charge", "amount", "reason", "tax_category", "tax_rate")
    kept = [tuple(item[key] for key in keys) for item in invoice.allowance_charges]
    assert kept == [
        (False, "2345.67", "Bulk discount on handsets", "STANDARD_VAT", "7.5"),
        (False, "10000.00", "Breeder's loyalty discount", "EXEMPTED", "0"),
        (True, "4999.99", "Delivery", "STANDARD_VAT", "7.5"),
    ]
    page = client.get(response["Location"]).content.decode()
    assert "Discount: Bulk discount on handsets" in page and "−₦2,345.67" in page
    assert "Discount: Breeder&#x27;s loyalty discount" in page and "−₦10,000.00" in page
    assert "Charge: Delivery" in page and "+₦4,999.99" in page
    assert "₦3,949.07" in page and "₦346,603.39" in page


def test_a_row_without_its_reason_is_told_so_beside_it_and_nothing_typed_is_lost(client, ready_tenant):
    client.force_login(member(ready_tenant, "clerk"))
    rows = [
        {**BULK, "tax_scheme": "STANDARD_VAT", "tax_rate": "7.5"},
        {**LOYALTY, "reason": "", "tax_scheme": "EXEMPTED", "tax_rate": "0"},
        {**DELIVERY, "tax_scheme": "STANDARD_VAT", "tax_rate": "7.5"},
    ]
    response = client.post(reverse("invoice_new"), posted(rows, action="draft"))
    assert response.status_code == 200
    with scopes_disabled():
        assert not Invoice.objects.filter(tenant=ready_tenant).exists()
    page = response.content.decode()
    second = row_html(page, 1)
    assert "Say what this discount is for, such as Loyalty discount." in second
    assert re.search(r'<td class="description has-error"[^>]*><input[^>]*name="adjustments-1-reason"', second)
    for index in (0, 2):
        assert "Say what this" not in row_html(page, index)
    # Every row, every line and the buyer come back as typed.
    assert 'name="adjustments-TOTAL_FORMS" value="3"' in page
    assert 'value="Bulk discount on handsets"' in row_html(page, 0) and 'value="2,345.67"' in row_html(page, 0)
    assert 'name="adjustments-1-amount" value="10,000"' in second
    assert '<option value="EXEMPTED" selected>VAT exempt</option>' in second
    third = row_html(page, 2)
    assert '<option value="charge" selected>Charge</option>' in third and 'value="Delivery"' in third
    assert 'value="4,999.99"' in third
    assert 'name="lines-1-description" value="Breeding horses"' in page
    assert f'value="{body()["customer"]["name"]}"' in page


def test_a_row_left_at_the_lines_vat_when_the_lines_carry_two_is_asked_to_choose(client, ready_tenant):
    client.force_login(member(ready_tenant, "clerk"))
    rows = [{**BULK, "tax_scheme": "STANDARD_VAT", "tax_rate": "7.5"}, DELIVERY]  # the charge: "As the lines"
    page = client.post(reverse("invoice_new"), posted(rows)).content.decode()
    assert "The lines carry different VAT: choose the VAT the charge “Delivery” carries." in row_html(page, 1)
    assert "choose the VAT" not in row_html(page, 0)
    with scopes_disabled():
        assert not Invoice.objects.filter(tenant=ready_tenant).exists()


def test_an_api_draft_with_three_adjustments_shows_them_all_and_saves_them_unchanged(client, ready_tenant):
    sent = body(document_number="API-ADJ-1")
    sent["lines"] = [
        {**HANDSETS, "quantity": "4", "unit_price": "12500"},
        {**HORSES, "quantity": "1", "unit_price": "300000"},
    ]
    sent["allowance_charges"] = [
        {**BULK, "tax_scheme": "STANDARD_VAT", "tax_rate": "7.5"},
        {**LOYALTY, "tax_scheme": "EXEMPTED", "tax_rate": "0"},
        {**DELIVERY, "tax_scheme": "STANDARD_VAT", "tax_rate": "7.5"},
    ]
    made = key_client(ready_tenant).post("/api/v1/invoices/drafts", sent, format="json")
    assert made.status_code == 201, made.json()
    draft = the_invoice(ready_tenant)
    kept = list(draft.allowance_charges)
    totals = (draft.line_extension, draft.tax_total, draft.payable)

    client.force_login(member(ready_tenant, "clerk"))
    page = client.get(reverse("invoice_edit", args=[draft.pk])).content.decode()
    assert 'name="adjustments-TOTAL_FORMS" value="3"' in page
    assert 'name="adjustments-0-reason" value="Bulk discount on handsets"' in page
    assert 'name="adjustments-1-amount" value="10,000.00"' in page
    assert '<option value="EXEMPTED" selected>VAT exempt</option>' in row_html(page, 1)
    assert '<option value="charge" selected>Charge</option>' in row_html(page, 2)
    assert 'name="adjustments-2-amount" value="4,999.99"' in page

    # Saved again from the editor as the page gives it back: the same three, the same totals.
    data = posted([], number="API-ADJ-1", action="draft")
    data.update(form_values(page, "adjustments-"))
    assert client.post(reverse("invoice_edit", args=[draft.pk]), data).status_code == 302
    saved = the_invoice(ready_tenant)
    assert saved.allowance_charges == kept
    assert (
        (saved.line_extension, saved.tax_total, saved.payable)
        == totals
        == (
            Decimal("350000.00"),
            Decimal("3949.07"),
            Decimal("346603.39"),
        )
    )


def form_values(page: str, prefix: str) -> dict:
    """What the browser would post for the page's fields named `prefix`…: inputs' values, selects' chosen option."""
    values = {}
    for name, value in re.findall(r'<input[^>]*name="(' + prefix + r'[^"]+)"[^>]*value="([^"]*)"', page):
        values[name] = value
    for name, options in re.findall(r'<select name="(' + prefix + r'[^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        values[name] = chosen.group(1) if chosen else ""
    for name in re.findall(r'<input[^>]*name="(' + prefix + r'[^"]+)"(?![^>]*value=)[^>]*>', page):
        values.setdefault(name, "")
    return {name: value.replace("&#x27;", "'") for name, value in values.items() if "__prefix__" not in name}
