"""The submission pipeline: the real task functions against the embedded sandbox over HTTP."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from integrations.nrs.sandbox.models import SandboxInvoice, SandboxRequest
from invoicing import tasks
from invoicing.balance import invoice_balance
from invoicing.models import Invoice
from invoicing.services import Actor, invoice_create
from invoicing.submission import invoice_retry, sweep
from tenants.models import CryptoKey
from tenants.services import crypto_key_delete
from tests.conftest import set_faults
from tests.invoicing.conftest import body

pytestmark = pytest.mark.usefixtures("connected_tenant")


def create(tenant, **changes):
    invoice = invoice_create(tenant=tenant, data=body(**changes), actor=Actor())
    assert invoice.status == "PENDING"
    return invoice


def reload(invoice):
    with scopes_disabled():
        return Invoice.objects.get(pk=invoice.pk)


def signs_received(irn):
    return SandboxRequest.objects.filter(path__endswith="/invoice/sign", request_body__contains=irn).count()


def timeline(invoice):
    with scope(tenant=invoice.tenant):
        return [e.kind for e in invoice.events.order_by("created_at", "id")]


def test_b2b_is_signed_transmitted_and_certified_with_a_qr(connected_tenant):
    invoice = create(connected_tenant)
    assert tasks.submit_invoice(str(invoice.pk)) == "certified"
    invoice = reload(invoice)
    assert invoice.status == "CERTIFIED" and invoice.signed_at and invoice.transmitted_at and invoice.qr_payload
    stored = SandboxInvoice.objects.get(irn=invoice.irn)
    assert stored.transmitted_at is not None
    assert Decimal(stored.document["legal_monetary_total"]["payable_amount"]) == Decimal("53750.00")
    assert timeline(invoice)[-5:] == [
        "nrs.irn_validate",
        "nrs.validate",
        "nrs.sign",
        "nrs.transmit",
        "invoice.certified",
    ]


def test_a_submission_reads_the_set_up_once_per_process_and_sees_a_change_at_once(connected_tenant):
    first, second, third = (create(connected_tenant, document_number=f"SET-{n}") for n in range(3))
    assert tasks.submit_invoice(str(first.pk)) == "certified"
    with CaptureQueriesContext(connection) as queries:
        assert tasks.submit_invoice(str(second.pk)) == "certified"
    statements = [query["sql"] for query in queries.captured_queries]
    for table in ("tenants_location", "invoicing_gaterules", "webhooks_webhookendpoint"):
        assert not [sql for sql in statements if f'FROM "{table}"' in sql]
    assert len([sql for sql in statements if 'FROM "tenants_cryptokey"' in sql]) == 1  # the QR code's key

    with scopes_disabled():
        for key in CryptoKey.objects.filter(tenant=connected_tenant):
            crypto_key_delete(crypto_key=key)
    assert tasks.submit_invoice(str(third.pk)) == "blocked"
    assert reload(third).block_reason == "BLOCKED_CHECKLIST_FAILED"


def test_b2g_is_certified_and_b2c_is_reported_without_transmit(connected_tenant):
    b2g = create(connected_tenant, invoice_kind="B2G", document_number="G-1")
    b2c = create(connected_tenant, invoice_kind="B2C", document_number="C-1", customer={"name": "Walk-in"})
    assert tasks.submit_invoice(str(b2g.pk)) == "certified"
    assert tasks.submit_invoice(str(b2c.pk)) == "reported"
    b2c = reload(b2c)
    assert b2c.status == "REPORTED" and b2c.transmitted_at is None
    assert "accounting_customer_party" not in SandboxInvoice.objects.get(irn=b2c.irn).document
    assert b2c.b2c_report_deadline == b2c.submitted_at + timedelta(hours=24)


def test_a_credit_note_carries_the_billing_reference(connected_tenant):
    original = create(connected_tenant)
    tasks.submit_invoice(str(original.pk))
    note = create(
        connected_tenant,
        document_number="CN-1",
        invoice_type="credit_note",
        original_invoice_id=str(original.pk),
        line__unit_price=1000,
    )
    assert tasks.submit_invoice(str(note.pk)) == "certified"
    document = SandboxInvoice.objects.get(irn=reload(note).irn).document
    assert document["invoice_type_code"] == "380"
    assert document["billing_reference"] == [{"irn": original.irn, "issue_date": "2026-04-25"}]


def test_a_rejected_document_fails_for_good_with_nrs_own_words(connected_tenant):
    connected_tenant.nrs_service_id = "ZZZZ9999"  # a service ID that is not this business's at NRS
    connected_tenant.save()
    invoice = create(connected_tenant)
    assert tasks.submit_invoice(str(invoice.pk)) == "failed"
    invoice = reload(invoice)
    assert invoice.status == "FAILED" and invoice.nrs_reason == "NRS_REJECTED"
    assert invoice.nrs_detail == "irn validation failed for this business, refer to the template and try again"
    assert signs_received(invoice.irn) == 0


def test_a_transient_failure_is_retried_after_a_backoff_and_then_succeeds(connected_tenant):
    set_faults(error_rate=1.0)
    invoice = create(connected_tenant)
    started = timezone.now()
    assert tasks.submit_invoice(str(invoice.pk)) == "retry"
    invoice = reload(invoice)
    assert invoice.status == "PENDING" and invoice.attempts == 1
    assert invoice.next_attempt_at >= started + timedelta(seconds=5)
    # Too early: the row is not claimed.
    assert tasks.submit_invoice(str(invoice.pk)) == "skipped"
    set_faults()
    from invoicing.submission import submission_run

    assert submission_run(invoice.pk, now=invoice.next_attempt_at) == "certified"
    assert reload(invoice).attempts == 2
    from django_q.models import Schedule

    assert Schedule.objects.filter(func="invoicing.tasks.submit_invoice", args=repr(str(invoice.pk))).exists()


def test_after_the_last_attempt_it_fails_with_submission_error_and_can_be_retried(connected_tenant, settings):
    settings.NRS_MAX_ATTEMPTS = 2
    set_faults(error_rate=1.0)
    invoice = create(connected_tenant)
    from invoicing.submission import submission_run

    assert submission_run(invoice.pk) == "retry"
    assert submission_run(invoice.pk, now=timezone.now() + timedelta(hours=1)) == "failed"
    invoice = reload(invoice)
    assert (invoice.status, invoice.nrs_reason) == ("FAILED", "SUBMISSION_ERROR")
    set_faults()
    invoice_retry(invoice=invoice, actor=Actor())
    assert submission_run(invoice.pk) == "certified"
    assert "invoice.retried" in timeline(invoice)


def test_a_lost_sign_response_is_reconciled_by_confirm_without_a_second_sign(connected_tenant):
    set_faults(lost_response_rate=1.0)
    invoice = create(connected_tenant)
    assert tasks.submit_invoice(str(invoice.pk)) == "certified"
    invoice = reload(invoice)
    assert signs_received(invoice.irn) == 1
    assert SandboxRequest.objects.filter(fault="lost_response").count() == 1
    assert "nrs.confirm" in timeline(invoice)


def test_transmit_offline_is_retried_without_signing_again(connected_tenant):
    set_faults(offline_rate=1.0)
    invoice = create(connected_tenant)
    assert tasks.submit_invoice(str(invoice.pk)) == "retry"
    invoice = reload(invoice)
    assert invoice.signed_at and not invoice.transmitted_at
    set_faults()
    from invoicing.submission import submission_run

    assert submission_run(invoice.pk, now=invoice.next_attempt_at) == "certified"
    assert signs_received(invoice.irn) == 1


def test_the_sweeper_recovers_a_row_a_dead_worker_left_in_submitting(connected_tenant, settings):
    invoice = create(connected_tenant)
    # A worker claimed it, sent the sign (NRS signed it), then died before recording anything.
    from integrations.nrs.client import NrsClient
    from invoicing.submission import invoice_document

    with scope(tenant=connected_tenant):
        NrsClient(connected_tenant).sign(invoice_document(reload(invoice)))
    stale = timezone.now() - timedelta(seconds=settings.NRS_STUCK_AFTER_SECONDS + 5)
    with scopes_disabled():
        Invoice.objects.filter(pk=invoice.pk).update(
            status="SUBMITTING", submitting_since=stale, attempts=1, sign_attempted=True
        )
    assert sweep() == {"stuck": 1, "queued": 1}
    assert reload(invoice).status == "PENDING"
    assert tasks.submit_invoice(str(invoice.pk)) == "certified"
    assert signs_received(invoice.irn) == 1  # the sweeper's re-run asked confirm instead of signing again


def test_the_sweeper_leaves_a_queued_backlog_alone_and_requeues_only_lost_tasks(
    connected_tenant, settings, monkeypatch
):
    waiting = create(connected_tenant)
    lost = create(connected_tenant, document_number="INV-2026-LOST")
    now = timezone.now()
    with scopes_disabled():
        # Both PENDING with a task queued; one has waited two minutes in a long queue, the other past the threshold.
        Invoice.objects.filter(pk=waiting.pk).update(updated_at=now - timedelta(minutes=2))
        Invoice.objects.filter(pk=lost.pk).update(
            updated_at=now - timedelta(seconds=settings.NRS_STUCK_AFTER_SECONDS + 5)
        )
    queued = []
    monkeypatch.setattr("invoicing.submission.enqueue", lambda func, *args, **kwargs: queued.append(args[0]))
    assert sweep(now=now) == {"stuck": 0, "queued": 1}
    assert queued == [str(lost.pk)]


def test_a_task_delivered_twice_does_the_work_once(connected_tenant):
    invoice = create(connected_tenant)
    assert tasks.submit_invoice(str(invoice.pk)) == "certified"
    assert tasks.submit_invoice(str(invoice.pk)) == "skipped"
    assert signs_received(reload(invoice).irn) == 1


def test_bad_credentials_hold_the_invoice_until_fixed(connected_tenant):
    secret = connected_tenant.nrs_api_secret
    connected_tenant.nrs_api_secret = "wrong"
    connected_tenant.save()
    invoice = create(connected_tenant)
    assert tasks.submit_invoice(str(invoice.pk)) == "blocked"
    invoice = reload(invoice)
    assert invoice.block_reason == "BLOCKED_CHECKLIST_FAILED" and "API key" in invoice.block_detail
    connected_tenant.nrs_api_secret = secret
    connected_tenant.save()
    from invoicing.services import invoice_release_blocked

    invoice_release_blocked(invoice=invoice, actor=Actor())
    assert tasks.submit_invoice(str(invoice.pk)) == "certified"


def test_payments_and_reconcile_against_the_sandbox(connected_tenant):
    from invoicing.errors import InvoiceError
    from invoicing.payments import invoice_reconcile, invoice_record_payment

    invoice = create(connected_tenant)
    with pytest.raises(InvoiceError) as exc:
        invoice_record_payment(invoice=invoice, status="PAID", actor=Actor())
    assert exc.value.reason == "NOT_ELIGIBLE"
    with pytest.raises(InvoiceError) as exc:
        invoice_reconcile(invoice=invoice, actor=Actor())
    assert exc.value.reason == "NOT_SIGNED"
    tasks.submit_invoice(str(invoice.pk))
    invoice = reload(invoice)
    result = invoice_record_payment(invoice=invoice, status="PARTIAL", amount="20000", reference="TRX-1", actor=Actor())
    assert result == {
        "paymentStatus": "PARTIAL",
        "nrsPaymentStatus": "PARTIAL",
        "amountPaid": "20000.00",
        "paymentReported": True,
    }
    assert SandboxInvoice.objects.get(irn=invoice.irn).payment_status == "PARTIAL"
    set_faults(error_rate=1.0)
    with pytest.raises(InvoiceError) as exc:
        invoice_record_payment(invoice=reload(invoice), status="PAID", actor=Actor())
    assert exc.value.status == 502 and exc.value.extra["paymentReported"] is False and exc.value.extra["nrsError"]
    assert reload(invoice).payment_status == "PARTIAL"  # unchanged when NRS fails
    set_faults()
    assert invoice_reconcile(invoice=reload(invoice), actor=Actor()).status == "CERTIFIED"
    with scope(tenant=invoice.tenant):
        assert invoice_balance(reload(invoice)).due == Decimal("33750.00")


def test_reconcile_completes_an_invoice_nrs_signed_although_we_marked_it_failed(connected_tenant, settings):
    from invoicing.payments import invoice_reconcile
    from invoicing.submission import submission_run

    settings.NRS_MAX_ATTEMPTS = 1
    set_faults(offline_rate=1.0)
    invoice = create(connected_tenant)
    assert tasks.submit_invoice(str(invoice.pk)) == "failed"  # signed, but transmit never got through
    set_faults()
    assert invoice_reconcile(invoice=reload(invoice), actor=Actor()).status == "PENDING"
    assert submission_run(invoice.pk) == "certified"
    assert signs_received(reload(invoice).irn) == 1
