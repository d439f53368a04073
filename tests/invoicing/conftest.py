import copy

import pytest
from django_q.conf import Conf
from django_scopes import scope

from invoicing.api.spec_examples import REAL_EMAIL, SPEC_B2B, without_autofilled
from tests.factories import TenantFactory, make_ready

# The spec's "Full request — B2B" example as an integrator sends it. (The published e-mail is the page's
# obfuscated "[email protected]"; a real one here.)
B2B_EXAMPLE = without_autofilled(SPEC_B2B, email=REAL_EMAIL)

# A saved B2B customer, in the master-data API's field names.
ACME_CUSTOMER = {
    "customerKind": "B2B",
    "name": "Acme Ltd",
    "tin": "12345678-0001",
    "email": "ap@acme.ng",
    "phone": "+2348012345678",
    "address": "42 Marina Road",
    "city": "Lagos",
    "postalCode": "101001",
    "state": "NG-LA",
    "lga": "NG-LA-LIS",
    "country": "NG",
}


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
