"""The buyer's side of the integrator API: invoices received through NRS, listed and read with an API key,
acknowledged to NRS (the embedded sandbox over HTTP), pulled on request; the reference's list envelope, parameter
style and error shape."""

from datetime import date

import pytest
from django_q.models import OrmQ
from django_scopes import scope, scopes_disabled

from invoicing.models import PurchasePull, ReceivedInvoice
from tests.api.conftest import assert_error_shape, key_client
from tests.factories import TenantFactory
from tests.purchases_factory import make_received_invoice

LIST = "/api/v1/purchases"


@pytest.fixture
def inbox(ready):
    """Three received invoices of `ready` from two suppliers, and one of another business."""
    paper = make_received_invoice(ready, number="SI-2026-0401", issue_date=date(2026, 4, 1))
    toner = make_received_invoice(
        ready,
        number="SI-2026-0420",
        issue_date=date(2026, 4, 20),
        lines=(("Toner cartridge", "2", "35000.00"), ("Delivery", "1", "5000.00")),
    )
    fuel = make_received_invoice(
        ready,
        number="FS-77",
        issue_date=date(2026, 5, 3),
        supplier_name="Lekki Fuel Services Ltd",
        supplier_tin="34567890-0001",
        status=ReceivedInvoice.Status.DISPUTED,
    )
    with scope(tenant=ready):
        ReceivedInvoice.objects.filter(pk=fuel.pk).update(dispute_reason="Litres billed twice")
    other = TenantFactory(name="Other Buyer Ltd", tin="99999999-0001")
    theirs = make_received_invoice(other, number="OTHER-1", issue_date=date(2026, 4, 15))
    return {"paper": paper, "toner": toner, "fuel": fuel, "theirs": theirs}


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content[:400]
    return [item["documentNumber"] for item in response.json()["items"]]


def test_the_list_pages_newest_first_with_the_references_envelope(api, inbox):
    body = api.get(LIST).json()
    assert set(body) == {"items", "total", "limit", "offset"}
    assert (body["total"], body["limit"], body["offset"]) == (3, 50, 0)
    assert [item["documentNumber"] for item in body["items"]] == ["FS-77", "SI-2026-0420", "SI-2026-0401"]
    assert numbers(api.get(LIST, {"limit": 1, "offset": 1})) == ["SI-2026-0420"]
    assert api.get(LIST, {"limit": 1, "offset": 1}).json()["total"] == 3
    assert numbers(api.get(LIST, {"offset": 3})) == []

    toner = next(item for item in body["items"] if item["documentNumber"] == "SI-2026-0420")
    assert toner == {
        "irn": inbox["toner"].irn,
        "documentNumber": "SI-2026-0420",
        "invoiceType": "invoice",
        "status": "new",
        "issueDate": "2026-04-20",
        "dueDate": "2026-05-20",
        "currency": "NGN",
        "supplier": {"name": "Ikeja Office Supplies Ltd", "tin": "23456789-0001"},
        "lineExtensionAmount": "75000.00",
        "taxAmount": "5625.00",
        "payableAmount": "80625.00",
        "transmittedAt": toner["transmittedAt"],
        "receivedAt": toner["receivedAt"],
        "acknowledgedAt": None,
        "decidedAt": None,
        "links": {
            "self": f"/api/v1/purchases/{inbox['toner'].irn}",
            "acknowledge": f"/api/v1/purchases/{inbox['toner'].irn}/acknowledge",
        },
    }
    assert toner["receivedAt"].endswith("Z") and toner["transmittedAt"].endswith("Z")
    fuel = body["items"][0]
    assert fuel["status"] == "disputed" and fuel["disputeReason"] == "Litres billed twice"


def test_the_list_filters_by_supplier_tin_status_and_period(api, inbox):
    assert numbers(api.get(LIST, {"supplier_tin": "34567890-0001"})) == ["FS-77"]
    assert numbers(api.get(LIST, {"supplier_tin": "23456789-0001"})) == ["SI-2026-0420", "SI-2026-0401"]
    assert numbers(api.get(LIST, {"supplier_tin": "00000000-0000"})) == []
    assert numbers(api.get(LIST, {"status": "disputed"})) == ["FS-77"]
    assert numbers(api.get(LIST, {"status": "new"})) == ["SI-2026-0420", "SI-2026-0401"]
    assert numbers(api.get(LIST, {"status": "accepted"})) == []
    assert numbers(api.get(LIST, {"from": "2026-04-20"})) == ["FS-77", "SI-2026-0420"]
    assert numbers(api.get(LIST, {"to": "2026-04-20"})) == ["SI-2026-0420", "SI-2026-0401"]
    assert numbers(api.get(LIST, {"from": "2026-04-02", "to": "2026-04-30"})) == ["SI-2026-0420"]
    assert numbers(api.get(LIST, {"q": "lekki"})) == ["FS-77"]
    assert numbers(api.get(LIST, {"q": inbox["paper"].irn[:12]})) == ["SI-2026-0401"]


