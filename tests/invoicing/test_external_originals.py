"""Credit and debit notes against an invoice the business issued outside Flowpoint: named by IRN and issue date,
checked with NRS's confirm (the embedded sandbox over HTTP), capped by the amount NRS gives, sent to NRS with
the IRN in billing_reference (the sandbox in strict mode), and shown as such on the page, in the PDF and the CSV.
Figures are hand-computed; the worked example's table in docs/worked-examples.md is held to them."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from integrations.nrs.fields import unknown_keys
from integrations.nrs.sandbox.models import SandboxBusiness, SandboxInvoice
from invoicing import tasks
from invoicing.external_originals import credit_left
from invoicing.models import Invoice
from invoicing.pdf import render_invoice_pdf
from invoicing.services import Actor, invoice_create
from invoicing.submission import invoice_document
from invoicing.validation import LIVE
from tests.api.conftest import key_client
from tests.conftest import member, set_faults
from tests.invoicing.conftest import body
from tests.pdftext import pdf_lines
from tests.worked_examples import worked_example

pytestmark = pytest.mark.usefixtures("unscoped")  # the tests read rows of several tables as a person would see them


def outside_invoice(tenant, number="EXT001", day="20260303", payable="107500.00") -> str:
    """An invoice the business had NRS sign through another system: NRS knows it, Flowpoint does not."""
    irn = f"{number}-{tenant.nrs_service_id}-{day}"
    business = SandboxBusiness.objects.get(business_id=tenant.nrs_business_id)
    document = {"irn": irn, "issue_date": f"{day[:4]}-{day[4:6]}-{day[6:]}", "invoice_type_code": "381"}
    if payable is not None:
        document["legal_monetary_total"] = {"payable_amount": payable}
    SandboxInvoice.objects.create(business=business, irn=irn, document=document)
    return irn


def note_body(irn, number, price, kind="credit_note", day="2026-03-03", **changes):
    return body(
        invoice_type=kind,
        document_number=number,
        original_irn=irn,
        original_issue_date=day,
        note="Goods returned",
        line__unit_price=price,
        line__quantity=1,
        **changes,
    )


def reload(invoice):
    with scopes_disabled():
        return Invoice.objects.get(pk=invoice.pk)


def timeline(invoice):
    with scope(tenant=invoice.tenant):
        return [(e.kind, e.message) for e in invoice.events.order_by("created_at", "id")]


def create(tenant, data):
    return invoice_create(tenant=tenant, data=data, actor=Actor())


# --- the rule, through the API --------------------------------------------------------------------


def test_a_credit_note_against_an_invoice_issued_outside_flowpoint_is_checked_capped_and_certified(connected_tenant):
    set_faults(strict=True)  # the sandbox checks every total reconciles
    irn = outside_invoice(connected_tenant)  # ₦107,500.00 at NRS
    api = key_client(connected_tenant)

    answer = api.post("/api/v1/invoices/create", note_body(irn, "CN-EXT-1", "40000"), format="json")
    assert answer.status_code == 202, answer.json()
    credit = Invoice.objects.get(pk=answer.json()["invoiceId"])
    assert (credit.original_id, credit.external_original_irn, str(credit.external_original_date)) == (
        None,
        irn,
        "2026-03-03",
    )
    assert credit.external_original_payable == Decimal("107500.00") and credit.external_original_checked_at
    assert credit.payable == Decimal("43000.00")  # 40,000 + 7.5% VAT 3,000
    assert tasks.submit_invoice(str(credit.pk)) == "certified"

    stored = SandboxInvoice.objects.get(irn=credit.irn).document  # what NRS signed
    assert stored["billing_reference"] == [{"irn": irn, "issue_date": "2026-03-03"}]
    assert stored["invoice_type_code"] == "380"
    assert unknown_keys(stored) == []

    detail = api.get(f"/api/v1/invoices/{credit.pk}").json()
    assert detail["originalExternal"] == {
        "irn": irn,
        "issueDate": "2026-03-03",
        "payableAmount": "107500.00",
        "checkedWithNrs": True,
    }
    assert detail["originalInvoiceId"] is None

    # What is left: 107,500 − 43,000 = 64,500. A credit of 70,000 + 5,250 VAT = 75,250 is too much.
    refused = api.post("/api/v1/invoices/create", note_body(irn, "CN-EXT-2", "70000"), format="json")
    assert refused.status_code == 400
    assert refused.json()["reason"] == "CREDIT_NOTE_EXCEEDS_INVOICE"
    assert "₦64,500.00" in refused.json()["error"]

    # A certified debit note against it raises what may be credited: + 10,000 + 750 VAT = 10,750.
    debit = create(connected_tenant, note_body(irn, "DN-EXT-1", "10000", kind="debit_note"))
    assert tasks.submit_invoice(str(debit.pk)) == "certified"
    assert SandboxInvoice.objects.get(irn=debit.irn).document["invoice_type_code"] == "384"
    with scope(tenant=connected_tenant):
        from django.db.models import Q

        left = credit_left(original_payable=Decimal("107500.00"), notes=Q(external_original_irn=irn), live=LIVE)
    assert left == Decimal("75250.00")  # 107,500 − 43,000 + 10,750

    one_kobo_more = api.post("/api/v1/invoices/create", note_body(irn, "CN-EXT-2", "70000.01"), format="json")
    assert one_kobo_more.status_code == 400  # 70,000.01 + 5,250.00 VAT = 75,250.01
    accepted = api.post("/api/v1/invoices/create", note_body(irn, "CN-EXT-2", "70000"), format="json")
    assert accepted.status_code == 202, accepted.json()
    last = Invoice.objects.get(pk=accepted.json()["invoiceId"])
    assert tasks.submit_invoice(str(last.pk)) == "certified"

    assert worked_example("credit-note-against-an-outside-invoice") == {
        "Original invoice's payable, as NRS's confirm gives it": last.external_original_payable,
        "Earlier credit note CN-EXT-1 (certified)": reload(credit).payable,
        "Earlier debit note DN-EXT-1 (certified)": reload(debit).payable,
        "Left to credit": left,
        "CN-EXT-2 line: 1 × 70,000.00": last.line_extension,
        "CN-EXT-2 VAT 7.5%": last.tax_total,
        "CN-EXT-2 payable (at most what is left)": last.payable,
    }


def test_an_irn_nrs_does_not_know_is_refused_naming_the_field(connected_tenant):
    irn = f"EXT404-{connected_tenant.nrs_service_id}-20260303"  # never signed
    answer = key_client(connected_tenant).post(
        "/api/v1/invoices/create", note_body(irn, "CN-404", "1000"), format="json"
    )
    assert answer.status_code == 400
    error = answer.json()
    assert error["fields"] == {"original_irn": "unknown at NRS"}
    assert f"NRS does not know the IRN {irn}" in error["error"]
    assert not Invoice.objects.filter(document_number="CN-404").exists()


def test_without_an_amount_from_nrs_there_is_no_cap(connected_tenant):
    irn = outside_invoice(connected_tenant, "EXT002", payable=None)
    credit = create(connected_tenant, note_body(irn, "CN-NOCAP", "500000"))  # 537,500: NRS gave no amount
    assert credit.status == "PENDING" and credit.external_original_checked_at
    assert credit.external_original_payable is None and credit.payable == Decimal("537500.00")


def test_when_nrs_cannot_be_reached_the_note_is_accepted_and_checked_again_before_it_is_sent(
    connected_tenant, settings
):
    set_faults(strict=True)
    irn = outside_invoice(connected_tenant, "EXT003", payable="10750.00")
    reachable = settings.NRS_SANDBOX_URL
    settings.NRS_SANDBOX_URL = "http://127.0.0.1:9/sandbox/nrs"  # nothing listens there
    credit = create(connected_tenant, note_body(irn, "CN-LATER", "20000"))  # 21,500: more than NRS will say
    assert credit.status == "PENDING" and credit.external_original_checked_at is None
    assert (
        "invoice.original_unchecked",
        f"NRS could not be reached to check invoice {irn}, issued outside Flowpoint; it is checked again before "
        "this note is sent.",
    ) in timeline(credit)

    settings.NRS_SANDBOX_URL = reachable
    # At submission NRS answers: the original asked ₦10,750.00, so a ₦21,500.00 credit cannot go.
    assert tasks.submit_invoice(str(credit.pk)) == "failed"
    failed = reload(credit)
    assert failed.nrs_reason == "CREDIT_NOTE_EXCEEDS_INVOICE"
    assert timeline(failed)[-1] == (
        "invoice.failed",
        f"Not sent: this credit note (₦21,500.00) is more than what is left of invoice {irn} (₦10,750.00), as NRS "
        "knows it.",
    )
    assert failed.external_original_payable == Decimal("10750.00") and failed.external_original_checked_at
    assert not SandboxInvoice.objects.filter(irn=failed.irn).exists()  # never signed

    # A debit note whose original NRS turns out not to know fails before it is signed, saying why.
    unknown = f"EXT404-{connected_tenant.nrs_service_id}-20260303"
    settings.NRS_SANDBOX_URL = "http://127.0.0.1:9/sandbox/nrs"
    debit = create(connected_tenant, note_body(unknown, "DN-LATER", "1000", kind="debit_note"))
    settings.NRS_SANDBOX_URL = reachable
    assert tasks.submit_invoice(str(debit.pk)) == "failed"
    assert reload(debit).nrs_reason == "ORIGINAL_NOT_FOUND"
    assert timeline(debit)[-1][1] == f"Not sent: NRS does not know invoice {unknown}, which this note corrects."

    # A debit note against the one NRS knows, created while NRS is away, is checked at submission and certified.
    settings.NRS_SANDBOX_URL = "http://127.0.0.1:9/sandbox/nrs"
    later = create(connected_tenant, note_body(irn, "CN-FITS-2", "100", kind="debit_note"))
    settings.NRS_SANDBOX_URL = reachable
    assert tasks.submit_invoice(str(later.pk)) == "certified"
    assert ("nrs.original_confirmed", f"NRS knows invoice {irn}, which this note corrects.") in timeline(later)
    assert SandboxInvoice.objects.get(irn=later.irn).document["billing_reference"] == [
        {"irn": irn, "issue_date": "2026-03-03"}
    ]


# --- the IRN's shape, without NRS -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("irn", "day", "fields"),
    [
        ("INV/001-{sid}-20260303", "2026-03-03", {"original_irn": "must be an IRN such as INV001-94ND90NR-20240611"}),
        ("EXT001-{sid}-20260303", "2026-03-04", {"original_issue_date": "must be the date the IRN ends in (2026-03-03)"}),  # noqa: E501
        ("EXT001-ZZZZ9999-20260303", "2026-03-03", {"original_irn": "must be an IRN of your business (service ID {sid})"}),  # noqa: E501
        ("EXT001-{sid}-20260303", None, {"original_invoice_id": "must be a certified invoice"}),
    ],
)  # fmt: skip
def test_the_irn_must_have_nrs_shape_its_date_and_this_businesss_service_id(ready_tenant, irn, day, fields):
    from invoicing.errors import InvoiceError

    sid = ready_tenant.nrs_service_id
    data = note_body(irn.format(sid=sid), "CN-SHAPE", "1000", day=day)
    with pytest.raises(InvoiceError) as refused:
        create(ready_tenant, data)
    assert refused.value.fields == {key: value.format(sid=sid) for key, value in fields.items()}


def test_a_flowpoint_irn_is_the_known_original_and_its_date_must_match(connected_tenant):
    from tests.e2e.test_money import certified

    original = certified(connected_tenant, document_number="INV-KNOWN")  # 53,750.00
    note = create(connected_tenant, note_body(original.irn, "CN-KNOWN", "1000", day=original.issue_date.isoformat()))
    assert note.original_id == original.pk and note.external_original_irn == ""
    from invoicing.errors import InvoiceError

    with pytest.raises(InvoiceError) as refused:
        create(connected_tenant, note_body(original.irn, "CN-KNOWN-2", "1000", day="2020-01-01"))
    assert refused.value.fields == {"original_issue_date": "must be the issue date of the invoice original_irn names"}


# --- the editor, the invoice page, the PDF, the CSV ------------------------------------------------


def test_the_editor_saves_a_note_against_an_outside_invoice_and_the_page_and_pdf_say_so(client, connected_tenant):
    irn = outside_invoice(connected_tenant)
    client.force_login(member(connected_tenant, "clerk"))
    page = client.get(reverse("invoice_new") + "?type=credit_note").content.decode()
    assert 'id="corrects-invoice"' in page and "IRN of the invoice" in page

    form = {
        "invoice_kind": "B2B",
        "invoice_type": "credit_note",
        "document_number": "CN-FORM-1",
        "issue_date": "2026-03-10",
        "currency": "NGN",
        "note": "Two units returned",
        "original_source": "external",
        "original_irn": irn,
        "original_issue_date": "2026-03-03",
        **{f"customer_{k}": v for k, v in body()["customer"].items()},
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "500",
        "lines-0-description": "Returned units",
        "lines-0-hsn_code": "8517.11",
        "lines-0-quantity": "2",
        "lines-0-unit_price": "5,000.00",
        "lines-0-discount": "0",
        "lines-0-tax_scheme": "STANDARD_VAT",
        "lines-0-tax_rate": "7.5",
        "action": "submit",
    }
    wrong = client.post(reverse("invoice_new"), {**form, "original_issue_date": "2026-03-04"}).content.decode()
    assert "Enter the date the IRN ends in: the invoice&#x27;s issue date." in wrong

    answer = client.post(reverse("invoice_new"), form)
    assert answer.status_code == 302, answer.content.decode()[:3000]
    note = Invoice.objects.get(document_number="CN-FORM-1")
    assert (note.external_original_irn, note.payable) == (irn, Decimal("10750.00"))  # 2 × 5,000 + 750 VAT
    assert note.external_original_payable == Decimal("107500.00")

    detail = client.get(reverse("invoice_detail", args=[note.pk])).content.decode()
    assert f'invoice <span class="code">{irn}</span> of 3 Mar 2026 (issued outside Flowpoint)' in detail
    assert "Found at NRS, for ₦107,500.00." in detail
    assert f"Reduces {irn} by" in detail

    with scope(tenant=connected_tenant):
        lines = pdf_lines(render_invoice_pdf(reload(note)))
    assert f"Corrects invoice {irn} of 3 Mar 2026 (issued outside Flowpoint)" in " ".join(lines)

    # The draft path keeps it too: saved without asking NRS, opened again with the same choice.
    draft = client.post(reverse("invoice_new"), {**form, "document_number": "CN-FORM-2", "action": "draft"})
    assert draft.status_code == 302
    saved = Invoice.objects.get(document_number="CN-FORM-2")
    assert saved.status == "DRAFT" and saved.external_original_checked_at is None
    edit = client.get(reverse("invoice_edit", args=[saved.pk])).content.decode()
    assert f'value="{irn}"' in edit and 'value="2026-03-03"' in edit
    assert "Not checked with NRS yet" in client.get(reverse("invoice_detail", args=[saved.pk])).content.decode()


def test_the_payload_carries_the_outside_irn_in_billing_reference(connected_tenant):
    irn = outside_invoice(connected_tenant)
    note = create(connected_tenant, note_body(irn, "CN-PAYLOAD", "1000"))
    with scope(tenant=connected_tenant):
        document = invoice_document(reload(note))
    assert document["billing_reference"] == [{"irn": irn, "issue_date": "2026-03-03"}]
    assert unknown_keys(document) == []


def test_a_csv_row_names_an_outside_invoice_in_two_columns(client, ready_tenant):
    from tests.api.conftest import new_key
    from tests.invoicing.test_batches import csv_bytes, good_row, validated

    key = new_key(ready_tenant)
    sid = ready_tenant.nrs_service_id
    rows = [
        good_row(
            1, invoice_type="credit_note", original_irn=f"EXT001-{sid}-20260303", original_issue_date="2026-03-03"
        ),
        good_row(
            2, invoice_type="credit_note", original_irn=f"EXT001-{sid}-20260303", original_issue_date="2026-03-05"
        ),
        good_row(3, invoice_type="credit_note", original_irn=f"EXT001-{sid}-20260303"),
    ]
    batch = validated(client, key, csv_bytes(rows))
    assert [(e["row"], e["column"], e["message"]) for e in batch["errors"]] == [
        (3, "original_issue_date", "must be the date the IRN ends in (2026-03-03)"),
        (4, "original_irn", "must be the IRN of a certified invoice of your business; for an invoice issued outside "
         "Flowpoint, give its issue date in column “original_issue_date” too"),
    ]  # fmt: skip
    assert [i["status"] for i in batch["invoices"]] == ["VALID", "INVALID", "INVALID"]


def test_ubl_carries_the_outside_invoice_and_reads_it_back(connected_tenant):
    from integrations.connectors.ubl import invoice_to_ubl, ubl_to_invoice_body

    irn = outside_invoice(connected_tenant)
    note = create(connected_tenant, note_body(irn, "CN-UBL", "1000"))
    with scope(tenant=connected_tenant):
        xml = invoice_to_ubl(reload(note))
    assert f"<cbc:UUID>{irn}</cbc:UUID>".encode() in xml and b"<cbc:IssueDate>2026-03-03</cbc:IssueDate>" in xml
    read = ubl_to_invoice_body(xml)
    assert (read["original_irn"], read["original_issue_date"]) == (irn, "2026-03-03")


def test_the_cap_on_an_invoice_certified_in_flowpoint_counts_its_certified_debit_notes_too(connected_tenant):
    from invoicing.errors import InvoiceError
    from tests.e2e.test_money import certified

    original = certified(connected_tenant, document_number="INV-CAP")  # 50,000 + 3,750 VAT = 53,750.00
    debit = create(
        connected_tenant,
        body(
            invoice_type="debit_note",
            document_number="DN-CAP",
            original_invoice_id=str(original.pk),
            line__unit_price="2000",
            line__quantity=1,
        ),
    )  # 2,000 + 150 VAT = 2,150.00
    assert tasks.submit_invoice(str(debit.pk)) == "certified"
    with pytest.raises(InvoiceError) as refused:  # 52,000.01 + 3,900.00 VAT = 55,900.01: one kobo too many
        create(
            connected_tenant,
            body(
                invoice_type="credit_note",
                document_number="CN-CAP",
                original_invoice_id=str(original.pk),
                line__unit_price="52000.01",
                line__quantity=1,
            ),
        )
    assert "(₦55,900.00)" in refused.value.message  # 53,750.00 + 2,150.00
    credit = create(
        connected_tenant,
        body(
            invoice_type="credit_note",
            document_number="CN-CAP",
            original_invoice_id=str(original.pk),
            line__unit_price="52000",
            line__quantity=1,
        ),
    )
    assert credit.payable == Decimal("55900.00")
