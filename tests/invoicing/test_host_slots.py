"""NRS calls that are no submission (a pull of received invoices, a delivery lookup) share the host's limit with
the invoices in flight: they wait when it is full, they take a slot the dispatcher then leaves free, and a slot
a dead worker left expires."""

from datetime import timedelta

from django.utils import timezone
from django_scopes import scope, scopes_disabled

from integrations.nrs import hosts
from integrations.nrs.client import base_url_for_environment
from integrations.nrs.models import NrsCallSlot, NrsHost
from integrations.nrs.sandbox.models import SandboxRequest
from invoicing import dispatch
from invoicing.models import Invoice, PurchasePull, ReceivedInvoice
from invoicing.purchases.delivery import deliveries_check
from invoicing.purchases.pull import HOST_FULL, purchases_pull
from tests.invoicing.test_dispatch import claim, create
from tests.invoicing.test_purchases_pull import B_TIN, business, certify


def sandbox():
    return base_url_for_environment("sandbox")  # the live test server's, known once the test runs


def limit_host(limit):
    hosts.host_row(sandbox())
    NrsHost.objects.filter(base_url=sandbox()).update(limit=limit)
    hosts.clear()


def pulls():
    return SandboxRequest.objects.filter(path__endswith="/invoice/transmit/pull").count()


def test_a_pull_waits_while_invoices_take_every_call_the_host_allows(connected_tenant, key_file):
    buyer = business(key_file, name="Ada Traders Ltd", tin=B_TIN, telephone="+2348088888888")
    sent = certify(connected_tenant, "SLOT-1")
    limit_host(2)
    create(connected_tenant, "BUSY-1"), create(connected_tenant, "BUSY-2")
    assert len(claim(5)) == 2  # two submissions in flight: the host is full

    asked = pulls()
    assert purchases_pull(buyer).error == HOST_FULL
    assert pulls() == asked  # NRS was not asked
    assert PurchasePull.objects.get(pk=buyer.pk).last_error == ""  # a full host is no failure to show
    report = deliveries_check()
    assert report["checked"] == 0 and report["skipped_hosts"] == 1  # lookups wait their turn too

    with scopes_disabled():
        Invoice.objects.filter(status="SUBMITTING").update(status="CERTIFIED")
    assert purchases_pull(buyer).received == 1
    with scope(tenant=buyer):
        assert list(ReceivedInvoice.objects.values_list("irn", flat=True)) == [sent.irn]
    assert not NrsCallSlot.objects.exists()  # the pull's slot is given back when its call ends


def test_the_dispatcher_leaves_free_the_slot_a_call_holds(connected_tenant):
    limit_host(2)
    for n in range(3):
        create(connected_tenant, f"SHARE-{n}")
    with dispatch.host_slot(sandbox(), "pull") as room:
        assert room
        assert len(claim(5)) == 1  # two allowed: the pull holds one
    assert NrsCallSlot.objects.count() == 0


def test_a_slot_a_dead_worker_left_expires(connected_tenant):
    limit_host(1)
    host = NrsHost.objects.get(base_url=sandbox())
    NrsCallSlot.objects.create(host=host, purpose="pull", expires_at=timezone.now() + timedelta(seconds=30))
    with dispatch.host_slot(sandbox(), "delivery") as room:
        assert not room  # still held
    NrsCallSlot.objects.update(expires_at=timezone.now() - timedelta(seconds=1))  # its worker died long ago
    with dispatch.host_slot(sandbox(), "delivery") as room:
        assert room
    create(connected_tenant, "AFTER-1")
    assert len(claim(5)) == 1 and not NrsCallSlot.objects.exists()
