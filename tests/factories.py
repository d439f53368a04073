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
