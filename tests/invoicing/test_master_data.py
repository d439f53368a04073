"""Customers and items through the master-data services: every error code from a real input, TIN and name
reuse after archiving, and searches that never leave the tenant."""

from decimal import Decimal

import pytest
from django_scopes import scope

from invoicing import master_data
from invoicing.master_data import MasterDataError
from invoicing.models import Customer, Item
from tests.invoicing.conftest import ACME_CUSTOMER

ACME = ACME_CUSTOMER
RICE = {"name": "Rice, 50 kg bag", "unitPriceKobo": 5_000_000, "hsCode": "1006.30"}


def new_customer(tenant, **changes):
    return master_data.customer_create(tenant=tenant, data={**ACME, **changes})


def new_item(tenant, **changes):
    return master_data.item_create(tenant=tenant, data={**RICE, **changes})


def rejected(call, **kwargs) -> MasterDataError:
    with pytest.raises(MasterDataError) as info:
        call(**kwargs)
    return info.value


# --- Customers -------------------------------------------------------------------------------


def test_a_customer_is_saved_with_every_field_and_its_codes(tenant, unscoped):
    customer = new_customer(tenant, tin="rc-1234567", phone="+234 801 234 5678", customerKind="b2g")
    customer.refresh_from_db()
    assert customer.tenant == tenant
    assert (customer.kind, customer.name, customer.tin) == ("B2G", "Acme Ltd", "RC-1234567")
    assert (customer.email, customer.phone) == ("ap@acme.ng", "+2348012345678")
    assert (customer.address, customer.city, customer.postal_code) == ("42 Marina Road", "Lagos", "101001")
    assert (customer.state_id, customer.lga_id, customer.country_id) == ("NG-LA", "NG-LA-LIS", "NG")
    assert master_data.customer_row(customer) == {
        "id": customer.pk,
        "kind": "B2G",
        "name": "Acme Ltd",
        "tin": "RC-1234567",
        "email": "ap@acme.ng",
        "phone": "+2348012345678",
        "address": "42 Marina Road",
        "city": "Lagos",
        "postalCode": "101001",
        "state": "NG-LA",
        "lga": "NG-LA-LIS",
        "country": "NG",
    }


def test_only_kind_name_tin_and_email_are_required(tenant):
    customer = master_data.customer_create(
        tenant=tenant, data={"customerKind": "B2B", "name": "Bare Ltd", "tin": "87654321-0001", "email": "a@b.ng"}
    )
    assert (customer.phone, customer.state, customer.lga, customer.country_id) == ("", None, None, "NG")


@pytest.mark.parametrize(
    "changes, code, field",
    [
        ({"name": "  "}, "missing_field", "name"),
        ({"customerKind": ""}, "missing_field", "customerKind"),
        ({"tin": None}, "missing_field", "tin"),
        ({"tin": "1234"}, "invalid_tin", "tin"),
        ({"tin": "12345678/0001"}, "invalid_tin", "tin"),
        ({"tin": "1234567890-12345678901"}, "invalid_tin", "tin"),
        ({"email": ""}, "invalid_email", "email"),
        ({"email": "ap@acme"}, "invalid_email", "email"),
        ({"phone": "08012345678"}, "invalid_phone", "phone"),
        ({"state": "NG-XX", "lga": ""}, "invalid_state", "state"),
        ({"lga": "NG-LA-XXX"}, "invalid_lga", "lga"),
        ({"state": "", "lga": "NG-LA-IKJ"}, "invalid_lga", "lga"),
        ({"state": "NG-OY", "lga": "NG-LA-IKJ"}, "invalid_lga", "lga"),
        ({"customerKind": "B2C"}, "invalid_kind", "customerKind"),
        ({"customerKind": "retail"}, "invalid_kind", "customerKind"),
        ({"country": "XX", "state": "", "lga": ""}, "invalid_country", "country"),
        ({"country": "GH"}, "invalid_state", "state"),
        ({"name": "x" * 201}, "invalid_field", "name"),
        ({"name": ["Acme"]}, "invalid_field", "name"),
    ],
)
def test_a_bad_customer_is_refused_with_the_spec_code(tenant, unscoped, changes, code, field):
    error = rejected(new_customer, tenant=tenant, **changes)
    assert (error.code, error.field, error.status) == (code, field, 400)
    assert error.message
    assert not Customer.objects.exists()


def test_lga_outside_the_state_says_where_it_is(tenant):
    error = rejected(new_customer, tenant=tenant, state="NG-OY", lga="NG-LA-IKJ")
    assert error.message == "Ikeja is in Lagos, not Oyo. Choose an LGA of Oyo."


def test_every_problem_is_reported_at_once_the_first_as_the_code(tenant):
    error = rejected(new_customer, tenant=tenant, name="", tin="12", email="nope", phone="0801")
    assert error.code == "missing_field"
    assert [(e.code, e.field) for e in error.errors] == [
        ("missing_field", "name"),
        ("invalid_tin", "tin"),
        ("invalid_email", "email"),
        ("invalid_phone", "phone"),
    ]


