"""Customer and item pages with the Django test client: the add/edit/archive flow, errors beside their fields,
who may do what, the JSON look-ups, and that another tenant's rows never show."""

import re

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from invoicing import master_data
from invoicing.models import Customer, Item
from tests.conftest import member
from tests.factories import TenantFactory
from tests.invoicing.conftest import ACME_CUSTOMER

CUSTOMER_FORM = ACME_CUSTOMER
ITEM_FORM = {
    "name": "Rice, 50 kg bag",
    "description": "Long grain",
    "unitPrice": "1,500.00",
    "cost": "",
    "taxScheme": "STANDARD_VAT",
    "taxRate": "",
    "hsCode": "1006.30",
    "serviceCode": "",
    "category": "Food",
    "unit": "",
}


def make_customer(tenant, **changes):
    data = {k: v for k, v in CUSTOMER_FORM.items()} | changes
    return master_data.customer_create(tenant=tenant, data=data)


def make_item(tenant, **changes):
    data = {"name": "Rice, 50 kg bag", "unitPriceKobo": 150_000, "hsCode": "1006.30"} | changes
    return master_data.item_create(tenant=tenant, data=data)


def field_errors(html: str, field: str) -> list[str]:
    """Error texts rendered inside the .field block of the input named `field`."""
    found = []
    for block in re.findall(r'<div class="field has-error[^"]*">(.*?)</div>', html, re.S):
        if f'name="{field}"' in block:
            found += re.findall(r'<p class="error"[^>]*>(.*?)</p>', block, re.S)
    return found


@pytest.fixture
def clerk_client(client, clerk_user):
    client.force_login(clerk_user)
    return client


@pytest.fixture
def reviewer_client(client, tenant):
    client.force_login(member(tenant, "reviewer"))
    return client


# --- Customers: the flow ------------------------------------------------------------------------


def test_clerk_adds_edits_and_archives_a_customer(clerk_client, tenant, unscoped):
    empty = clerk_client.get(reverse("customer_list")).content.decode()
    assert "No customers yet" in empty and reverse("customer_new") in empty

    form = clerk_client.get(reverse("customer_new")).content.decode()
    assert 'id="lga-states"' in form and "data-lga-filter" in form
    assert '<option value="NG-LA">Lagos</option>' in form
    assert "B2C" not in re.search(r'<select name="customerKind".*?</select>', form, re.S).group(0)

    response = clerk_client.post(reverse("customer_new"), CUSTOMER_FORM, follow=True)
    assert response.redirect_chain == [(reverse("customer_list"), 302)]
    html = response.content.decode()
    assert "Customer Acme Ltd added." in html
    customer = Customer.objects.get(tenant=tenant)
    assert (customer.tin, customer.lga_id, customer.postal_code) == ("12345678-0001", "NG-LA-LIS", "101001")
    assert "12345678-0001" in html and reverse("customer_edit", args=[customer.pk]) in html

    edit = clerk_client.get(reverse("customer_edit", args=[customer.pk])).content.decode()
    assert 'value="Acme Ltd"' in edit and '<option value="NG-LA-LIS" selected>Lagos Island</option>' in edit
    changed = CUSTOMER_FORM | {"name": "Acme Nigeria Ltd", "lga": "NG-LA-IKJ", "city": "Ikeja"}
    response = clerk_client.post(reverse("customer_edit", args=[customer.pk]), changed)
    assert response["Location"] == reverse("customer_list")
    customer.refresh_from_db()
    assert (customer.name, customer.lga_id, customer.city) == ("Acme Nigeria Ltd", "NG-LA-IKJ", "Ikeja")

    confirm = clerk_client.get(reverse("customer_archive", args=[customer.pk])).content.decode()
    assert "Archive Acme Nigeria Ltd?" in confirm and "Invoices already issued keep" in confirm
    customer.refresh_from_db()
    assert customer.archived_at is None  # the confirm page changes nothing
    response = clerk_client.post(reverse("customer_archive", args=[customer.pk]), follow=True)
    html = response.content.decode()
    assert "Customer Acme Nigeria Ltd archived." in html and "No customers yet" in html
    customer.refresh_from_db()
    assert customer.archived_at is not None

    archived = clerk_client.get(reverse("customer_list"), {"archived": "1"}).content.decode()
    assert "Acme Nigeria Ltd" in archived and "Archived" in archived
    read_only = clerk_client.get(reverse("customer_edit", args=[customer.pk])).content.decode()
    assert "read-only" in read_only and '<form method="post" novalidate>' not in read_only
    assert clerk_client.post(reverse("customer_edit", args=[customer.pk]), changed).status_code == 200
    customer.refresh_from_db()
    assert customer.name == "Acme Nigeria Ltd"


