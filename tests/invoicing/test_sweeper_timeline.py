"""The sweeper's reset of an invoice a dead worker left in SUBMITTING is on the invoice's timeline, written in
the transaction that resets it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from invoicing import submission
from invoicing.models import Invoice
from invoicing.services import Actor, invoice_create
from invoicing.submission import sweep
from tests.conftest import member
from tests.invoicing.conftest import body


def stuck_invoice(tenant, settings, **changes):
    invoice = invoice_create(tenant=tenant, data=body(**changes), actor=Actor())
    stale = timezone.now() - timedelta(seconds=settings.NRS_STUCK_AFTER_SECONDS + 5)
    with scopes_disabled():
        Invoice.objects.filter(pk=invoice.pk).update(status="SUBMITTING", submitting_since=stale, attempts=1)
    return invoice


def kinds(invoice):
    with scope(tenant=invoice.tenant):
        return [e.kind for e in invoice.events.order_by("created_at", "id")]


def test_a_reset_invoice_says_so_on_its_timeline(client, ready_tenant, settings):
    invoice = stuck_invoice(ready_tenant, settings)
    assert sweep(queue_each=False) == {"stuck": 1, "queued": 1}
    with scopes_disabled():
        reset = Invoice.objects.get(pk=invoice.pk)
        (entry,) = reset.events.filter(kind="nrs.requeued")
    assert reset.status == "PENDING" and reset.submitting_since is None
    assert kinds(invoice)[-1] == "nrs.requeued" and entry.actor is None
    assert "stopped without finishing" in entry.message and "queued for NRS again" in entry.message
    client.force_login(member(ready_tenant, "admin"))
    page = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert "Sent again after an interruption" in page and "stopped without finishing" in page
    # Nothing more to reset: no second entry.
    assert sweep(queue_each=False)["stuck"] == 0
    assert kinds(invoice).count("nrs.requeued") == 1


def test_a_row_that_moved_on_is_neither_reset_nor_noted(ready_tenant, settings):
    invoice = stuck_invoice(ready_tenant, settings)
    with scopes_disabled():
        seen = Invoice.objects.get(pk=invoice.pk)  # what the sweeper read
        # The slow worker finishes (or another sweeper re-queued it and a worker claimed it) before the reset.
        Invoice.objects.filter(pk=invoice.pk).update(submitting_since=timezone.now())
        assert submission._requeue(seen, timezone.now()) is False
        assert Invoice.objects.get(pk=invoice.pk).status == "SUBMITTING"
    assert "nrs.requeued" not in kinds(invoice)


def test_no_reset_without_its_timeline_entry(ready_tenant, settings, monkeypatch):
    invoice = stuck_invoice(ready_tenant, settings)

    def broken(*args, **kwargs):
        raise RuntimeError("the timeline is unavailable")

    monkeypatch.setattr("invoicing.submission.event", broken)
    with pytest.raises(RuntimeError):
        sweep(queue_each=False)
    with scopes_disabled():
        assert Invoice.objects.get(pk=invoice.pk).status == "SUBMITTING"  # one transaction: nothing half-done
