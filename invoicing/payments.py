"""Payments reported to NRS (update endpoint), and reconciling an invoice with what NRS has."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_scopes import scope

from integrations.nrs.client import NrsClient
from integrations.nrs.errors import NrsError, NrsNotFound
from integrations.nrs.totals import to_kobo
from invoicing.balance import invoice_balance
from invoicing.errors import InvoiceError
from invoicing.models import Invoice
from invoicing.services import Actor, event, invoice_enqueue
from invoicing.templatetags.money import format_money
from invoicing.wording import payment_refused_sentence

Status = Invoice.Status
Payment = Invoice.Payment
TO_NRS = {Payment.PAID: "PAID", Payment.PARTIAL: "PARTIAL", Payment.UNPAID: "PENDING"}
FROM_NRS = {nrs: ours for ours, nrs in TO_NRS.items()}


def invoice_record_payment(*, invoice: Invoice, status: str, amount=None, reference: str = "", actor: Actor) -> dict:
    """Report a payment to NRS; the local state changes only once NRS has accepted it.

    Returns {"paymentStatus", "nrsPaymentStatus", "amountPaid", "paymentReported"}.
    """
    with scope(tenant=invoice.tenant):
        if not invoice.is_certified or not invoice.irn:
            raise InvoiceError(
                "NOT_ELIGIBLE",
                "Payments can be reported only for invoices NRS has certified (or, for B2C, reported) with an IRN.",
            )
        if status not in Payment.values:
            raise InvoiceError(
                "incomplete_unpatchable",
                "Say whether the invoice is paid in full, part paid or unpaid.",
                fields={"paymentStatus": "must be PAID, PARTIAL or UNPAID"},
            )
        paid = _amount(invoice, status, amount)
        try:
            NrsClient(invoice.tenant).update_payment(invoice.irn, payment_status=TO_NRS[status], reference=reference)
        except NrsError as exc:
            # Only what NRS answered is quoted as NRS's; no answer at all is our connection.
            words = exc.details or exc.public_message
            message = payment_refused_sentence(words, answered=exc.status_code is not None)
            event(invoice, "invoice.payment_failed", message, actor)
            raise InvoiceError(
                "SUBMISSION_ERROR",
                "NRS did not accept the payment update; nothing was changed. Try again.",
                status=502,
                extra={"nrsError": exc.details or str(exc), "paymentReported": False},
            ) from None
        with transaction.atomic():
            invoice.payment_status = status
            invoice.amount_paid = paid
            invoice.payment_reference = reference[:100]
            invoice.payment_reported = True
            invoice.save(
                update_fields=["payment_status", "amount_paid", "payment_reference", "payment_reported", "updated_at"]
            )
            event(
                invoice,
                "invoice.payment_updated",
                f"{Payment(status).label}: {format_money(paid, invoice.currency)}.",
                actor,
                payment_status=status,
                amount_paid=str(paid),
            )
            from invoicing.pdf import invoice_pdf_discard  # WeasyPrint loads only where a PDF is touched

            invoice_pdf_discard(invoice)
    return {
        "paymentStatus": status,
        "nrsPaymentStatus": TO_NRS[status],
        "amountPaid": f"{paid:.2f}",
        "paymentReported": True,
    }


def _amount(invoice: Invoice, status: str, amount) -> Decimal:
    """What was paid. In full means the total as corrected by certified credit and debit notes: after a credit
    note the buyer owes less, and paying that is paying in full."""
    if status == Payment.UNPAID:
        return Decimal("0.00")
    total = invoice_balance(invoice).total
    if status == Payment.PAID and amount in (None, ""):
        return total
    try:
        value = to_kobo(Decimal(str(amount)))
    except Exception:
        raise InvoiceError(
            "incomplete_unpatchable",
            "The amount paid must be a number, such as 500,000.00.",
            fields={"amountPaid": "must be a number"},
        ) from None
    corrected = " (after credit and debit notes)" if total != invoice.payable else ""
    if status == Payment.PARTIAL and not (Decimal(0) < value < total):
        raise InvoiceError(
            "incomplete_unpatchable",
            f"A part payment (partly paid) is more than zero and less than the total{corrected}, "
            f"{format_money(total, invoice.currency)}.",
            fields={"amountPaid": f"must be between 0 and {total}"},
        )
    if status == Payment.PAID and value != total:
        raise InvoiceError(
            "incomplete_unpatchable",
            f"Paid in full means the whole {format_money(total, invoice.currency)}{corrected}; "
            "if less was paid, record it as partly paid.",
            fields={"amountPaid": f"must be {total} for PAID"},
        )
    return value


def invoice_reconcile(*, invoice: Invoice, actor: Actor) -> Invoice:
    """Ask NRS (confirm) and align: a sign NRS has but we missed is completed; payment state is synced."""
    with scope(tenant=invoice.tenant):
        if not invoice.is_certified and not invoice.sign_attempted:
            raise InvoiceError("NOT_SIGNED", "This invoice has not been sent to NRS yet; submit it first.")
        try:
            found = NrsClient(invoice.tenant).confirm(invoice.irn)
        except NrsNotFound:
            if invoice.is_certified:
                event(invoice, "nrs.reconciled", "NRS has no record of this IRN.", actor)
                return invoice
            raise InvoiceError("NOT_SIGNED", "NRS has no record of this invoice; it was never signed.") from None
        except NrsError as exc:
            raise InvoiceError(
                "SUBMISSION_ERROR",
                "NRS could not be asked now; try again.",
                status=502,
                extra={"nrsError": exc.details or str(exc)},
            ) from None
        with transaction.atomic():
            locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
            if not locked.signed_at:
                locked.signed_at = timezone.now()
            if not locked.is_certified and locked.status in (Status.FAILED, Status.PENDING, Status.BLOCKED):
                # Signed at NRS: finish what is left (transmit for B2B/B2G) through the normal pipeline.
                locked.status = Status.PENDING
                locked.attempts = 0
                locked.next_attempt_at = None
                invoice_enqueue(locked)
            nrs_payment = (found or {}).get("payment_status")
            locked.save()
            message = "NRS confirms it has this invoice."
            if nrs_payment in FROM_NRS:
                message += f" Payment at NRS: {FROM_NRS[nrs_payment].label.lower()}."
            event(locked, "nrs.reconciled", message, actor)
        return locked