def test_customer_errors_show_beside_their_fields_with_what_was_typed(clerk_client, tenant, unscoped):
    typed = CUSTOMER_FORM | {"tin": "1234", "email": "ap@acme", "state": "NG-OY", "lga": "NG-LA-IKJ", "phone": "080"}
    response = clerk_client.post(reverse("customer_new"), typed)
    assert response.status_code == 200
    html = response.content.decode()
    assert field_errors(html, "tin") == [
        "Enter a TIN of at least 5 characters, such as 12345678-0001 or RC-1234567 (letters, digits and hyphens only)."
    ]
    assert field_errors(html, "email") == ["ap@acme is not an e-mail address; enter one such as ap@acme.ng."]
    assert field_errors(html, "lga") == ["Ikeja is in Lagos, not Oyo. Choose an LGA of Oyo."]
    assert "+ and the country code" in field_errors(html, "phone")[0]
    assert 'value="1234"' in html and 'value="ap@acme"' in html and 'value="Acme Ltd"' in html
    assert '<option value="NG-OY" selected>Oyo</option>' in html
    assert not Customer.objects.exists()


@pytest.mark.parametrize("typed", ["0803 123 4567", "08031234567", "+234 803 123 4567", "234-803-123-4567"])
def test_a_nigerian_phone_typed_as_people_write_it_is_read_in_international_form(clerk_client, unscoped, typed):
    response = clerk_client.post(reverse("customer_new"), CUSTOMER_FORM | {"phone": typed})
    assert response.status_code == 302, field_errors(response.content.decode(), "phone")
    assert Customer.objects.get().phone == "+2348031234567"


def test_a_nigerian_postal_code_is_6_digits(clerk_client, unscoped):
    response = clerk_client.post(reverse("customer_new"), CUSTOMER_FORM | {"postalCode": "ABC"})
    html = response.content.decode()
    assert field_errors(html, "postalCode") == [
        "A Nigerian postal code is 6 digits, such as 100001 (Lagos) or 900001 (Abuja)."
    ]
    assert 'value="ABC"' in html and not Customer.objects.exists()
    abroad = CUSTOMER_FORM | {"postalCode": "SW1A 1AA", "country": "GB", "state": "", "lga": ""}
    assert clerk_client.post(reverse("customer_new"), abroad).status_code == 302


def test_dropdowns_ask_for_a_choice_instead_of_showing_dashes(clerk_client):
    customer = clerk_client.get(reverse("customer_new")).content.decode()
    assert '<option value="" selected>Choose a state…</option>' in customer
    assert '<option value="" selected>Choose an LGA…</option>' in customer
    item = clerk_client.get(reverse("item_new")).content.decode()
    assert '<option value="" selected>Choose a unit…</option>' in item
    for html in (customer, item):
        assert "---------" not in html and ">—</option>" not in html


def test_required_fields_and_a_duplicate_tin_are_explained(clerk_client, tenant):
    html = clerk_client.post(reverse("customer_new"), CUSTOMER_FORM | {"name": "", "tin": ""}).content.decode()
    assert field_errors(html, "name") and field_errors(html, "tin")
    make_customer(tenant)
    html = clerk_client.post(reverse("customer_new"), CUSTOMER_FORM | {"name": "Acme Two"}).content.decode()
    assert field_errors(html, "tin") == [
        "You already have a customer with TIN 12345678-0001. Search for it instead, or archive it first."
    ]


