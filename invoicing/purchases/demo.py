"""The demo business's purchases: invoices three other (demo) businesses issued to it through the embedded NRS
sandbox, so that `make run` shows the buyer's side too.

They come the real way. Each supplier is a sandbox business of its own; its invoice is built by the NRS payload
builder, checked as a strict sign checks it, and left in the sandbox's store signed and transmitted to the demo's
TIN, as the supplier's sign and transmit calls would leave it. `make run` seeds before its worker and server start,
so the pull cannot run here: the worker's first scheduled pull (invoicing/purchases/pull.py) brings the invoices
into the inbox, awaiting a decision.

One of them is the demo's history: received a few days ago and accepted. It is saved now by the pull's own save
(`received_save`) from the document the sandbox delivers; its acknowledgement, which would go to NRS over HTTP, is
recorded on both sides as that call records it, because no server answers yet. The pull then finds its IRN known.

Seeding again adds nothing: each supplier is provisioned once per TIN and each invoice stored once per number.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_scopes import scope

from integrations.nrs.payload import Document, build_document, build_irn
from integrations.nrs.sandbox.services import (
    business_with_tin,
    delivered_document,
    invoice_signed_and_transmitted,
    receipt_confirmed,
)
from integrations.nrs.shapes import Address, Line, Party
from invoicing.models import ReceivedInvoice
from invoicing.notices import purchase_received_key
from invoicing.purchases.pull import received_save
from invoicing.services import supplier_snapshot
from tenants.models import Notification


@dataclass(frozen=True)
class DemoPurchase:
    supplier: Party
    number: str  # letters and digits: the IRN keeps only those, and the inbox reads the number off the IRN
    days_ago: int  # signed and transmitted then
    lines: tuple
    currency: str = "NGN"
    exchange_rate: Decimal | None = None  # a foreign invoice's naira per unit: its VAT is stated in naira too
    accepted: bool = False  # the demo's history: received earlier and accepted


def _supplier(name, tin, email, street, city, postal_zone, lga) -> Party:
    return Party(
        name=name,
        tin=tin,
        email=email,
        telephone="+2348030000000",
        address=Address(street=street, city=city, postal_zone=postal_zone, lga=lga, state="NG-LA"),
    )


PURCHASES = (
    # ₦340,000.00 + ₦300,000.00 = ₦640,000.00 before VAT, ₦48,000.00 VAT.
    DemoPurchase(
        supplier=_supplier(
            "Lagoon Packaging Ltd",
            "30481122-0001",
            "accounts@lagoonpackaging.example.ng",
            "14 Industrial Avenue",
            "Ikorodu",
            "104101",
            "NG-LA-IKO",
        ),
        number="LPK2291",
        days_ago=3,
        lines=(
            Line(
                description="Corrugated cartons, 5-ply",
                hsn_code="4819.10",
                quantity=Decimal(400),
                unit_price=Decimal("850.00"),
            ),
            Line(
                description="Stretch film, 500 mm roll",
                hsn_code="3920.10",
                quantity=Decimal(24),
                unit_price=Decimal("12500.00"),
            ),
        ),
        accepted=True,
    ),
    # $2,400.00 + $350.00 = $2,750.00, VAT $206.25; at ₦1,530.50 per US$1 the VAT stated in naira is ₦315,665.63.
    DemoPurchase(
        supplier=_supplier(
            "Harbour Freight Nigeria Ltd",
            "30512244-0001",
            "billing@harbourfreight.example.ng",
            "3 Wharf Road",
            "Apapa",
            "102272",
            "NG-LA-APA",
        ),
        number="HFN0457",
        days_ago=2,
        lines=(
            Line(
                description="Sea freight, 20 ft container",
                isic_code="5012",
                quantity=Decimal(1),
                unit_price=Decimal("2400.00"),
            ),
            Line(
                description="Cargo handling at Apapa",
                isic_code="5224",
                quantity=Decimal(1),
                unit_price=Decimal("350.00"),
            ),
        ),
        currency="USD",
        exchange_rate=Decimal("1530.50"),
    ),
    # 30 × ₦7,500.00 = ₦225,000.00 before VAT, ₦16,875.00 VAT.
    DemoPurchase(
        supplier=_supplier(
            "Ikeja Cold Chain Ltd",
            "30633455-0001",
            "accounts@ikejacoldchain.example.ng",
            "27 Oba Akran Avenue",
            "Ikeja",
            "100271",
            "NG-LA-IKJ",
        ),
        number="ICC1187",
        days_ago=1,
        lines=(
            Line(
                description="Cold storage, pallet-week",
                isic_code="5210",
                quantity=Decimal(30),
                unit_price=Decimal("7500.00"),
            ),
        ),
    ),
)


def demo_purchases_seed(tenant, *, user) -> None:
    """Leave the demo's purchases in the sandbox for the pull, and its history in the inbox. `user`: who accepted
    the history's invoice (the demo's admin)."""
    buyer = Party.from_dict(supplier_snapshot(tenant))  # the demo as it issues invoices: as its suppliers know it
    now = timezone.now()
    for purchase in PURCHASES:
        at = now - timedelta(days=purchase.days_ago)
        supplier = business_with_tin(
            name=purchase.supplier.name, tin=purchase.supplier.tin, email=purchase.supplier.email
        )
        issue_date = timezone.localdate(at)
        document = build_document(
            Document(
                business_id=str(supplier.business_id),
                irn=build_irn(purchase.number, supplier.service_id, issue_date),
                issue_date=issue_date,
                invoice_type="invoice",
                invoice_kind="B2B",
                supplier=purchase.supplier,
                customer=buyer,
                lines=list(purchase.lines),
                currency=purchase.currency,
                exchange_rate=purchase.exchange_rate,
                due_date=issue_date + timedelta(days=30),
                payment_means="30",  # credit transfer
            )
        )
        stored = invoice_signed_and_transmitted(supplier, document, at=at)
        if purchase.accepted:
            _accepted_earlier(tenant, stored, user=user, at=at + timedelta(hours=2))


def _accepted_earlier(tenant, stored, *, user, at) -> None:
    received_save(tenant, delivered_document(stored))
    with scope(tenant=tenant), transaction.atomic():
        received = ReceivedInvoice.objects.select_for_update().get(irn=stored.irn)
        if received.decided_at:
            return  # seeded before, or decided since by a person: theirs stands
        receipt_confirmed(stored, at=at)  # the transmit PATCH purchase_acknowledge sends, as the sandbox keeps it
        received.status = ReceivedInvoice.Status.ACCEPTED
        received.acknowledged_at = received.decided_at = at
        received.acknowledged_by = received.decided_by = user
        received.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "decided_at", "decided_by"])
        # Its arrival was told back then (read, e-mailed): not news at the demo's first sign-in.
        Notification.objects.filter(key=purchase_received_key(received)).update(read_at=at, emailed_at=at)
