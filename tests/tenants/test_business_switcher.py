"""Several businesses, one login, from outside (HTTP): the header's business switcher, /businesses/ and
/switch/<id>/, and what each page shows while a person of two businesses works in one of them.

(The isolation matrix, tests/test_isolation.py, also asks every route as an accountant of two businesses.)"""

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from integrations.webhooks.services import webhook_create
from invoicing.models import Customer, Invoice
from tenants import services
from tenants.models import AuditEvent, Membership, Tenant
from tenants.notifications import notify
from tests.conftest import member
from tests.factories import TenantFactory, invoices_in, received_invoice


def _business(name, letter, person, role):
    """A business with one of everything a member page lists, each named after it ("Kola"/"Eko")."""
    tenant = TenantFactory(name=f"{name} Ltd")
    with scope(tenant=tenant):
        Membership.objects.create(tenant=tenant, user=person, role=role)
        Customer.objects.create(tenant=tenant, kind="B2B", name=f"{name} Buyer Ltd", tin=f"{letter * 8}-0001")
        services.api_key_create(tenant=tenant, name=f"{name} ERP key")
    (draft,) = invoices_in(tenant, "DRAFT")
    with scopes_disabled():
        Invoice.objects.filter(pk=draft.pk).update(document_number=f"{letter}-DRAFT-0001")
    webhook_create(
        tenant=tenant,
        url=f"https://93.184.216.34/{name.split()[0].lower()}-hooks",
        events=["invoice.certified"],
        secret=f"{letter.lower()}-secret-0123456789abcdef",
    )
    received_invoice(tenant, supplier_name=f"{name} Supplier Works Ltd", document_number=f"{letter}-RCV-1")
    notify(tenant, [person], "webhook_paused", f"{name} notice", f"{name} notice", "", f"{name}-notice")
    return tenant


@pytest.fixture
def accountant():
    """An accountant: an admin of Kola Foods (their first business) and a clerk of Eko Traders."""
    person = member(TenantFactory(name="Placeholder"), "admin", email="ngozi@accountants.ng")
    with scopes_disabled():
        Membership.objects.filter(user=person).delete()
        Tenant.objects.filter(name="Placeholder").delete()
    kola = _business("Kola Foods", "K", person, "admin")
    eko = _business("Eko Traders", "E", person, "clerk")
    client = Client()
    client.force_login(person)
    return person, kola, eko, client


PAGES = {  # what each page lists, by the name that tells the two businesses apart
    "invoice_list": "{letter}-DRAFT-0001",
    "customer_list": "{name} Buyer Ltd",
    "notification_list": "{name} notice",
    "purchase_list": "{name} Supplier Works Ltd",
    "settings_api_keys": "{name} ERP key",  # admins only
    "settings_webhooks": "{lower}-hooks",  # admins only
}


def _expect_only(client, here, elsewhere, *, admin_pages: bool):
    for page, marker in PAGES.items():
        if page.startswith("settings_") and not admin_pages:
            assert client.get(reverse(page)).status_code == 403, page
            continue
        html = client.get(reverse(page)).content.decode()
        mine = marker.format(letter=here[1], name=here[0], lower=here[0].split()[0].lower())
        theirs = marker.format(letter=elsewhere[1], name=elsewhere[0], lower=elsewhere[0].split()[0].lower())
        assert mine in html, f"{page} does not show {mine}"
        assert theirs not in html, f"{page} shows {theirs} of the other business"


def _header_business(html) -> str:
    return re.search(r'<span class="tenant-name">([^<]+)</span>', html).group(1)


