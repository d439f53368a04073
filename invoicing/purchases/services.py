"""What a buyer does with an invoice it received: acknowledge receipt (NRS is told), accept or dispute it.

Pulling received invoices from NRS lives in pull.py; these are the person's (or integration's) decisions, each
recorded with who and when.
"""

from django.db import transaction
from django.utils import timezone
from django_scopes import scope

from integrations.nrs.client import NrsClient
from integrations.nrs.errors import NrsError
from invoicing.errors import InvoiceError
from invoicing.models import ReceivedInvoice
from invoicing.services import Actor
from portal.queueing import enqueue

Status = ReceivedInvoice.Status
PULL_TASK = "invoicing.purchases.tasks.pull_purchases"


def purchases_pull_enqueue(tenant) -> None:
    """The "Check now" button: pull this business's received invoices in the worker, not in the request."""
    enqueue(PULL_TASK, str(tenant.pk))


def purchase_acknowledge(*, received: ReceivedInvoice, actor: Actor) -> ReceivedInvoice:
    """Confirm receipt to NRS (transmit PATCH), then record it. Acknowledging twice changes nothing and asks NRS
    nothing: the first acknowledgement stands."""
    with scope(tenant=received.tenant):
        if received.acknowledged_at:
            return received
        try:
            NrsClient(received.tenant).transmit_confirm(received.irn)
        except NrsError as exc:
            raise InvoiceError(
                "SUBMISSION_ERROR",
                "NRS did not take the acknowledgement; nothing was changed. Try again.",
                status=502,
                extra={"nrsError": exc.details or str(exc)},
            ) from None
        with transaction.atomic():
            locked = ReceivedInvoice.objects.select_for_update().get(pk=received.pk)
            if not locked.acknowledged_at:
                locked.acknowledged_at = timezone.now()
                locked.acknowledged_by = actor.user
                locked.acknowledged_by_key = actor.api_key
                if locked.status == Status.NEW:
                    locked.status = Status.ACKNOWLEDGED
                locked.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledged_by_key", "status"])
        return locked


def purchase_decide(*, received: ReceivedInvoice, accept: bool, reason: str = "", actor: Actor) -> ReceivedInvoice:
    """Accept the invoice, or dispute it with a reason. Receipt is acknowledged to NRS first if it was not yet:
    a buyer cannot have decided about an invoice it never confirmed receiving."""
    reason = (reason or "").strip()
    if not accept and not reason:
        raise InvoiceError(
            "incomplete_unpatchable",
            "Say why you dispute this invoice, so the supplier can correct it.",
            fields={"reason": "required to dispute"},
        )
    received = purchase_acknowledge(received=received, actor=actor)
    with scope(tenant=received.tenant), transaction.atomic():
        locked = ReceivedInvoice.objects.select_for_update().get(pk=received.pk)
        locked.status = Status.ACCEPTED if accept else Status.DISPUTED
        locked.dispute_reason = "" if accept else reason
        locked.decided_at = timezone.now()
        locked.decided_by = actor.user
        locked.save(update_fields=["status", "dispute_reason", "decided_at", "decided_by"])
    return locked
