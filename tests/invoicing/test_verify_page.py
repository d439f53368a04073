"""The public verify page: what a buyer sees for a certified, a malformed and an unknown IRN, and its rate limit."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scope

from invoicing.models import Invoice
from tests.invoicing.test_pdf import make_invoice, make_tenant, nrs  # noqa: F401  (the sandbox business fixture)


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def certified(nrs):  # noqa: F811
    issued, _ = nrs
    return make_invoice(make_tenant(issued), issued)


def test_a_certified_invoice_shows_supplier_date_total_and_certification_without_sign_in(client, certified):
    response = client.get(reverse("verify_page", args=[certified.irn]))

    assert response.status_code == 200
    shown = text(response)
    for expected in ("Certified by NRS", "Kola Foods Ltd", "20 November 2025", "₦562,500.00", certified.irn):
        assert expected in shown, expected
    assert "10:30" in shown  # certified 09:30 UTC, shown in Lagos time
    # Nothing beyond what the verify API returns: not the buyer, not the lines.
    for private in ("Adebayo Stores", "Garri", "GTBank", "PO-7781"):
        assert private not in shown, private


def test_the_page_and_the_api_read_the_same_answer(client, certified):
    api = client.get(f"/api/v1/invoices/verify/{certified.irn}").json()
    shown = text(client.get(reverse("verify_page", args=[certified.irn])))
    assert api["valid"] is True and api["supplier"]["name"] in shown and api["documentNumber"] in shown


def test_a_malformed_irn_is_explained_not_an_error_page(client):
    response = client.get(reverse("verify_page", args=["not-an-irn"]))
    assert response.status_code == 400
    assert "This is not an invoice reference" in text(response)
    assert client.get("/api/v1/invoices/verify/not-an-irn").json() == {
        "error": "Malformed IRN.",
        "valid": False,
        "reason": "malformed IRN",
    }


def test_an_unknown_or_uncertified_irn_is_not_confirmed(client, nrs):  # noqa: F811
    issued, _ = nrs
    pending = make_invoice(make_tenant(issued), issued, number="INV/2025/0043", certified=False)
    for irn in ("INV001-94ND90NR-20260115", pending.irn):
        response = client.get(reverse("verify_page", args=[irn]))
        assert response.status_code == 404
        assert "We cannot confirm this invoice" in text(response)
        assert "Kola Foods" not in text(response)


def test_the_verify_page_is_rate_limited_per_address(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "verify_page": 3}
    answers = [client.get(reverse("verify_page", args=["INV001-94ND90NR-20260115"])) for _ in range(4)]
    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    assert "Too many checks" in text(answers[-1])
    assert int(answers[-1]["Retry-After"]) > 0
    # Another address is not held back by the first one's checks.
    other = client.get(reverse("verify_page", args=["INV001-94ND90NR-20260115"]), REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 404


def test_a_signed_in_visitor_sees_the_public_page_without_the_app_navigation(admin_client, certified):
    html = admin_client.get(reverse("verify_page", args=[certified.irn])).content.decode()
    assert "Kola Foods Ltd" in html and 'class="mainnav"' not in html


def test_withholding_shows_the_total_and_the_lower_amount_payable(client, certified):
    # The certified invoice's 562,500.00 with 50,000.00 withheld by the buyer: 512,500.00 to pay.
    with scope(tenant=certified.tenant):
        Invoice.objects.filter(pk=certified.pk).update(
            withholding_total=Decimal("50000.00"), payable=Decimal("512500.00")
        )
    shown = text(client.get(reverse("verify_page", args=[certified.irn])))
    assert "Total ₦562,500.00" in shown
    assert "Amount payable ₦512,500.00" in shown


def test_without_withholding_only_the_total_is_shown(client, certified):
    shown = text(client.get(reverse("verify_page", args=[certified.irn])))
    assert "Total ₦562,500.00" in shown
    assert "Amount payable" not in shown
