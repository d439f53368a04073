"""The code lists a CSV file may use, as pages a business person reads (not the API's JSON): the code to write in
the file beside its name, LGAs by state, HS and service codes found by code or words a page at a time, tax
categories with their rate in words; the CSV pages link to them."""

import re
from html import unescape

import pytest
from django.urls import reverse

from tests.conftest import member

PAGES = ("codes_states", "codes_lgas", "codes_hs_codes", "codes_service_codes", "codes_tax_categories")


def rows_of(html: str) -> list[list[str]]:
    """The table's body rows as the cells' text."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    if body is None:
        return []
    return [
        [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body[1], re.S)
    ]


@pytest.fixture
def signed_in(client, tenant):
    client.force_login(member(tenant, "viewer"))  # any member reads them, not only those who upload
    return client


@pytest.mark.parametrize("name", PAGES)
def test_each_list_is_a_page_of_the_portal_for_a_member(signed_in, name):
    response = signed_in.get(reverse(name))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<h1>Codes for your CSV file</h1>" in html
    assert 'class="table-scroll"' in html  # the table scrolls inside its card on a phone, not the page
    assert f'href="{reverse(name)}" aria-current="page"' in html  # its own tab is the current one
    for other in PAGES:
        assert f'href="{reverse(other)}"' in html  # and the other lists are one tap away
    assert len(rows_of(html)) > 0


@pytest.mark.parametrize("name", PAGES)
def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_states_show_the_code_for_the_file_beside_the_state(signed_in):
    html = signed_in.get(reverse("codes_states")).content.decode()
    rows = rows_of(html)
    assert ["NG-LA", "Lagos"] in rows and ["NG-FC", "Federal Capital Territory"] in rows
    assert len(rows) == 37  # the 36 states and the FCT, on one page
    assert "Write the code in column “customer_state” of your file." in html


def test_lgas_show_their_state_and_can_be_narrowed_to_one_state(signed_in):
    rows = rows_of(signed_in.get(reverse("codes_lgas")).content.decode())
    assert len(rows) == 50  # 774 LGAs: a page at a time
    lagos = signed_in.get(reverse("codes_lgas"), {"state": "NG-LA"}).content.decode()
    rows = rows_of(lagos)
    assert ["NG-LA-IKJ", "Ikeja", "Lagos (NG-LA)"] in rows
    assert {row[2] for row in rows} == {"Lagos (NG-LA)"}
    assert len(rows) == 20  # Lagos's 20 LGAs
    assert '<option value="NG-LA" selected>Lagos</option>' in lagos
    by_name = rows_of(signed_in.get(reverse("codes_lgas"), {"q": "ikeja"}).content.decode())
    assert by_name == [["NG-LA-IKJ", "Ikeja", "Lagos (NG-LA)"]]
    # A state that is not one narrows nothing (and is not echoed as chosen).
    assert len(rows_of(signed_in.get(reverse("codes_lgas"), {"state": "XX"}).content.decode())) == 50


def test_hs_codes_are_found_by_words_or_by_the_start_of_the_code_a_page_at_a_time(signed_in):
    url = reverse("codes_hs_codes")
    by_words = rows_of(signed_in.get(url, {"q": "cordless handsets"}).content.decode())
    assert ["8517.11", "Line telephone sets with cordless handsets"] in by_words
    by_code = rows_of(signed_in.get(url, {"q": "8517.1"}).content.decode())
    assert by_code and all("8517.1" in code for code, _name in by_code)

    first = signed_in.get(url).content.decode()
    assert len(rows_of(first)) == 50 and 'rel="next"' in first
    total = re.search(r"1–50 of ([\d,]+)", first)[1]
    assert int(total.replace(",", "")) > 5000  # thousands of codes, never all on one page
    second = signed_in.get(url, {"page": 2}).content.decode()
    assert rows_of(second)[0] != rows_of(first)[0] and 'rel="prev"' in second

    # A search that finds more than a page keeps its words on the next page's link.
    many = signed_in.get(url, {"q": "of"}).content.decode()
    assert 'href="/invoices/codes/hs-codes/?q=of&amp;page=2"' in many

    nothing = signed_in.get(url, {"q": "zzqqxx"}).content.decode()
    assert rows_of(nothing) == [] and "Nothing matches “zzqqxx”" in nothing


def test_service_codes_are_found_by_words(signed_in):
    rows = rows_of(signed_in.get(reverse("codes_service_codes"), {"q": "computer programming"}).content.decode())
    assert ["6201", "Computer programming activities"] in rows


def test_tax_categories_say_their_rate_in_words(signed_in):
    html = signed_in.get(reverse("codes_tax_categories")).content.decode()
    rows = {row[0]: row[1:] for row in rows_of(html)}
    assert rows["STANDARD_VAT"] == ["Standard VAT", "7.5%"]
    assert rows["ZERO_VAT"] == ["Zero-rated VAT", "0% (no tax is added)"]
    assert rows["STAMP_DUTY"] == ["Stamp Duty", "No set rate"]
    assert "Left empty, that is the category&#x27;s rate below, or 0% where the category has no set rate" in html
    assert "Write the code in column “line_tax_scheme” of your file." in html
