"""The demo business's profile and Ikeja address: what `make run`'s demo, the bench and the soak all start
from, so each of them issues invoices from a business whose checklist is complete but for NRS."""

from integrations.reference.models import Country, Lga, State
from tenants.models import Location
from tenants.services import location_save, tenant_update


def complete_demo_profile(tenant):
    tenant_update(
        tenant=tenant,
        tin="20198222-0002",
        email="billing@demo.flowpoint.local",
        telephone="+2348012345678",
        description="Wholesale of food and beverages",
    )
    location_save(
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
