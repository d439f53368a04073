"""Every portal and API route with an id, requested by another tenant's admin with the first tenant's ids."""

import re

import pytest
from django.core import mail
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_scopes import scope, scopes_disabled

from integrations.webhooks.models import WebhookDelivery, WebhookEndpoint
from invoicing.models import Batch, Customer, Invoice, Item
from tenants import services
from tenants.models import ApiKey, CryptoKey, Invitation, Location, Membership
from tests.conftest import member
from tests.factories import make_ready


def _routes(patterns=None, prefix=""):
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if prefix.startswith("sandbox/"):
            continue  # the embedded NRS sandbox: NRS credentials, not tenants (tests/nrs cover its checks)
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and re.search(r"<(int|uuid):\w+>", str(p.pattern)):
            yield p.name, re.findall(r"<(?:int|uuid):(\w+)>", str(p.pattern))


# Which tenant-owned row each id route addresses (a tuple when it has several ids, in path order). A new id
# route must be added here, or the test fails.
MODEL_FOR_ROUTE = {
    "location_edit": Location,
    "location_make_primary": Location,
    "location_delete": Location,
    "crypto_key_activate": CryptoKey,
    "crypto_key_delete": CryptoKey,
    "api_key_revoke": ApiKey,
    "member_role": Membership,
    "member_remove": Membership,
    "invitation_revoke": Invitation,
    "api_tenant_location": Location,
    "api_tenant_crypto_key": CryptoKey,
    "api_tenant_api_key": ApiKey,
    "customer_edit": Customer,
    "customer_archive": Customer,
    "customer_verify_tin": Customer,
    "item_edit": Item,
    "item_archive": Item,
    "webhook_redeliver": WebhookDelivery,
    "api_batch": Batch,
    "batch_detail": Batch,
    "batch_submit": Batch,
    "batch_progress": Batch,
    "api_webhook": WebhookEndpoint,
    "api_webhook_deliveries": WebhookEndpoint,
    "api_webhook_redeliver": (WebhookEndpoint, WebhookDelivery),
    **{
        name: Invoice
        for name in (
            "invoice_detail",
            "invoice_edit",
            "invoice_delete",
            "invoice_submit",
            "invoice_retry",
            "invoice_payment",
            "invoice_reconcile",
            "invoice_review",
            "invoice_approve",
            "invoice_pdf",
            "invoice_qr",
            "api_invoice_detail",
            "api_invoice_retry",
            "api_invoice_payment",
            "api_invoice_reconcile",
            "api_invoice_pdf",
            "api_draft",
            "api_draft_submit",
        )
    },
}


@pytest.fixture
def first_tenant_rows(tenant, admin_user, key_file):
    make_ready(tenant, key_file)
    with scope(tenant=tenant):
        services.api_key_create(tenant=tenant, name="A")
        services.invitation_create(
            tenant=tenant, email="new@example.ng", role="clerk", invited_by=admin_user, base_url="http://x/"
        )
        clerk = member(tenant, "clerk")
        customer = Customer.objects.create(tenant=tenant, kind="B2B", name="Acme Secret Buyer", tin="55555555-0001")
        item = Item.objects.create(tenant=tenant, name="Secret Widget", unit_price_kobo=100000, hs_code_id="8517.11")
    from invoicing.services import Actor, invoice_create
    from tests.invoicing.conftest import body

    invoice = invoice_create(tenant=tenant, data=body(customer__name="Acme Secret Buyer"), actor=Actor(), draft=True)
    from integrations.webhooks.services import webhook_create, webhook_emit

    webhook_create(
        tenant=tenant,
        url="https://93.184.216.34/secret-hooks",
        events=["invoice.pending"],
        secret="first-tenant-0123456789",
    )
    webhook_emit(invoice=invoice, kind="invoice.pending")
    with scopes_disabled():
        return {
            Customer: customer,
            Item: item,
            Invoice: invoice,
            Location: Location.objects.get(tenant=tenant),
            CryptoKey: CryptoKey.objects.get(tenant=tenant),
            ApiKey: ApiKey.objects.get(tenant=tenant),
            Membership: Membership.objects.get(tenant=tenant, user=clerk),
            Invitation: Invitation.objects.get(tenant=tenant),
            Batch: Batch.objects.create(tenant=tenant, file_name="secret-batch.csv", status="VALIDATED"),
            WebhookEndpoint: WebhookEndpoint.objects.get(tenant=tenant),
            WebhookDelivery: WebhookDelivery.objects.get(tenant=tenant),
        }


