"""The invoice's party and line, defined once: every way in and out maps onto the same Party and Line."""

from decimal import Decimal

from integrations.nrs.shapes import Address, Line, Party
from invoicing.batches.format import COLUMNS, Group, Row, as_body
from invoicing.forms import InvoiceForm
from invoicing.parsing import parse_invoice
from invoicing.shapes import BUYER_FIELDS, LINE_FIELDS, OPTIONAL_TEXT, buyer_input, buyer_party, line_input

BUYER = {
    "name": "Acme Ltd",
    "tin": "12345678-0001",
    "email": "ap@acme.ng",
    "phone": "+2348012345678",
    "address": "42 Marina Road",
    "city": "Lagos",
    "postal_code": "101001",
    "state": "NG-LA",
    "lga": "NG-LA-LIS",
    "country": "NG",
}


def test_a_party_round_trips_through_the_create_body_and_the_stored_snapshot():
    party = buyer_party(BUYER, lga_name="Lagos Island", state_name="Lagos")
    assert buyer_input(party) == BUYER
    assert Party.from_dict(party.as_dict()) == party
    assert party.as_dict()["address"] == {
        "street": "42 Marina Road",
        "city": "Lagos",
        "postal_zone": "101001",
        "lga": "NG-LA-LIS",
        "lga_name": "Lagos Island",
        "state": "NG-LA",
        "state_name": "Lagos",
        "country": "NG",
    }


def test_an_older_snapshot_missing_keys_reads_with_the_defaults():
    assert Party.from_dict({"name": "Walk-in"}) == Party(name="Walk-in", address=Address(country="NG"))
    assert Party.from_dict(None).name == ""


def test_a_parsed_line_is_the_line_type_and_goes_back_into_the_same_body():
    body = {
        "invoice_kind": "B2C",
        "issue_date": "2026-04-25",
        "lines": [
            {"description": "Pens", "quantity": "3", "unit_price": "33.33", "tax_scheme": "zero_vat", "item_id": 7}
        ],
    }
    [line] = parse_invoice(body).lines
    assert isinstance(line, Line)
    assert (line.tax_category, line.tax_rate, line.item_code) == ("ZERO_VAT", None, "7")
    assert line_input(line)["item_id"] == 7 and set(line_input(line)) == set(LINE_FIELDS)
    complete = Line(description="Pens", quantity=Decimal("3"), unit_price=Decimal("33.33"))
    assert (complete.amounts.line_extension, complete.amounts.tax) == (Decimal("99.99"), Decimal("7.50"))


def test_the_form_and_the_csv_take_their_buyer_and_optional_fields_from_the_shapes():
    assert InvoiceForm.CUSTOMER_FIELDS == tuple(f"customer_{name}" for name in BUYER_FIELDS)
    assert set(OPTIONAL_TEXT) <= set(InvoiceForm.HEADER_FIELDS) and set(OPTIONAL_TEXT) <= set(COLUMNS)
    assert all(f"customer_{name}" in COLUMNS for name in BUYER_FIELDS)
    row = Row(2, {"document_number": "INV-1", "customer_phone": "+234", "line_tax_scheme": "ZERO_VAT", "note": "Hi"})
    body = as_body(Group("INV-1", [row]))
    assert body["customer"]["phone"] == "+234" and body["lines"][0]["tax_scheme"] == "ZERO_VAT"
    assert (body["note"], body["invoice_type"], body["currency"]) == ("Hi", "invoice", "NGN")
    assert set(body["lines"][0]) <= set(LINE_FIELDS)
