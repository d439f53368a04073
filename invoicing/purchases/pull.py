"""Pulling a business's received invoices from NRS (transmit pull): one ReceivedInvoice per IRN, however often or
concurrently it runs, and a crash half-way loses nothing and duplicates nothing.

- Incremental: each pull asks NRS from `PurchasePull.seen_through` (the first: PURCHASES_FIRST_PULL_DAYS back) up
  to today in Lagos. `seen_through` moves on only after the rows are saved, to the latest transmit date seen and
  not past it: the next pull asks that day again, which is harmless, since the constraint
  one_received_invoice_per_irn turns a second insert of an IRN into "already have it".
- Each new invoice commits on its own with its supplier and its `purchase.received` event, so a crash after some
  rows keeps them, and the next pull (same window) adds only the others.
- Through the same NRS host as submission: nothing is asked while the host's circuit is open or NRS asked for a
  pause (integrations/nrs/hosts.py), and the pull's own answers feed that circuit like any other call.
- A failure is kept on PurchasePull.last_error in NRS's own words until a pull succeeds.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_scopes import scope

from integrations.nrs import hosts
from integrations.nrs.client import NrsClient
from integrations.nrs.errors import NrsError
from integrations.nrs.payload import INVOICE_TYPE_CODES, tax_currency_entry
from integrations.nrs.totals import DEDUCTED_CATEGORIES
from invoicing import notices
from invoicing.dispatch import host_slot
from invoicing.events import PURCHASE_RECEIVED, publish_purchase
from invoicing.models import PurchasePull, ReceivedInvoice, Supplier

logger = logging.getLogger(__name__)

# NRS type code -> our kind of document. Ours are the three Flowpoint issues (payload.py: 381 invoice, 380 credit
# note, 384 debit note); a self-billed credit note counts as a credit note, every other code as an invoice.
DOCUMENT_TYPES = {code: kind for kind, code in INVOICE_TYPE_CODES.items()} | {"393": "credit_note"}
HOST_FULL = "Every call NRS allows this portal is in flight; received invoices are pulled on the next run."
NOT_ANSWERING = "NRS is not answering at the moment; received invoices will be pulled as soon as it answers again."
PAUSED = "NRS asked for a short pause; received invoices will be pulled shortly."


@dataclass(frozen=True)
class PullResult:
    received: int = 0  # new received invoices saved by this pull
    seen: int = 0  # invoices NRS listed (new or already here)
    error: str = ""  # why nothing (or not everything) was pulled; empty when the pull went through


class Unreadable(ValueError):
    """A listed document this portal cannot read (no IRN, no date, an amount that is no number)."""


def purchases_pull(tenant) -> PullResult:
    """Pull the invoices NRS transmitted to `tenant` since the last date seen, and save the new ones."""
    progress = _progress(tenant)
    today = timezone.localdate()  # Lagos: NRS's dates are Nigerian dates
    start = progress.seen_through or today - timedelta(days=settings.PURCHASES_FIRST_PULL_DAYS)
    start = min(start, today)
    client = NrsClient(tenant)
    held = _host_held(client.base_url)
    if held:
        if held == NOT_ANSWERING:
            # Keep the words of the failure that opened the circuit, if a pull of this business heard them.
            PurchasePull.objects.filter(pk=tenant.pk, last_error="").update(
                last_error=NOT_ANSWERING, last_error_at=timezone.now()
            )
        return PullResult(error=held)
    try:
        with host_slot(client.base_url, "pull") as room:
            if not room:  # every call the host allows is in flight: not a failure, the next run pulls
                return PullResult(error=HOST_FULL)
            documents = client.transmit_pull(start, today, confirmed=True)
    except NrsError as exc:
        words = exc.details or str(exc)
        PurchasePull.objects.filter(pk=tenant.pk).update(last_error=words[:2000], last_error_at=timezone.now())
        logger.info("Pull of received invoices for %s failed: %s", tenant.pk, words)
        return PullResult(error=words)

    received, latest, unreadable = 0, None, None
    with scope(tenant=tenant):
        known = set(
            ReceivedInvoice.objects.filter(irn__in=[str(d.get("irn") or "") for d in documents]).values_list(
                "irn", flat=True
            )
        )
        # Oldest first: a supplier's master data ends as its latest invoice gives it.
        for document in sorted(documents, key=lambda d: str(d.get("transmitted_at") or "")):
            try:
                fields = _read(document)
            except Unreadable as exc:
                logger.warning("A received invoice for %s could not be read: %s", tenant.pk, exc)
                day = _transmit_day(document) or start
                unreadable = min(unreadable or day, day)
                continue
            day = timezone.localdate(fields["transmitted_at"]) if fields["transmitted_at"] else today
            if fields["irn"] not in known and _save(tenant, document, fields):
                received += 1
            latest = max(latest or day, day)

    through = progress.seen_through
    if latest:
        through = max(through or latest, latest)
    if unreadable:  # asked again on every pull until it can be read: never skipped for good
        through = min(through or unreadable, unreadable)
    PurchasePull.objects.filter(pk=tenant.pk).update(
        seen_through=through, last_pulled_at=timezone.now(), last_error="", last_error_at=None
    )
    return PullResult(received=received, seen=len(documents))


def received_save(tenant, document: dict) -> bool:
    """One document NRS delivered to `tenant`, saved exactly as a pull saves it (its supplier, its event, its
    notice). False: it was here already. Raises Unreadable for a document this portal cannot read."""
    with scope(tenant=tenant):
        return _save(tenant, document, _read(document))


def _progress(tenant) -> PurchasePull:
    found = PurchasePull.objects.filter(pk=tenant.pk).first()
    if found is None:
        try:
            with transaction.atomic():
                found = PurchasePull.objects.create(tenant=tenant)
        except IntegrityError:  # a concurrent pull made it first
            found = PurchasePull.objects.get(pk=tenant.pk)
    return found


def _host_held(base_url: str) -> str:
    """Why the NRS host is not to be asked now ("" when it may be): as the dispatcher decides for submissions."""
    state = hosts.state(base_url)
    if state.accepting(timezone.now()):
        return ""
    if state.open:
        return "" if hosts.probe_if_due(base_url) else NOT_ANSWERING
    return PAUSED


def _save(tenant, document: dict, fields: dict) -> bool:
    """Save one received invoice with its supplier and its event, all or nothing. False: it was here already (a
    concurrent pull saved it first)."""
    with transaction.atomic():
        if ReceivedInvoice.objects.filter(irn=fields["irn"]).exists():
            return False
        supplier = _supplier(tenant, document.get("accounting_supplier_party") or {})
        try:
            with transaction.atomic():  # a savepoint: the constraint decides between concurrent pulls
                received = ReceivedInvoice.objects.create(tenant=tenant, supplier=supplier, document=document, **fields)
        except IntegrityError:
            return False
        publish_purchase(received=received, kind=PURCHASE_RECEIVED)
        notices.purchase_received(received)  # the first time only: a known IRN returned above
    return True


def _supplier(tenant, party: dict) -> Supplier:
    """The supplier by TIN, created or brought up to date from the document (blank values never erase)."""
    address = party.get("postal_address") if isinstance(party.get("postal_address"), dict) else {}
    values = {
        "name": _text(party.get("party_name"), 200),
        "email": _text(party.get("email"), 254),
        "phone": _text(party.get("telephone"), 20),
        "address": _text(address.get("street_name"), 200),
        "city": _text(address.get("city_name"), 100),
        "postal_code": _text(address.get("postal_zone"), 20),
        "state_code": _text(address.get("state"), 10),
        "lga_code": _text(address.get("lga"), 20),
        "country": _text(address.get("country"), 2).upper(),
    }
    values = {name: value for name, value in values.items() if value}
    tin = _text(party.get("tin"), 20)
    supplier = Supplier.objects.filter(tin=tin).first()
    if supplier is None:
        try:
            with transaction.atomic():
                return Supplier.objects.create(tenant=tenant, tin=tin, **{"name": tin, **values})
        except IntegrityError:  # a concurrent pull of another invoice of this supplier made it first
            supplier = Supplier.objects.get(tin=tin)
    changed = [name for name, value in values.items() if getattr(supplier, name) != value]
    if changed:
        for name in changed:
            setattr(supplier, name, values[name])
        supplier.save(update_fields=[*changed, "updated_at"])
    return supplier


def _read(document: dict) -> dict:
    """The columns of a ReceivedInvoice, read off NRS's document."""
    irn = _text(document.get("irn"), 120)
    if not irn:
        raise Unreadable("no IRN")
    totals = document.get("legal_monetary_total") if isinstance(document.get("legal_monetary_total"), dict) else {}
    taxes = document.get("tax_total") if isinstance(document.get("tax_total"), list) else []
    return {
        "irn": irn,
        "invoice_type": DOCUMENT_TYPES.get(str(document.get("invoice_type_code") or ""), "invoice"),
        # The IRN starts with the supplier's document number (its letters and digits: NRS.md "IRN").
        "document_number": irn.rsplit("-", 2)[0][:50],
        "issue_date": _date(document.get("issue_date"), "issue_date", required=True),
        "due_date": _date(document.get("due_date"), "due_date"),
        "currency": _text(document.get("document_currency_code"), 3).upper() or "NGN",
        "line_extension": _money(totals.get("line_extension_amount"), "line_extension_amount"),
        # In the document's currency: an entry in the tax currency (a foreign-currency invoice's VAT in naira) is
        # another currency's amount, read apart (invoicing/purchases/vat.py).
        "tax_total": sum(
            (
                _money(tax.get("tax_amount"), "tax_amount")
                for index, tax in enumerate(taxes)
                if index != tax_currency_entry(document) and _added_tax(tax, len(taxes))
            ),
            Decimal(0),
        ),
        "payable": _money(totals.get("payable_amount"), "payable_amount"),
        "transmitted_at": nrs_moment(document.get("transmitted_at")),
    }


