"""Source codes → NRS codes, for every kind: a business's own mappings first (Connector.mappings, edited under
Settings → Connectors), then the built-in defaults below, then the code itself when it is already NRS's.

Each kind calls `nrs_code(connector, table, code, …, document=…, line=…)` while it builds an invoice body; a code
that maps to nothing raises `sync.MappingError` in words naming the document, the line and the row to add where,
so the document waits in the run log until the mapping is added and the document retried. The connector's screen
lists `defaults(kind)`, so what it shows as built-in is exactly what a sync accepts.

A source code is compared trimmed and in lower case ("VAT 7.5%" and " vat 7.5% " are one). The save refuses two
rows that differ only so; a pair saved before that rule is read deterministically: the row spelt exactly as the
document spells it, else the first of them in alphabetical order.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations.connectors.models import Connector
from integrations.connectors.sync import MappingError
from integrations.reference import lookup
from integrations.reference.units import UNIT_WORDS

TABLES = {
    "tax": gettext_lazy("Tax codes"),
    "unit": gettext_lazy("Units"),
    "product": gettext_lazy("Products"),
    "lga": gettext_lazy("LGAs"),
}
# What each table maps to, for the words of an error and the help of the screen.
TARGETS = {
    "tax": gettext_lazy("an NRS tax category"),
    "unit": gettext_lazy("a UN/ECE unit code"),
    "product": gettext_lazy("an HS code (goods) or an ISIC code (services)"),
    "lga": gettext_lazy("a local government area"),
}
# The source's thing each table maps, in a sentence.
WHAT = {
    "tax": gettext_lazy("tax code"),
    "unit": gettext_lazy("unit"),
    "product": gettext_lazy("product"),
    "lga": gettext_lazy("city"),
}
# The example an error gives of a row to add.
EXAMPLES = {
    "tax": gettext_lazy("for example standard VAT"),
    "unit": gettext_lazy("for example H87 for a piece"),
    "product": gettext_lazy("for example 8517.11 for phones, or 6201 for software services"),
    "lga": gettext_lazy("the city's local government area"),
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
    "lga": {},  # a city named as an LGA needs no row (books.lga_code); any other city is mapped by hand
}
# Kinds may add their system's own spellings (QuickBooks' "NON", Odoo's "15%" …) beside the common ones.
KIND_DEFAULTS: dict[str, dict[str, dict[str, str]]] = {}


def key(code) -> str:
    """A source code as mappings compare it: trimmed, in lower case."""
    return str(code if code is not None else "").strip().lower()


def defaults(kind: str) -> dict[str, dict[str, str]]:
    """The built-in mappings of a kind: the common ones and the kind's own (keys as `key` makes them)."""
    own = KIND_DEFAULTS.get(kind, {})
    return {table: {**COMMON[table], **own.get(table, {})} for table in TABLES}


def is_nrs_code(table: str, code: str) -> bool:
    """Whether `code` is already one NRS takes in that table."""
    if table == "tax":
        return code in lookup.tax_categories()
    if table == "unit":
        return code in lookup.quantity_units()
    if table == "lga":
        return code in lookup.lgas()
    return code in lookup.hs_codes() or code in lookup.service_codes()


def saved(connector: Connector, table: str, code) -> str | None:
    """The business's own row for `code` (the exact spelling first, else by `key`, alphabetically first), or None."""
    rows = (connector.mappings or {}).get(table, {})
    if not isinstance(rows, dict):
        return None
    given = str(code if code is not None else "").strip()
    exact = [value for source, value in rows.items() if str(source).strip() == given]
    if exact:
        return str(exact[0]).strip()
    same = sorted((str(source), str(value).strip()) for source, value in rows.items() if key(source) == key(given))
    return same[0][1] if same else None


def nrs_code(connector: Connector, table: str, *codes, document: str, line: int | None = None) -> str:
    """The NRS code of a line's `codes` (one thing's names, tried in turn: a tax code's name, then its id), or
    MappingError naming the document and line: the business's rows for any of them first, then the built-in ones,
    then a code that is already NRS's."""
    if table not in TABLES:
        raise ValueError(f"unknown mapping table {table!r}")
    given = [str(code).strip() for code in codes if code not in (None, False) and str(code).strip()]
    where = _where(document, line)
    if not given:
        raise MappingError(
            _("%(where)s has no %(what)s at the source: give it one there, then retry this document.")
            % {"where": where, "what": WHAT[table]}
        )
    fix = _("Settings → Connectors → %(name)s → Edit settings and mappings → %(table)s") % {
        "name": connector.name,
        "table": TABLES[table],
    }
    for code in given:
        found = saved(connector, table, code)
        if found is not None:
            if not is_nrs_code(table, found):  # a row saved before the save checked it: never sent on
                raise MappingError(
                    _(
                        "%(where)s: the %(what)s “%(code)s” is mapped to “%(found)s”, which is not %(target)s. "
                        "Correct it under %(fix)s, then retry this document."
                    )
                    % {
                        "where": where,
                        "what": WHAT[table],
                        "code": code,
                        "found": found,
                        "target": TARGETS[table],
                        "fix": fix,
                    }
                )
            return found
    built_in = defaults(connector.kind)[table]
    for code in given:
        if key(code) in built_in:
            return built_in[key(code)]
    for code in given:
        for spelling in (code, code.upper()):
            if is_nrs_code(table, spelling):
                return spelling
    raise MappingError(
        _(
            "%(where)s: the %(what)s “%(code)s” is not mapped to %(target)s. Add it under %(fix)s (%(example)s), "
            "then retry this document."
        )
        % {
            "where": where,
            "what": WHAT[table],
            "code": given[0],
            "target": TARGETS[table],
            "fix": fix,
            "example": EXAMPLES[table],
        }
    )


def _where(document: str, line: int | None) -> str:
    return _("%(document)s, line %(line)d") % {"document": document, "line": line} if line is not None else document
