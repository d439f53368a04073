"""The business set-up a create reads (primary location, crypto key, review rules, webhook endpoint) is kept
per process, and a change is seen by the very next create, in this process or any other (invoicing/setup.py).

Committed transactions here: the copy is kept only outside a transaction, as on the API's create path."""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from integrations.webhooks import services as webhooks
from integrations.webhooks.models import WebhookDelivery
from invoicing.errors import InvoiceError
from invoicing.models import GateRules
from invoicing.services import Actor, invoice_create
from tenants.models import CryptoKey, Location, Tenant
from tenants.services import crypto_key_delete
from tests.invoicing.conftest import body

pytestmark = pytest.mark.django_db(transaction=True)


def create(tenant_id, number):
    tenant = Tenant.objects.get(pk=tenant_id)  # read afresh, as each request does
    return invoice_create(tenant=tenant, data=body(document_number=number), actor=Actor())


def test_a_create_reads_the_set_up_once_then_not_again_until_it_changes(ready_tenant):
    assert create(ready_tenant.pk, "INV-1").status == "PENDING"
    with CaptureQueriesContext(connection) as queries:
        assert create(ready_tenant.pk, "INV-2").status == "PENDING"
    tables = " ".join(query["sql"] for query in queries.captured_queries)
    for table in ("tenants_location", "tenants_cryptokey", "invoicing_gaterules", "webhooks_webhookendpoint"):
        assert table not in tables

    with scope(tenant=ready_tenant):
        GateRules.objects.update_or_create(tenant=ready_tenant, defaults={"review": GateRules.Review.ALL})
    assert create(ready_tenant.pk, "INV-3").status == "PENDING_REVIEW"

    with scope(tenant=ready_tenant):
        location = Location.objects.get(is_primary=True)
        location.city = "Ikeja GRA"
        location.save()
    assert create(ready_tenant.pk, "INV-4").supplier["address"]["city"] == "Ikeja GRA"

    with scopes_disabled():
        crypto_key_delete(crypto_key=CryptoKey.objects.get(tenant=ready_tenant))
    with pytest.raises(InvoiceError) as refused:
        create(ready_tenant.pk, "INV-5")
    assert refused.value.reason == "NO_KEYS"


def test_the_next_create_sees_each_webhook_change_pause_resume_subscriptions_and_removal(ready_tenant):
    def delivery_of(invoice):
        with scopes_disabled():
            return WebhookDelivery.objects.filter(event__invoice_id=invoice.pk).values_list("state", flat=True).first()

    assert delivery_of(create(ready_tenant.pk, "INV-1")) is None  # no endpoint yet; the copy is kept
    endpoint = webhooks.webhook_create(
        tenant=ready_tenant, url="https://93.184.216.34/hooks", events=["invoice.pending"], secret="s" * 32
    )
    assert delivery_of(create(ready_tenant.pk, "INV-2")) == "pending"

    webhooks.webhook_pause(endpoint=endpoint, reason="Paused by the admin.")
    assert delivery_of(create(ready_tenant.pk, "INV-3")) == "held"
    webhooks.webhook_resume(endpoint=endpoint)
    assert delivery_of(create(ready_tenant.pk, "INV-4")) == "pending"

    webhooks.webhook_update(endpoint=endpoint, events=["invoice.certified"])
    assert delivery_of(create(ready_tenant.pk, "INV-5")) is None
    webhooks.webhook_update(endpoint=endpoint, events=["invoice.pending", "invoice.certified"])
    assert delivery_of(create(ready_tenant.pk, "INV-6")) == "pending"

    webhooks.webhook_delete(endpoint=endpoint)
    assert delivery_of(create(ready_tenant.pk, "INV-7")) is None  # and the create commits: no stale reference


def test_a_change_made_by_another_process_is_seen_through_the_version(ready_tenant):
    assert create(ready_tenant.pk, "INV-1").supplier["address"]["city"] != "Ibadan"
    # Another process's change: no signal runs here, only its committed rows (the version bumped with them).
    with scopes_disabled():
        Location.objects.filter(tenant=ready_tenant).update(city="Ibadan")
        Tenant.objects.filter(pk=ready_tenant.pk).update(setup_version=F("setup_version") + 1)
    assert create(ready_tenant.pk, "INV-2").supplier["address"]["city"] == "Ibadan"


def test_every_change_to_the_set_up_bumps_the_version_in_its_own_transaction(ready_tenant):
    def version():
        return Tenant.objects.values_list("setup_version", flat=True).get(pk=ready_tenant.pk)

    before = version()
    with scope(tenant=ready_tenant):
        GateRules.objects.create(tenant=ready_tenant, approval_above=1000)
        Location.objects.get(is_primary=True).save()
    with scopes_disabled():
        CryptoKey.objects.get(tenant=ready_tenant).delete()
    assert version() == before + 3
