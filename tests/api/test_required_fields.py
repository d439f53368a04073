"""The spec's create table marks these Required for every kind: an API body that leaves one out is refused
with the field named, and nothing is saved."""

import pytest
from django_scopes import scopes_disabled

from invoicing.models import Invoice
from tests.invoicing.conftest import body

REQUIRED = ("invoice_kind", "invoice_type", "document_number", "issue_date", "due_date", "currency")


@pytest.mark.parametrize("field", REQUIRED)
@pytest.mark.parametrize("route", ["/api/v1/invoices/create", "/api/v1/invoices/drafts"])
def test_a_missing_required_field_is_named(client, tenant, key_file, field, route):
    from tenants.services import api_key_create
    from tests.factories import make_ready

    make_ready(tenant, key_file)
    _row, key = api_key_create(tenant=tenant, name="ERP")
    data = body()
    del data[field]
    response = client.post(route, data, content_type="application/json", headers={"X-Flowpoint-Key": key})
    assert response.status_code == 400
    assert response.json()["reason"] == "incomplete_unpatchable"
    assert response.json()["fields"] == {field: "required"}
    with scopes_disabled():
        assert not Invoice.objects.exists()
