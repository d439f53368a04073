"""Every change to an invoice goes through these functions: create (form, API body or CSV row), drafts,
the review/approval gates, retries and payments. Submission to NRS is in submission.py.

The rules an invoice must meet are in validation.py; these functions own the transactions and the timeline."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scope

from integrations.nrs.payload import INVOICE_TYPE_CODES, build_irn
from integrations.nrs.shapes import Party
from integrations.nrs.totals import in_naira, to_kobo
from invoicing import notices
from invoicing.errors import InvoiceError
from invoicing.events import publish
from invoicing.external_originals import unchecked_sentence
from invoicing.models import GateRules, Invoice, InvoiceEvent, InvoiceLine, Kind
from invoicing.parsing import parse_invoice
from invoicing.shapes import (
    OPTIONAL_TEXT,
    allowance_charges_input,
    buyer_input,
    line_input,
    line_of,
    supplier_party,
)
from invoicing.templatetags.money import format_money
from invoicing.validation import Checked, invoice_check, line_totals
from portal.queries import any_row, insert
from portal.queueing import enqueue_on_commit
from tenants.audit import audit, diff
from tenants.models import Location, Tenant
from tenants.readiness import primary_location, tenant_readiness

Status = Invoice.Status


@dataclass(frozen=True)
class Actor:
    """Who did it: a portal user or an integration's API key."""

    user: object = None
    api_key: object = None

    @property
    def user_id(self):
        return getattr(self.user, "pk", None)


def event(invoice: Invoice, kind: str, message: str = "", actor: Actor | None = None, **data) -> InvoiceEvent:
    return events(invoice, actor, [(kind, message, data)])[0]


def events(invoice: Invoice, actor: Actor | None, entries: list[tuple[str, str, dict]]) -> list[InvoiceEvent]:
    """Timeline entries (kind, message, data), in one insert, each published to the apps above (events.py).

    Call it in the transaction that saves the change, after setting it on `invoice`: the change, its entries
    and what they publish (e.g. webhook events: the invoice as it is now) commit together, so none is lost.
    """
    actor = actor or Actor()
    created = [
        InvoiceEvent(
            tenant_id=invoice.tenant_id,
            invoice=invoice,
            kind=kind,
            message=message,
            data=data,
            actor=actor.user if getattr(actor.user, "pk", None) else None,
            actor_key=actor.api_key,
        )
        for kind, message, data in entries
    ]
    insert(created)
    for kind, _message, _data in entries:
        publish(invoice=invoice, kind=kind)
    return created


# --- create, drafts -------------------------------------------------------------------------


def invoice_create(*, tenant: Tenant, data, actor: Actor, draft: bool = False, bulk: bool = False) -> Invoice:
    """Validate and save an invoice; unless it is a draft, apply the gates (and queue it for NRS).

    The invoice is inserted once, with the status its gates give it: this is the API's hottest write.
    `bulk`: one of many from a file or a connector, sent to NRS after the business's single invoices.
    """
    with scope(tenant=tenant):
        parsed = parse_invoice(data)
        checked = invoice_check(tenant, parsed, draft=draft)
        invoice = Invoice(
            tenant=tenant, created_by=actor.user if actor.user_id else None, created_by_key=actor.api_key, bulk=bulk
        )
        _apply(invoice, checked)
        with transaction.atomic():
            if draft:
                invoice.status = Status.DRAFT
                entries = [("invoice.created", "Saved as a draft.", {})]
            else:
                entries = [
                    ("invoice.created", "Created.", {}),
                    *_unchecked_original(checked),
                    _gate(invoice, checked.readiness, checked.rules),
                ]
            _save_released(invoice, new=True)
            _save_lines(invoice, checked)
            recorded = events(invoice, actor, entries)
            notices.waiting_for_you(invoice, recorded[-1])
            if invoice.status == Status.PENDING:
                _enqueue(invoice)
        return invoice


def invoice_unsaved(*, tenant: Tenant, checked: Checked) -> Invoice:
    """The invoice a checked body would become, not saved (the validate-only check builds its NRS document)."""
    invoice = Invoice(tenant=tenant)
    _apply(invoice, checked)
    return invoice


