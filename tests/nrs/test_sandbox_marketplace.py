"""The embedded sandbox as a marketplace, over real HTTP: a transmitted B2B/B2G invoice goes to the sandbox
business whose TIN is the buyer's; the buyer pulls it and confirms receipt; the supplier looks up its delivery."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from integrations.nrs.client import NrsClient
from integrations.nrs.errors import NrsNotFound, NrsRejected, NrsTransient
from integrations.nrs.sandbox.models import SandboxInvoice
from tenants.services import tenant_update
from tests.conftest import set_faults
from tests.factories import TenantFactory, make_ready
from tests.nrs.conftest import document_for

BUYER_TIN = "87654321-0001"


def business(key_file, name, tin):
    from integrations.nrs.services import nrs_sandbox_connect

    tenant = make_ready(TenantFactory(name=name), key_file)
    tenant_update(tenant=tenant, tin=tin)
    tenant.nrs_business_id = uuid.uuid4()
    nrs_sandbox_connect(tenant=tenant)
    tenant.refresh_from_db()
    return tenant


@pytest.fixture
def buyer(sandbox_url, key_file):
    return business(key_file, "Ada Traders Ltd", BUYER_TIN)


def sent(supplier, number, *, tin=BUYER_TIN, transmit=True, kind="B2B"):
    """A document signed (and transmitted) by `supplier` to the buyer with `tin`."""
    doc = document_for(supplier, number, day=timezone.localdate(), kind=kind)
    if kind != "B2C":
        doc["accounting_customer_party"]["tin"] = tin
    client = NrsClient(supplier)
    client.sign(doc)
    if transmit:
        client.transmit(doc["irn"])
    return doc


def irns(found):
    return sorted(item["irn"] for item in found)


def test_the_buyer_pulls_what_was_transmitted_to_its_tin_and_nothing_else(connected_tenant, buyer, key_file):
    mine = sent(connected_tenant, "M1")
    sent(connected_tenant, "OTHER1", tin="99990000-0001")  # another buyer
    sent(connected_tenant, "WAIT1", transmit=False)  # signed, not transmitted yet
    sent(connected_tenant, "SHOP1", kind="B2C", transmit=False)  # no buyer at all: reported, never transmitted
    today = timezone.localdate()

    found = NrsClient(buyer).transmit_pull(today - timedelta(days=1), today)
    assert irns(found) == [mine["irn"]]
    [item] = found
    stored = SandboxInvoice.objects.get(irn=mine["irn"])
    assert item["transmitted_at"] == stored.transmitted_at.isoformat()
    assert item["accounting_supplier_party"]["tin"] == connected_tenant.tin
    assert Decimal(str(item["legal_monetary_total"]["payable_amount"])) == Decimal("537500")
    assert item["invoice_type_code"] == "381"
    assert NrsClient(connected_tenant).transmit_pull(today, today) == []  # the supplier is not its buyer


def test_the_envelope_is_nrs_own(connected_tenant, buyer, sandbox_url):
    doc = sent(connected_tenant, "ENV1")
    today = timezone.localdate().isoformat()
    response = requests.get(
        sandbox_url + "/api/v1/invoice/transmit/pull",
        params={"confirmed": "true", "from": today, "to": today},
        headers={"x-api-key": buyer.nrs_api_key, "x-api-secret": buyer.nrs_api_secret},
        timeout=10,
    )
    body = response.json()
    assert response.status_code == 200 and body["code"] == 200
    assert [item["irn"] for item in body["data"]["invoices"]] == [doc["irn"]]


def test_dates_are_lagos_dates_and_bad_ones_are_refused_in_nrs_words(connected_tenant, buyer):
    doc = sent(connected_tenant, "LATE1")
    # 23:30 UTC on 30 November is 00:30 on 1 December in Lagos.
    SandboxInvoice.objects.filter(irn=doc["irn"]).update(transmitted_at=datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    client = NrsClient(buyer)
    assert client.transmit_pull(date(2026, 11, 1), date(2026, 11, 30)) == []
    assert irns(client.transmit_pull(date(2026, 12, 1), date(2026, 12, 1))) == [doc["irn"]]
    with pytest.raises(NrsRejected) as refused:
        client.transmit_pull(date(2026, 12, 2), date(2026, 12, 1))
    assert refused.value.details == "to must be on or after from" and refused.value.status_code == 400
    with pytest.raises(NrsRejected, match="from must be a valid date in the format yyyy-mm-dd"):
        client._call("transmit_pull", "GET", "/api/v1/invoice/transmit/pull", params={"from": "1/12/2026", "to": ""})


def test_confirmed_false_answers_only_what_the_buyer_has_not_confirmed(connected_tenant, buyer):
    first, second = sent(connected_tenant, "C1"), sent(connected_tenant, "C2")
    client = NrsClient(buyer)
    assert client.transmit_confirm(first["irn"]) == {"ok": True}
    assert client.transmit_confirm(first["irn"]) == {"ok": True}  # again: the first confirmation stands
    today = timezone.localdate()
    assert irns(client.transmit_pull(today, today, confirmed=False)) == [second["irn"]]
    assert irns(client.transmit_pull(today, today, confirmed=True)) == sorted([first["irn"], second["irn"]])


def test_only_the_buyer_confirms_and_the_supplier_looks_the_delivery_up(connected_tenant, buyer, key_file):
    doc = sent(connected_tenant, "LOOK1", transmit=False)
    supplier = NrsClient(connected_tenant)
    assert supplier.transmit_lookup(doc["irn"]) == {
        "irn": doc["irn"],
        "status": "PENDING",
        "transmitted_at": None,
        "confirmed_at": None,
    }
    with pytest.raises(NrsNotFound):  # not delivered yet: nothing for the buyer to confirm
        NrsClient(buyer).transmit_confirm(doc["irn"])
    supplier.transmit(doc["irn"])
    transmitted = supplier.transmit_lookup(doc["irn"])
    assert transmitted["status"] == "TRANSMITTED" and transmitted["transmitted_at"] and not transmitted["confirmed_at"]

    stranger = business(key_file, "Third Party Ltd", "11112222-0001")
    for outsider in (supplier, NrsClient(stranger)):
        with pytest.raises(NrsNotFound) as refused:
            outsider.transmit_confirm(doc["irn"])
        assert refused.value.details == f"invoice with irn {doc['irn']} was not transmitted to this business"
    with pytest.raises(NrsNotFound, match="invoice with irn NOPE1-ABCDEFGH-20261201 not found"):
        NrsClient(buyer).transmit_confirm("NOPE1-ABCDEFGH-20261201")
    assert supplier.transmit_lookup(doc["irn"])["status"] == "TRANSMITTED"

    NrsClient(buyer).transmit_confirm(doc["irn"])
    confirmed = supplier.transmit_lookup(doc["irn"])
    stored = SandboxInvoice.objects.get(irn=doc["irn"])
    assert confirmed["status"] == "CONFIRMED"
    assert confirmed["confirmed_at"] == stored.transmit_confirmed_at.isoformat()
    with pytest.raises(NrsNotFound):  # the lookup is the supplier's
        NrsClient(buyer).transmit_lookup(doc["irn"])


@pytest.mark.parametrize(
    ("faults", "expected"),
    [({"error_rate": 1.0}, "internal server error"), ({"throttle_rate": 1.0, "retry_after_seconds": 3}, "too many")],
)
def test_faults_are_injected_into_the_buyer_calls_too(connected_tenant, buyer, faults, expected):
    doc = sent(connected_tenant, "FAULT1")
    set_faults(**faults)
    today = timezone.localdate()
    calls = (
        lambda: NrsClient(buyer).transmit_pull(today, today),
        lambda: NrsClient(buyer).transmit_confirm(doc["irn"]),
        lambda: NrsClient(connected_tenant).transmit_lookup(doc["irn"]),
    )
    for call in calls:
        with pytest.raises(NrsTransient, match=expected) as failed:
            call()
        if "throttle_rate" in faults:
            assert failed.value.throttled and failed.value.retry_after == 3
    assert SandboxInvoice.objects.get(irn=doc["irn"]).transmit_confirmed_at is None
