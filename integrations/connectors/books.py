"""What the accounting-system kinds (QuickBooks Online, Odoo) share when they turn a document into an invoice body:
a line's tax code, product and unit read through mapping.nrs_code (the connector's rows, then the built-in ones its
screen lists; an error names the document, the line and where to fix it), the buyer's LGA (the connector's LGAs
table, or a city named as an LGA), a state name → NRS state code.
"""

from decimal import Decimal

from integrations.connectors import mapping
from integrations.connectors.models import Connector
from integrations.connectors.sync import MappingError
from integrations.reference import lookup
from invoicing.models import Customer


def tax_category(connector: Connector, codes: list[str], *, document: str, line: int) -> str:
    """The NRS tax category of a line's tax code (tried by each name in `codes`: its name, then its id)."""
    return mapping.nrs_code(connector, "tax", *codes, document=document, line=line)


def product_codes(connector: Connector, code: str, *, document: str, line: int, name: str = "") -> dict:
    """The line's HS code (goods) or ISIC code (services), from the product's code (or else its name)."""
    value = mapping.nrs_code(connector, "product", code, name, document=document, line=line)
    return {"hsn_code": value} if value in lookup.hs_codes() else {"isic_code": value}


def unit(connector: Connector, code: str, *, document: str, line: int) -> str:
    """The line's UN/ECE unit code; a line without a unit at the source leaves it out (the service's default)."""
    return mapping.nrs_code(connector, "unit", code, document=document, line=line) if (code or "").strip() else ""


def state_code(name: str) -> str:
    """An NRS state code from what a bookkeeping system holds: the code itself, or the state's name."""
    name = (name or "").strip()
    if not name:
        return ""
    states = lookup.states()
    if name.upper() in states:
        return name.upper()
    if f"NG-{name.upper()}" in states:
        return f"NG-{name.upper()}"
    wanted = name.casefold().removesuffix(" state").split(" (")[0].strip()
    for code, state_name in states.items():
        if state_name.casefold().removesuffix(" state") == wanted:
            return code
    return ""


def amount(value) -> str:
    """A number as the create body takes it (text, so no float rounding on the way)."""
    return str(Decimal(str(value if value not in (None, "", False) else 0)))


def lga_code(connector: Connector, state: str, *names: str) -> str:
    """The buyer's NRS LGA (which NRS asks of B2B buyers and bookkeeping systems do not hold): the connector's
    mapping of a city or district to an LGA (its LGAs table), or a city or district named as an LGA of the buyer's
    state."""
    lgas = lookup.lgas()
    for name in names:
        found = mapping.saved(connector, "lga", name) if (name or "").strip() else None
        if found in lgas:
            return found
    for name in names:
        wanted = mapping.key(name)
        for code, (lga_name, lga_state) in lgas.items() if wanted else ():
            if lga_name.lower() == wanted and (lga_state == state or not state):
                return code
    return ""


def missing_lga(connector: Connector, customer: dict, *, document: str) -> MappingError:
    return MappingError(
        f"{document}: NRS needs the local government area (LGA) of the buyer {customer['name']}, and the city "
        f"“{customer.get('city') or 'none'}” is not one. Map that city to its LGA under Settings → Connectors → "
        f"{connector.name} → Edit settings and mappings → LGAs, or save the buyer as a customer in Flowpoint with its "
        "LGA, then retry this document."
    )


def wrong_state(customer: dict, lga: str, *, document: str) -> MappingError:
    lga_name, lga_state = lookup.lgas()[lga]
    states = lookup.states()
    return MappingError(
        f"{document}: the city “{customer.get('city')}” of the buyer {customer['name']} is mapped to the LGA "
        f"{lga_name} of {states.get(lga_state, lga_state)}, but the buyer's state is "
        f"{states.get(customer['state'], customer['state'])}. Correct the mapping, or the buyer's address at the "
        "source, then retry this document."
    )


def with_lga(connector: Connector, body: dict, *, document: str, district: str = "") -> dict:
    """Fill the buyer's LGA of a B2B invoice, or say how to (a saved customer with the TIN fills it in the service)."""
    customer = body["customer"]
    customer["lga"] = lga_code(connector, customer.get("state", ""), customer.get("city", ""), district)
    if customer["lga"] and not customer.get("state"):
        customer["state"] = lookup.lgas()[customer["lga"]][1]
    elif customer["lga"] and lookup.lgas()[customer["lga"]][1] != customer["state"]:
        raise wrong_state(customer, customer["lga"], document=document)
    if body.get("invoice_kind") != "B2C" and not customer["lga"]:
        saved = Customer.objects.filter(tin=customer["tin"], archived_at__isnull=True).exclude(lga_id=None)
        if not saved.exists():
            raise missing_lga(connector, customer, document=document)
    return body
