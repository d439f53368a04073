"""The editor with another currency, as a clerk sees it: the exchange rate appears only for a currency other than
naira, prefilled from the business's rates table for the issue date, and the live totals show the invoice's own
currency and, beside them, its VAT and total in naira (2 × $500.00 at 7.5%, ₦1,530 per US$1: docs/worked-examples.md
"usd-invoice")."""

from datetime import date
from decimal import Decimal

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from invoicing.exchange_rates import rate_add
from tests.conftest import member

pytestmark = pytest.mark.e2e


def test_the_rate_is_prefilled_and_the_totals_show_dollars_and_naira(page, sign_in, connected_tenant):
    with scope(tenant=connected_tenant):
        rate_add(tenant=connected_tenant, currency="USD", rate=Decimal("1530"), valid_from=date(2026, 1, 1))
    sign_in(member(connected_tenant, "clerk"))
    page.goto("/invoices/new/")
    expect(page.locator("#exchange-rate")).to_be_hidden()  # naira: no rate to give
    page.get_by_label("Issue date").fill("2026-11-20")
    page.locator("[name=lines-0-description]").fill("Laptop")
    page.locator("[name=lines-0-quantity]").fill("2")
    page.locator("[name=lines-0-unit_price]").fill("500.00")
    expect(page.locator("[data-total=payable]")).to_have_text("₦1,075.00")  # in naira until the currency changes
    page.locator("[name=currency]").fill("USD")
    expect(page.locator("#exchange-rate")).to_be_visible()
    expect(page.get_by_label("Exchange rate")).to_have_value("1530")
    expect(page.locator("[data-total=subtotal]")).to_have_text("USD\u00a01,000.00")
    expect(page.locator("[data-total=payable]")).to_have_text("USD\u00a01,075.00")
    expect(page.locator("[data-total=tax-naira]")).to_have_text("₦114,750.00")
    expect(page.locator("[data-total=payable-naira]")).to_have_text("₦1,644,750.00")
    page.get_by_label("Exchange rate").fill("1,712.345678")  # typed: the clerk's own rate, half-up to the kobo
    expect(page.locator("[data-total=tax-naira]")).to_have_text("₦128,425.93")
    page.locator("[name=currency]").fill("NGN")
    expect(page.locator("#exchange-rate")).to_be_hidden()
    expect(page.locator("[data-total=tax-naira]")).to_be_hidden()