def _snapshot():
    with scopes_disabled():
        return [
            list(model.objects.order_by("pk").values())
            for model in (
                Location,
                CryptoKey,
                ApiKey,
                Membership,
                Invitation,
                Customer,
                Item,
                Invoice,
                WebhookEndpoint,
                WebhookDelivery,
                Batch,
            )
        ]


def test_every_id_route_is_covered():
    assert {name for name, _ in _routes()} == set(MODEL_FOR_ROUTE)


def test_another_tenant_gets_404_on_every_id_route_and_changes_nothing(client, other_tenant, first_tenant_rows):
    client.force_login(member(other_tenant, "admin"))
    before = _snapshot()
    mail.outbox.clear()
    for name, kwargs in _routes():
        models = MODEL_FOR_ROUTE[name] if isinstance(MODEL_FOR_ROUTE[name], tuple) else (MODEL_FOR_ROUTE[name],)
        url = reverse(
            name, kwargs={kwarg: first_tenant_rows[model].pk for kwarg, model in zip(kwargs, models, strict=True)}
        )
        for method in ("get", "post", "patch", "delete"):
            response = getattr(client, method)(url)
            assert response.status_code in (404, 405), f"{method.upper()} {url} answered {response.status_code}"
            assert response.status_code == 404 or method not in _allowed(response)
    assert _snapshot() == before


def test_another_tenant_cannot_poll_the_first_tenants_irn(client, tenant, other_tenant, first_tenant_rows):
    from invoicing.services import Actor, invoice_submit

    invoice = invoice_submit(invoice=first_tenant_rows[Invoice], actor=Actor())
    client.force_login(member(other_tenant, "admin"))
    assert client.get(reverse("api_invoice_status", kwargs={"irn": invoice.irn})).status_code == 404
    client.force_login(member(tenant, "admin"))
    assert client.get(reverse("api_invoice_status", kwargs={"irn": invoice.irn})).status_code == 200


def _allowed(response):
    return response.get("Allow", "").lower()


def test_another_tenants_pages_show_none_of_the_first_tenants_data(client, tenant, other_tenant, first_tenant_rows):
    client.force_login(member(other_tenant, "admin"))
    location = first_tenant_rows[Location]
    crypto_key = first_tenant_rows[CryptoKey]
    for page in (
        "dashboard",
        "settings_profile",
        "settings_nrs",
        "settings_locations",
        "settings_crypto_keys",
        "settings_api_keys",
        "settings_team",
        "invoice_list",
        "customer_list",
        "item_list",
        "settings_webhooks",
    ):
        html = client.get(reverse(page)).content.decode()
        assert tenant.name not in html
        assert location.street not in html
        assert crypto_key.fingerprint not in html
        assert first_tenant_rows[ApiKey].prefix not in html
        assert first_tenant_rows[Membership].user.email not in html
        assert "new@example.ng" not in html
        assert "Acme Secret Buyer" not in html and "Secret Widget" not in html
        assert "secret-hooks" not in html


def test_an_api_key_only_ever_resolves_to_its_own_tenant(client, tenant, other_tenant):
    with scope(tenant=other_tenant):
        _row, plaintext = services.api_key_create(tenant=other_tenant, name="B")
    seen = {}

    def probe(request):
        seen["tenant"] = request.tenant

    from tenants.middleware import TenantMiddleware

    TenantMiddleware(probe)(type("R", (), {"headers": {"X-Flowpoint-Key": plaintext}, "user": None})())
    assert seen["tenant"] == other_tenant


def test_tenant_owned_queries_outside_a_tenant_scope_raise():
    from django_scopes.exceptions import ScopeError

    with pytest.raises(ScopeError):
        list(Location.objects.all())
