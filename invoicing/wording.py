"""What went wrong with an invoice and what to do about it, in the words of the business that reads it.

The model keeps machine codes (`nrs_reason`, `block_reason`) and NRS's own words (`nrs_detail`) for the API and
webhooks, unchanged. The screens (the invoice page, the invoice list, the dashboard) say the same thing with
these sentences instead, from this one place, so the three agree.
"""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from integrations.nrs.client import ours
from invoicing.models import Invoice
from invoicing.templatetags.queue_time import clock

Status = Invoice.Status

# The start of the hold's detail when NRS refused the business's API key and secret (invoicing/submission.py):
# the checklist cannot see that case, so the hold's reason is the checklist's; its words tell the two apart.
CREDENTIALS_REFUSED = "NRS could not validate your API key and secret"


@dataclass(frozen=True)
class Missing:
    """One item of the NRS set-up still missing, with where to fix it."""

    label: str
    detail: str
    url: str


@dataclass(frozen=True)
class Problem:
    summary: str  # one sentence: what happened (the alert's heading; the list and the dashboard show only this)
    todo: str = ""  # what to do about it
    nrs_said: str = ""  # NRS's own words, only when NRS answered with a reason
    link: str = ""  # where to fix it
    link_text: str = ""
    missing: tuple[Missing, ...] = field(default_factory=tuple)
    retry: bool = False  # the page's Retry button is the fix
    severity: str = "error"  # "error" or "warn": the alert's colour

    @property
    def line(self) -> str:
        """The one-line version for the list and the dashboard."""
        if self.nrs_said:
            return _("%(summary)s NRS said: “%(words)s”") % {"summary": self.summary, "words": self.nrs_said}
        return self.summary


def nrs_words(text: str) -> str:
    """`text` when it is what NRS answered; "" when it is Flowpoint's own account of a call NRS never answered."""
    return "" if ours(text) else (text or "").strip()


def action_refusal(error) -> str:
    """The message after a refused action on the invoice page (payment, check with NRS): the service's sentence,
    and NRS's own words when NRS gave some; a call that never got an answer is not presented as NRS's refusal."""
    said = str(error.extra.get("nrsError") or "")
    if said and ours(said):
        return _("NRS could not be reached just now, so nothing was changed. Try again in a moment.")
    if said:
        return _("%(message)s NRS said: “%(words)s”") % {"message": error.message, "words": said}
    return error.message


def _tries(n: int) -> str:
    return ngettext("after %(n)d try", "after %(n)d tries", n) % {"n": n} if n else _("after several tries")


def _failed(invoice: Invoice) -> Problem:
    if invoice.nrs_reason == "SUBMISSION_ERROR":
        # nrs_detail here is our own connection error, not NRS's words: never quoted as "NRS said".
        return Problem(
            _("NRS did not respond %(tries)s.") % {"tries": _tries(invoice.attempts)},
            _("Nothing is wrong with the invoice itself. Press Retry to send it again."),
            retry=True,
        )
    return Problem(
        _("NRS rejected this invoice."),
        _(
            "Fix what NRS names (in your NRS set-up or with the buyer), then press Retry. If the invoice itself is "
            "wrong, create a new one with the right details: this one was never certified, so it needs no credit note."
        ),
        nrs_said=nrs_words(invoice.nrs_detail),
        retry=True,
    )


def _held(invoice: Invoice, readiness) -> Problem:
    if invoice.block_reason == "NO_KEYS":
        return Problem(
            _("Held, not sent to NRS: your NRS crypto-key file is missing."),
            _("Upload the crypto-key file from the NRS portal, then press Retry."),
            link=reverse("settings_crypto_keys"),
            link_text=_("Go to crypto keys"),
            retry=True,
        )
    if invoice.block_detail.startswith(CREDENTIALS_REFUSED):
        return Problem(
            _("Held, not sent to NRS: NRS did not accept your API key and secret."),
            _("Enter them again in NRS set-up, then press Retry."),
            link=reverse("settings_nrs"),
            link_text=_("Go to NRS set-up"),
            retry=True,
        )
    if invoice.block_reason == "BLOCKED_CHECKLIST_FAILED":
        missing = tuple(Missing(item.label, item.detail, item.fix_url) for item in readiness or () if not item.ok)
        if readiness is not None and not missing:
            todo = _("Your set-up is complete now: press Retry to send the invoice.")
        elif missing:
            todo = _("Complete what is missing, then press Retry:")
        else:
            todo = _("Complete your NRS set-up, then press Retry.")
        return Problem(
            _("Held, not sent to NRS: your NRS set-up is not complete."),
            todo,
            link="" if missing else reverse("onboarding"),
            link_text="" if missing else _("Go to the set-up checklist"),
            missing=missing,
            retry=True,
        )
    return Problem(_("Held, not sent to NRS."), invoice.block_detail, retry=True)


def _waiting(invoice: Invoice, last_call) -> Problem | None:
    """A PENDING invoice that NRS could not take yet: it goes out by itself; nothing for the reader to do."""
    if not invoice.nrs_detail:
        return None
    if invoice.next_attempt_at:
        words = {"at": clock(invoice.next_attempt_at)}
        if last_call is None:  # the list and the dashboard do not read the calls: say only what is sure
            summary = _("Not through to NRS yet; Flowpoint tries again automatically at %(at)s.") % words
        elif last_call.status_code is None:  # no answer at all: our side could not reach NRS
            summary = _("Flowpoint could not reach NRS; it tries again automatically at %(at)s.") % words
        else:
            summary = (
                _("NRS could not take the invoice just now; Flowpoint tries again automatically at %(at)s.") % words
            )
    else:
        summary = _("NRS is not answering at the moment; the invoice goes out automatically when it answers again.")
    return Problem(summary, _("Nothing to do: the invoice is not lost."), severity="warn")


def invoice_problem(invoice: Invoice, *, readiness=None, last_call=None) -> Problem | None:
    """What the reader should know about an invoice that did not go through (None when all is well).

    `readiness`: the business's checklist now (the page lists what is still missing for a hold);
    `last_call`: the last NRS call for the invoice (whether NRS answered at all)."""
    if invoice.status == Status.FAILED:
        return _failed(invoice)
    if invoice.status == Status.BLOCKED:
        return _held(invoice, readiness)
    if invoice.status in (Status.PENDING_REVIEW, Status.PENDING_APPROVAL):
        return Problem(invoice.block_detail or invoice.get_status_display(), severity="warn")
    if invoice.status == Status.PENDING:
        return _waiting(invoice, last_call)
    return None


def problem_line(invoice: Invoice) -> str:
    """The one line the list and the dashboard show beside the status ("" when there is nothing to say)."""
    problem = invoice_problem(invoice)
    return problem.line if problem else ""
