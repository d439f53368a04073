"""The invoice events members are told about (tenants/notifications.py): who, in which words, once per event.

Called in the transaction that records the event, so the notification commits with it; keyed by the timeline
entry's id, so the same event never notifies twice.
"""

from django.urls import reverse

from invoicing.models import Invoice, InvoiceEvent
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
