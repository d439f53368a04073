"""The invoice checks' messages said in the words of the CSV file, for the person who fixes it.

invoice_create's checks (invoicing/parsing.py, invoicing/validation.py) word their `fields` for the API: they
name body fields ("customer.state", "unit_price") and point at API routes. A row of a file is about its cells:
the messages here name a column of the file as people see it in their spreadsheet (column “customer_state”) and
the portal's code lists, and never an API field, route or machine code. The API's batch answers carry these
messages with their codes unchanged.
"""

import re

from invoicing.parsing import MAX_AMOUNT

AMOUNT_LIMIT = f"{MAX_AMOUNT:,.0f}"

# (the field, as the last part of its key, and the checks' message) → the file's words.
_MESSAGES = {
    ("invoice_type", "must be invoice, credit_note or debit_note"): (
        "must be “invoice”, “credit_note” or “debit_note” (or left empty for an invoice)"
    ),
    ("issue_date", "must be a date YYYY-MM-DD"): "must be a date written year-month-day, e.g. 2026-04-25",
    ("due_date", "must be a date YYYY-MM-DD"): "must be a date written year-month-day, e.g. 2026-05-25",
    ("issue_date", "required (YYYY-MM-DD)"): "required: the date of the invoice, written year-month-day",
    ("currency", "must be an ISO 4217 code such as NGN"): "is not a currency code: use one such as NGN",
    ("customer.state", "must be an NRS state code such as NG-LA"): (
        "is not a state code: use one from the list of states, e.g. NG-LA for Lagos"
    ),
    ("customer.lga", "must be an NRS LGA code of customer.state"): (
        "must be the code of an LGA of the state in column “customer_state”: see the list of LGAs"
    ),
    ("customer.country", "must be an ISO alpha-2 code such as NG"): "must be a two-letter country code such as NG",
    ("hsn_code", "unknown HS code; see GET /api/v1/helpers/hs-codes"): (
        "is not a known HS code: find the goods in the list of HS codes"
    ),
    ("hsn_code", "required"): ("required: an HS code for goods here, or a service code in column “line_isic_code”"),
    ("isic_code", "unknown ISIC code"): "is not a known service code: find the service in the list of service codes",
    ("tax_scheme", "must be a tax category such as STANDARD_VAT"): (
        "is not a tax category: use a code from the list of tax categories (empty means standard VAT)"
    ),
    ("discount", "must not exceed quantity × price"): "must not be more than the quantity times the unit price",
    ("quantity", f"quantity × unit_price must be less than {AMOUNT_LIMIT}"): (
        f"the quantity times the unit price must be less than {AMOUNT_LIMIT}"
    ),
    ("quantity", f"quantity × unit_price + fee must be less than {AMOUNT_LIMIT}"): (
        f"the quantity times the unit price must be less than {AMOUNT_LIMIT}"
    ),
    ("original_invoice_id", "required (or original_irn)"): (
        "required: a credit or debit note gives the IRN of the certified invoice it corrects"
    ),
    ("original_invoice_id", "must be a certified invoice"): (
        "must be the IRN of a certified invoice of your business; for an invoice issued outside Flowpoint, give its "
        "issue date in column “original_issue_date” too"
    ),
    ("original_issue_date", "must be the issue date of the invoice original_irn names"): (
        "must be the issue date of the invoice in column “original_irn”"
    ),
    ("tax_scheme", "must be EXEMPTED with tax_rate 0: the HS code is on NRS's VAT exemption list"): (
        "must be “EXEMPTED”, with “0” in column “line_tax_rate”: the HS code is on NRS's VAT exemption list"
    ),
    ("tax_scheme", "must not be EXEMPTED: the HS code is not on NRS's VAT exemption list"): (
        "must not be “EXEMPTED”: the HS code in column “line_hsn_code” is not on NRS's VAT exemption list"
    ),
    ("tax_rate", "must be 0 for EXEMPTED"): "must be 0 when column “line_tax_scheme” is “EXEMPTED”",
    ("lines", "at most 500 lines per invoice"): (
        "An invoice has at most 500 lines: at most 500 rows may share one value of column “document_number”."
    ),
    ("lines", f"the lines must add up to less than {AMOUNT_LIMIT}"): (
        f"The invoice is too large: its lines must add up to less than {AMOUNT_LIMIT}."
    ),
}

# What is left of an API name after the messages above, for a message this table does not know yet.
_ROUTE = re.compile(r";?\s*see (?:GET|POST) /api/\S+")
_LINE_KEY = re.compile(r"\blines\[\d+\]\.(\w+)")
_BUYER_KEY = re.compile(r"\bcustomer\.(\w+)")
_FIELD_WORDS = {"unit_price": "unit price", "hsn_code": "HS code", "isic_code": "service code", "tax_scheme": "tax"}


def field_of(key: str) -> str:
    """The field a key of InvoiceError.fields is about: "lines[2].unit_price" → "unit_price"."""
    match = re.match(r"^lines\[\d+\]\.(\w+)$", key)
    return match[1] if match else key


def in_file_words(key: str, message: str) -> str:
    """One message of the invoice checks, about the field `key`, as the file's reader should read it."""
    known = _MESSAGES.get((field_of(key), message))
    if known:
        return known
    return plain(message)


def plain(message: str) -> str:
    """A message with API routes left out and API field names made the file's columns. (Not UPPER_SNAKE words:
    they may be the file's own values, e.g. an invoice number echoed back; tests/invoicing/test_batches.py
    checks every message of the checks for machine codes instead.)"""
    text = _ROUTE.sub("", message)
    text = _LINE_KEY.sub(lambda m: f"column “line_{m[1]}”", text)
    text = _BUYER_KEY.sub(lambda m: f"column “customer_{m[1]}”", text)
    for name, words in _FIELD_WORDS.items():
        text = re.sub(rf"(?<![“\w]){name}(?![”\w])", words, text)
    return text
