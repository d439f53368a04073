"""A source kept in memory for the connector screens and API (each kind's own tests drive its real source)."""

import pytest
from django_scopes import scope

from integrations.connectors import sync
from integrations.connectors.models import Connector


class Ledger:
    """Documents by source id: each an invoice body, or {"bad": words} (a mapping error)."""

    def __init__(self):
        self.documents: dict[str, dict] = {}

    def fetch(self, connector):
        found = [
            sync.Listed(source_id=key, raw=raw, reference=f"REF-{key}")
            for key, raw in sorted(self.documents.items())
            if key > connector.watermark
        ]
        return sync.Batch(found, watermark=found[-1].source_id if found else connector.watermark)

    def to_invoice(self, connector, raw):
        if "bad" in raw:
            raise sync.MappingError(raw["bad"])
        return raw

    def write_back(self, connector, document, invoice):
        pass


@pytest.fixture
def ledger(monkeypatch):
    found = Ledger()
    monkeypatch.setitem(sync.KINDS, "odoo", found)
    return found


def odoo(tenant, name="Head office books", **fields):
    with scope(tenant=tenant):
        return Connector.objects.create(
            tenant=tenant,
            kind="odoo",
            name=name,
            settings={"url": "https://kola.odoo.com", "database": "kola", "username": "ap@kola.ng"},
            **fields,
        )


@pytest.fixture
def queued(monkeypatch):
    """The tasks the code under test queued, as (task, args)."""
    from integrations.connectors import services

    found = []
    monkeypatch.setattr(services, "enqueue_on_commit", lambda func, *args, **kw: found.append((func, args)))
    return found
