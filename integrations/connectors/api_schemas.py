"""The connector API's request shapes, as OpenAPI components. Its answers (Connector, ConnectorRun,
ConnectorDocument) are declared with their rendering in integrations/connectors/api.py."""

from integrations.connectors.kinds import KIND_FIELDS, KIND_SECRETS
from integrations.connectors.models import Connector
from integrations.connectors.services import MAX_CODE, MAX_MAPPINGS, MAX_MINUTES, MIN_MINUTES
from portal.openapi import NO_NUL, component, integer, obj, text


def _per_kind(table) -> str:
    return "; ".join(f"{kind}: {', '.join(item.name for item in items) or '—'}" for kind, items in table.items())


CONNECTOR_KIND = component("ConnectorKind", text(enum=list(Connector.Kind.values)))
CONNECTOR_STATE = component(
    "ConnectorState", text("paused: nothing is read until it is active again.", enum=list(Connector.State.values))
)

_MAPPING_TABLE = {
    "type": "object",
    "propertyNames": {"minLength": 1, "maxLength": MAX_CODE, "pattern": NO_NUL},
    "additionalProperties": text(maxLength=MAX_CODE, pattern=NO_NUL),
    "maxProperties": MAX_MAPPINGS,
}
CONNECTOR_MAPPINGS = component(
    "ConnectorMappings",
    obj(
        {
            "tax": {**_MAPPING_TABLE, "description": "Tax code at the source → NRS tax category (STANDARD_VAT …)."},
            "unit": {**_MAPPING_TABLE, "description": "Unit at the source → UN/ECE unit code (H87, HUR …)."},
            "product": {**_MAPPING_TABLE, "description": "Product code at the source → HS code or ISIC code."},
            "lga": {
                **_MAPPING_TABLE,
                "description": "A buyer's city at the source → NRS LGA code (GET /api/v1/helpers/lgas), e.g. "
                "Ikeja → NG-LA-IKJ.",
            },
        },
        additionalProperties=False,
        description="Source codes → NRS codes; built-in defaults fill what is left out. A table sent replaces that "
        "table; an empty one clears it.",
        examples=[{"tax": {"VAT7.5": "STANDARD_VAT"}, "unit": {"pcs": "H87"}, "product": {"SKU-1": "8517.11"}}],
    ),
)

# What GET answers carry besides the writable fields: a body may send them back unchanged (read-only, ignored).
READ_ONLY = ("id", "secretsSet", "watermark", "nextRunAt", "lastRun", "createdAt", "updatedAt", "links")

_INPUT_FIELDS = {
    "name": text("How the portal calls it.", maxLength=100, pattern=NO_NUL),
    "kind": CONNECTOR_KIND,
    "settings": {
        "type": "object",
        "additionalProperties": {"type": ["string", "integer"], "maxLength": 200, "pattern": NO_NUL},
        "description": "Where and how to reach the source (not secret, shown again). Per kind: "
        + _per_kind(KIND_FIELDS)
        + ". On PATCH, the settings sent replace those; the others stay.",
    },
    "secrets": {
        "type": "object",
        "additionalProperties": {"type": ["string", "null"], "maxLength": 20000, "pattern": NO_NUL},
        "writeOnly": True,
        "description": "Write-only, never echoed (`secretsSet` says which are saved). Per kind: "
        + _per_kind(KIND_SECRETS)
        + ". Empty or null keeps the saved value.",
    },
    "mappings": CONNECTOR_MAPPINGS,
    "everyMinutes": integer("How often it runs.", minimum=MIN_MINUTES, maximum=MAX_MINUTES),
    "state": CONNECTOR_STATE,
    **{name: {"readOnly": True} for name in READ_ONLY},
}

CONNECTOR_INPUT = component(
    "ConnectorInput",
    obj(
        _INPUT_FIELDS,
        required=["name", "kind", "settings"],
        additionalProperties=False,
        description="Other fields are refused (400).",
    ),
)
CONNECTOR_PATCH = component(
    "ConnectorPatch",
    obj(
        _INPUT_FIELDS,
        additionalProperties=False,
        description="Any fields of ConnectorInput but `kind` (which cannot change): send what changes.",
    ),
)

CONNECTOR_INPUT_EXAMPLE = {
    "name": "Head office books",
    "kind": "odoo",
    "settings": {"url": "https://kolafoods.odoo.com", "database": "kolafoods", "username": "accounts@kolafoods.ng"},
    "secrets": {"api_key": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"},
    "mappings": {"tax": {"VAT 7.5%": "STANDARD_VAT"}, "unit": {"Units": "C62"}},
    "everyMinutes": 15,
}
