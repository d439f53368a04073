"""The buyer's side against the embedded sandbox over HTTP: two businesses on one portal trade with each other.

A (Kola Foods) certifies B2B invoices to B's TIN through the real pipeline; B pulls them (once each, however
often or concurrently it pulls, whatever crashes), acknowledges receipt, and A's delivery check sees it.
"""

import threading
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from integrations.nrs import hosts
from integrations.nrs.client import NrsClient
from integrations.nrs.errors import NrsNotFound
from integrations.nrs.models import NrsHost
from integrations.nrs.sandbox.models import SandboxInvoice, SandboxRequest
from invoicing import events, tasks
from invoicing.models import Invoice, PurchasePull, ReceivedInvoice, Supplier
from invoicing.purchases import pull as pull_module
from invoicing.purchases import tasks as purchase_tasks
from invoicing.purchases.delivery import deliveries_check
from invoicing.purchases.pull import NOT_ANSWERING, purchases_pull
from invoicing.purchases.services import purchase_acknowledge
from invoicing.selectors import invoice_timeline
from invoicing.services import Actor, invoice_create
from tenants.services import tenant_update
from tests.conftest import member, set_faults
from tests.factories import TenantFactory, make_ready
from tests.invoicing.conftest import body

B_TIN = "87654321-0001"


def business(key_file, *, name, tin, telephone):
    """A ready business connected to the embedded sandbox under its own TIN (NRS routes to buyers by TIN)."""
    from integrations.nrs.services import nrs_sandbox_connect

    tenant = make_ready(TenantFactory(name=name, telephone=telephone), key_file)
    tenant_update(tenant=tenant, tin=tin)
    tenant.nrs_business_id = uuid.uuid4()  # replaced by the sandbox's own
    nrs_sandbox_connect(tenant=tenant)
    tenant.refresh_from_db()
    return tenant


@pytest.fixture
def seller(connected_tenant):
    return connected_tenant  # Kola Foods Ltd, TIN 12345678-0001


@pytest.fixture
def buyer(sandbox_url, key_file):
    return business(key_file, name="Ada Traders Ltd", tin=B_TIN, telephone="+2348088888888")


@pytest.fixture
def heard(monkeypatch):
    """Every purchase.received event published, as (tenant, IRN)."""
    found = []
    monkeypatch.setattr(
        events, "_purchase_listeners", [lambda *, received, kind: found.append((received.tenant_id, received.irn))]
    )
    return found


def certify(seller, number, *, buyer_tin=B_TIN, **changes):
    invoice = invoice_create(
        tenant=seller, data=body(document_number=number, customer__tin=buyer_tin, **changes), actor=Actor()
    )
    assert tasks.submit_invoice(str(invoice.pk)) == "certified"
    return reload(invoice)


def reload(invoice):
    with scopes_disabled():
        return Invoice.objects.get(pk=invoice.pk)


def inbox(tenant):
    with scope(tenant=tenant):
        return sorted(ReceivedInvoice.objects.values_list("irn", flat=True))


def progress(tenant):
    return PurchasePull.objects.get(pk=tenant.pk)


def pull_requests():
    return SandboxRequest.objects.filter(path__endswith="/invoice/transmit/pull").count()


def timeline(invoice):
    with scope(tenant=invoice.tenant):
        return [e.kind for e in invoice.events.order_by("created_at", "id")]


