"""The spec's request examples, copied character for character from shared/spec/000_e1b4ae54c034cd89.txt: the one
copy the OpenAPI examples (invoicing/api/schemas.py), the tests and the bench derive their bodies from."""

import copy
import json

# The spec's "Full request — B2B (Business-to-Business)", copied character for character from
# shared/spec/000_e1b4ae54c034cd89.txt (the e-mail is how the published page renders it).
SPEC_B2B_JSON = """{
"business_id": "autofilled from your account",
"accounting_supplier_party": {
"party_name": "autofilled from your account",
"tin": "autofilled from your account",
"email": "autofilled from your account",
"telephone": "autofilled from your account",
"business_description": "autofilled from your account",
"postal_address": {
"street_name": "autofilled from your account",
"city_name": "autofilled from your account",
"postal_zone": "autofilled from your account",
"lga": "autofilled from your account",
"state": "autofilled from your account",
"country": "autofilled from your account"
}
},
"invoice_kind": "B2B",
"invoice_type": "invoice",
"document_number": "INV-2026-001",
"issue_date": "2026-04-25",
"due_date": "2026-05-25",
"currency": "NGN",
"customer": {
"name": "Acme Ltd",
"tin": "12345678-0001",
"email": "[email protected]",
"phone": "+2348012345678",
"address": "42 Marina Road",
"city": "Lagos",
"country": "NG",
"postal_code": "101001"
},
"lines": [
{
"description": "Consulting services",
"quantity": 1,
"unit_price": 50000,
"hsn_code": "8517.11",
"tax_scheme": "STANDARD_VAT",
"tax_rate": 7.5,
"unit_of_measure": "Each"
}
],
"note": "Thank you for your business",
"po_reference": "PO-7781"
}"""

# The spec's "Full request — B2C (Business-to-Consumer)", character for character.
SPEC_B2C_JSON = """{
"business_id": "autofilled from your account",
"accounting_supplier_party": {
"party_name": "autofilled from your account",
"tin": "autofilled from your account",
"email": "autofilled from your account",
"telephone": "autofilled from your account",
"business_description": "autofilled from your account",
"postal_address": {
"street_name": "autofilled from your account",
"city_name": "autofilled from your account",
"postal_zone": "autofilled from your account",
"lga": "autofilled from your account",
"state": "autofilled from your account",
"country": "autofilled from your account"
}
},
"invoice_kind": "B2C",
"invoice_type": "invoice",
"document_number": "INV-2026-042",
"issue_date": "2026-04-25",
"due_date": "2026-04-25",
"currency": "NGN",
"customer": {
"name": "Walk-in Customer"
},
"lines": [
{
"description": "Consulting services",
"quantity": 1,
"unit_price": 50000,
"hsn_code": "8517.11",
"tax_scheme": "STANDARD_VAT",
"tax_rate": 7.5,
"unit_of_measure": "Each"
}
]
}"""

SPEC_B2B = json.loads(SPEC_B2B_JSON)
SPEC_B2C = json.loads(SPEC_B2C_JSON)
SPEC_EMAIL = SPEC_B2B["customer"]["email"]  # "[email protected]"
REAL_EMAIL = "ap@acme.ng"
AUTOFILLED = ("business_id", "accounting_supplier_party")


def without_autofilled(example: dict, *, email: str | None = None) -> dict:
    """An example as an integrator should send it: without the autofilled supplier keys (the spec says not to
    send them), optionally with a deliverable buyer e-mail. Key order is the spec's."""
    data = copy.deepcopy(example)
    for key in AUTOFILLED:
        data.pop(key, None)
    if email is not None:
        data["customer"]["email"] = email
    return data


# As the OpenAPI examples show them (and an integrator sends them): without the autofilled supplier keys.
SPEC_B2B_REQUEST = without_autofilled(SPEC_B2B)
SPEC_B2C_REQUEST = without_autofilled(SPEC_B2C)
# The spec: "B2G: use the same buyer fields … as B2B — set invoice_kind B2G" (with a buyer e-mail that validates).
B2G_REQUEST = without_autofilled(SPEC_B2B, email=REAL_EMAIL) | {"invoice_kind": "B2G"}
# Flowpoint's own optional fields (not in the spec's examples): a consultancy line with withholding tax, a document
# discount (an allowance) and a delivery charge, paid by credit transfer on the due date.
WITHHOLDING_ALLOWANCE_REQUEST = without_autofilled(SPEC_B2B, email=REAL_EMAIL) | {
    "document_number": "INV-2026-002",
    "lines": [
        {
            "description": "Management consulting",
            "quantity": 20,
            "unit_price": 25000,
            "isic_code": "7020",
            "tax_scheme": "STANDARD_VAT",
            "tax_rate": 7.5,
            "withholding_rate": 10,
            "unit_of_measure": "HUR",
        }
    ],
    "allowance_charges": [
        {"charge_indicator": False, "amount": 20000, "reason": "Loyalty discount"},
        {"charge_indicator": True, "amount": 5000, "reason": "Delivery of the report"},
    ],
    "payment_means": "30",
    "payment_terms_note": "Net 30 days",
}
