"""Units of measure as people write them ("kg", "hours", "Each") and the UN/ECE Recommendation 20 code NRS
takes for each (NRS's invoice-quantity-codes list): one table, read by the invoice checks and the connectors."""

from integrations.reference import lookup

# Common words and abbreviations, lower case, with the code each stands for. A code itself (KGM) is taken as is.
UNIT_WORDS = {
    "each": "EA",
    "ea": "EA",
    "one": "C62",
    "unit": "C62",
    "units": "C62",
    "pc": "H87",
    "pcs": "H87",
    "piece": "H87",
    "pieces": "H87",
    "kg": "KGM",
    "kgs": "KGM",
    "kilo": "KGM",
    "kilos": "KGM",
    "kilogram": "KGM",
    "kilograms": "KGM",
    "g": "GRM",
    "gram": "GRM",
    "grams": "GRM",
    "tonne": "TNE",
    "l": "LTR",
    "litre": "LTR",
    "litres": "LTR",
    "liter": "LTR",
    "liters": "LTR",
    "m": "MTR",
    "metre": "MTR",
    "metres": "MTR",
    "meter": "MTR",
    "meters": "MTR",
    "hour": "HUR",
    "hours": "HUR",
    "hr": "HUR",
    "hrs": "HUR",
    "day": "DAY",
    "days": "DAY",
    "month": "MON",
    "months": "MON",
    "set": "SET",
    "sets": "SET",
    "pair": "PR",
    "pairs": "PR",
    "box": "BX",
    "boxes": "BX",
    "pack": "PK",
    "packs": "PK",
    "dozen": "DZN",
    "carton": "CT",
    "cartons": "CT",
    "bag": "BG",
    "bags": "BG",
}
EXAMPLES = "EA (each), KGM (kilogram), LTR (litre), HUR (hour), DAY (day), MTR (metre), SET, PR (pair), BX (box)"


def unit_code(text: str) -> str | None:
    """The NRS unit code for `text` ("" for none given); None when it is neither a known word nor a code."""
    given = (text or "").strip()
    if not given:
        return ""
    known = lookup.quantity_units()
    if given.upper() in known:
        return given.upper()
    code = UNIT_WORDS.get(given.lower())
    return code if code in known else None


def unit_name(code: str) -> str:
    """The unit's name for people (KGM -> kilogram); a text that is not a code is shown as it is."""
    return lookup.quantity_units().get(code or "", code or "")


# What the editor suggests as a line's unit (each is read as its code: UNIT_WORDS).
SUGGESTED_WORDS = (
    "each",
    "kg",
    "litre",
    "hours",
    "day",
    "month",
    "metre",
    "box",
    "pair",
    "set",
    "pack",
    "carton",
    "bag",
)