def invoice_update_draft(*, invoice: Invoice, data, actor: Actor) -> Invoice:
    """Replace a draft's content (the buyer and lines are validated again)."""
    with scope(tenant=invoice.tenant):
        _lock_editable(invoice)
        checked = invoice_check(invoice.tenant, parse_invoice(data), draft=True, exclude=invoice.pk)
        with transaction.atomic():
            _apply(invoice, checked)
            invoice.save()
            invoice.lines.all().delete()
            _save_lines(invoice, checked)
            event(invoice, "invoice.updated", "Draft updated.", actor)
        return invoice


def invoice_submit(*, invoice: Invoice, actor: Actor) -> Invoice:
    """A draft leaves for NRS: full checks, then the gates."""
    with scope(tenant=invoice.tenant):
        _lock_editable(invoice)
        data = invoice_as_data(invoice)
        checked = invoice_check(invoice.tenant, parse_invoice(data), draft=False, exclude=invoice.pk)
        with transaction.atomic():
            _apply(invoice, checked)
            if unchecked := _unchecked_original(checked):
                events(invoice, actor, unchecked)
            _release(invoice, actor, checked.readiness, checked.rules)
        return invoice


def _unchecked_original(checked: Checked) -> list:
    """The timeline entry of a note whose original, issued outside Flowpoint, NRS could not be asked about."""
    external = checked.external
    if external is None or external.checked:
        return []
    return [("invoice.original_unchecked", unchecked_sentence(external.irn), {"irn": external.irn})]


def invoice_delete_draft(*, invoice: Invoice) -> None:
    with scope(tenant=invoice.tenant):
        _lock_editable(invoice)
        invoice.delete()


def _lock_editable(invoice: Invoice) -> None:
    current = any_row(Invoice.objects.filter(pk=invoice.pk).values_list("status", flat=True))
    if current != Status.DRAFT:
        raise InvoiceError(
            "NOT_EDITABLE",
            f"This invoice is {Status(current).label.lower() if current else 'gone'}; only drafts can be changed.",
            status=409,
        )


def supplier_snapshot(tenant: Tenant, location: Location | None = None) -> dict:
    """The business as the invoice keeps it, as issued (at its primary location unless `location` is given)."""
    return supplier_party(tenant, location or primary_location(tenant)).as_dict()


def _apply(invoice: Invoice, checked: Checked) -> None:
    parsed = checked.parsed
    invoice.kind = checked.kind
    invoice.invoice_type = parsed.invoice_type
    invoice.type_code = INVOICE_TYPE_CODES[parsed.invoice_type]
    invoice.document_number = parsed.document_number
    invoice.issue_date = parsed.issue_date
    invoice.due_date = parsed.due_date
    invoice.currency = parsed.currency
    for name, value in parsed.texts.items():
        setattr(invoice, name, value)
    invoice.original = checked.original
    external = checked.external
    invoice.external_original_irn = external.irn if external else ""
    invoice.external_original_date = external.issue_date if external else None
    invoice.external_original_payable = external.payable if external else None
    invoice.external_original_checked_at = timezone.now() if external and external.checked else None
    invoice.customer = checked.customer
    invoice.buyer = checked.buyer.as_dict()
    invoice.supplier = supplier_snapshot(invoice.tenant, checked.location)
    invoice.payment_means = checked.payment_means
    invoice.allowance_charges = [item.as_dict() for item in checked.allowance_charges]
    totals = line_totals(checked.lines, checked.allowance_charges)
    invoice.line_extension = totals.line_extension
    invoice.tax_total = totals.tax
    invoice.withholding_total = totals.withheld
    invoice.payable = totals.payable
    invoice.exchange_rate = checked.exchange_rate
    invoice.tax_total_ngn = in_naira(totals.tax, checked.exchange_rate)
    invoice.payable_ngn = in_naira(totals.payable, checked.exchange_rate)
    service_id = invoice.tenant.nrs_service_id
    invoice.irn = build_irn(parsed.document_number, service_id, parsed.issue_date) if service_id else ""
    invoice._lines = checked.lines


def _save_lines(invoice: Invoice, checked: Checked) -> None:
    insert(
        [
            InvoiceLine(
                tenant_id=invoice.tenant_id,
                invoice=invoice,
                position=index,
                item=item,
                description=line.description,
                quantity=line.quantity,
                unit_price=to_kobo(line.unit_price),
                discount=to_kobo(line.discount),
                fee=to_kobo(line.fee),
                hsn_code=line.hsn_code,
                isic_code=line.isic_code if not line.hsn_code else "",
                category=line.category,
                tax_category=line.tax_category,
                tax_rate=line.tax_rate,
                unit=line.unit,
                withholding_rate=line.withholding_rate,
                line_extension=amounts.line_extension,
                tax_amount=amounts.tax,
                withholding_amount=amounts.withheld,
            )
            for index, (line, amounts, item) in enumerate(checked.lines)
        ]
    )