def test_customer_list_searches_on_the_server_and_pages_by_50(clerk_client, tenant):
    with scope(tenant=tenant):
        Customer.objects.bulk_create(
            Customer(tenant=tenant, name=f"Customer {n:03}", tin=f"{n:08}-0001", email=f"c{n}@x.ng")
            for n in range(1, 52)
        )
    make_customer(tenant, name="Zenith Traders", tin="77777777-0001", email="pay@zenith.ng")
    first = clerk_client.get(reverse("customer_list")).content.decode()
    assert first.count("<tr>") == 51  # header + 50
    assert "1–50 of 52" in first and 'rel="next"' in first and "Zenith Traders" not in first
    second = clerk_client.get(reverse("customer_list"), {"page": 2}).content.decode()
    assert "51–52 of 52" in second and "Zenith Traders" in second and 'rel="prev"' in second
    found = clerk_client.get(reverse("customer_list"), {"q": "zenith.ng"}).content.decode()
    assert "Zenith Traders" in found and "Customer 001" not in found
    none = clerk_client.get(reverse("customer_list"), {"q": "nothing-like-this"}).content.decode()
    assert "No customers match “nothing-like-this”" in none


# --- Items: the flow --------------------------------------------------------------------------


def test_clerk_adds_an_item_in_naira_edits_and_archives_it(clerk_client, tenant, unscoped):
    assert "No items yet" in clerk_client.get(reverse("item_list")).content.decode()
    response = clerk_client.post(reverse("item_new"), ITEM_FORM | {"cost": "1,000.5"}, follow=True)
    assert response.redirect_chain == [(reverse("item_list"), 302)]
    item = Item.objects.get(tenant=tenant)
    assert (item.unit_price_kobo, item.cost_kobo, item.tax_scheme_id, str(item.tax_rate)) == (
        150_000,
        100_050,
        "STANDARD_VAT",
        "7.50",
    )
    html = response.content.decode()
    assert "Item Rice, 50 kg bag added." in html and "₦1,500.00" in html and "HS 1006.30" in html

    edit = clerk_client.get(reverse("item_edit", args=[item.pk])).content.decode()
    assert 'value="1,500.00"' in edit and 'value="1,000.50"' in edit
    response = clerk_client.post(
        reverse("item_edit", args=[item.pk]), ITEM_FORM | {"unitPrice": "1234567.89", "taxRate": "7.5"}
    )
    assert response["Location"] == reverse("item_list")
    item.refresh_from_db()
    assert item.unit_price_kobo == 123_456_789
    assert "₦1,234,567.89" in clerk_client.get(reverse("item_list")).content.decode()

    assert "Archive Rice, 50 kg bag?" in clerk_client.get(reverse("item_archive", args=[item.pk])).content.decode()
    archived = clerk_client.post(reverse("item_archive", args=[item.pk]), follow=True).content.decode()
    assert "Item Rice, 50 kg bag archived." in archived and "No items yet" in archived
    item.refresh_from_db()
    assert item.archived_at is not None
    assert "Rice, 50 kg bag" in clerk_client.get(reverse("item_list"), {"archived": "1"}).content.decode()


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"unitPrice": "1.234"}, "unitPrice", "Enter an amount in naira"),
        ({"unitPrice": "15OO"}, "unitPrice", "Enter an amount in naira"),
        ({"unitPrice": "0"}, "unitPrice", "Enter a unit price above zero, such as 1,500.00."),
        ({"unitPrice": "-5"}, "unitPrice", "Enter a unit price above zero, such as 1,500.00."),
        ({"cost": "-1"}, "cost", "Enter a cost of zero or more"),
        ({"hsCode": "", "serviceCode": ""}, "hsCode", "Give an HS code (goods"),
        ({"hsCode": "9999.99"}, "hsCode", "9999.99 is not a known HS code"),
        ({"taxScheme": "ZERO_VAT", "taxRate": "7.5"}, "taxRate", "Zero-rated VAT items carry a 0% rate"),
    ],
)
def test_item_errors_show_beside_their_fields_with_what_was_typed(clerk_client, unscoped, changes, field, message):
    html = clerk_client.post(reverse("item_new"), ITEM_FORM | changes).content.decode()
    errors = field_errors(html, field)
    assert len(errors) == 1 and errors[0].startswith(message), errors
    typed = changes.get(field, ITEM_FORM[field])
    if typed:
        assert f'value="{typed}"' in html
    assert 'value="Rice, 50 kg bag"' in html
    assert not Item.objects.exists()


