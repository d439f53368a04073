"""The sandbox's /resources/* lists, in NRS's shapes, built from the shipped reference snapshot.

The VAT-exemption list is kept as messy as NRS's own (a trailing space, a duplicate) so that the
sync command's trimming and de-duplication is exercised against it.
"""

import json
from functools import cache
from pathlib import Path

from integrations.reference.services import DATA_DIR

_HERE = Path(__file__).resolve().parent

# NRS name -> (snapshot file, how one snapshot row becomes an NRS row)
_LISTS = {
    "countries": ("countries", lambda r: r),
    "currencies": ("currencies", lambda r: r),
    "invoice-types": ("invoice_types", lambda r: {"code": r["code"], "value": r["name"]}),
    "tax-categories": ("tax_categories", lambda r: {"code": r["code"], "value": r["name"]}),
    "payment-means": ("payment_means", lambda r: {"code": r["code"], "value": r["name"]}),
    "invoice-quantity-codes": ("quantity_units", lambda r: {"code": r["code"], "name": r["name"]}),
    "hs-codes": ("hs_codes", lambda r: {"hscode": r["code"], "description": r["description"]}),
    "services-codes": ("service_codes", lambda r: {"code": r["code"], "description": r["description"]}),
    "states": ("states", lambda r: {"code": r["code"], "name": r["name"]}),
    "lgas": ("lgas", lambda r: {"code": r["code"], "name": r["name"], "state_code": r["state"]}),
}


@cache
def load(name: str) -> list | None:
    if name == "vat-exemptions":
        return json.loads((_HERE / "vat_exemptions.json").read_text(encoding="utf-8"))
    if name not in _LISTS:
        return None
    stem, shape = _LISTS[name]
    rows = json.loads((DATA_DIR / f"{stem}.json").read_text(encoding="utf-8"))
    return [shape(row) for row in rows]


def paged(items: list, request) -> dict:
    try:
        size = max(1, min(int(request.GET.get("size", 20)), 100))
        page = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        size, page = 20, 1
    start = (page - 1) * size
    return {
        "items": items[start : start + size],
        "page": {
            "page": page,
            "size": size,
            "hasNextPage": start + size < len(items),
            "hasPreviousPage": page > 1,
            "totalCount": len(items),
        },
        "attributes": None,
    }