def test_a_person_of_two_businesses_sees_only_the_current_ones_data_and_switches_from_the_header(accountant):
    person, kola, eko, client = accountant
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert _header_business(dashboard) == "Kola Foods Ltd"  # the first business they joined
    # The switcher offers the other business (with its unread notice), by a POST form with the CSRF token.
    switch_url = reverse("business_switch", args=[eko.pk])
    form = re.search(rf'<form method="post" action="{switch_url}">(.*?)</form>', dashboard, re.S).group(1)
    assert "csrfmiddlewaretoken" in form and "Eko Traders Ltd" in form and "Clerk" in form
    assert '<span class="switcher-count">1<' in form
    _expect_only(client, ("Kola Foods", "K"), ("Eko Traders", "E"), admin_pages=True)

    landed = client.post(switch_url, follow=True)
    assert landed.redirect_chain == [(reverse("dashboard"), 302)]
    html = landed.content.decode()
    assert "You are now working in Eko Traders Ltd." in html and _header_business(html) == "Eko Traders Ltd"
    _expect_only(client, ("Eko Traders", "E"), ("Kola Foods", "K"), admin_pages=False)  # a clerk in Eko

    # Every member page names the business, and the bell counts this business's notifications only.
    for page in ("invoice_list", "customer_list", "item_list", "purchase_list", "notification_list"):
        assert _header_business(client.get(reverse(page)).content.decode()) == "Eko Traders Ltd", page
    with scope(tenant=eko):
        notify(eko, [person], "webhook_paused", "Eko second", "", "", "eko-2")
    bell = re.search(r'id="bell-count">(\d+)<', client.get(reverse("dashboard")).content.decode()).group(1)
    assert bell == "2"

    # Both audit logs say so.
    with scopes_disabled():
        assert AuditEvent.objects.filter(tenant=kola, kind="team.switched_away", actor=person).count() == 1
        assert AuditEvent.objects.filter(tenant=eko, kind="team.switched_in", actor=person).count() == 1


def _business_rows(html) -> list[tuple[str, str]]:
    """(business, role) of each entry of /businesses/."""
    return re.findall(
        r'class="business-name">([^<]+)</strong>.*?class="muted business-role">([^<]+)</span>', html, re.S
    )


def test_the_businesses_page_lists_each_with_the_role_and_adds_another(accountant):
    person, kola, eko, client = accountant
    html = client.get(reverse("business_list")).content.decode()
    rows = _business_rows(html)
    assert rows == [("Eko Traders Ltd", "Clerk"), ("Kola Foods Ltd", "Admin")]
    assert "Working here now" in html and "Switch to Eko Traders Ltd" in html
    assert reverse("signup_business") in html

    made = client.post(reverse("signup_business"), {"business_name": "Third Venture Ltd"}, follow=True)
    assert _header_business(made.content.decode()) == "Third Venture Ltd"  # they work in the new one
    html = client.get(reverse("business_list")).content.decode()
    assert [name for name, _role in _business_rows(html)] == [
        "Eko Traders Ltd",
        "Kola Foods Ltd",
        "Third Venture Ltd",
    ]


def test_switching_to_a_business_one_is_not_a_member_of_is_a_404_like_one_that_does_not_exist(accountant):
    person, kola, eko, client = accountant
    stranger = TenantFactory(name="Stranger Holdings Ltd")
    theirs = client.post(reverse("business_switch", args=[stranger.pk]))
    nobodys = client.post(reverse("business_switch", args=[uuid.uuid4()]))
    assert theirs.status_code == nobodys.status_code == 404
    assert "Stranger" not in theirs.content.decode()
    assert _main(theirs) == _main(nobodys)  # the same page: no hint that the business exists
    assert client.get(reverse("business_switch", args=[eko.pk])).status_code == 405  # a POST only
    assert _header_business(client.get(reverse("dashboard")).content.decode()) == "Kola Foods Ltd"
    with scopes_disabled():
        assert not AuditEvent.objects.filter(tenant=stranger).exists()


def _main(response) -> str:
    return re.search(r"<main.*</main>", response.content.decode(), re.S).group(0)


def test_switching_needs_the_csrf_token(accountant):
    person, kola, eko, _client = accountant
    client = Client(enforce_csrf_checks=True)
    client.force_login(person)
    assert client.post(reverse("business_switch", args=[eko.pk])).status_code == 403
    assert _header_business(client.get(reverse("dashboard")).content.decode()) == "Kola Foods Ltd"


