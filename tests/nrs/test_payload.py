"""Golden tests: the NRS document exactly as we send it."""

import json
from datetime import date
from decimal import Decimal

from integrations.nrs.client import to_json
from integrations.nrs.payload import Document, build_document, build_irn
from integrations.nrs.shapes import Address, Line, Party

SUPPLIER = Party(
    name="Kola Foods Ltd",
    tin="20198222-0002",
    email="billing@kolafoods.ng",
    telephone="+2348012345678",
    description="Wholesale of food",
    address=Address(street="12 Allen Avenue", city="Ikeja", postal_zone="100001", lga="NG-LA-IKJ", state="NG-LA"),
)
BUYER = Party(
    name="Acme Ltd",
    tin="12345678-0001",
    email="ap@acme.ng",
    address=Address(street="42 Marina Road", city="Lagos", postal_zone="101001", lga="NG-LA-LIS", state="NG-LA"),
)
BUSINESS_ID = "3f1c2e9a-7b4d-4c1e-9a2f-1b2c3d4e5f60"


def test_irn_is_alphanumeric_number_service_id_and_date():
    assert build_irn("INV-2026/001", "94ND90NR", date(2024, 6, 11)) == "INV2026001-94ND90NR-20240611"


def test_the_500000_at_7_5_percent_vector_exactly():
    document = build_document(
        Document(
            business_id=BUSINESS_ID,
            irn="INV001-94ND90NR-20240611",
            issue_date=date(2024, 6, 11),
            due_date=date(2024, 7, 11),
            invoice_type="invoice",
            invoice_kind="B2B",
            supplier=SUPPLIER,
            customer=BUYER,
            note="Thank you for your business",
            lines=[
                Line(
                    description="Rice, 50 kg bags",
                    quantity=Decimal("1000"),
                    unit_price=Decimal("500.00"),
                    hsn_code="1006.30",
                    category="Rice",
                    item_code="RICE-50",
                )
            ],
        )
    )
    expected = {
        "business_id": BUSINESS_ID,
        "irn": "INV001-94ND90NR-20240611",
        "issue_date": "2024-06-11",
        "invoice_type_code": "381",
        "invoice_kind": "B2B",
        "payment_status": "PENDING",
        "document_currency_code": "NGN",
        "tax_currency_code": "NGN",
        "accounting_supplier_party": {
            "party_name": "Kola Foods Ltd",
            "tin": "20198222-0002",
            "email": "billing@kolafoods.ng",
            "postal_address": {
                "street_name": "12 Allen Avenue",
                "city_name": "Ikeja",
                "postal_zone": "100001",
                "lga": "NG-LA-IKJ",
                "state": "NG-LA",
                "country": "NG",
            },
            "telephone": "+2348012345678",
            "business_description": "Wholesale of food",
        },
        "due_date": "2024-07-11",
        "note": "Thank you for your business",
        "accounting_customer_party": {
            "party_name": "Acme Ltd",
            "tin": "12345678-0001",
            "email": "ap@acme.ng",
            "postal_address": {
                "street_name": "42 Marina Road",
                "city_name": "Lagos",
                "postal_zone": "101001",
                "lga": "NG-LA-LIS",
                "state": "NG-LA",
                "country": "NG",
            },
        },
        "tax_total": [
            {
                "tax_amount": 37500.0,
                "tax_subtotal": [
                    {
                        "taxable_amount": 500000.0,
                        "tax_amount": 37500.0,
                        "tax_category": {"id": "STANDARD_VAT", "percent": 7.5},
                    }
                ],
            }
        ],
        "legal_monetary_total": {
            "line_extension_amount": 500000.0,
            "tax_exclusive_amount": 500000.0,
            "tax_inclusive_amount": 537500.0,
            "payable_amount": 537500.0,
        },
        "invoice_line": [
            {
                "hsn_code": "1006.30",
                "product_category": "Rice",
                "discount_rate": 0,
                "discount_amount": 0,
                "fee_rate": 0,
                "fee_amount": 0,
                "invoiced_quantity": 1000,
                "line_extension_amount": 500000.0,
                "item": {
                    "name": "Rice, 50 kg bags",
                    "description": "Rice, 50 kg bags",
                    "sellers_item_identification": "RICE-50",
                },
                "price": {"price_amount": 500.0, "base_quantity": 1, "price_unit": "NGN per 1"},
            }
        ],
    }
    wire = to_json(document)
    assert json.loads(wire) == expected
    assert '"payable_amount":537500.0' in wire  # numbers on the wire, never strings
    # Inside, money stays Decimal to the kobo.
    assert document["legal_monetary_total"]["payable_amount"] == Decimal("537500.00")


def test_taxes_group_by_category_and_rate_and_round_half_up_per_line():
    document = build_document(
        Document(
            business_id=BUSINESS_ID,
            irn="CN7-94ND90NR-20261120",
            issue_date=date(2026, 11, 20),
            invoice_type="credit_note",
            invoice_kind="B2G",
            supplier=SUPPLIER,
            customer=BUYER,
            billing_references=[("INV001-94ND90NR-20261101", date(2026, 11, 1))],
            lines=[
                # 3 × 33.33 = 99.99; 7.5 % = 7.49925 → 7.50 (half-up at the line)
                Line(description="Pens", quantity=Decimal("3"), unit_price=Decimal("33.33"), hsn_code="9608.10"),
                # 2 × 10.05 − 0.10 discount + 0.05 fee = 20.05; 7.5 % = 1.50375 → 1.50
                Line(
                    description="Paper",
                    quantity=Decimal("2"),
                    unit_price=Decimal("10.05"),
                    discount=Decimal("0.10"),
                    fee=Decimal("0.05"),
                    hsn_code="4802.56",
                ),
                Line(
                    description="Consulting",
                    quantity=Decimal("1"),
                    unit_price=Decimal("1000"),
                    tax_category="ZERO_VAT",
                    tax_rate=Decimal("0"),
                    isic_code="7020",
                    category="Management consultancy",
                ),
            ],
        )
    )
    assert document["invoice_type_code"] == "380"
    assert document["billing_reference"] == [{"irn": "INV001-94ND90NR-20261101", "issue_date": "2026-11-01"}]
    [total] = document["tax_total"]
    assert [(s["tax_category"]["id"], s["taxable_amount"], s["tax_amount"]) for s in total["tax_subtotal"]] == [
        ("STANDARD_VAT", Decimal("120.04"), Decimal("9.00")),
        ("ZERO_VAT", Decimal("1000.00"), Decimal("0.00")),
    ]
    assert total["tax_amount"] == Decimal("9.00")
    assert document["legal_monetary_total"] == {
        "line_extension_amount": Decimal("1120.04"),
        "tax_exclusive_amount": Decimal("1120.04"),
        "tax_inclusive_amount": Decimal("1129.04"),
        "payable_amount": Decimal("1129.04"),
    }
    service_line = document["invoice_line"][2]
    assert service_line["isic_code"] == "7020" and "hsn_code" not in service_line
    assert document["invoice_line"][1]["line_extension_amount"] == Decimal("20.05")