def test_a_b2b_invoice_reaches_its_buyer_once_and_its_acknowledgement_reaches_the_seller(seller, buyer, heard):
    sent = certify(seller, "TRADE-1")

    first = purchases_pull(buyer)
    assert (first.received, first.seen, first.error) == (1, 1, "")
    assert inbox(buyer) == [sent.irn] and inbox(seller) == []
    with scope(tenant=buyer):
        received = ReceivedInvoice.objects.select_related("supplier").get()
        supplier = Supplier.objects.get()
    assert (supplier.name, supplier.tin, supplier.email) == ("Kola Foods Ltd", "12345678-0001", "billing@example.ng")
    assert (supplier.address, supplier.city, supplier.state_code, supplier.lga_code) == (
        "12 Allen Avenue",
        "Ikeja",
        "NG-LA",
        "NG-LA-IKJ",
    )
    assert received.supplier == supplier and received.status == "new"
    assert (received.invoice_type, received.document_number, received.currency) == ("invoice", "TRADE1", "NGN")
    assert received.issue_date == sent.issue_date
    assert (received.line_extension, received.tax_total, received.payable) == (
        Decimal("50000.00"),
        Decimal("3750.00"),
        Decimal("53750.00"),
    )
    assert received.payable == sent.payable and received.tax_total == sent.tax_total
    assert received.transmitted_at == SandboxInvoice.objects.get(irn=sent.irn).transmitted_at
    assert progress(buyer).seen_through == timezone.localdate() and progress(buyer).last_error == ""
    assert heard == [(buyer.pk, sent.irn)]

    second = purchases_pull(buyer)  # asks today again: already here
    assert (second.received, second.seen) == (0, 1)
    assert inbox(buyer) == [sent.irn] and heard == [(buyer.pk, sent.irn)]

    # B acknowledges receipt: NRS (the sandbox) records the buyer's confirmation.
    purchase_acknowledge(received=received, actor=Actor(user=member(buyer, "admin")))
    assert SandboxInvoice.objects.get(irn=sent.irn).transmit_confirmed_at is not None

    # A's delivery check: delivered to the buyer's access point and acknowledged by the buyer, said once.
    report = deliveries_check()
    assert report["acknowledged"] == 1 and report["delivered"] == 1
    seen = reload(sent)
    assert seen.buyer_acknowledged_at and seen.delivered_at == SandboxInvoice.objects.get(irn=sent.irn).transmitted_at
    assert timeline(seen).count("invoice.acknowledged") == 1
    with scope(tenant=seller):
        assert "Acknowledged by the buyer" in [entry.label for entry in invoice_timeline(seen)]
    assert deliveries_check(now=timezone.now() + timedelta(hours=1))["checked"] == 0  # nothing left to ask
    assert timeline(reload(sent)).count("invoice.acknowledged") == 1


def test_deliveries_are_looked_up_spaced_and_until_acknowledged(seller, buyer):
    sent = certify(seller, "SPACED-1")
    assert deliveries_check() == {"checked": 1, "delivered": 1, "acknowledged": 0, "skipped_hosts": 0}
    delivered = reload(sent)
    assert delivered.delivered_at and not delivered.buyer_acknowledged_at
    assert "invoice.acknowledged" not in timeline(delivered)
    assert deliveries_check()["checked"] == 0  # just looked up: not asked again at once
    lookups = SandboxRequest.objects.filter(path__contains="/transmit/lookup/").count()
    assert lookups == 1

    NrsClient(buyer).transmit_confirm(sent.irn)
    assert deliveries_check(now=timezone.now() + timedelta(minutes=6))["acknowledged"] == 1
    assert reload(sent).buyer_acknowledged_at and timeline(reload(sent)).count("invoice.acknowledged") == 1

    # Certified more than 30 days ago and never acknowledged: no longer asked about.
    old = certify(seller, "OLD-1")
    with scopes_disabled():
        Invoice.objects.filter(pk=old.pk).update(certified_at=timezone.now() - timedelta(days=31))
    assert deliveries_check(now=timezone.now() + timedelta(days=1))["checked"] == 0


def test_a_second_and_two_concurrent_pulls_add_nothing(seller, buyer, heard):
    sent = [certify(seller, f"PAR-{n}") for n in range(3)]
    barrier, results, failures = threading.Barrier(2), [], []

    def pull():
        barrier.wait()
        try:
            results.append(purchases_pull(buyer))
        except Exception as exc:  # noqa: BLE001  (the assertion below names it)
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pull) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert sum(r.received for r in results) == 3 and {r.seen for r in results} == {3}
    assert inbox(buyer) == sorted(i.irn for i in sent)
    assert sorted(irn for _, irn in heard) == sorted(i.irn for i in sent)  # one event per invoice
    with scope(tenant=buyer):
        assert Supplier.objects.count() == 1

    again = purchases_pull(buyer)
    assert (again.received, again.seen) == (0, 3) and len(inbox(buyer)) == 3 and len(heard) == 3


def test_a_pull_while_nrs_fails_records_its_words_and_loses_nothing(seller, buyer):
    sent = certify(seller, "FAULT-1")
    set_faults(error_rate=1.0)
    failed = purchases_pull(buyer)
    assert failed.received == 0 and failed.error == "internal server error"
    stuck = progress(buyer)
    assert stuck.last_error == "internal server error" and stuck.last_error_at and stuck.seen_through is None
    assert inbox(buyer) == []

    set_faults()
    hosts.clear()
    done = purchases_pull(buyer)
    assert (done.received, done.error) == (1, "")
    assert inbox(buyer) == [sent.irn]
    assert progress(buyer).last_error == "" and progress(buyer).last_error_at is None


