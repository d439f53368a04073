"""What an invoice's timeline tells the apps above invoicing: the public event types (their one definition),
which timeline entry is published as which, and the one seam through which those apps hear of it.

Invoicing never imports them (the layers: pyproject.toml's import-linter contracts). The webhooks app, and any
connector later, registers a listener in its AppConfig.ready(); `services.events()` publishes each entry in the
transaction that saves the change, so what a listener records commits with the change, or not at all.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

INVOICE_PENDING = "invoice.pending"
INVOICE_CERTIFIED = "invoice.certified"
INVOICE_FAILED = "invoice.failed"
INVOICE_PAYMENT_UPDATED = "invoice.payment_updated"
INVOICE_ACKNOWLEDGED = "invoice.acknowledged"  # the buyer confirmed receipt to NRS (the delivery check saw it)
PURCHASE_RECEIVED = "purchase.received"  # a supplier's invoice reached this business (first pull only)

# The event types an integrator can subscribe to, in the order they are offered (spec: "Invoice Webhook Events";
# the last two are Flowpoint's own, for B2B delivery: what the buyer did with yours, what suppliers sent you).
EVENT_TYPES = (
    INVOICE_PENDING,
    INVOICE_CERTIFIED,
    INVOICE_FAILED,
    INVOICE_PAYMENT_UPDATED,
    INVOICE_ACKNOWLEDGED,
    PURCHASE_RECEIVED,
)
EVENT_LABELS = {
    INVOICE_PENDING: _("Accepted and queued for NRS"),
    INVOICE_CERTIFIED: _("Certified by NRS (B2C: reported)"),
    INVOICE_FAILED: _("NRS submission failed"),
    INVOICE_PAYMENT_UPDATED: _("Payment status reported to NRS"),
    INVOICE_ACKNOWLEDGED: _("Acknowledged by the buyer"),
    PURCHASE_RECEIVED: _("Invoice received from a supplier"),
}


@dataclass(frozen=True)
class Published:
    """How a timeline entry is published."""

    type: str  # one of EVENT_TYPES
    status: str | None  # the event's root status; None: read off the invoice (payment updates)
    source: str | None  # what caused it; None: where the invoice was created (api.create / portal.create)


# Timeline entry kind (InvoiceEvent.kind) → its public event. Other entries stay on the timeline only.
PUBLISHED = {
    "invoice.pending": Published(INVOICE_PENDING, "pending", None),
    "invoice.certified": Published(INVOICE_CERTIFIED, "certified", "nrs.transmit"),
    "invoice.reported": Published(INVOICE_CERTIFIED, "certified", "nrs.sign"),  # B2C: signed = reported
    "invoice.failed": Published(INVOICE_FAILED, "failed", "nrs.submit"),
    "invoice.payment_updated": Published(INVOICE_PAYMENT_UPDATED, None, "payment.update"),
    # Written by the delivery check (transmit lookup) once NRS says the buyer confirmed receipt: the invoice is
    # certified, and stays so.
    "invoice.acknowledged": Published(INVOICE_ACKNOWLEDGED, "certified", "nrs.transmit_lookup"),
}

Listener = Callable[..., object]  # listener(*, invoice, kind)
_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    """Hear of every published timeline entry: call once per process, from the listening app's ready()."""
    if listener not in _listeners:
        _listeners.append(listener)


def publish(*, invoice, kind: str) -> None:
    """Tell every listener of a timeline entry `kind` of `invoice` (as it is now), if that kind is published.

    Runs in the caller's transaction: a listener that fails rolls the change back with it.
    """
    if kind not in PUBLISHED:
        return
    for listener in _listeners:
        listener(invoice=invoice, kind=kind)


# --- the buyer's side: invoices received through NRS ------------------------------------------------------------

PurchaseListener = Callable[..., object]  # listener(*, received, kind)
_purchase_listeners: list[PurchaseListener] = []


def listen_purchases(listener: PurchaseListener) -> None:
    """Hear of received invoices (`kind`: PURCHASE_RECEIVED): call once per process, from an app's ready()."""
    if listener not in _purchase_listeners:
        _purchase_listeners.append(listener)


def publish_purchase(*, received, kind: str) -> None:
    """Tell every listener of a received invoice, in the transaction that saved it (as `publish` does)."""
    for listener in _purchase_listeners:
        listener(received=received, kind=kind)
