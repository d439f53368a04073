"""invoice_create and friends: one service for forms, API bodies and CSV rows, with the spec's codes."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from django_q.models import OrmQ
from django_scopes import scope, scopes_disabled

from integrations.webhooks.models import WebhookEvent
from invoicing.errors import InvoiceError
from invoicing.models import Customer, GateRules, Invoice, Item
from invoicing.services import Actor, invoice_approve, invoice_create, invoice_review, invoice_submit
from tenants.models import CryptoKey, Location
from tenants.services import tenant_update
from tests.conftest import member
from tests.factories import TenantFactory, make_ready
from tests.invoicing.conftest import body


def queued_tasks() -> list[dict]:
    """The submissions queued (the notifications' e-mail tasks are tests/notifications' concern)."""
    return [row.task for row in OrmQ.objects.order_by("id") if not row.task["func"].startswith("tenants.")]


def create(tenant, data, **kwargs):
    return invoice_create(tenant=tenant, data=data, actor=kwargs.pop("actor", Actor()), **kwargs)


def reason_of(tenant, data, **kwargs) -> InvoiceError:
    with pytest.raises(InvoiceError) as exc:
        create(tenant, data, **kwargs)
    return exc.value


def test_the_spec_b2b_example_is_queued_with_irn_totals_and_snapshots(ready_tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        invoice = create(ready_tenant, body())
    assert invoice.status == "PENDING" and invoice.type_code == "381"
    assert invoice.irn == "INV2026001-94ND90NR-20260425"
    assert (invoice.line_extension, invoice.tax_total, invoice.payable) == (
        Decimal("50000.00"),
        Decimal("3750.00"),
        Decimal("53750.00"),
    )
    assert invoice.supplier["tin"] == "12345678-0001" and invoice.supplier["address"]["lga"] == "NG-LA-IKJ"
    assert invoice.buyer["name"] == "Acme Ltd" and invoice.buyer["address"]["postal_zone"] == "101001"
    # Written with the invoice, in its transaction: the submission task (the id only) and the pending event.
    assert [(task["func"], task["args"]) for task in queued_tasks()] == [
        ("invoicing.tasks.submit_invoice", (str(invoice.pk),))
    ]
    with scopes_disabled():
        assert list(WebhookEvent.objects.values_list("type", "invoice_id")) == [("invoice.pending", invoice.pk)]
    assert callbacks == []  # nothing is left for after the commit, so nothing can be lost there
    # Copied when issued: a later profile change does not rewrite the invoice.
    ready_tenant.name = "Renamed Ltd"
    ready_tenant.save()
    with scope(tenant=ready_tenant):
        assert Invoice.objects.get().supplier["name"] == "Kola Foods Ltd"


def test_money_is_decimal_half_up_per_line(ready_tenant):
    invoice = create(
        ready_tenant,
        body(
            lines=[
                {"description": "Pens", "quantity": "3", "unit_price": "33.33", "hsn_code": "9608.10"},
                {
                    "description": "Paper",
                    "quantity": 2,
                    "unit_price": 10.05,
                    "discount": "0.10",
                    "fee": "0.05",
                    "hsn_code": "4802.56",
                },
            ]
        ),
    )
    assert invoice.line_extension == Decimal("120.04")
    assert invoice.tax_total == Decimal("9.00")  # 7.49925 → 7.50 and 1.50375 → 1.50, rounded per line
    assert invoice.payable == Decimal("129.04")


def test_b2b_buyer_fields_are_required(ready_tenant):
    error = reason_of(ready_tenant, body(customer={"name": "Acme Ltd"}))
    assert error.reason == "CUSTOMER_VALIDATION_FAILED" and error.status == 400
    assert error.fields == {f"customer.{k}": "required" for k in ("tin", "email", "address", "city", "postal_code")}
    short = reason_of(ready_tenant, body(customer__tin="1234"))
    assert short.reason == "CUSTOMER_VALIDATION_FAILED" and "5 characters" in short.fields["customer.tin"]
    phone = reason_of(ready_tenant, body(customer__phone="08012345678"))
    assert "customer.phone" in phone.fields


def test_b2c_needs_only_the_buyers_name(ready_tenant):
    invoice = create(ready_tenant, body(invoice_kind="B2C", customer={"name": "Walk-in Customer"}))
    assert invoice.kind == "B2C" and invoice.status == "PENDING"
    assert reason_of(ready_tenant, body(invoice_kind="B2C", customer={})).fields == {"customer.name": "required"}


def test_b2g_is_inferred_from_a_buyer_tin_saved_as_government(ready_tenant):
    Customer.objects.create(tenant=ready_tenant, kind="B2G", name="Lagos State Ministry", tin="12345678-0001")
    invoice = create(ready_tenant, body())
    assert invoice.kind == "B2G"


def test_only_this_business_live_customers_are_looked_up(ready_tenant, key_file):
    other = make_ready(TenantFactory(name="Other Foods Ltd"), key_file)
    with scope(tenant=other):
        theirs = Customer.objects.create(tenant=other, kind="B2G", name="Their Ministry", tin="12345678-0001")
    assert create(ready_tenant, body()).kind == "B2B"  # their government customer with this TIN is not ours
    unknown = reason_of(ready_tenant, body(customer={}, customer_id=theirs.pk))
    assert unknown.reason == "CUSTOMER_VALIDATION_FAILED" and unknown.fields == {"customer_id": "unknown customer"}

    with scope(tenant=ready_tenant):
        ours = Customer.objects.create(tenant=ready_tenant, kind="B2G", name="Our Ministry", tin="12345678-0001")
        as_the_orm_reads_it = Customer.objects.get(pk=ours.pk)
    invoice = create(ready_tenant, body(document_number="INV-2"))
    assert invoice.kind == "B2G" and invoice.customer == ours
    assert vars(invoice.customer).keys() >= {"created_at", "archived_at", "state_id"}
    for field in Customer._meta.concrete_fields:
        assert getattr(invoice.customer, field.attname) == getattr(as_the_orm_reads_it, field.attname), field.name
    with scope(tenant=ready_tenant):
        Customer.objects.filter(pk=ours.pk).update(archived_at=timezone.now())
    assert create(ready_tenant, body(document_number="INV-3")).kind == "B2B"  # archived: no longer looked up
    archived = reason_of(ready_tenant, body(document_number="INV-4", customer={}, customer_id=ours.pk))
    assert archived.fields == {"customer_id": "unknown customer"}


def test_a_saved_customer_fills_the_buyer_or_says_what_is_missing(ready_tenant):
    with scope(tenant=ready_tenant):
        full = Customer.objects.create(
            tenant=ready_tenant,
            kind="B2B",
            name="Dangote Ltd",
            tin="22222222-0001",
            email="ap@dangote.ng",
            address="1 Alfred Rewane Rd",
            city="Lagos",
            postal_code="101233",
            state_id="NG-LA",
            lga_id="NG-LA-EOS",
        )
        no_tin = Customer.objects.create(tenant=ready_tenant, kind="B2B", name="No Tin Ltd", email="a@b.ng")
        no_address = Customer.objects.create(
            tenant=ready_tenant, kind="B2B", name="No Address", tin="33333333-0001", email="a@c.ng"
        )
    invoice = create(ready_tenant, body(customer={}, customer_id=full.pk))
    assert invoice.buyer["address"]["lga"] == "NG-LA-EOS" and invoice.customer == full
    assert reason_of(ready_tenant, body(customer={}, customer_id=no_tin.pk)).reason == "unresolved_b2b_missing_tin"
    assert (
        reason_of(ready_tenant, body(customer={}, customer_id=no_address.pk)).reason
        == "unresolved_b2b_customer_address"
    )


def test_document_number_rules(ready_tenant):
    uuid_like = reason_of(ready_tenant, body(document_number="3f1c2e9a-7b4d-4c1e-9a2f-1b2c3d4e5f60"))
    assert uuid_like.reason == "invalid_document_number" and uuid_like.status == 400
    assert reason_of(ready_tenant, body(document_number="---")).reason == "invalid_document_number"
    first = create(ready_tenant, body())
    with scopes_disabled():
        Invoice.objects.filter(pk=first.pk).update(status="CERTIFIED")
    conflict = reason_of(ready_tenant, body(issue_date="2026-04-26"))
    assert conflict.reason == "DOCUMENT_NUMBER_CONFLICT_INVOICE" and conflict.status == 409
    assert "certified" in conflict.message
    # A draft may reuse a number until it is submitted.
    draft = create(ready_tenant, body(), draft=True)
    assert draft.status == "DRAFT"
    with pytest.raises(InvoiceError) as refused:
        invoice_submit(invoice=draft, actor=Actor())
    assert refused.value.reason == "DOCUMENT_NUMBER_CONFLICT_INVOICE" and "certified" in refused.value.message
    with scopes_disabled():
        Invoice.objects.filter(pk=first.pk).update(status="DRAFT")
    assert invoice_submit(invoice=draft, actor=Actor()).status == "PENDING"  # its own number is no conflict


def test_another_business_may_use_the_same_number(ready_tenant, key_file):
    other = make_ready(TenantFactory(name="Other Foods Ltd"), key_file)
    tenant_update(tenant=other, nrs_service_id="7A2B9C1D")  # each business has its own NRS service ID
    first = create(ready_tenant, body())
    with scopes_disabled():
        Invoice.objects.filter(pk=first.pk).update(status="CERTIFIED")
    assert create(other, body()).document_number == first.document_number


def test_line_resolution(ready_tenant):
    assert reason_of(ready_tenant, body(line__hsn_code="9999.99")).reason == "unresolvable_hsn"
    assert reason_of(ready_tenant, body(line__hsn_code="")).reason == "unresolvable_hsn"
    assert reason_of(ready_tenant, body(line__unit_price=0)).reason == "unresolvable_unit_price"
    assert reason_of(ready_tenant, body(line__unit_price=None)).reason == "unresolvable_unit_price"
    service = create(ready_tenant, body(document_number="S1", line__hsn_code="", line__isic_code="7020"))
    with scope(tenant=ready_tenant):
        assert service.lines.get().isic_code == "7020"


def test_a_line_may_name_a_saved_item(ready_tenant):
    with scope(tenant=ready_tenant):
        item = Item.objects.create(
            tenant=ready_tenant,
            name="Rice 50kg",
            unit_price_kobo=4500000,
            hs_code_id="1006.30",
            tax_scheme_id="ZERO_VAT",
            tax_rate=Decimal("0"),
        )
    invoice = create(ready_tenant, body(lines=[{"item_id": item.pk, "quantity": 2}]))
    with scope(tenant=ready_tenant):
        line = invoice.lines.get()
    assert (line.description, line.unit_price, line.hsn_code, line.tax_category) == (
        "Rice 50kg",
        Decimal("45000.00"),
        "1006.30",
        "ZERO_VAT",
    )
    assert invoice.payable == Decimal("90000.00")


def test_wrong_shapes_are_incomplete_unpatchable_with_every_field_named(ready_tenant):
    error = reason_of(
        ready_tenant,
        body(invoice_kind="B2X", issue_date="25/04/2026", lines=[{"quantity": "many", "unit_price": True}]),
    )
    assert error.reason == "incomplete_unpatchable"
    assert {"invoice_kind", "issue_date", "lines[0].quantity", "lines[0].unit_price"} <= set(error.fields)
    assert reason_of(ready_tenant, "not an object").reason == "incomplete_unpatchable"
    assert reason_of(ready_tenant, body(line__tax_scheme="NOPE")).fields == {
        "lines[0].tax_scheme": "must be a tax category such as STANDARD_VAT"
    }


def test_zero_value(ready_tenant):
    error = reason_of(ready_tenant, body(line__tax_rate=0, line__discount=50000))
    assert error.reason == "ZERO_VALUE"


@pytest.mark.parametrize(
    ("break_it", "reason"),
    [
        (lambda t: setattr(t, "tin", ""), "SUPPLIER_VALIDATION_FAILED"),
        (lambda t: Location.objects.with_scope(tenant=t).all().delete(), "SUPPLIER_VALIDATION_FAILED"),
        (lambda t: setattr(t, "nrs_business_id", None), "NO_BUSINESS_ID"),
        (lambda t: setattr(t, "nrs_service_id", ""), "NO_SERVICE_ID"),
        (lambda t: CryptoKey.objects.with_scope(tenant=t).all().delete(), "NO_KEYS"),
    ],
)
def test_supplier_readiness_on_create(ready_tenant, break_it, reason):
    break_it(ready_tenant)
    ready_tenant.save()
    error = reason_of(ready_tenant, body())
    assert error.reason == reason and error.status == 400
    with scopes_disabled():
        assert not Invoice.objects.exists()  # nothing saved


def _gates(tenant, **rules):
    GateRules.objects.update_or_create(tenant=tenant, defaults=rules)


def test_review_then_approval_then_queue_with_maker_checker(ready_tenant):
    clerk = member(ready_tenant, "clerk")
    reviewer = member(ready_tenant, "reviewer")
    approver = member(ready_tenant, "approver")
    _gates(ready_tenant, review="all", approval_above=Decimal("10000"), maker_checker=True)
    invoice = create(ready_tenant, body(), actor=Actor(clerk))
    assert (invoice.status, invoice.block_reason) == ("PENDING_REVIEW", "BLOCKED_PENDING_REVIEW")
    invoice = invoice_review(invoice=invoice, user=reviewer, approve=True, comment="Numbers check out")
    assert (invoice.status, invoice.block_reason) == ("PENDING_APPROVAL", "BLOCKED_PENDING_APPROVAL")
    with pytest.raises(InvoiceError) as exc:
        invoice_approve(invoice=invoice, user=clerk, approve=True)
    assert exc.value.reason == "MAKER_CHECKER" and exc.value.status == 403
    assert queued_tasks() == []
    invoice = invoice_approve(invoice=invoice, user=approver, approve=True)
    assert invoice.status == "PENDING"
    assert [task["args"] for task in queued_tasks()] == [(str(invoice.pk),)]
    with scopes_disabled():
        assert WebhookEvent.objects.filter(invoice_id=invoice.pk, type="invoice.pending").count() == 1
    with scope(tenant=ready_tenant):
        kinds = [e.kind for e in invoice.events.all()]
    assert kinds == [
        "invoice.created",
        "invoice.held",
        "invoice.reviewed",
        "invoice.held",
        "invoice.approved",
        "invoice.pending",
    ]


def test_rejection_returns_to_draft_with_the_reason(ready_tenant):
    clerk, reviewer = member(ready_tenant, "clerk"), member(ready_tenant, "reviewer")
    _gates(ready_tenant, review="notes")
    assert create(ready_tenant, body(document_number="N0"), actor=Actor(clerk)).status == "PENDING"  # not a note
    _gates(ready_tenant, review="all")
    invoice = create(ready_tenant, body(), actor=Actor(clerk))
    with pytest.raises(InvoiceError, match="Say why"):
        invoice_review(invoice=invoice, user=reviewer, approve=False, comment=" ")
    invoice = invoice_review(invoice=invoice, user=reviewer, approve=False, comment="Wrong PO number")
    assert invoice.status == "DRAFT" and invoice.rejection_reason == "Wrong PO number"
    # Fixed and submitted again, it goes back to review.
    assert invoice_submit(invoice=invoice, actor=Actor(clerk)).status == "PENDING_REVIEW"


@pytest.mark.parametrize(
    ("rules", "data", "held"),
    [
        ({"review": "b2g"}, body(invoice_kind="B2G"), True),
        ({"review": "b2g"}, body(), False),
        ({"review": "above", "review_above": Decimal("50000")}, body(), True),
        ({"review": "above", "review_above": Decimal("60000")}, body(), False),
        ({"approval_above": Decimal("60000")}, body(), False),
    ],
)
def test_review_rules(ready_tenant, rules, data, held):
    _gates(ready_tenant, **rules)
    assert (create(ready_tenant, data).status != "PENDING") is held


def test_checklist_failure_at_release_holds_the_invoice(ready_tenant):
    reviewer = member(ready_tenant, "reviewer")
    _gates(ready_tenant, review="all")
    invoice = create(ready_tenant, body())
    with scope(tenant=ready_tenant):
        CryptoKey.objects.all().delete()
    invoice = invoice_review(invoice=invoice, user=reviewer, approve=True)
    assert (invoice.status, invoice.block_reason) == ("BLOCKED", "BLOCKED_CHECKLIST_FAILED")
    assert "crypto-key" in invoice.block_detail


def test_notes_name_a_certified_invoice_and_credit_cannot_exceed_it(ready_tenant):
    original = create(ready_tenant, body())
    note = body(document_number="CN-1", invoice_type="credit_note", original_invoice_id=str(original.pk))
    assert reason_of(ready_tenant, note).fields == {"original_invoice_id": "must be a certified invoice"}
    with scopes_disabled():
        Invoice.objects.filter(pk=original.pk).update(status="CERTIFIED")
    credit = create(
        ready_tenant,
        body(document_number="CN-1", invoice_type="credit_note", original_irn=original.irn, line__unit_price=30000),
    )
    assert credit.type_code == "380" and credit.original == original
    too_much = reason_of(
        ready_tenant,
        body(
            document_number="CN-2",
            invoice_type="credit_note",
            original_invoice_id=str(original.pk),
            line__unit_price=20001,
        ),
    )
    assert too_much.reason == "CREDIT_NOTE_EXCEEDS_INVOICE"
    debit = create(
        ready_tenant,
        body(
            document_number="DN-1",
            invoice_type="debit_note",
            original_invoice_id=str(original.pk),
            line__unit_price=90000,
        ),
    )
    assert debit.type_code == "384"
    assert reason_of(ready_tenant, body(document_number="CN-3", invoice_type="credit_note")).fields == {
        "original_invoice_id": "required (or original_irn)"
    }


def test_drafts_are_checked_but_not_sent_and_only_drafts_are_editable(ready_tenant):
    from invoicing.services import invoice_update_draft

    draft = create(ready_tenant, body(), draft=True)
    assert draft.status == "DRAFT" and draft.submitted_at is None
    with pytest.raises(InvoiceError) as exc:
        invoice_update_draft(invoice=draft, data=body(customer={"name": "Acme"}), actor=Actor())
    assert exc.value.reason == "CUSTOMER_VALIDATION_FAILED"
    draft = invoice_update_draft(invoice=draft, data=body(issue_date="2026-04-30"), actor=Actor())
    assert draft.issue_date == date(2026, 4, 30)
    submitted = invoice_submit(invoice=draft, actor=Actor())
    assert submitted.status == "PENDING" and submitted.irn.endswith("-20260430")
    with pytest.raises(InvoiceError) as exc:
        invoice_update_draft(invoice=submitted, data=body(), actor=Actor())
    assert exc.value.status == 409


def test_a_saved_items_price_times_a_huge_quantity_is_refused_not_saved(ready_tenant):
    # The body's own amounts are bounded when parsed; a line priced from a saved item is bounded here.
    with scope(tenant=ready_tenant):
        item = Item.objects.create(tenant=ready_tenant, name="Turbine", unit_price_kobo=10**12, hs_code_id="8517.11")
    line = {"item_id": item.pk, "quantity": "99999999"}
    error = reason_of(ready_tenant, body(lines=[line]))
    assert error.reason == "incomplete_unpatchable" and "lines[0].quantity" in error.fields
    with scopes_disabled():
        assert not Invoice.objects.filter(tenant=ready_tenant).exists()