def invoice_as_data(invoice: Invoice) -> dict:
    """An invoice back into the create body (a draft re-checked at submit, or copied into a form)."""
    return {
        "invoice_kind": invoice.kind,
        "invoice_type": invoice.invoice_type,
        "document_number": invoice.document_number,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "currency": invoice.currency,
        **({"exchange_rate": str(invoice.exchange_rate)} if _foreign_rate(invoice) else {}),
        **{name: getattr(invoice, name) for name in OPTIONAL_TEXT},
        "original_invoice_id": str(invoice.original_id) if invoice.original_id else "",
        "original_irn": invoice.external_original_irn,
        "original_issue_date": invoice.external_original_date.isoformat() if invoice.external_original_date else None,
        "customer_id": invoice.customer_id,
        "customer": buyer_input(Party.from_dict(invoice.buyer)),
        "lines": [line_input(line_of(row)) for row in invoice.lines.all()],
        "payment_means": invoice.payment_means,
        "allowance_charges": allowance_charges_input(invoice.allowance_charges),
    }


def _foreign_rate(invoice: Invoice) -> bool:
    """A rate the create body carries: another currency's (a naira invoice's rate is 1 by definition)."""
    return invoice.currency != "NGN" and invoice.exchange_rate is not None


# --- gates ----------------------------------------------------------------------------------


def gate_rules(tenant: Tenant) -> GateRules:
    rules, _ = GateRules.objects.get_or_create(tenant=tenant)
    return rules


GATE_FIELDS = ("review", "review_above", "approval_above", "maker_checker")


@transaction.atomic
def gate_rules_save(*, tenant: Tenant, user=None, **values) -> GateRules:
    """An admin sets the review/approval rules; what changed goes to the audit log with them."""
    unknown = set(values) - set(GATE_FIELDS)
    if unknown:
        raise ValueError(f"not gate rule fields: {sorted(unknown)}")
    rules, _ = GateRules.objects.select_for_update().get_or_create(tenant=tenant)
    before = {field: getattr(rules, field) for field in values}
    for field, value in values.items():
        setattr(rules, field, value)
    rules.save()
    changes = diff(before, values)
    if changes:
        audit(tenant, "settings.review_rules_changed", ", ".join(changes), user=user, changes=changes)
    return rules


def _needs_review(rules: GateRules, invoice: Invoice) -> bool:
    match rules.review:
        case GateRules.Review.ALL:
            return True
        case GateRules.Review.NOTES:
            return invoice.invoice_type != Invoice.Type.INVOICE
        case GateRules.Review.B2G:
            return invoice.kind == Kind.B2G
        case GateRules.Review.ABOVE:
            return rules.review_above is not None and invoice.tax_inclusive > rules.review_above
    return False


# The thresholds compare the invoice's value with its taxes (tax-inclusive), not what the buyer pays after
# withholding: a withheld tax is still part of the supply the business answers for.
def _needs_approval(rules: GateRules, invoice: Invoice) -> bool:
    return rules.approval_above is not None and invoice.tax_inclusive > rules.approval_above


def _release(invoice: Invoice, actor: Actor, readiness: list | None = None, rules: GateRules | None = None) -> None:
    """A saved invoice goes to review, approval or the NRS queue, in that order of gates.

    `readiness` and `rules` are what the caller has just read (submit); others read them here.
    """
    entry = _gate(invoice, readiness, rules)
    with transaction.atomic():  # a savepoint: the IRN race below must not spoil the caller's transaction
        _save_released(invoice)
    (recorded,) = events(invoice, actor, [entry])
    notices.waiting_for_you(invoice, recorded)
    if invoice.status == Status.PENDING:
        _enqueue(invoice)


