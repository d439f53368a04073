import re

from django.core.management import call_command

from integrations.reference.models import Country, Currency, HsCode, InvoiceType, Lga, ServiceCode, State, TaxCategory


def test_all_37_states_with_iso_codes_and_fct():
    assert State.objects.count() == 37
    assert State.objects.get(pk="NG-FC").name == "Federal Capital Territory"
    assert all(re.fullmatch(r"NG-[A-Z]{2}", code) for code in State.objects.values_list("code", flat=True))


def test_all_774_lgas_with_nrs_codes_unique_within_their_state():
    assert Lga.objects.count() == 774
    for code, state in Lga.objects.values_list("code", "state_id"):
        assert re.fullmatch(rf"{state}-[A-Z]{{3}}", code), code
    expected = {
        "NG-LA-IKJ": "Ikeja",
        "NG-LA-IKO": "Ikorodu",
        "NG-AB-ANO": "Aba North",
        "NG-AB-ASO": "Aba South",
        "NG-AB-ARO": "Arochukwu",
    }
    assert dict(Lga.objects.filter(pk__in=expected).values_list("code", "name")) == expected
    counts = {s.code: s.lgas.count() for s in State.objects.all()}
    assert counts["NG-KN"] == 44 and counts["NG-LA"] == 20 and counts["NG-FC"] == 6 and counts["NG-BY"] == 8


def test_code_lists_hold_what_invoices_need():
    assert InvoiceType.objects.get(pk="381").name == "Commercial Invoice"
    assert InvoiceType.objects.get(pk="380").name == "Credit Note"
    assert InvoiceType.objects.get(pk="384").name == "Debit Note"
    assert str(TaxCategory.objects.get(pk="STANDARD_VAT").default_rate) == "7.50"
    assert HsCode.objects.filter(pk="8517.11").exists()  # the spec's example line
    assert ServiceCode.objects.filter(pk="6201").exists()
    assert Country.objects.get(pk="NG").alpha_3 == "NGA"
    assert Currency.objects.get(pk="NGN").symbol == "₦"


def test_reloading_is_idempotent_and_reports_changes():
    from io import StringIO

    State.objects.filter(pk="NG-LA").update(name="Lagoss")
    out = StringIO()
    call_command("load_reference_data", stdout=out)
    assert "states: 37 rows (0 new, 1 updated)" in out.getvalue()
    assert "lgas: 774 rows (0 new, 0 updated)" in out.getvalue()
    assert State.objects.get(pk="NG-LA").name == "Lagos"
