"""The public check of an IRN: one lookup behind the verify API (`GET /api/v1/invoices/verify/{irn}`) and the
verify page a buyer opens from the invoice's plain QR code (`/verify/<IRN>`), so the two never disagree."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django_scopes import scopes_disabled

from invoicing.models import Invoice

# What an IRN looks like (number-serviceID-date, an optional .timestamp); anything else is refused unread.
IRN_PATTERN = r"^[A-Za-z0-9]{1,50}-[A-Z0-9]{8}-[0-9]{8}(\.[0-9]{1,12})?$"
IRN_RE = re.compile(IRN_PATTERN)


@dataclass(frozen=True)
class IrnCheck:
    malformed: bool
    invoice: Invoice | None  # the certified invoice, or None (malformed, unknown or not certified)


def irn_check(irn: str) -> IrnCheck:
    """Is `irn` a certified Flowpoint invoice? Public: it reads across businesses by the IRN alone."""
    if not IRN_RE.match(irn):
        return IrnCheck(malformed=True, invoice=None)
    with scopes_disabled():  # any tenant's certified invoice, by its public IRN
        invoice = (
            Invoice.objects.filter(irn=irn.split(".")[0], status__in=Invoice.CERTIFIED_STATUSES)
            .select_related("tenant")
            .first()
        )
    return IrnCheck(malformed=False, invoice=invoice)


def verify_url(irn: str) -> str:
    """The verify page's full address, printed on the PDF and its plain QR code (and fit for an e-mail)."""
    return settings.SITE_URL.rstrip("/") + reverse("verify_page", args=[irn])