def test_another_business_sees_none_of_these_and_its_own_only(api, inbox):
    assert "OTHER-1" not in numbers(api.get(LIST))
    theirs = key_client(inbox["theirs"].tenant)
    assert numbers(theirs.get(LIST)) == ["OTHER-1"]
    for path in (f"{LIST}/{inbox['paper'].irn}", f"{LIST}/{inbox['paper'].irn}/acknowledge"):
        method = theirs.post if path.endswith("acknowledge") else theirs.get
        body = assert_error_shape(method(path), 404)
        assert "Ikeja" not in str(body)
    with scopes_disabled():
        assert ReceivedInvoice.objects.get(pk=inbox["paper"].pk).acknowledged_at is None


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"status": "NEW"}, "status"),
        ({"status": "paid"}, "status"),
        ({"from": "2026-02-30"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": ""}, "from"),
        ({"supplier_tin": "1" * 21}, "supplier_tin"),
        ({"q": "x" * 101}, "q"),
        ({"limit": "501"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"limit": "ten"}, "limit"),
        ({"supplier_tin": "a\x00b"}, "supplier_tin"),
    ],
)
def test_a_bad_query_value_is_a_400_naming_the_parameter(api, inbox, query, parameter):
    body = assert_error_shape(api.get(LIST, query), 400)
    assert parameter in body["fields"], body


