"""`portal.queries`, the hot path's SQL written once: a row `insert` writes reads back exactly as one that
save() or bulk_create() writes (times, JSON, decimals, UUIDs, foreign keys), and a row `row_where` reads is the
one the ORM reads, on SQLite and PostgreSQL alike."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone
from django_scopes import scopes_disabled

from integrations.webhooks.models import WebhookEvent
from invoicing.models import InvoiceEvent, InvoiceLine
from invoicing.services import Actor, invoice_create
from portal.queries import insert
from tests.invoicing.conftest import body

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(ready_tenant):
    return invoice_create(tenant=ready_tenant, data=body(), actor=Actor())


def stored(model, pk):
    with scopes_disabled():
        return model.objects.filter(pk=pk).values().get()


def test_rows_read_back_as_save_and_bulk_create_write_them(invoice):
    data = {"reason": "Ọjà ₦ naira", "nested": {"list": [1, "2", None]}, "amount": "1234.50"}
    by_save = InvoiceEvent(tenant_id=invoice.tenant_id, invoice=invoice, kind="nrs.sign", message="Signed", data=data)
    by_save.save()
    by_insert = InvoiceEvent(tenant_id=invoice.tenant_id, invoice=invoice, kind="nrs.sign", message="Signed", data=data)
    before = timezone.now()
    insert([by_insert])
    with scopes_disabled():
        saved, inserted = InvoiceEvent.objects.filter(kind="nrs.sign").order_by("id").values()
    assert inserted["data"] == data and inserted["invoice_id"] == invoice.pk
    assert {k: v for k, v in inserted.items() if k not in ("id", "created_at")} == {
        k: v for k, v in saved.items() if k not in ("id", "created_at")
    }
    assert before <= inserted["created_at"] <= timezone.now()  # auto_now_add, stored as an aware UTC time
    assert inserted["created_at"] == by_insert.created_at

    lines = [
        InvoiceLine(
            tenant_id=invoice.tenant_id,
            invoice=invoice,
            position=10 + n,
            description=f"Line {n}",
            quantity=Decimal("2.5000"),
            unit_price=Decimal("1999.99"),
            line_extension=Decimal("4999.98"),
            tax_amount=Decimal("375.00"),
        )
        for n in range(3)
    ]
    insert(lines)  # several rows in one statement, defaults (discount, tax rate) filled in as Django would
    with scopes_disabled():
        rows = list(InvoiceLine.objects.filter(invoice=invoice, position__gte=10).order_by("position").values())
    assert [row["description"] for row in rows] == ["Line 0", "Line 1", "Line 2"]
    assert rows[0]["quantity"] == Decimal("2.5") and rows[0]["unit_price"] == Decimal("1999.99")
    assert rows[0]["discount"] == Decimal("0") and rows[0]["tax_rate"] == Decimal("7.5")


def test_a_row_with_its_own_key_can_be_saved_again_as_an_update(invoice):
    event = WebhookEvent(
        tenant_id=invoice.tenant_id,
        type="invoice.pending",
        status="pending",
        source="api.create",
        data={"irn": invoice.irn},
        invoice_id=invoice.pk,
        emitted_at=timezone.now() - timedelta(seconds=5),
    )
    insert([event])
    assert stored(WebhookEvent, event.pk)["data"] == {"irn": invoice.irn}
    event.status = "certified"
    event.save()  # an UPDATE of the same row, not a second INSERT
    with scopes_disabled():
        assert WebhookEvent.objects.filter(pk=event.pk).count() == 1
    assert stored(WebhookEvent, event.pk)["status"] == "certified"


def test_an_expression_is_refused_with_the_field_named(invoice):
    event = InvoiceEvent(tenant_id=invoice.tenant_id, invoice=invoice, kind=F("message"))
    with pytest.raises(TypeError, match="InvoiceEvent.kind"):
        insert([event])


def test_a_key_lookup_reads_the_key_and_its_business_as_select_related_does(ready_tenant, django_assert_num_queries):
    from tenants.models import ApiKey
    from tenants.services import api_key_create, api_key_lookup

    with scopes_disabled():
        key, plaintext = api_key_create(tenant=ready_tenant, name="ERP", expires_at=timezone.now() + timedelta(days=3))
        api_key_create(tenant=ready_tenant, name="other")
        expected = ApiKey.objects.select_related("tenant").get(pk=key.pk)
    with django_assert_num_queries(1):
        found = api_key_lookup(plaintext)
        business = found.tenant  # came with the key
    fields = [f.attname for f in ApiKey._meta.concrete_fields]
    assert [getattr(found, f) for f in fields] == [getattr(expected, f) for f in fields]
    tenant_fields = [f.attname for f in type(business)._meta.concrete_fields]
    assert [getattr(business, f) for f in tenant_fields] == [getattr(expected.tenant, f) for f in tenant_fields]
    assert found.expires_at == key.expires_at and found.status == "active"
    assert api_key_lookup(plaintext + "x") is None
