"""Every key of every NRS document Flowpoint builds is one NRS.md's field list names (integrations/nrs/fields.py):
the everyday invoice, a B2C invoice, a credit note, and one with every optional part Flowpoint sends (due date,
time, texts, payment means and terms, allowances and charges, withholding, units). The worked examples' documents
are checked the same way in tests/invoicing/test_deducted_taxes_and_adjustments.py."""

from datetime import date, time
from decimal import Decimal

import pytest

from integrations.nrs.fields import unknown_keys
from integrations.nrs.payload import Document, build_document, build_irn
from integrations.nrs.shapes import Line
from integrations.nrs.totals import AllowanceCharge
from tests.nrs.conftest import ACME, LAGOS, document_for, supplier_of


class Tenant:
    nrs_business_id = "7d4b8f0e-2a1c-4d3b-9e5f-6a7b8c9d0e1f"
    nrs_service_id = "94ND90NR"
    name = "Kola Foods Ltd"
    tin = "20198222-0002"
    telephone = "+2348011111111"
    description = "Foods"

    def effective_email(self):
        return "billing@kola.ng"


def everything() -> dict:
    tenant = Tenant()
    day = date(2026, 11, 20)
    return build_document(
        Document(
            business_id=tenant.nrs_business_id,
            irn=build_irn("INV9", tenant.nrs_service_id, day),
            issue_date=day,
            issue_time=time(9, 30),
            due_date=date(2026, 12, 20),
            invoice_type="debit_note",
            invoice_kind="B2B",
            supplier=supplier_of(tenant),
            customer=ACME,
            note="Thanks",
            order_reference="PO-1",
            payment_terms_note="Net 30 days",
            payment_means="30",
            billing_references=[("INV1-94ND90NR-20261101", date(2026, 11, 1))],
            allowance_charges=[
                AllowanceCharge(False, Decimal("100"), "Discount"),
                AllowanceCharge(True, Decimal("50"), "Delivery"),
            ],
            lines=[
                Line(
                    description="Consulting",
                    quantity=Decimal("2"),
                    unit_price=Decimal("1000"),
                    isic_code="7020",
                    fee=Decimal("10"),
                    withholding_rate=Decimal("10"),
                    unit="HUR",
                )
            ],
        )
    )


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(lambda: document_for(Tenant()), id="b2b-invoice"),
        pytest.param(lambda: document_for(Tenant(), kind="B2C"), id="b2c-invoice"),
        pytest.param(
            lambda: document_for(Tenant(), invoice_type="credit_note", billing_references=[("X-1", date(2026, 1, 1))]),
            id="credit-note",
        ),
        pytest.param(everything, id="every-optional-part"),
    ],
)
def test_every_key_sent_is_in_nrs_field_list(document):
    built = document()
    assert unknown_keys(built) == []
    assert LAGOS.street == built["accounting_supplier_party"]["postal_address"]["street_name"]


def test_a_key_nrs_does_not_name_is_caught_wherever_it_is():
    built = everything()
    built["invoice_line"][0]["price"]["unit_code"] = "HUR"
    built["allowance_charge"][0]["reason"] = "Discount"
    built["withholding_total"] = "1.00"
    assert sorted(unknown_keys(built)) == [
        "allowance_charge[0].reason",
        "invoice_line[0].price.unit_code",
        "withholding_total",
    ]
