"""Source codes → NRS codes, for every kind: a business's own mappings first (Connector.mappings, edited under
Settings → Connectors), then the built-in defaults below, then the code itself when it is already NRS's.

Each kind calls `nrs_code(connector, "tax" | "unit" | "product", code)` while it builds an invoice body; a code that
maps to nothing raises `sync.MappingError` in words saying which mapping to add and where, so the document waits in
the run log until the mapping is added and the document retried.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations.connectors.models import Connector
from integrations.connectors.sync import MappingError
from integrations.reference import lookup
from integrations.reference.models import QuantityUnit
from integrations.reference.units import UNIT_WORDS

TABLES = {
    "tax": gettext_lazy("Tax codes"),
    "unit": gettext_lazy("Units"),
    "product": gettext_lazy("Products"),
}
# What each table maps to, for the words of an error and the help of the screen.
TARGETS = {
    "tax": gettext_lazy("an NRS tax category"),
    "unit": gettext_lazy("a UN/ECE unit code"),
    "product": gettext_lazy("an HS code (goods) or an ISIC code (services)"),
}

# The codes accounting systems commonly use, keyed in lower case (a source's "VAT 7.5%" and "vat 7.5%" are one).
COMMON = {
    "tax": {
        "vat": "STANDARD_VAT",
        "vat 7.5%": "STANDARD_VAT",
        "vat7.5": "STANDARD_VAT",
        "7.5": "STANDARD_VAT",
        "7.5%": "STANDARD_VAT",
        "standard": "STANDARD_VAT",
        "s": "STANDARD_VAT",  # UNCL 5305 "standard rate", as UBL and Peppol write it
        "zero": "ZERO_VAT",
        "vat 0%": "ZERO_VAT",
        "0": "ZERO_VAT",
        "0%": "ZERO_VAT",
        "z": "ZERO_VAT",
        "exempt": "EXEMPTED",
        "e": "EXEMPTED",
    },
    "unit": dict(UNIT_WORDS),  # the words Flowpoint reads everywhere (integrations/reference/units.py)
    "product": {},  # no code of a business's catalogue means the same everywhere: products are mapped by hand
}
# Kinds may add their system's own spellings (QuickBooks' "NON", Odoo's "15%" …) beside the common ones.
KIND_DEFAULTS: dict[str, dict[str, dict[str, str]]] = {}


def defaults(kind: str) -> dict[str, dict[str, str]]:
    """The built-in mappings of a kind: the common ones and the kind's own."""
    own = KIND_DEFAULTS.get(kind, {})
    return {table: {**COMMON[table], **own.get(table, {})} for table in TABLES}


def common(table: str, spellings) -> dict[str, str]:
    """COMMON's rows for just these spellings (in any case, kept as given), for a reader that takes fewer than all
    of them: the NRS code each spelling means is COMMON's alone, so a spelling reads the same wherever it is read."""
    return {spelling: COMMON[table][spelling.lower()] for spelling in spellings}


def is_nrs_code(table: str, code: str) -> bool:
    """Whether `code` is already one NRS takes in that table."""
    if table == "tax":
        return code in lookup.tax_categories()
    if table == "unit":
        return QuantityUnit.objects.filter(code=code).exists()
    return code in lookup.hs_codes() or code in lookup.service_codes()


def nrs_code(connector: Connector, table: str, source_code) -> str:
    """The NRS code for `source_code` of `table` ("tax", "unit" or "product"), or MappingError in words."""
    if table not in TABLES:
        raise ValueError(f"unknown mapping table {table!r}")
    code = str(source_code or "").strip()
    own = {key.strip().lower(): value for key, value in (connector.mappings or {}).get(table, {}).items()}
    found = own.get(code.lower()) or defaults(connector.kind)[table].get(code.lower())
    if found:
        return found
    if code and is_nrs_code(table, code):
        return code
    where = _("Settings → Connectors → %(name)s → Mappings → %(table)s") % {
        "name": connector.name,
        "table": TABLES[table],
    }
    if not code:
        raise MappingError(
            _("A line has no %(what)s at the source: give it one there, then retry this document.")
            % {"what": _what(table)}
        )
    raise MappingError(
        _("The %(what)s “%(code)s” has no NRS equivalent yet: map it to %(target)s under %(where)s, then retry.")
        % {"what": _what(table), "code": code, "target": TARGETS[table], "where": where}
    )


def _what(table: str) -> str:
    return {"tax": _("tax code"), "unit": _("unit"), "product": _("product code")}[table]
