"""Shared pieces of the HTTP contract tests: the spec's request examples verbatim, API keys, clients."""

import copy
from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from rest_framework.test import APIClient

from tests.factories import TenantFactory, make_ready

KEY_HEADER = "X-Flowpoint-Key"

from invoicing.api.spec_examples import (  # noqa: E402, F401  (the verbatim examples, re-exported for these tests)
    AUTOFILLED,
    REAL_EMAIL,
    SPEC_B2B,
    SPEC_B2B_JSON,
    SPEC_B2C,
    SPEC_B2C_JSON,
    SPEC_EMAIL,
)


def spec_b2b_with_real_email() -> dict:
    """The B2B example exactly as published (autofilled keys included), with a deliverable e-mail."""
    data = copy.deepcopy(SPEC_B2B)
    data["customer"]["email"] = REAL_EMAIL
    return data


def invoice_body(**changes) -> dict:
    """The B2B example as an integrator should send it (no autofilled keys, a real e-mail), changed.

    `customer__x=…` changes a buyer field, `line__x=…` a field of the first line; None removes the key.
    """
    data = spec_b2b_with_real_email()
    for key in AUTOFILLED:
        data.pop(key)
    for key, value in changes.items():
        if key.startswith("customer__"):
            target, key = data["customer"], key.removeprefix("customer__")
        elif key.startswith("line__"):
            target, key = data["lines"][0], key.removeprefix("line__")
        else:
            target = data
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    return data


def b2c_body(**changes) -> dict:
    data = copy.deepcopy(SPEC_B2C)
    for key in AUTOFILLED:
        data.pop(key)
    data.update(changes)
    return data


# --- API keys and clients ------------------------------------------------------------------------


def new_key(tenant, *, revoked=False, expired=False, name="ERP", read_only=False, allowed_networks=()) -> str:
    """A plaintext API key of `tenant`, made by the same service as Settings → API Access."""
    from tenants import services
    from tenants.models import ApiKey

    with scope(tenant=tenant):
        key, plaintext = services.api_key_create(
            tenant=tenant,
            name=name,
            expires_at=timezone.now() + timedelta(days=30) if expired else None,
            read_only=read_only,
            allowed_networks=allowed_networks,
        )
        if revoked:
            services.api_key_revoke(api_key=key)
    if expired:  # keys cannot be created already expired; time passes instead
        with scopes_disabled():
            ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    return plaintext


def key_client(tenant=None, *, plaintext=None) -> APIClient:
    client = APIClient()
    client.credentials(**{"HTTP_X_FLOWPOINT_KEY": plaintext or new_key(tenant)})
    return client


def post_raw(client, path, text: str, **headers):
    """POST a JSON text as is (byte for byte what an integrator would send)."""
    return client.generic("POST", path, text.encode(), content_type="application/json", headers=headers)


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def ready(key_file):
    """A tenant whose supplier profile, NRS IDs, credentials and crypto key are complete."""
    return make_ready(TenantFactory(name="Kola Foods Ltd"), key_file)


@pytest.fixture
def api(ready):
    """The integrator of `ready`, with a valid API key."""
    return key_client(ready)


def invoice_of(invoice_id):
    from invoicing.models import Invoice

    with scopes_disabled():
        return Invoice.objects.get(pk=invoice_id)


def invoice_count(tenant=None) -> int:
    from invoicing.models import Invoice

    with scopes_disabled():
        qs = Invoice.objects.all()
        return (qs.filter(tenant=tenant) if tenant else qs).count()


def assert_error_shape(response, status, *, reason=None, code=None):
    """The spec's error body: JSON with at least `error`; `reason` (invoices) or `code` (master data)."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    if reason is not None:
        assert body.get("reason") == reason, body
    if code is not None:
        assert body.get("code") == code, body
    return body


@pytest.fixture
def queue_inline(monkeypatch):
    """Tasks enqueued by the code under test run at once, in this process (django-q2's sync mode)."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)


def _refuse_nul_like_postgresql(execute, sql, params, many, context):
    from django.db import DataError

    if many:
        params = [list(row) for row in params]
    for row in params if many else [params]:
        values = row.values() if isinstance(row, dict) else row or ()
        if any(isinstance(value, str) and "\x00" in value for value in values):
            raise DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    return execute(sql, params, many, context)


@pytest.fixture
def nul_like_postgresql():
    """PostgreSQL refuses text holding a NUL character (psycopg: "PostgreSQL text fields cannot contain NUL (0x00)
    bytes"), SQLite stores it: with this fixture the SQLite test database refuses it the same way, so that a request
    that would be a 500 on PostgreSQL is one here too."""
    from django.db import connection

    with connection.execute_wrapper(_refuse_nul_like_postgresql):
        yield
