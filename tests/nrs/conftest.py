from datetime import date
from decimal import Decimal

from integrations.nrs.payload import Document, build_document, build_irn
from integrations.nrs.shapes import Address, Line, Party

LAGOS = Address(street="12 Allen Avenue", city="Ikeja", postal_zone="100001", lga="NG-LA-IKJ", state="NG-LA")
ACME = Party(
    name="Acme Ltd",
    tin="12345678-0001",
    email="ap@acme.ng",
    telephone="+2348012345678",
    address=Address(street="42 Marina Road", city="Lagos", postal_zone="101001", lga="NG-LA-LIS", state="NG-LA"),
)


def supplier_of(tenant) -> Party:
    return Party(
        name=tenant.name,
        tin=tenant.tin,
        email=tenant.effective_email(),
        telephone=tenant.telephone,
        description=tenant.description,
        address=LAGOS,
    )


def document_for(tenant, number="INV001", day=date(2026, 11, 20), kind="B2B", invoice_type="invoice", **extra):
    return build_document(
        Document(
            business_id=str(tenant.nrs_business_id),
            irn=build_irn(number, tenant.nrs_service_id, day),
            issue_date=day,
            invoice_type=invoice_type,
            invoice_kind=kind,
            supplier=supplier_of(tenant),
            customer=ACME if kind != "B2C" else None,
            lines=[
                Line(
                    description="Rice, 50 kg bags",
                    quantity=Decimal("1000"),
                    unit_price=Decimal("500.00"),
                    hsn_code="1006.30",
                )
            ],
            **extra,
        )
    )


from tests.conftest import calls, set_faults  # noqa: E402,F401  (re-exported for the NRS tests)
