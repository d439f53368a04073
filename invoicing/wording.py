"""What went wrong with an invoice and what to do about it, in the words of the business that reads it.

The model keeps machine codes (`nrs_reason`, `block_reason`) and NRS's own words (`nrs_detail`) for the API and
webhooks, unchanged. The screens (the invoice page, the invoice list, the dashboard) say the same thing with
these sentences instead, from this one place, so the three agree.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, timedelta

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

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
        )
    return Problem(
        _("NRS rejected this invoice."),
        _(
            "Fix what NRS names (in your NRS set-up or with the buyer), then press Retry. If the invoice itself is "
            "wrong, create a new one with the right details: this one was never certified, so it needs no credit note."
        ),
        nrs_said=nrs_words(invoice.nrs_detail),
    )


def _held(invoice: Invoice, readiness) -> Problem:
    if invoice.block_reason == "NO_KEYS":
        return Problem(
            _("Held, not sent to NRS: your NRS crypto-key file is missing."),
            _("Upload the crypto-key file from the NRS portal, then press Retry."),
            link=reverse("settings_crypto_keys"),
            link_text=_("Go to crypto keys"),
        )
    if invoice.block_detail.startswith(CREDENTIALS_REFUSED):
        return Problem(
            _("Held, not sent to NRS: NRS did not accept your API key and secret."),
            _("Enter them again in NRS set-up, then press Retry."),
            link=reverse("settings_nrs"),
            link_text=_("Go to NRS set-up"),
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
            # Without the checklist at hand (the list, the dashboard) the page points to it rather than guess.
            link="" if readiness is not None else reverse("onboarding"),
            link_text="" if readiness is not None else _("Go to the set-up checklist"),
            missing=missing,
        )
    return Problem(_("Held, not sent to NRS."), invoice.block_detail)


def _waiting(invoice: Invoice, last_call) -> Problem | None:
    """A PENDING invoice that NRS could not take yet: it goes out by itself; nothing for the reader to do."""
    if not invoice.nrs_detail:
        return None
    if invoice.next_attempt_at and last_call is None:  # the list and the dashboard read no calls: only what is sure
        words = {"at": clock(invoice.next_attempt_at)}
        summary = _("Not through to NRS yet; Flowpoint tries again automatically at %(at)s.") % words
    elif invoice.next_attempt_at:
        summary = retry_sentence(invoice.next_attempt_at, answered=last_call.status_code is not None)
    else:  # NRS as a whole is away or asked everyone to slow down (429 or 503)
        summary = waiting_sentence(throttled=last_call is not None and last_call.status_code in (429, 503))
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


# --- timeline sentences ----------------------------------------------------------------------------------------
# Written once here: the pipeline and the payment service store them, and the page rewords the old forms below
# (rows stay as written) that quoted connection errors as NRS's words or printed UTC times. Times are the Lagos
# clock (TIME_ZONE); what exactly failed stays in nrs_detail and the NRS calls ("Technical details").


def retry_sentence(when, *, answered: bool) -> str:
    words = {"at": clock(when)}
    if not answered:  # no answer at all: our side could not reach NRS
        return _("Flowpoint could not reach NRS; it tries again automatically at %(at)s.") % words
    return _("NRS could not take the invoice just now; Flowpoint tries again automatically at %(at)s.") % words


def requeued_sentence(since) -> str:
    return _(
        "The attempt that started at %(at)s stopped without finishing; queued for NRS again. "
        "Flowpoint asks NRS first, so nothing is signed twice."
    ) % {"at": clock(since)}


def waiting_sentence(*, throttled: bool) -> str:
    if throttled:
        return _("NRS asked Flowpoint to send more slowly for a while; the invoice goes out again shortly, by itself.")
    return _("NRS is not answering at the moment; the invoice goes out automatically when NRS answers again.")


def gave_up_sentence(tries) -> str:
    return _("NRS did not respond after %(n)s tries; Flowpoint stopped trying. Press Retry to send it again.") % {
        "n": tries
    }


def rejected_sentence(words: str) -> str:
    """`words`: what NRS answered (only that is quoted as NRS's)."""
    words = nrs_words(words)
    if not words:
        return _("NRS rejected the invoice without giving a reason.")
    return _("NRS rejected the invoice. NRS said: “%(words)s”") % {"words": words}


def credentials_held_sentence() -> str:
    return _("Not sent: NRS did not accept your API key and secret. Update them in Settings → NRS set-up.")


def payment_refused_sentence(words: str, *, answered: bool) -> str:
    words = nrs_words(words) if answered else ""
    if not answered:
        return _("Payment not reported: Flowpoint could not reach NRS. Nothing was changed; try again.")
    if not words:
        return _("NRS did not accept the payment update. Nothing was changed; try again.")
    return _("NRS did not accept the payment update. NRS said: “%(words)s”") % {"words": words}


_OLD_RETRY = re.compile(r"^NRS was unavailable \((?P<why>.*)\); trying again at (?P<at>\d\d:\d\d:\d\d) UTC\.$", re.S)
_OLD_REQUEUED = re.compile(r"^The attempt started at (?P<at>\d\d:\d\d:\d\d) UTC stopped without finishing")
_OLD_GAVE_UP = re.compile(r"^NRS did not succeed after (?P<n>\d+) attempts: ")
_OLD_PAYMENT = "NRS refused the payment update: "


def _old_utc(text: str, written):
    """An old message's "HH:MM:SS UTC" as a moment: on the day it was written (or the next, past midnight)."""
    hour, minute, second = (int(part) for part in text.split(":"))
    at = written.astimezone(UTC).replace(hour=hour, minute=minute, second=second, microsecond=0)
    return at + timedelta(days=1) if at < written.astimezone(UTC) - timedelta(hours=12) else at


def timeline_message(kind: str, message: str, written) -> str:
    """`message` as the timeline shows it: today's sentences as they are, the old forms in today's words."""
    if kind == "nrs.retry_scheduled" and (old := _OLD_RETRY.match(message)):
        return retry_sentence(_old_utc(old["at"], written), answered=not ours(old["why"]))
    if kind == "nrs.requeued" and (old := _OLD_REQUEUED.match(message)):
        return requeued_sentence(_old_utc(old["at"], written))
    if kind == "nrs.waiting" and message.startswith(("NRS asked us to slow down (", "NRS is unreachable (")):
        return waiting_sentence(throttled=message.startswith("NRS asked us"))
    if kind == "invoice.failed" and not message.startswith(("NRS rejected", "NRS did not respond")):
        old = _OLD_GAVE_UP.match(message)
        return gave_up_sentence(old["n"]) if old else rejected_sentence(message)
    if kind == "invoice.held" and message.startswith(CREDENTIALS_REFUSED):
        return credentials_held_sentence()
    if kind == "invoice.payment_failed" and message.startswith(_OLD_PAYMENT):
        words = message.removeprefix(_OLD_PAYMENT)
        return payment_refused_sentence(words, answered=not ours(words))
    if kind == "nrs.reconciled" and re.match(r"^NRS confirms IRN \S+ \(payment \w+\)\.$", message):
        return _("NRS confirms it has this invoice.")
    return message


# A tax category whose NRS name reads badly on an invoice line ("Exempted"): what the screens and the PDF call it.
TAX_WORDS = {"EXEMPTED": gettext_lazy("VAT exempt")}
