"""What the accounting-system kinds (QuickBooks Online, Odoo) share when they turn a document into an invoice body:
the connector's mappings (its tax codes → NRS tax categories, its product codes → HS or ISIC codes), a state name →
NRS state code, and the words of a mapping error, which name the document, the line and where to fix it.
"""

from decimal import Decimal

from integrations.connectors import mapping
from integrations.connectors.models import Connector
from integrations.connectors.sync import MappingError
from integrations.reference import lookup
from invoicing.models import Customer

# The tax codes a QuickBooks or Odoo line is read by without a row of the business's own (which come first): these
# of the common spellings only, the way bookkeeping systems name their taxes ("VAT 7.5%", "Exempt"), not the bare
# numbers or UNCL 5305 letters other sources write. What each one means is mapping.COMMON's.
TAX_SPELLINGS = ("VAT 7.5%", "VAT", "7.5%", "VAT 0%", "0%", "Exempt")
WHERE = "Settings → Connectors → Mappings"


def tax_category(connector: Connector, codes: list[str], *, document: str, line: int) -> str:
    """The NRS tax category of a line's tax code (tried by each name in `codes`: its name, then its id)."""
    mapped = {**mapping.common("tax", TAX_SPELLINGS), **(connector.mappings or {}).get("tax", {})}
    lowered = {str(key).casefold(): value for key, value in mapped.items()}
    for code in codes:
        value = lowered.get(str(code).casefold()) if code not in ("", None) else None
        if value:
            if value not in lookup.tax_categories():
                raise MappingError(
                    f"{document}, line {line}: the tax code “{codes[0]}” is mapped to “{value}”, which is not an NRS "
                    f"tax category. Choose one under {WHERE} → Tax codes."
                )
            return value
    raise MappingError(
        f"{document}, line {line}: the tax code “{codes[0]}” has no NRS tax category. Add it under {WHERE} → Tax "
        "codes (for example standard VAT), then retry this document."
    )


def product_codes(connector: Connector, code: str, *, document: str, line: int, name: str = "") -> dict:
    """The line's HS code (goods) or ISIC code (services), from the product's code in the connector's mappings."""
    mapped = (connector.mappings or {}).get("product", {})
    value = str(mapped.get(code) or mapped.get(name) or "").strip() if (code or name) else ""
    if not value:
        what = f"the product “{code or name}”" if (code or name) else "a line without a product"
        raise MappingError(
            f"{document}, line {line}: {what} has no HS code (goods) or ISIC code (services). Add it under "
            f"{WHERE} → Products, then retry this document."
        )
    if value in lookup.hs_codes():
        return {"hsn_code": value}
    if value in lookup.service_codes():
        return {"isic_code": value}
    raise MappingError(
        f"{document}, line {line}: the product “{code or name}” is mapped to {value}, which is neither a known HS "
        f"code nor a known ISIC code. Correct it under {WHERE} → Products."
    )


def unit(connector: Connector, code: str) -> str:
    """The line's unit as the connector maps it (UN/ECE codes); an unmapped one is left out (the service's default)."""
    return str((connector.mappings or {}).get("unit", {}).get(code, "") if code else "")[:20]


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
    mapping of a city or district to an LGA code, or a city or district named as an LGA of the buyer's state."""
    mapped = {str(key).casefold(): value for key, value in (connector.mappings or {}).get("lga", {}).items()}
    lgas = lookup.lgas()
    for name in names:
        wanted = (name or "").strip().casefold()
        if not wanted:
            continue
        if wanted in mapped and mapped[wanted] in lgas:
            return mapped[wanted]
        for code, (lga_name, lga_state) in lgas.items():
            if lga_name.casefold() == wanted and (lga_state == state or not state):
                return code
    return ""


def missing_lga(customer: dict, *, document: str) -> MappingError:
    return MappingError(
        f"{document}: NRS needs the local government area (LGA) of the buyer {customer['name']}, and the city "
        f"“{customer.get('city') or 'none'}” is not one. Map that city to its LGA under {WHERE} → LGAs, or save the "
        "buyer as a customer in Flowpoint with its LGA, then retry this document."
    )


def with_lga(connector: Connector, body: dict, *, document: str, district: str = "") -> dict:
    """Fill the buyer's LGA of a B2B invoice, or say how to (a saved customer with the TIN fills it in the service)."""
    customer = body["customer"]
    customer["lga"] = lga_code(connector, customer.get("state", ""), customer.get("city", ""), district)
    if customer["lga"] and not customer.get("state"):
        customer["state"] = lookup.lgas()[customer["lga"]][1]
    if body.get("invoice_kind") != "B2C" and not customer["lga"]:
        saved = Customer.objects.filter(tin=customer["tin"], archived_at__isnull=True).exclude(lga_id=None)
        if not saved.exists():
            raise missing_lga(customer, document=document)
    return body