def test_no_pull_while_the_nrs_circuit_is_open(seller, buyer):
    certify(seller, "CIRCUIT-1")
    NrsHost.objects.update(circuit="open", next_probe_at=timezone.now() + timedelta(minutes=5))
    hosts.clear()
    before = pull_requests()
    held = purchases_pull(buyer)
    assert held.error == NOT_ANSWERING and held.received == 0
    assert pull_requests() == before  # NRS was not asked
    assert progress(buyer).last_error == NOT_ANSWERING and inbox(buyer) == []

    NrsHost.objects.update(circuit="closed", next_probe_at=None)
    hosts.clear()
    assert purchases_pull(buyer).received == 1 and progress(buyer).last_error == ""


def test_a_pull_that_crashes_midway_then_runs_again_gets_every_invoice_exactly_once(seller, buyer, heard, monkeypatch):
    sent = [certify(seller, f"CRASH-{n}") for n in range(3)]
    real_save = pull_module._save
    saved = []

    def save_then_crash(*args, **kwargs):
        if saved:
            raise RuntimeError("worker killed")
        saved.append(real_save(*args, **kwargs))
        return saved[-1]

    monkeypatch.setattr(pull_module, "_save", save_then_crash)
    with pytest.raises(RuntimeError):
        purchases_pull(buyer)
    assert len(inbox(buyer)) == 1 and len(heard) == 1
    assert progress(buyer).seen_through is None  # not moved on: the next pull asks the same days

    monkeypatch.setattr(pull_module, "_save", real_save)
    again = purchases_pull(buyer)
    assert (again.received, again.seen) == (2, 3)
    assert inbox(buyer) == sorted(i.irn for i in sent)
    assert sorted(irn for _, irn in heard) == sorted(i.irn for i in sent)


def test_credit_notes_arrive_as_credit_notes_and_the_pull_is_incremental(seller, buyer):
    original = certify(seller, "ORIG-1")
    note = certify(
        seller, "CN-1", invoice_type="credit_note", original_invoice_id=str(original.pk), line__unit_price=1000
    )
    assert purchases_pull(buyer).received == 2
    with scope(tenant=buyer):
        kinds = dict(ReceivedInvoice.objects.values_list("irn", "invoice_type"))
    assert kinds == {original.irn: "invoice", note.irn: "credit_note"}


def test_the_first_pull_reaches_30_days_back_and_the_next_from_the_last_day_seen(seller, buyer, monkeypatch):
    asked = []
    real = NrsClient.transmit_pull

    def spy(client, date_from, date_to, **kwargs):
        asked.append((date_from, date_to))
        return real(client, date_from, date_to, **kwargs)

    monkeypatch.setattr(NrsClient, "transmit_pull", spy)
    today = timezone.localdate()
    assert purchases_pull(buyer).seen == 0
    assert asked[-1] == (today - timedelta(days=30), today)
    assert progress(buyer).seen_through is None  # nothing seen yet: the next pull asks the same days

    certify(seller, "INC-1")
    with scopes_disabled():  # transmitted three days ago, as NRS recorded it
        SandboxInvoice.objects.update(transmitted_at=timezone.now() - timedelta(days=3))
    assert purchases_pull(buyer).received == 1
    assert progress(buyer).seen_through == today - timedelta(days=3)
    purchases_pull(buyer)
    assert asked[-1] == (today - timedelta(days=3), today)


def test_the_sandbox_takes_a_confirmation_only_from_the_buyer(seller, buyer, key_file):
    sent = certify(seller, "ONLY-B-1")
    stranger = business(key_file, name="Third Party Ltd", tin="11112222-0001", telephone="+2348077777777")
    for outsider in (seller, stranger):
        with pytest.raises(NrsNotFound, match="not transmitted to this business"):
            NrsClient(outsider).transmit_confirm(sent.irn)
    assert SandboxInvoice.objects.get(irn=sent.irn).transmit_confirmed_at is None
    assert NrsClient(buyer).transmit_confirm(sent.irn) == {"ok": True}
    assert SandboxInvoice.objects.get(irn=sent.irn).transmit_confirmed_at is not None
    assert purchases_pull(stranger).seen == 0  # nor is it delivered to anyone else


def test_the_schedule_fans_out_to_every_business_set_up_for_nrs(seller, buyer, monkeypatch):
    queued = []
    monkeypatch.setattr(purchase_tasks, "enqueue", lambda func, *args: queued.append((func, *args)))
    TenantFactory(name="Not Set Up Ltd")  # no NRS identity: nothing to pull
    assert purchase_tasks.pull_all_purchases() == 2
    assert sorted(queued) == sorted(("invoicing.purchases.tasks.pull_purchases", str(t.pk)) for t in (seller, buyer))
    sent = certify(seller, "TASK-1")
    assert purchase_tasks.pull_purchases(str(buyer.pk)) == {"received": 1, "seen": 1, "error": ""}
    assert inbox(buyer) == [sent.irn]