def test_a_second_customer_with_the_same_tin_is_a_conflict(tenant):
    new_customer(tenant)
    error = rejected(new_customer, tenant=tenant, name="Acme Again", tin="12345678-0001")
    assert (error.code, error.status, error.field) == ("tin_exists", 409, "tin")


def test_an_archived_customers_tin_can_be_reused(tenant, unscoped):
    old = new_customer(tenant)
    master_data.customer_archive(customer=old)
    fresh = new_customer(tenant, name="Acme Nigeria Ltd")
    assert fresh.pk != old.pk and fresh.tin == old.tin
    assert Customer.objects.filter(tenant=tenant, tin=old.tin).count() == 2


def test_another_tenant_may_have_the_same_tin(tenant, other_tenant):
    new_customer(tenant)
    assert new_customer(other_tenant).tenant == other_tenant


def test_update_changes_only_the_fields_sent_and_checks_the_result(tenant):
    customer = new_customer(tenant)
    master_data.customer_update(customer=customer, data={"city": "Ikeja", "lga": "NG-LA-IKJ"})
    customer.refresh_from_db()
    assert (customer.city, customer.lga_id, customer.name, customer.tin) == (
        "Ikeja",
        "NG-LA-IKJ",
        "Acme Ltd",
        ACME["tin"],
    )
    # Moving to another state without a matching LGA is caught on the merged record.
    error = rejected(master_data.customer_update, customer=customer, data={"state": "NG-OY"})
    assert error.code == "invalid_lga"


def test_update_keeps_its_own_tin_but_not_anothers(tenant):
    first = new_customer(tenant)
    second = new_customer(tenant, name="Beta Ltd", tin="99999999-0001")
    master_data.customer_update(customer=first, data={"name": "Acme Holdings", "tin": ACME["tin"]})
    error = rejected(master_data.customer_update, customer=second, data={"tin": ACME["tin"]})
    assert error.code == "tin_exists" and error.status == 409


def test_an_archived_customer_is_read_only_and_archiving_twice_is_harmless(tenant):
    customer = new_customer(tenant)
    archived_at = master_data.customer_archive(customer=customer).archived_at
    assert master_data.customer_archive(customer=customer).archived_at == archived_at
    error = rejected(master_data.customer_update, customer=customer, data={"name": "Changed"})
    assert (error.code, error.status) == ("archived", 409)


def test_customer_search_matches_name_tin_and_email_in_this_tenant_only(tenant, other_tenant):
    new_customer(tenant)
    new_customer(tenant, name="Beta Foods", tin="55555555-0001", email="accounts@betafoods.ng")
    gone = new_customer(tenant, name="Acme Old", tin="44444444-0001")
    master_data.customer_archive(customer=gone)
    new_customer(other_tenant, name="Acme Elsewhere")

    def names(q, **kw):
        return [c.name for c in master_data.customer_search(tenant=tenant, q=q, **kw)]

    assert names("acme") == ["Acme Ltd"]
    assert names("55555555") == ["Beta Foods"]
    assert names("BETAFOODS.NG") == ["Beta Foods"]
    assert names("zzz") == []
    assert names("") == ["Acme Ltd", "Beta Foods"]
    assert names("", limit=1) == ["Acme Ltd"]


# --- Items -----------------------------------------------------------------------------------


def test_an_item_gets_standard_vat_by_default_and_exact_kobo(tenant, unscoped):
    item = new_item(tenant, unitPriceKobo=150_050, costKobo=0, unit="kgm", category="Food")
    item.refresh_from_db()
    assert (item.unit_price_kobo, item.cost_kobo) == (150_050, 0)
    assert (item.tax_scheme_id, item.tax_rate) == ("STANDARD_VAT", Decimal("7.50"))
    assert (item.hs_code_id, item.service_code_id, item.unit_id) == ("1006.30", None, "KGM")
    row = master_data.item_row(item)
    assert row == {
        "id": item.pk,
        "name": "Rice, 50 kg bag",
        "description": "",
        "unitPrice": "1500.50",
        "unitPriceKobo": 150_050,
        "taxScheme": "STANDARD_VAT",
        "taxRate": "7.50",
        "hsCode": "1006.30",
        "serviceCode": "",
        "category": "Food",
        "unit": "KGM",
    }


def test_a_service_item_and_the_rate_of_other_schemes(tenant):
    consulting = new_item(tenant, name="Consulting", hsCode="", serviceCode="6201", taxRate=7.5)
    assert (consulting.service_code_id, consulting.hs_code_id, consulting.tax_rate) == ("6201", None, Decimal("7.50"))
    exempt = new_item(tenant, name="Textbooks", taxScheme="EXEMPTED")
    assert exempt.tax_rate == Decimal("0.00")
    reduced = new_item(tenant, name="Diesel", taxScheme="REDUCED_VAT", taxRate="5")
    assert reduced.tax_rate == Decimal("5.00")
    typed = new_item(tenant, name="Phone", hsCode="851713")  # the dot is optional
    assert typed.hs_code_id == "8517.13"


