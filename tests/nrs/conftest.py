import uuid
from datetime import date
from decimal import Decimal

import pytest
from django_scopes import scope

from integrations.nrs.payload import Address, Document, Line, Party, build_document, build_irn
from integrations.nrs.services import nrs_sandbox_connect
from tests.factories import TenantFactory, make_ready

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
                    name="Rice, 50 kg bags", quantity=Decimal("1000"), unit_price=Decimal("500.00"), hsn_code="1006.30"
                )
            ],
            **extra,
        )
    )


@pytest.fixture
def sandbox_url(live_server, settings):
    settings.NRS_SANDBOX_URL = live_server.url + "/sandbox/nrs"
    settings.NRS_READ_TIMEOUT = 2.0
    settings.NRS_SANDBOX_TIMEOUT_SECONDS = 2.5
    return settings.NRS_SANDBOX_URL


@pytest.fixture
def connected_tenant(sandbox_url, key_file):
    """A ready tenant whose NRS identity, credentials and key come from the embedded sandbox."""
    tenant = TenantFactory(name="Kola Foods Ltd", telephone="+2348099999999")
    make_ready(tenant, key_file)
    tenant.nrs_business_id = uuid.uuid4()  # replaced by the sandbox's own
    nrs_sandbox_connect(tenant=tenant)
    tenant.refresh_from_db()
    return tenant


def set_faults(**values):
    from integrations.nrs.sandbox.models import SandboxFaults

    defaults = {"latency_ms": 0, "error_rate": 0, "timeout_rate": 0, "offline_rate": 0, "lost_response_rate": 0}
    SandboxFaults.objects.all().delete()
    SandboxFaults.objects.create(**{**defaults, **values})


def calls(tenant):
    from integrations.nrs.models import NrsCall

    with scope(tenant=tenant):
        return list(NrsCall.objects.order_by("id"))
