import factory
from django.contrib.auth import get_user_model

from tenants.models import Membership, Tenant

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.ng")
    first_name = "Ada"
    last_name = factory.Sequence(lambda n: f"Okafor{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Business {n} Ltd")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.ADMIN


def make_ready(tenant, key_file: bytes):
    """Complete every readiness item of a tenant through the same services the portal uses."""
    import uuid

    from django_scopes import scope

    from integrations.reference.models import Country, Lga, State
    from tenants import services
    from tenants.models import Location

    services.tenant_update(
        tenant=tenant,
        tin="12345678-0001",
        email="billing@example.ng",
        telephone="+2348012345678",
        nrs_business_id=uuid.uuid4(),
        nrs_service_id="94ND90NR",
    )
    services.nrs_credentials_set(tenant=tenant, api_key="nrs-key-123", api_secret="nrs-secret-456")
    with scope(tenant=tenant):
        services.location_save(
            location=Location(
                tenant=tenant,
                street="12 Allen Avenue",
                city="Ikeja",
                postal_zone="100001",
                state=State.objects.get(pk="NG-LA"),
                lga=Lga.objects.get(pk="NG-LA-IKJ"),
                country=Country.objects.get(pk="NG"),
            )
        )
    services.crypto_key_upload(tenant=tenant, content=key_file)
    return tenant


def invoices_in(tenant, status: str, count: int = 1, *, kind: str = "B2B", **fields) -> list:
    """`count` bare invoices of `tenant` in `status` (one INSERT): for counts of the NRS queue, not for NRS."""
    import uuid
    from datetime import date

    from django_scopes import scopes_disabled

    from invoicing.models import Invoice

    batch = uuid.uuid4().hex[:6]
    with scopes_disabled():
        return Invoice.objects.bulk_create(
            Invoice(
                tenant=tenant,
                kind=kind,
                type_code="381",
                document_number=f"Q-{batch}-{i}",
                issue_date=date(2026, 12, 1),
                status=status,
                **fields,
            )
            for i in range(count)
        )


def received_invoice(
    tenant,
    *,
    supplier_name: str = "Dangote Supplies Ltd",
    supplier_tin: str = "87654321-0001",
    document_number: str = "DS-0001",
    issue_date=None,
    invoice_type: str = "invoice",
    lines=(("Cement, 50 kg bags", "2523.29", "100", "5000.00"),),
    tax_rate: str = "7.5",
    status: str = "new",
    billing_irn: str = "",
    service_id: str = "SUPP0001",
    publish: bool = False,
    currency: str = "NGN",
    exchange_rate=None,
    **fields,
):
    """A ReceivedInvoice of `tenant` as a pull would save it: its `document` is the NRS document another business
    signed (built by integrations/nrs/payload.py, amounts as JSON carries them), its columns read off it.

    `lines`: (description, HS code, quantity, unit price) each, taxed at `tax_rate` % standard VAT.
    `publish`: tell the listeners (webhooks) in the saving transaction, as the pull does for a new IRN."""
    import base64
    import json
    from datetime import date
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone
    from django_scopes import scope

    from integrations.nrs.payload import Document, build_document, build_irn
    from integrations.nrs.shapes import Address, Line, Party
    from invoicing.events import PURCHASE_RECEIVED, publish_purchase
    from invoicing.models import ReceivedInvoice, Supplier

    issue_date = issue_date or date(2026, 11, 10)
    supplier = Party(
        name=supplier_name,
        tin=supplier_tin,
        email="accounts@supplier.example.ng",
        telephone="+2348031234567",
        address=Address(street="5 Wharf Road", city="Apapa", postal_zone="102272", lga="NG-LA-APA", state="NG-LA"),
    )
    buyer = Party(
        name=tenant.name,
        tin=tenant.tin or "12345678-0001",
        email="billing@example.ng",
        address=Address(street="12 Allen Avenue", city="Ikeja", postal_zone="100001", lga="NG-LA-IKJ", state="NG-LA"),
    )
    items = [
        Line(description=d, hsn_code=code, quantity=Decimal(q), unit_price=Decimal(p), tax_rate=Decimal(tax_rate))
        for d, code, q, p in lines
    ]
    irn = build_irn(document_number, service_id, issue_date)
    document = build_document(
        Document(
            business_id="5f0c1a2b-0000-4000-8000-000000000001",
            irn=irn,
            issue_date=issue_date,
            invoice_type=invoice_type,
            invoice_kind="B2B",
            supplier=supplier,
            customer=buyer,
            lines=items,
            currency=currency,
            exchange_rate=exchange_rate,
            billing_references=[(billing_irn, issue_date)] if billing_irn else [],
        )
    )
    document = json.loads(json.dumps(document, default=str))  # as it comes over the wire
    document["transmitted_at"] = timezone.now().isoformat()
    # NRS's QR payload as the supplier printed it: ciphertext only NRS opens, so any base64 stands in for it here.
    document["qr_code"] = base64.b64encode(f"{irn}.{issue_date:%Y%m%d}".encode()).decode()
    totals = document["legal_monetary_total"]
    with scope(tenant=tenant), transaction.atomic():  # the row and what it publishes, together
        row, _ = Supplier.objects.get_or_create(
            tenant=tenant,
            tin=supplier_tin,
            defaults={
                "name": supplier_name,
                "email": supplier.email,
                "phone": supplier.telephone,
                "address": supplier.address.street,
                "city": supplier.address.city,
                "postal_code": supplier.address.postal_zone,
                "state_code": "NG-LA",
                "lga_code": "NG-LA-APA",
            },
        )
        received = ReceivedInvoice.objects.create(
            tenant=tenant,
            irn=irn,
            supplier=row,
            invoice_type=invoice_type,
            document_number=document_number,
            issue_date=issue_date,
            currency=currency,
            line_extension=Decimal(totals["line_extension_amount"]),
            tax_total=Decimal(document["tax_total"][0]["tax_amount"]),
            payable=Decimal(totals["payable_amount"]),
            document=document,
            transmitted_at=timezone.now(),
            status=status,
            **fields,
        )
        if publish:
            publish_purchase(received=received, kind=PURCHASE_RECEIVED)
        return received