def test_a_form_of_the_business_left_behind_in_another_tab_writes_nothing_into_the_new_one(accountant):
    person, kola, eko, client = accountant
    # Tab 1, in Kola: the new-customer form and a draft's edit page.
    new_customer = client.get(reverse("customer_new")).content.decode()
    business = re.search(r'name="_business" value="([^"]+)"', new_customer).group(1)
    assert business == str(kola.pk)
    with scope(tenant=kola):
        draft = Invoice.objects.get(document_number="K-DRAFT-0001")
    assert client.get(reverse("invoice_edit", args=[draft.pk])).status_code == 200

    # Tab 2: switch to Eko. Then tab 1's forms are sent.
    client.post(reverse("business_switch", args=[eko.pk]))
    refused = client.post(
        reverse("customer_new"),
        {
            "_business": business,
            "customerKind": "B2B",
            "name": "Meant For Kola Ltd",
            "tin": "99999999-0001",
            "email": "ap@kola.ng",
        },
    )
    assert refused.status_code == 409
    text = refused.content.decode()
    assert "Nothing was saved" in text and "That form was opened in Kola Foods Ltd" in text
    assert reverse("business_switch", args=[kola.pk]) in text  # "Switch back to Kola Foods Ltd"
    assert client.post(reverse("invoice_edit", args=[draft.pk]), {"_business": business}).status_code == 409
    # Without the form's business (a script, or a page from before): Kola's draft is not found in Eko.
    assert client.post(reverse("invoice_edit", args=[draft.pk]), {"document_number": "X"}).status_code == 404
    assert client.post(reverse("invoice_delete", args=[draft.pk])).status_code == 404
    with scopes_disabled():
        assert not Customer.objects.filter(name="Meant For Kola Ltd").exists()
        assert Invoice.objects.get(pk=draft.pk).updated_at == draft.updated_at

    # The control: the same form sent from Eko's own page saves into Eko.
    made = client.post(
        reverse("customer_new"),
        {
            "_business": str(eko.pk),
            "customerKind": "B2B",
            "name": "Meant For Eko Ltd",
            "tin": "88888888-0001",
            "email": "ap@eko.ng",
        },
    )
    assert made.status_code == 302
    with scopes_disabled():
        assert Customer.objects.get(name="Meant For Eko Ltd").tenant_id == eko.pk


def test_removed_from_the_business_one_works_in_lands_in_the_other_one(accountant):
    person, kola, eko, client = accountant
    assert _header_business(client.get(reverse("dashboard")).content.decode()) == "Kola Foods Ltd"
    with scopes_disabled():
        other_admin = member(kola, "admin", email="owner@kola.ng")
        services.membership_remove(membership=Membership.objects.get(tenant=kola, user=person), user=other_admin)
    page = client.get(reverse("invoice_list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert _header_business(html) == "Eko Traders Ltd" and "You are now working in Eko Traders Ltd." in html
    assert "E-DRAFT-0001" in html and "K-DRAFT-0001" not in html
    assert "Kola Foods Ltd" not in client.get(reverse("business_list")).content.decode()


def test_switching_into_a_business_that_requires_two_factor_sends_a_person_without_it_to_enrolment(accountant):
    person, kola, eko, client = accountant
    Tenant.objects.filter(pk=eko.pk).update(require_two_factor=True)
    landed = client.post(reverse("business_switch", args=[eko.pk]), follow=True)
    assert landed.redirect_chain[-1] == (reverse("settings_security"), 302)
    assert "Eko Traders Ltd requires two-factor sign-in" in landed.content.decode()
    assert client.get(reverse("invoice_list"))["Location"] == reverse("settings_security")
    # Kola does not require it: switching back, the pages open again.
    client.post(reverse("business_switch", args=[kola.pk]))
    assert client.get(reverse("invoice_list")).status_code == 200