def _added_tax(entry, entries: int) -> bool:
    """Whether a tax_total entry is the input VAT the buyer reclaims: not the tax it withholds (an entry of
    WITHHOLDING_TAX subtotals only), nor the tax again in the tax currency (an entry without subtotals), when the
    supplier's document carries more than one entry (integrations/nrs/payload.py)."""
    if not isinstance(entry, dict):
        return False
    subtotals = [sub for sub in entry.get("tax_subtotal") or [] if isinstance(sub, dict)]
    if not subtotals:
        return entries == 1  # a document's only total, without subtotals, still counts
    return not all((sub.get("tax_category") or {}).get("id") in DEDUCTED_CATEGORIES for sub in subtotals)


def _transmit_day(document: dict) -> date | None:
    moment = nrs_moment(document.get("transmitted_at"))
    return timezone.localdate(moment) if moment else None


def nrs_moment(value):
    """A time as NRS writes it (ISO 8601; one without a zone is Nigerian time), or None when it is not one."""
    try:
        moment = parse_datetime(str(value)) if value else None
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def _date(value, name: str, *, required: bool = False) -> date | None:
    if not value:
        if required:
            raise Unreadable(f"no {name}")
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Unreadable(f"{name} is not a date: {value!r}") from None


def _money(value, name: str) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, bool):
        raise Unreadable(f"{name} is not an amount: {value!r}")
    try:
        amount = Decimal(str(value))  # str(): a JSON float becomes the Decimal it was written as
    except InvalidOperation:
        raise Unreadable(f"{name} is not an amount: {value!r}") from None
    if not amount.is_finite():
        raise Unreadable(f"{name} is not an amount: {value!r}")
    return amount.quantize(Decimal("0.01"))


def _text(value, length: int) -> str:
    return str(value or "").strip()[:length]