def _gate(invoice: Invoice, readiness: list | None, rules: GateRules | None = None) -> tuple[str, str, dict]:
    """Set the status the gates give `invoice` (not saved); returns its timeline entry."""
    rules = rules or gate_rules(invoice.tenant)
    invoice.submitted_at = invoice.submitted_at or timezone.now()
    if not invoice.reviewed_by_id and _needs_review(rules, invoice):
        return _hold(invoice, Status.PENDING_REVIEW, "BLOCKED_PENDING_REVIEW", "Waiting for a reviewer.")
    if not invoice.approved_by_id and _needs_approval(rules, invoice):
        return _hold(
            invoice,
            Status.PENDING_APPROVAL,
            "BLOCKED_PENDING_APPROVAL",
            f"Above {format_money(rules.approval_above)}: waiting for an approver.",
        )
    if readiness is None:
        readiness = tenant_readiness(invoice.tenant)
    missing = [item for item in readiness if not item.ok]
    if missing:
        detail = "; ".join(f"{item.label}: {item.detail}" for item in missing)
        return _hold(invoice, Status.BLOCKED, "BLOCKED_CHECKLIST_FAILED", detail)
    invoice.status = Status.PENDING
    invoice.block_reason = invoice.block_detail = ""
    invoice.next_attempt_at = None
    return ("invoice.pending", "Queued for NRS.", {})


def _hold(invoice: Invoice, status: str, reason: str, detail: str) -> tuple[str, str, dict]:
    invoice.status = status
    invoice.block_reason = reason
    invoice.block_detail = detail
    return ("invoice.held", detail, {"reason": reason})


def _save_released(invoice: Invoice, new: bool = False) -> None:
    """Save an invoice leaving draft: its IRN now counts, so another live invoice may hold it already."""
    try:
        if new:
            insert([invoice])
        else:
            invoice.save()
    except IntegrityError:  # another live invoice took this IRN between the check and now
        raise InvoiceError(
            "DOCUMENT_NUMBER_CONFLICT_INVOICE",
            "This invoice number is already in use.",
            fields={"document_number": "already used"},
            status=409,
        ) from None


def _enqueue(invoice: Invoice) -> None:
    invoice_enqueue(invoice)


SUBMIT_TASK = "invoicing.tasks.submit_invoice"  # NRS submission (invoicing/submission.py)


def invoice_enqueue(invoice: Invoice, when=None) -> None:
    """Queue the submission with the current transaction, with the id only."""
    enqueue_on_commit(SUBMIT_TASK, str(invoice.pk), when=when)


def invoice_review(*, invoice: Invoice, user, approve: bool, comment: str = "") -> Invoice:
    return _decide(invoice, user, approve, comment, Status.PENDING_REVIEW, "reviewed_by", "review")


def invoice_approve(*, invoice: Invoice, user, approve: bool, comment: str = "") -> Invoice:
    return _decide(invoice, user, approve, comment, Status.PENDING_APPROVAL, "approved_by", "approval")


def _decide(invoice, user, approve, comment, expected, who_field, step) -> Invoice:
    with scope(tenant=invoice.tenant), transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != expected:
            raise InvoiceError("NOT_PENDING", f"This invoice is not waiting for {step}.", status=409)
        rules = gate_rules(locked.tenant)
        if rules.maker_checker and locked.created_by_id and locked.created_by_id == user.pk:
            raise InvoiceError(
                "MAKER_CHECKER",
                f"You created this invoice, so someone else must do its {step} (maker-checker).",
                status=403,
            )
        if not approve:
            if not comment.strip():
                raise InvoiceError(
                    "COMMENT_REQUIRED",
                    "Say why it is rejected: the creator will see it.",
                    fields={"comment": "required"},
                )
            locked.status = Status.DRAFT
            locked.rejection_reason = comment.strip()
            locked.block_reason = locked.block_detail = ""
            locked.reviewed_by = locked.approved_by = None
            locked.save()
            recorded = event(locked, "invoice.rejected", comment.strip(), Actor(user), step=step)
            notices.rejected(locked, recorded, step, comment.strip(), user.get_full_name() or user.email)
            return locked
        setattr(locked, who_field, user)
        locked.rejection_reason = ""
        event(locked, f"invoice.{'reviewed' if step == 'review' else 'approved'}", comment.strip(), Actor(user))
        _release(locked, Actor(user), rules=rules)  # saves it once, with the status the remaining gates give
        return locked


def invoice_release_blocked(*, invoice: Invoice, actor: Actor) -> Invoice:
    """Try a checklist-blocked invoice again once its business has fixed the set-up."""
    with scope(tenant=invoice.tenant), transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != Status.BLOCKED:
            raise InvoiceError("NOT_BLOCKED", "Only blocked invoices can be released.", status=409)
        locked.supplier = supplier_snapshot(locked.tenant)
        locked.irn = build_irn(locked.document_number, locked.tenant.nrs_service_id, locked.issue_date)
        _release(locked, actor)
        return locked
