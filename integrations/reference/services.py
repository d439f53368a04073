"""Loading code lists into the reference tables, from the shipped snapshot (and later from NRS)."""

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from integrations.reference import lookup, models

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Dataset:
    name: str  # file stem in data/
    model: type
    fields: dict  # model field -> key in the JSON rows


DATASETS = [
    Dataset("states", models.State, {"code": "code", "name": "name"}),
    Dataset("lgas", models.Lga, {"code": "code", "name": "name", "state_id": "state"}),
    Dataset(
        "countries",
        models.Country,
        {"alpha_2": "alpha_2", "alpha_3": "alpha_3", "name": "name", "numeric": "numeric"},
    ),
    Dataset(
        "currencies",
        models.Currency,
        {"code": "code", "name": "name", "symbol": "symbol", "decimal_digits": "decimal_digits"},
    ),
    Dataset("invoice_types", models.InvoiceType, {"code": "code", "name": "name"}),
    Dataset("tax_categories", models.TaxCategory, {"code": "code", "name": "name", "default_rate": "default_rate"}),
    Dataset("payment_means", models.PaymentMeans, {"code": "code", "name": "name"}),
    Dataset("quantity_units", models.QuantityUnit, {"code": "code", "name": "name"}),
    Dataset("hs_codes", models.HsCode, {"code": "code", "name": "description"}),
    Dataset("service_codes", models.ServiceCode, {"code": "code", "name": "description", "section": "section"}),
]


def reference_rows(dataset: Dataset) -> list[dict]:
    with open(DATA_DIR / f"{dataset.name}.json", encoding="utf-8") as fh:
        return json.load(fh)


@transaction.atomic
def reference_load(dataset: Dataset, rows: list[dict]) -> dict:
    """Insert new codes and update changed labels; returns counts of what changed."""
    pk = dataset.model._meta.pk.attname
    source_pk = dataset.fields[pk]
    existing = {getattr(obj, pk): obj for obj in dataset.model.objects.all()}
    created, updated = [], []
    seen = set()
    for row in rows:
        # A list that lacks a column (NRS's service codes carry no ISIC section) leaves it as it is.
        values = {field: _clean(row.get(key)) for field, key in dataset.fields.items() if row.get(key) is not None}
        code = values.get(pk)
        if not code or code in seen:
            continue  # NRS lists carry blanks and duplicates; keep the first
        seen.add(code)
        current = existing.get(code)
        if current is None:
            created.append(dataset.model(**values))
        elif any(str(getattr(current, f) or "") != str(v or "") for f, v in values.items()):
            for field, value in values.items():
                setattr(current, field, value)
            updated.append(current)
    dataset.model.objects.bulk_create(created, batch_size=500)
    non_pk = [f for f in dataset.fields if f != pk]
    if updated and non_pk:
        dataset.model.objects.bulk_update(updated, non_pk, batch_size=500)  # unchanged columns rewrite as-is
    transaction.on_commit(lookup.clear)  # bulk writes send no signals
    return {"created": len(created), "updated": len(updated), "total": len(seen), "source_key": source_pk}


def _clean(value):
    return value.strip() if isinstance(value, str) else value