# --- reading NRS's documents, without a sandbox ---------------------------------------------------------------


def nrs_document(irn, *, type_code="381", day="2026-11-20", transmitted="2026-11-20T10:00:00+00:00", **changes):
    document = {
        "irn": irn,
        "invoice_type_code": type_code,
        "issue_date": day,
        "due_date": "2026-12-20",
        "document_currency_code": "NGN",
        "accounting_supplier_party": {
            "party_name": "Bisi Supplies Ltd",
            "tin": "55556666-0001",
            "email": "ar@bisi.ng",
            "telephone": "+2348055555555",
            "postal_address": {"street_name": "3 Broad Street", "city_name": "Lagos", "state": "NG-LA"},
        },
        "tax_total": [{"tax_amount": 75.1}],
        "legal_monetary_total": {"line_extension_amount": 1001.3, "payable_amount": "1076.40"},
        "transmitted_at": transmitted,
    }
    return document | changes


def test_types_amounts_and_an_unreadable_document_that_is_asked_for_again(ready_tenant, monkeypatch, heard):
    listed = [
        nrs_document("CN7-BISI0001-20261120", type_code="380"),
        nrs_document("DN7-BISI0001-20261121", type_code="384", transmitted="2026-11-21T10:00:00+00:00"),
        nrs_document("BAD7-BISI0001-20261122", issue_date=None, transmitted="2026-11-22T10:00:00+00:00"),
        nrs_document("INV7-BISI0001-20261123", transmitted="2026-11-23T10:00:00+00:00"),
    ]
    monkeypatch.setattr(NrsClient, "transmit_pull", lambda client, start, end, **kw: listed)
    result = purchases_pull(ready_tenant)
    assert (result.received, result.seen, result.error) == (3, 4, "")
    with scope(tenant=ready_tenant):
        rows = {r.irn: r for r in ReceivedInvoice.objects.all()}
    assert {irn: r.invoice_type for irn, r in rows.items()} == {
        "CN7-BISI0001-20261120": "credit_note",
        "DN7-BISI0001-20261121": "debit_note",
        "INV7-BISI0001-20261123": "invoice",
    }
    note = rows["CN7-BISI0001-20261120"]
    assert (note.line_extension, note.tax_total, note.payable) == (
        Decimal("1001.30"),
        Decimal("75.10"),
        Decimal("1076.40"),
    )
    assert note.document_number == "CN7" and str(note.due_date) == "2026-12-20"
    # The unreadable one (transmitted on the 22nd) is asked for again by the next pull, not skipped for good.
    assert str(progress(ready_tenant).seen_through) == "2026-11-22"
    assert len(heard) == 3


def test_the_schedules_are_registered_with_their_settings(db, settings):
    from django_q.models import Schedule

    from invoicing.apps import ensure_schedules

    settings.PURCHASES_PULL_MINUTES, settings.DELIVERY_CHECK_MINUTES = 7, 15
    ensure_schedules()
    assert Schedule.objects.get(name="pull-purchases").minutes == 7
    assert Schedule.objects.get(func="invoicing.purchases.tasks.check_deliveries").minutes == 15
    assert Schedule.objects.get(name="pull-purchases").func == "invoicing.purchases.tasks.pull_all_purchases"


def test_a_purchase_with_withholding_tax_counts_only_the_vat_as_input_vat(seller, buyer):
    """The seller's document carries the VAT (37,500.00) and the tax the buyer withholds (50,000.00) as two
    tax_total entries: the buyer reclaims the VAT only, and pays 487,500.00 (docs/worked-examples.md, (a))."""
    lines = [
        {
            "description": "Management consulting",
            "quantity": 20,
            "unit_price": 25000,
            "isic_code": "7020",
            "tax_scheme": "STANDARD_VAT",
            "tax_rate": 7.5,
            "withholding_rate": 10,
        }
    ]
    sent = certify(seller, "TRADE-WHT", lines=lines)
    purchases_pull(buyer)
    with scope(tenant=buyer):
        received = ReceivedInvoice.objects.get(irn=sent.irn)
    assert (received.line_extension, received.tax_total, received.payable) == (
        Decimal("500000.00"),
        Decimal("37500.00"),
        Decimal("487500.00"),
    )
