"""A credit or debit note correcting an invoice Flowpoint did not issue: the business issued it before it came to
Flowpoint, or in another system. The note names it by IRN and issue date (the create body's `original_irn` and
`original_issue_date`), and the NRS document's billing_reference carries both.

The rules, in the order they are checked:
- the IRN has NRS's shape, `{invoice number}-{service ID}-{YYYYMMDD}` (NRS.md "IRN"), its date is the issue date
  given, and its service ID is this business's: a business corrects its own invoices only, and NRS gives a
  business one service ID whatever system it issued through (an invoice of another business is not its to
  correct, and an invoice issued before NRS e-invoicing has no IRN at all);
- NRS's `confirm` knows the IRN. Unknown at NRS: refused. NRS cannot be asked (down, or the business's NRS
  set-up is not accepted): the note is accepted, its timeline says so, and the submission asks again before the
  note is signed (invoicing/submission.py), where unknown fails the note and an NRS outage waits as any
  submission does;
- where NRS says what the original asked for (confirm's `payable_amount`), credit notes against the IRN total at
  most that, less the live credit notes already against it, plus the certified debit notes: the cap a note on an
  invoice certified in Flowpoint has (`credit_left`). Where NRS does not say, there is no cap to apply.
"""

import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db.models import Q, Sum

from integrations.nrs import hosts
from integrations.nrs.client import NrsClient, base_url_for
from integrations.nrs.errors import NrsError, NrsNotFound
from invoicing.errors import InvoiceError
from invoicing.models import Invoice
from invoicing.templatetags.money import format_money

# NRS.md "IRN": the invoice number (letters and digits), the 8-character service ID, the issue date.
IRN_SHAPE = re.compile(r"^[A-Za-z0-9]+-([A-Za-z0-9]{8})-(\d{8})$")
IRN_EXAMPLE = "INV001-94ND90NR-20240611"


@dataclass(frozen=True)
class ExternalOriginal:
    irn: str
    issue_date: date
    payable: Decimal | None = None  # what NRS says the original asked for, when it says
    checked: bool = False  # NRS's confirm knows the IRN


def external_original(tenant, irn: str, issue_date: date) -> ExternalOriginal:
    """The invoice a note names by IRN and date, its shape checked (no NRS call); raises InvoiceError."""
    match = IRN_SHAPE.match(irn)
    if not match:
        raise InvoiceError(
            "incomplete_unpatchable",
            f"{irn} is not an IRN: an IRN reads invoice number, service ID and date, such as {IRN_EXAMPLE}.",
            fields={"original_irn": f"must be an IRN such as {IRN_EXAMPLE}"},
        )
    service_id, day = match.groups()
    if day != issue_date.strftime("%Y%m%d"):
        raise InvoiceError(
            "incomplete_unpatchable",
            f"The IRN {irn} ends in a different date from the issue date {issue_date.isoformat()}; an IRN ends "
            "in its invoice's issue date.",
            fields={"original_issue_date": f"must be the date the IRN ends in ({day[:4]}-{day[4:6]}-{day[6:]})"},
        )
    if tenant.nrs_service_id and service_id.upper() != tenant.nrs_service_id.upper():
        raise InvoiceError(
            "incomplete_unpatchable",
            f"The IRN {irn} is not one of your business's: its service ID is {service_id}, yours is "
            f"{tenant.nrs_service_id}. A note can only correct your own invoices.",
            fields={"original_irn": f"must be an IRN of your business (service ID {tenant.nrs_service_id})"},
        )
    return ExternalOriginal(irn=irn, issue_date=issue_date)


def nrs_confirmed(tenant, original: ExternalOriginal) -> ExternalOriginal:
    """`original` as NRS's confirm knows it (checked, with its payable amount when NRS says it).

    Raises InvoiceError when NRS does not know the IRN; returns it unchecked when NRS cannot be asked."""
    if hosts.state(base_url_for(tenant)).open:  # NRS is known to be away: the create does not wait on a timeout
        return original
    try:
        data = NrsClient(tenant).confirm(original.irn)
    except NrsNotFound:
        raise InvoiceError(
            "incomplete_unpatchable",
            f"NRS does not know the IRN {original.irn}: check it against the invoice you issued.",
            fields={"original_irn": "unknown at NRS"},
        ) from None
    except NrsError:
        return original
    return replace(original, payable=external_amount(data), checked=True)


def external_amount(data) -> Decimal | None:
    """The payable amount in NRS's confirm answer (the sandbox's summary has it), if it is a sane one."""
    value = data.get("payable_amount") if isinstance(data, dict) else None
    try:
        amount = Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None
    return amount if amount is not None and amount.is_finite() and amount >= 0 else None


def credit_left(*, original_payable: Decimal, notes, live, exclude=None) -> Decimal:
    """What credit notes may still take off an original: its payable, less the live credit notes against it,
    plus the certified debit notes against it. `notes`: the Q naming the notes against it; `live`: the statuses
    in which a note counts (invoicing/validation.py's LIVE)."""
    against = Invoice.objects.filter(notes).exclude(pk=exclude)
    credited = against.filter(invoice_type=Invoice.Type.CREDIT_NOTE, status__in=live).aggregate(t=Sum("payable"))["t"]
    debited = against.filter(invoice_type=Invoice.Type.DEBIT_NOTE, status__in=Invoice.CERTIFIED_STATUSES).aggregate(
        t=Sum("payable")
    )["t"]
    return original_payable - (credited or Decimal(0)) + (debited or Decimal(0))


def credit_cap_check(payable: Decimal, left: Decimal, name: str) -> None:
    """Refuse a credit note of `payable` when only `left` is left of the invoice `name`."""
    if payable > left:
        raise InvoiceError(
            "CREDIT_NOTE_EXCEEDS_INVOICE",
            f"This credit note ({format_money(payable)}) is more than what is left of invoice {name} "
            f"({format_money(left)}).",
            fields={"lines": f"credit notes on this invoice can total at most {left} more"},
        )


def external_credit_check(original: ExternalOriginal, payable: Decimal, *, live, exclude=None) -> None:
    """The cap on a credit note against an external original whose payable NRS said."""
    if original.payable is None:
        return
    left = credit_left(
        original_payable=original.payable, notes=Q(external_original_irn=original.irn), live=live, exclude=exclude
    )
    credit_cap_check(payable, left, original.irn)


def unchecked_sentence(irn: str) -> str:
    return (
        f"NRS could not be reached to check invoice {irn}, issued outside Flowpoint; it is checked again before "
        "this note is sent."
    )
