"""The invoice events members are told about (tenants/notifications.py): who, in which words, once per event.

Called in the transaction that records the event, so the notification commits with it; keyed by the timeline
entry's id, so the same event never notifies twice.
"""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django_scopes import scopes_disabled

from invoicing.models import Invoice, InvoiceEvent
from invoicing.models import Kind as InvoiceKind
from invoicing.templatetags.money import format_money
from tenants.notifications import Kind, Role, members, notify

Status = Invoice.Status


def _link(invoice: Invoice) -> str:
    return reverse("invoice_detail", args=[invoice.pk])


def _name(invoice: Invoice) -> str:
    return f"Invoice {invoice.document_number}" if invoice.document_number else "An invoice"


def _buyer(invoice: Invoice) -> str:
    name = invoice.buyer.get("name", "") if isinstance(invoice.buyer, dict) else ""
    return f" for {name}" if name else ""


def _key(prefix: str, invoice: Invoice, entry: InvoiceEvent | None) -> str:
    return f"{prefix}:{invoice.pk}:{entry.pk if entry is not None and entry.pk else ''}"


def waiting_for_you(invoice: Invoice, entry: InvoiceEvent | None) -> None:
    """Held at review or approval: its reviewers or approvers (the admins when the business has none)."""
    if invoice.status == Status.PENDING_REVIEW:
        role, step = Role.REVIEWER, "review"
    elif invoice.status == Status.PENDING_APPROVAL:
        role, step = Role.APPROVER, "approval"
    else:
        return
    users = members(invoice.tenant, role) or members(invoice.tenant, Role.ADMIN)
    # Maker-checker: whoever created it cannot decide it, so is not asked to.
    users = [u for u in users if u.pk != invoice.created_by_id]
    notify(
        invoice.tenant,
        users,
        Kind.WAITING_FOR_YOU,
        f"{_name(invoice)} is waiting for your {step}",
        " ".join(
            part
            for part in (
                f"{_name(invoice)}{_buyer(invoice)}, {format_money(invoice.payable)}, waits for your {step} "
                "before it can be sent to NRS.",
                invoice.block_detail if step == "approval" else "",
            )
            if part
        ),
        _link(invoice),
        _key(f"waiting-{step}", invoice, entry),
    )


def rejected(invoice: Invoice, entry: InvoiceEvent, step: str, reason: str, by) -> None:
    """Rejected at review or approval: its creator, with the reason."""
    creator = invoice.created_by if invoice.created_by_id else None
    if creator is None:
        return
    notify(
        invoice.tenant,
        [creator],
        Kind.INVOICE_REJECTED,
        f"{_name(invoice)} was rejected at {step}",
        f"{by} sent it back to draft. Their reason: “{reason}”. Correct it and submit it again.",
        _link(invoice),
        _key("rejected", invoice, entry),
    )


def submission_failed(invoice: Invoice, entry: InvoiceEvent, message: str) -> None:
    """Failed at NRS: its creator and the admins, with NRS's words (`message`)."""
    users = [invoice.created_by] if invoice.created_by_id else []
    users += members(invoice.tenant, Role.ADMIN)
    notify(
        invoice.tenant,
        users,
        Kind.SUBMISSION_FAILED,
        f"{_name(invoice)} could not be submitted to NRS",
        f"{message} Open the invoice to correct it, or try again.",
        _link(invoice),
        _key("failed", invoice, entry),
    )


def purchase_received_key(received) -> str:
    """A received invoice's arrival notice: one per member, once."""
    return f"purchase:{received.pk}"


def purchase_received(received) -> None:
    """A supplier's invoice arrived in the purchase inbox (the pull saves each IRN once): admins and approvers."""
    label = received.get_invoice_type_display().lower()
    kind = f"{'an' if label[0] in 'aeiou' else 'a'} {label}"
    number = f" {received.document_number}" if received.document_number else ""
    notify(
        received.tenant,
        members(received.tenant, Role.ADMIN, Role.APPROVER),
        Kind.PURCHASE_RECEIVED,
        f"{received.supplier.name} sent you {kind}{number}",
        f"{received.supplier.name} sent you {kind}{number} for {format_money(received.payable)}, certified by NRS. "
        "It is in your purchase inbox: acknowledge it, or accept or reject it.",
        reverse("purchase_detail", args=[received.pk]),
        purchase_received_key(received),
    )


def batch_with_errors(batch) -> None:
    """A CSV upload checked with errors: whoever uploaded it (the admins when an API key did)."""
    users = [batch.created_by] if batch.created_by_id else members(batch.tenant, Role.ADMIN)
    name = batch.file_name or "Your CSV file"
    notify(
        batch.tenant,
        users,
        Kind.RUN_WITH_ERRORS,
        f"{name} has errors to fix",
        f"The upload of {name} was checked: {batch.error_summary} Open it to see each error by row and column.",
        reverse("batch_detail", args=[batch.pk]),
        f"batch-errors:{batch.pk}",
    )


B2C_DAY = timedelta(hours=24)  # B2C invoices are reported to NRS within 24 hours of the sale
B2C_SOON = timedelta(hours=4)
# Submitted, not yet reported: the clock runs (a failed one too: it still has to be reported).
B2C_WAITING = (
    Status.PENDING_REVIEW,
    Status.PENDING_APPROVAL,
    Status.BLOCKED,
    Status.PENDING,
    Status.SUBMITTING,
    Status.FAILED,
)


def b2c_deadlines(now=None) -> int:
    """The scheduled check: each waiting B2C invoice whose deadline is 4 hours away tells its creator (the admins
    when an API key made it); a missed one tells its creator and the admins. Once each (keyed by the invoice)."""
    now = now or timezone.now()
    with scopes_disabled():
        waiting = list(
            Invoice.objects.filter(
                kind=InvoiceKind.B2C,
                status__in=B2C_WAITING,
                submitted_at__isnull=False,
                submitted_at__lte=now - B2C_DAY + B2C_SOON,
            ).select_related("tenant", "created_by")
        )
    told = 0
    for invoice in waiting:
        deadline = invoice.submitted_at + B2C_DAY
        admins = members(invoice.tenant, Role.ADMIN)
        creator = [invoice.created_by] if invoice.created_by_id else []
        at = date_format(timezone.localtime(deadline), "j M Y, H:i")  # Africa/Lagos
        if deadline <= now:
            told += bool(
                notify(
                    invoice.tenant,
                    creator + admins,
                    Kind.B2C_DEADLINE,
                    f"{_name(invoice)} missed its 24-hour reporting deadline",
                    f"{_name(invoice)}, a B2C sale, had to be reported to NRS by {at} (Lagos time) and is not yet. "
                    f"It is {invoice.get_status_display().lower()}. Open it to see what holds it.",
                    _link(invoice),
                    f"b2c-missed:{invoice.pk}",
                )
            )
        else:
            told += bool(
                notify(
                    invoice.tenant,
                    creator or admins,
                    Kind.B2C_DEADLINE,
                    f"{_name(invoice)} must be reported to NRS by {at}",
                    f"{_name(invoice)}, a B2C sale, must be reported to NRS within 24 hours: by {at} (Lagos time), "
                    f"less than {B2C_SOON.seconds // 3600} hours from now. It is "
                    f"{invoice.get_status_display().lower()}. Open it to see what holds it.",
                    _link(invoice),
                    f"b2c-soon:{invoice.pk}",
                )
            )
    return told