def test_the_detail_reads_the_document_lines_taxes_and_parties(api, inbox):
    toner = inbox["toner"]
    response = api.get(f"{LIST}/{toner.irn}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["irn"] == toner.irn and body["typeCode"] == "381" and body["status"] == "new"
    assert body["supplier"] == {
        "name": "Ikeja Office Supplies Ltd",
        "tin": "23456789-0001",
        "email": "accounts@supplier.example.ng",
        "phone": "+2348031234567",
        "address": "5 Wharf Road",
        "city": "Apapa",
        "postalCode": "102272",
        "state": "NG-LA",
        "lga": "NG-LA-APA",
        "country": "NG",
    }
    assert body["customer"]["tin"] == toner.tenant.tin and body["customer"]["name"] == toner.tenant.name
    assert body["lines"] == [
        {
            "position": 1,
            "description": "Toner cartridge",
            "quantity": "2",
            "unitPrice": "35000.00",
            "discount": "0.00",
            "fee": "0.00",
            "hsnCode": "4802.56",
            "isicCode": None,
            "lineExtensionAmount": "70000.00",
        },
        {
            "position": 2,
            "description": "Delivery",
            "quantity": "1",
            "unitPrice": "5000.00",
            "discount": "0.00",
            "fee": "0.00",
            "hsnCode": "4802.56",
            "isicCode": None,
            "lineExtensionAmount": "5000.00",
        },
    ]
    assert body["taxes"] == [
        {"taxCategory": "STANDARD_VAT", "taxRate": "7.5", "taxableAmount": "75000.00", "taxAmount": "5625.00"}
    ]
    assert (body["lineExtensionAmount"], body["taxAmount"], body["payableAmount"]) == (
        "75000.00",
        "5625.00",
        "80625.00",
    )
    assert body["billingReferences"] == [] and body["acknowledgedAt"] is None and body["decidedAt"] is None


def test_a_credit_note_names_the_invoice_it_amends(api, ready):
    note = make_received_invoice(
        ready, number="CN-9", type_code="380", billing_reference="SI20260401-7HQ2KD01-20260401"
    )
    body = api.get(f"{LIST}/{note.irn}").json()
    assert body["invoiceType"] == "credit_note" and body["typeCode"] == "380"
    assert body["billingReferences"] == [{"irn": "SI20260401-7HQ2KD01-20260401", "issueDate": "2026-04-12"}]


def test_a_document_nrs_sent_oddly_is_read_without_an_error(api, ready):
    """NRS wrote the document, not Flowpoint: an odd value is null in the answer, never a 500."""
    odd = make_received_invoice(ready, number="ODD-1")
    with scope(tenant=ready):
        document = odd.document
        document["invoice_line"] = [{"invoiced_quantity": "lots", "price": "n/a", "item": None}, "not a line"]
        document["tax_total"] = {"tax_amount": 1}
        document["accounting_supplier_party"] = None
        ReceivedInvoice.objects.filter(pk=odd.pk).update(document=document)
    body = api.get(f"{LIST}/{odd.irn}").json()
    assert body["lines"] == [
        {
            "position": 1,
            "description": "",
            "quantity": None,
            "unitPrice": None,
            "discount": None,
            "fee": None,
            "hsnCode": None,
            "isicCode": None,
            "lineExtensionAmount": None,
        }
    ]
    assert body["taxes"] == []
    assert body["supplier"]["name"] == "Ikeja Office Supplies Ltd"  # from the supplier on file


def test_an_unknown_irn_is_a_404_in_the_error_shape(api, inbox):
    for path in (f"{LIST}/NOPE-7HQ2KD01-20260401", f"{LIST}/{inbox['theirs'].irn}"):
        body = assert_error_shape(api.get(path), 404)
        assert "No received invoice" in body["error"]
        assert_error_shape(api.post(path + "/acknowledge"), 404)


def test_no_key_is_a_401(anon, inbox):
    for response in (anon.get(LIST), anon.get(f"{LIST}/{inbox['paper'].irn}"), anon.post(f"{LIST}/sync")):
        assert_error_shape(response, 401)


# --- acknowledge, through the embedded sandbox over HTTP ------------------------------------------------------


@pytest.fixture
def buyer(sandbox_url, key_file):
    """A business connected to the embedded sandbox, with its own TIN."""
    from integrations.nrs.sandbox.models import SandboxBusiness
    from tenants import services
    from tests.conftest import sandbox_business

    tenant = sandbox_business(key_file, name="Buyer Foods Ltd")
    services.tenant_update(tenant=tenant, tin="45678901-0001")
    # NRS knows the business by the same TIN: the sandbox lets only that TIN confirm receipt.
    SandboxBusiness.objects.filter(business_id=tenant.nrs_business_id).update(tin="45678901-0001")
    tenant.refresh_from_db()
    return tenant


def sandbox_copy(received):
    """The supplier's signed invoice as the sandbox holds it, transmitted to the buyer's TIN (the sandbox lets only
    the business with that TIN confirm receipt)."""
    from django.utils import timezone

    from integrations.nrs.sandbox.api import buyer_tin
    from integrations.nrs.sandbox.models import SandboxBusiness, SandboxInvoice

    supplier = SandboxBusiness.objects.exclude(business_id=received.tenant.nrs_business_id).first()
    supplier = supplier or SandboxBusiness.objects.get(business_id=received.tenant.nrs_business_id)
    return SandboxInvoice.objects.create(
        business=supplier,
        irn=received.irn,
        document=received.document,
        transmitted_at=timezone.now(),
        buyer_tin=buyer_tin(received.document),
    )


def test_acknowledging_tells_nrs_once_and_records_when_by_the_key(buyer):
    from integrations.nrs.sandbox.models import SandboxInvoice
    from tests.conftest import calls

    received = make_received_invoice(buyer, number="SI-2026-0500")
    assert received.document["accounting_customer_party"]["tin"] == "45678901-0001"
    sandbox_copy(received)
    api = key_client(buyer)
    path = f"{LIST}/{received.irn}/acknowledge"

    response = api.post(path)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "acknowledged" and body["acknowledgedAt"].endswith("Z")
    assert SandboxInvoice.objects.get(irn=received.irn).transmit_confirmed_at is not None
    with scope(tenant=buyer):
        row = ReceivedInvoice.objects.get(pk=received.pk)
        assert row.acknowledged_by_key is not None and row.acknowledged_by_key.name == "ERP"
    confirms = [call for call in calls(buyer) if call.endpoint == "transmit_confirm"]
    assert [(call.method, call.outcome) for call in confirms] == [("PATCH", "ok")]

    again = api.post(path)  # changes nothing, asks NRS nothing
    assert again.status_code == 200 and again.json()["acknowledgedAt"] == body["acknowledgedAt"]
    assert len([call for call in calls(buyer) if call.endpoint == "transmit_confirm"]) == 1
    assert api.get(f"{LIST}/{received.irn}").json()["status"] == "acknowledged"
    assert [item["status"] for item in api.get(LIST, {"status": "acknowledged"}).json()["items"]] == ["acknowledged"]


def test_when_nrs_does_not_take_it_the_answer_is_a_502_and_nothing_changes(buyer):
    received = make_received_invoice(buyer, number="SI-2026-0501")  # NRS holds no such IRN: it answers 404
    response = key_client(buyer).post(f"{LIST}/{received.irn}/acknowledge")
    body = assert_error_shape(response, 502, reason="SUBMISSION_ERROR")
    assert "not found" in body["nrsError"]
    with scope(tenant=buyer):
        row = ReceivedInvoice.objects.get(pk=received.pk)
        assert (row.status, row.acknowledged_at) == ("new", None)


# --- pull now -------------------------------------------------------------------------------------------------


def test_sync_answers_202_and_queues_a_pull_of_this_business(api, ready):
    response = api.post(f"{LIST}/sync")
    assert response.status_code == 202, response.content
    assert response.json() == {
        "status": "QUEUED",
        "lastPulledAt": None,
        "seenThrough": None,
        "lastError": None,
        "lastErrorAt": None,
    }
    assert [(row.task["func"], row.task["args"]) for row in OrmQ.objects.order_by("id")] == [
        ("invoicing.purchases.tasks.pull_purchases", (str(ready.pk),))
    ]


def test_sync_says_where_the_pulls_stand(api, ready):
    from django.utils import timezone

    PurchasePull.objects.create(
        tenant=ready,
        seen_through=date(2026, 4, 30),
        last_pulled_at=timezone.now(),
        last_error="access points are offline",
        last_error_at=timezone.now(),
    )
    body = api.post(f"{LIST}/sync").json()
    assert body["seenThrough"] == "2026-04-30" and body["lastError"] == "access points are offline"
    assert body["lastPulledAt"].endswith("Z") and body["lastErrorAt"].endswith("Z")


def test_the_routes_are_in_the_schema_with_the_list_parameters(client):
    schema = client.get("/api/v1/schema").json()
    parameters = {p["name"]: p for p in schema["paths"][LIST]["get"]["parameters"] if p["in"] == "query"}
    assert set(parameters) == {"limit", "offset", "from", "to", "supplier_tin", "status", "q"}
    assert parameters["limit"]["schema"]["maximum"] == 500 and parameters["limit"]["schema"]["default"] == 50
    assert parameters["status"]["schema"]["enum"] == ["new", "acknowledged", "accepted", "disputed"]
    assert set(schema["paths"][f"{LIST}/sync"]) == {"post"}
    assert "202" in schema["paths"][f"{LIST}/sync"]["post"]["responses"]
    acknowledge = schema["paths"][LIST + "/{irn}/acknowledge"]["post"]["responses"]
    assert {"200", "404", "502"} <= set(acknowledge)
    assert schema["components"]["schemas"]["PurchaseDetail"]["allOf"][0] == {
        "$ref": "#/components/schemas/PurchaseSummary"
    }


def test_a_clerks_session_may_read_but_not_acknowledge(ready, inbox):
    """Portal roles hold on a person's session here too: clerks see, admins and approvers acknowledge."""
    from django.utils import timezone
    from rest_framework.test import APIClient

    from tests.conftest import member

    paper = inbox["paper"]
    with scope(tenant=ready):
        ReceivedInvoice.objects.filter(pk=paper.pk).update(status="acknowledged", acknowledged_at=timezone.now())
    for role, expected in (("clerk", 403), ("reviewer", 403), ("approver", 200), ("admin", 200)):
        session = APIClient()
        session.force_login(member(ready, role))
        assert session.get(f"{LIST}/{paper.irn}").status_code == 200
        response = session.post(f"{LIST}/{paper.irn}/acknowledge")
        if expected == 403:
            body = assert_error_shape(response, 403)
            assert "Only admins and approvers" in body["error"]
            assert_error_shape(session.post(f"{LIST}/NOPE-1/acknowledge"), 403)  # whatever the IRN
        else:
            assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    with scope(tenant=inbox["toner"].tenant):
        assert ReceivedInvoice.objects.get(pk=inbox["toner"].pk).acknowledged_at is None