def test_a_duplicate_item_name_is_explained_beside_the_name(clerk_client, tenant):
    make_item(tenant)
    html = clerk_client.post(reverse("item_new"), ITEM_FORM | {"name": "RICE, 50 KG BAG"}).content.decode()
    assert field_errors(html, "name") == [
        "You already have an item called RICE, 50 KG BAG. Search for it instead, or give this one another name."
    ]


# --- Roles ------------------------------------------------------------------------------------


def test_admins_manage_customers_and_items_too(admin_client, tenant, unscoped):
    assert admin_client.post(reverse("customer_new"), CUSTOMER_FORM).status_code == 302
    assert admin_client.post(reverse("item_new"), ITEM_FORM).status_code == 302
    assert Customer.objects.count() == Item.objects.count() == 1


@pytest.mark.parametrize("role", ["reviewer", "approver"])
def test_reviewers_and_approvers_read_the_lists_but_get_403_on_every_change(client, tenant, role, unscoped):
    customer, item = make_customer(tenant), make_item(tenant)
    client.force_login(member(tenant, role))
    customers = client.get(reverse("customer_list")).content.decode()
    items = client.get(reverse("item_list")).content.decode()
    assert "Acme Ltd" in customers and "Rice, 50 kg bag" in items
    for html in (customers, items):
        assert reverse("customer_new") not in html and reverse("item_new") not in html
        assert "/archive/" not in html and "data-lookup-href" not in html
    assert reverse("customer_edit", args=[customer.pk]) not in customers
    writes = [
        ("customer_new", [], CUSTOMER_FORM | {"tin": "99999999-0001"}),
        ("customer_edit", [customer.pk], CUSTOMER_FORM | {"name": "Hacked"}),
        ("customer_archive", [customer.pk], {}),
        ("customer_verify_tin", [customer.pk], {}),
        ("item_new", [], ITEM_FORM | {"name": "Beans"}),
        ("item_edit", [item.pk], ITEM_FORM | {"name": "Hacked"}),
        ("item_archive", [item.pk], {}),
    ]
    for name, args, data in writes:
        url = reverse(name, args=args)
        if name != "customer_verify_tin":
            assert client.get(url).status_code == 403, url
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "Your role is" in response.content.decode()
    assert list(Customer.objects.values_list("name", "archived_at")) == [("Acme Ltd", None)]
    assert list(Item.objects.values_list("name", "archived_at")) == [("Rice, 50 kg bag", None)]


def test_anonymous_visitors_are_sent_to_sign_in(client, tenant):
    customer, item = make_customer(tenant), make_item(tenant)
    for name, args in [
        ("customer_list", []),
        ("customer_new", []),
        ("customer_edit", [customer.pk]),
        ("customer_archive", [customer.pk]),
        ("item_list", []),
        ("item_new", []),
        ("item_edit", [item.pk]),
        ("item_archive", [item.pk]),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), name
    for name in ("customer_lookup", "item_lookup"):
        response = client.get(reverse(name), {"q": "acme"})
        assert response.status_code == 401
        assert response.json() == {"error": "Sign in to the portal first."}


# --- Look-ups ---------------------------------------------------------------------------------