@pytest.mark.parametrize(
    "changes, code, field",
    [
        ({"name": ""}, "missing_field", "name"),
        ({"unitPriceKobo": None}, "invalid_price", "unitPriceKobo"),
        ({"unitPriceKobo": 0}, "invalid_price", "unitPriceKobo"),
        ({"unitPriceKobo": -100}, "invalid_price", "unitPriceKobo"),
        ({"unitPriceKobo": 1500.5}, "invalid_price", "unitPriceKobo"),
        ({"unitPriceKobo": "150000"}, "invalid_price", "unitPriceKobo"),
        ({"unitPriceKobo": True}, "invalid_price", "unitPriceKobo"),
        ({"costKobo": -1}, "invalid_cost", "costKobo"),
        ({"costKobo": 10.5}, "invalid_cost", "costKobo"),  # a fraction of a kobo (10.0 is the integer 10)
        ({"taxScheme": "VAT"}, "invalid_tax_scheme", "taxScheme"),
        ({"taxScheme": "REDUCED_VAT"}, "missing_field", "taxRate"),
        ({"taxRate": "seven"}, "invalid_tax_rate", "taxRate"),
        ({"taxRate": "101"}, "invalid_tax_rate", "taxRate"),
        ({"taxRate": "7.555"}, "invalid_tax_rate", "taxRate"),
        ({"taxScheme": "ZERO_VAT", "taxRate": "7.5"}, "invalid_tax_rate", "taxRate"),
        ({"hsCode": ""}, "missing_field", "hsCode"),
        ({"hsCode": "9999.99"}, "invalid_hs_code", "hsCode"),
        ({"serviceCode": "0000"}, "invalid_service_code", "serviceCode"),
        ({"unit": "BAGS"}, "invalid_unit", "unit"),
    ],
)
def test_a_bad_item_is_refused_with_the_spec_code(tenant, unscoped, changes, code, field):
    error = rejected(new_item, tenant=tenant, **changes)
    assert (error.code, error.field, error.status) == (code, field, 400)
    assert not Item.objects.exists()


def test_an_item_name_is_unique_ignoring_case_until_archived(tenant, other_tenant):
    rice = new_item(tenant)
    error = rejected(new_item, tenant=tenant, name="RICE, 50 KG BAG")
    assert (error.code, error.status, error.field) == ("item_exists", 409, "name")
    assert new_item(other_tenant).tenant == other_tenant
    master_data.item_archive(item=rice)
    assert new_item(tenant).pk != rice.pk


def test_item_update_is_partial_and_refuses_a_taken_name(tenant):
    rice = new_item(tenant)
    beans = new_item(tenant, name="Beans")
    master_data.item_update(item=rice, data={"unitPriceKobo": 5_500_000})
    rice.refresh_from_db()
    assert (rice.unit_price_kobo, rice.hs_code_id, rice.tax_rate) == (5_500_000, "1006.30", Decimal("7.50"))
    assert rejected(master_data.item_update, item=beans, data={"name": "rice, 50 kg bag"}).code == "item_exists"
    master_data.item_update(item=rice, data={"name": "Rice, 50 kg bag"})  # its own name is fine
    master_data.item_archive(item=beans)
    assert rejected(master_data.item_update, item=beans, data={"name": "Pulses"}).code == "archived"


def test_item_search_matches_name_description_and_codes_in_this_tenant_only(tenant, other_tenant):
    new_item(tenant, description="Long grain, parboiled")
    new_item(tenant, name="Website build", hsCode="", serviceCode="6201")
    master_data.item_archive(item=new_item(tenant, name="Rice (old)"))
    new_item(other_tenant, name="Rice elsewhere")

    def names(q):
        return [i.name for i in master_data.item_search(tenant=tenant, q=q)]

    assert names("rice") == ["Rice, 50 kg bag"]
    assert names("PARBOILED") == ["Rice, 50 kg bag"]
    assert names("6201") == ["Website build"]
    assert names("1006") == ["Rice, 50 kg bag"]


def test_services_work_inside_a_request_scope_of_the_same_tenant(tenant):
    with scope(tenant=tenant):
        customer = new_customer(tenant)
        assert list(Customer.objects.all()) == [customer]


def test_an_integral_float_is_a_whole_number_of_kobo(tenant):
    """JSON Schema counts 500.0 as an integer, so the API must too (a fraction of a kobo is still refused)."""
    with scope(tenant=tenant):
        item = master_data.item_create(
            tenant=tenant,
            data={"name": "Float kobo", "unitPriceKobo": 150000.0, "costKobo": 500.0, "hsCode": "8517.11"},
        )
    assert (item.unit_price_kobo, item.cost_kobo) == (150000, 500)
