"""The NRS invoice document's field names, transcribed once from NRS.md's "The invoice document" section
(/work/shared/NRS.md, kept outside the repository: CI has only this copy). A test walks every document
Flowpoint builds and checks each key it sends is one of these, so a misspelt or invented key fails the build.

Nested objects list their own keys: a party, an address, a line and its item and price, a tax total and its
subtotals, the totals, and the items of billing_reference, payment_means and allowance_charge.
"""

# In NRS.md's order, which is the order MBS reports a missing one in (the sandbox checks them in this order).
MANDATORY = (
    "business_id",
    "irn",
    "issue_date",
    "invoice_type_code",
    "document_currency_code",
    "tax_currency_code",
    "accounting_supplier_party",
    "tax_total",
    "legal_monetary_total",
    "invoice_line",
)
OPTIONAL = frozenset(
    {
        "due_date",
        "issue_time",
        "invoice_kind",
        "payment_status",
        "note",
        "tax_point_date",
        "accounting_cost",
        "buyer_reference",
        "invoice_delivery_period",
        "order_reference",
        "billing_reference",
        "additional_document_reference",
        "dispatch_document_reference",
        "receipt_document_reference",
        "originator_document_reference",
        "contract_document_reference",
        "payee_party",
        "bill_party",
        "ship_party",
        "tax_representative_party",
        "actual_delivery_date",
        "payment_means",
        "payment_terms_note",
        "allowance_charge",
        "accounting_customer_party",
    }
)
DOCUMENT = frozenset(MANDATORY) | OPTIONAL

PARTY = frozenset({"party_name", "tin", "email", "postal_address", "telephone", "business_description"})
POSTAL_ADDRESS = frozenset({"street_name", "city_name", "postal_zone", "lga", "state", "country"})
LINE = frozenset(
    {
        "hsn_code",
        "product_category",
        "isic_code",
        "service_category",
        "invoiced_quantity",
        "line_extension_amount",
        "discount_rate",
        "discount_amount",
        "fee_rate",
        "fee_amount",
        "item",
        "price",
    }
)
ITEM = frozenset({"name", "description", "sellers_item_identification"})
PRICE = frozenset({"price_amount", "base_quantity", "price_unit"})
TAX_TOTAL = frozenset({"tax_amount", "tax_subtotal"})
TAX_SUBTOTAL = frozenset({"taxable_amount", "tax_amount", "tax_category"})
TAX_CATEGORY = frozenset({"id", "percent"})
LEGAL_MONETARY_TOTAL = frozenset(
    {"line_extension_amount", "tax_exclusive_amount", "tax_inclusive_amount", "payable_amount"}
)
BILLING_REFERENCE = frozenset({"irn", "issue_date"})
INVOICE_DELIVERY_PERIOD = frozenset({"start_date", "end_date"})
PAYMENT_MEANS = frozenset({"payment_means_code", "payment_due_date"})
ALLOWANCE_CHARGE = frozenset({"charge_indicator", "amount"})

# Where each nested object sits: the key that holds it, and the keys it may have. A list holds such objects.
NESTED = {
    "accounting_supplier_party": PARTY,
    "accounting_customer_party": PARTY,
    "postal_address": POSTAL_ADDRESS,
    "invoice_line": LINE,
    "item": ITEM,
    "price": PRICE,
    "tax_total": TAX_TOTAL,
    "tax_subtotal": TAX_SUBTOTAL,
    "tax_category": TAX_CATEGORY,
    "legal_monetary_total": LEGAL_MONETARY_TOTAL,
    "billing_reference": BILLING_REFERENCE,
    "invoice_delivery_period": INVOICE_DELIVERY_PERIOD,
    "payment_means": PAYMENT_MEANS,
    "allowance_charge": ALLOWANCE_CHARGE,
}


def unknown_keys(document: dict) -> list[str]:
    """Every key path in `document` that NRS.md's field list does not name (empty when all are known)."""
    found: list[str] = []

    def walk(value, allowed, path):
        if isinstance(value, list):
            for index, entry in enumerate(value):
                walk(entry, allowed, f"{path}[{index}]")
            return
        if not isinstance(value, dict):
            return
        for key, inner in value.items():
            where = f"{path}.{key}" if path else key
            if key not in allowed:
                found.append(where)
            elif key in NESTED:
                walk(inner, NESTED[key], where)

    walk(document, DOCUMENT, "")
    return found