def test_customer_lookup_returns_matching_rows_as_json(reviewer_client, tenant):
    acme = make_customer(tenant)
    make_customer(tenant, name="Beta Foods", tin="55555555-0001", email="a@beta.ng")
    response = reviewer_client.get(reverse("customer_lookup"), {"q": "ac"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response.json() == {
        "items": [
            {
                "id": acme.pk,
                "kind": "B2B",
                "name": "Acme Ltd",
                "tin": "12345678-0001",
                "email": "ap@acme.ng",
                "phone": "+2348012345678",
                "address": "42 Marina Road",
                "city": "Lagos",
                "postalCode": "101001",
                "state": "NG-LA",
                "lga": "NG-LA-LIS",
                "country": "NG",
            }
        ]
    }
    assert [r["name"] for r in reviewer_client.get(reverse("customer_lookup"), {"q": "5555"}).json()["items"]] == [
        "Beta Foods"
    ]


def test_item_lookup_returns_prices_in_kobo_and_naira(clerk_client, tenant):
    rice = make_item(tenant, unitPriceKobo=150_050, unit="KGM")
    rows = clerk_client.get(reverse("item_lookup"), {"q": "RICE"}).json()["items"]
    assert rows == [
        {
            "id": rice.pk,
            "name": "Rice, 50 kg bag",
            "description": "",
            "unitPrice": "1500.50",
            "taxLabel": "Standard VAT",
            "unitPriceKobo": 150_050,
            "taxScheme": "STANDARD_VAT",
            "taxRate": "7.50",
            "hsCode": "1006.30",
            "serviceCode": "",
            "category": "",
            "unit": "KGM",
        }
    ]


@pytest.mark.parametrize("name", ["customer_lookup", "item_lookup"])
@pytest.mark.parametrize("q", [None, "", "a", " a ", "x" * 101])
def test_lookup_q_must_be_2_to_100_characters(clerk_client, name, q):
    response = clerk_client.get(reverse(name), {} if q is None else {"q": q})
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert set(response.json()) == {"error"} and "2 to 100 characters" in response.json()["error"]


def test_lookup_leaves_out_archived_rows(clerk_client, tenant):
    master_data.customer_archive(customer=make_customer(tenant))
    master_data.item_archive(item=make_item(tenant))
    assert clerk_client.get(reverse("customer_lookup"), {"q": "acme"}).json() == {"items": []}
    assert clerk_client.get(reverse("item_lookup"), {"q": "rice"}).json() == {"items": []}


def test_lookup_is_for_portal_sessions_not_api_keys(client, tenant):
    from tenants import services

    with scope(tenant=tenant):
        _key, plaintext = services.api_key_create(tenant=tenant, name="ERP")
    response = client.get(reverse("customer_lookup"), {"q": "acme"}, headers={"X-Flowpoint-Key": plaintext})
    assert response.status_code == 403 and "error" in response.json()


def test_list_pages_wire_the_typeahead_to_the_lookup(clerk_client):
    html = clerk_client.get(reverse("customer_list")).content.decode()
    assert "/static/js/lookup.js" in html
    assert f'data-lookup="{reverse("customer_lookup")}"' in html and 'data-lookup-href="/customers/{id}/"' in html
    html = clerk_client.get(reverse("item_list")).content.decode()
    assert f'data-lookup="{reverse("item_lookup")}"' in html and 'data-lookup-href="/items/{id}/"' in html


def test_the_main_navigation_marks_customers_and_items(clerk_client, tenant):
    customer = make_customer(tenant)
    for url, current in [
        (reverse("customer_list"), "/customers/"),
        (reverse("customer_edit", args=[customer.pk]), "/customers/"),
        (reverse("item_list"), "/items/"),
        (reverse("item_new"), "/items/"),
    ]:
        nav = re.search(r'<nav class="mainnav".*?</nav>', clerk_client.get(url).content.decode(), re.S).group(0)
        assert re.findall(r'href="([^"]+)" aria-current="page"', nav) == [current], url


# --- Tenant isolation -------------------------------------------------------------------------


def test_another_tenants_customers_and_items_never_show_and_their_ids_404(client, tenant, other_tenant):
    theirs_customer = make_customer(other_tenant, name="Their Customer Ltd", email="secret@their.ng")
    theirs_item = make_item(other_tenant, name="Their Secret Item")
    make_customer(tenant, name="Our Customer Ltd", tin="11111111-0001")
    make_item(tenant, name="Our Item")
    client.force_login(member(tenant, "clerk"))

    for page, params in [
        ("customer_list", {}),
        ("customer_list", {"archived": "1"}),
        ("customer_list", {"q": "their"}),
        ("item_list", {}),
        ("item_list", {"q": "secret"}),
    ]:
        html = client.get(reverse(page), params).content.decode()
        assert "Their Customer Ltd" not in html and "secret@their.ng" not in html and "Their Secret Item" not in html
    assert client.get(reverse("customer_lookup"), {"q": "their"}).json() == {"items": []}
    assert client.get(reverse("customer_lookup"), {"q": "12345678"}).json() == {"items": []}
    assert client.get(reverse("item_lookup"), {"q": "secret"}).json() == {"items": []}

    for name, pk in [
        ("customer_edit", theirs_customer.pk),
        ("customer_archive", theirs_customer.pk),
        ("customer_verify_tin", theirs_customer.pk),
        ("item_edit", theirs_item.pk),
        ("item_archive", theirs_item.pk),
    ]:
        url = reverse(name, args=[pk])
        if name != "customer_verify_tin":
            assert client.get(url).status_code == 404, url
        assert client.post(url, CUSTOMER_FORM | ITEM_FORM).status_code == 404, url
    with scopes_disabled():
        theirs_customer.refresh_from_db()
        theirs_item.refresh_from_db()
    assert (theirs_customer.name, theirs_customer.archived_at) == ("Their Customer Ltd", None)
    assert (theirs_item.name, theirs_item.archived_at) == ("Their Secret Item", None)


# --- TIN check with NRS -----------------------------------------------------------------------


def test_the_tin_check_is_offered_only_with_nrs_credentials(clerk_client, tenant):
    customer = make_customer(tenant)
    html = clerk_client.get(reverse("customer_edit", args=[customer.pk])).content.decode()
    assert "Check TIN" not in html and "once an admin saves the NRS API credentials" in html
    response = clerk_client.post(reverse("customer_verify_tin", args=[customer.pk]), follow=True)
    assert "Save your NRS API credentials first" in response.content.decode()


@pytest.fixture
def sandbox_tenant(live_server, settings):
    """A business connected to the embedded NRS sandbox, reached over real HTTP."""
    from integrations.nrs.services import nrs_sandbox_connect

    settings.NRS_SANDBOX_URL = live_server.url + "/sandbox/nrs"
    settings.NRS_READ_TIMEOUT = 2.0
    tenant = TenantFactory(name="Kola Foods Ltd", tin="12345678-0009", email="billing@kola.ng")
    nrs_sandbox_connect(tenant=tenant)
    tenant.refresh_from_db()
    return tenant


def test_clerk_checks_a_customers_tin_with_nrs(client, sandbox_tenant):
    known = make_customer(sandbox_tenant, tin="20198222-0002")
    unknown = make_customer(sandbox_tenant, name="Ghost Ltd", tin="0000123-0001")
    client.force_login(member(sandbox_tenant, "clerk"))
    edit = reverse("customer_edit", args=[known.pk])
    assert "Check TIN 20198222-0002 with NRS" in client.get(edit).content.decode()

    response = client.post(reverse("customer_verify_tin", args=[known.pk]), follow=True)
    assert response.redirect_chain == [(edit, 302)]
    assert "NRS knows TIN 20198222-0002: Sandbox Taxpayer 20198222-0002" in response.content.decode()
    response = client.post(reverse("customer_verify_tin", args=[unknown.pk]), follow=True)
    assert "NRS does not know TIN 0000123-0001. Ask Ghost Ltd" in response.content.decode()
