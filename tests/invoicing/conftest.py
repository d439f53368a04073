import copy

import pytest
from django_q.conf import Conf
from django_scopes import scope

from tests.factories import TenantFactory, make_ready

# The spec's "Full request — B2B" example, verbatim minus the autofilled fields.
B2B_EXAMPLE = {
    "invoice_kind": "B2B",
    "invoice_type": "invoice",
    "document_number": "INV-2026-001",
    "issue_date": "2026-04-25",
    "due_date": "2026-05-25",
    "currency": "NGN",
    "customer": {
        "name": "Acme Ltd",
        "tin": "12345678-0001",
        "email": "[email protected]",
        "phone": "+2348012345678",
        "address": "42 Marina Road",
        "city": "Lagos",
        "country": "NG",
        "postal_code": "101001",
    },
    "lines": [
        {
            "description": "Consulting services",
            "quantity": 1,
            "unit_price": 50000,
            "hsn_code": "8517.11",
            "tax_scheme": "STANDARD_VAT",
            "tax_rate": 7.5,
            "unit_of_measure": "Each",
        }
    ],
    "note": "Thank you for your business",
    "po_reference": "PO-7781",
}
# The spec's example e-mail is rendered as "[email protected]" by the page it was copied from; a real one here.
B2B_EXAMPLE["customer"]["email"] = "ap@acme.ng"


def body(**changes):
    data = copy.deepcopy(B2B_EXAMPLE)
    for key, value in changes.items():
        if key.startswith("customer__"):
            data["customer"][key.removeprefix("customer__")] = value
        elif key.startswith("line__"):
            data["lines"][0][key.removeprefix("line__")] = value
        else:
            data[key] = value
    return data


@pytest.fixture
def ready_tenant(key_file):
    tenant = TenantFactory(name="Kola Foods Ltd")
    return make_ready(tenant, key_file)


@pytest.fixture
def queue_inline(monkeypatch):
    """Tasks enqueued by the code under test run at once, in this process (django-q2's sync mode)."""
    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture
def scoped(ready_tenant):
    with scope(tenant=ready_tenant):
        yield ready_tenant
