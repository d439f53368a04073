"""Every change to an invoice goes through these functions: create (form, API body or CSV row), drafts,
the review/approval gates, retries and payments. Submission to NRS is in submission.py."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django_scopes import scope

from integrations.nrs.payload import INVOICE_TYPE_CODES, build_irn
from integrations.reference import lookup
from invoicing.errors import InvoiceError
from invoicing.models import Customer, GateRules, Invoice, InvoiceEvent, InvoiceLine, Item, Kind
from invoicing.parsing import MAX_AMOUNT, InvoiceInput, looks_like_uuid, parse_invoice
from invoicing.setup import tenant_setup
from invoicing.totals import document_totals, line_amounts, to_kobo
from portal.queries import any_row, db_value, insert, row_where
from portal.queueing import enqueue_on_commit
from tenants.audit import audit, diff
from tenants.models import Location, Tenant
from tenants.readiness import primary_location, tenant_readiness
from tenants.validators import PHONE_RE

Status = Invoice.Status
LIVE = (
    Status.PENDING_REVIEW,
    Status.PENDING_APPROVAL,
    Status.BLOCKED,
    Status.PENDING,
    Status.SUBMITTING,
    Status.CERTIFIED,
    Status.REPORTED,
    Status.FAILED,
)
CERTIFIED = (Status.CERTIFIED, Status.REPORTED)


@dataclass(frozen=True)
class Actor:
    """Who did it: a portal user or an integration's API key."""

    user: object = None
    api_key: object = None

    @property
    def user_id(self):
        return getattr(self.user, "pk", None)


WEBHOOK_KINDS = {
    "invoice.pending",
    "invoice.certified",
    "invoice.reported",
    "invoice.failed",
    "invoice.payment_updated",
}


def event(invoice: Invoice, kind: str, message: str = "", actor: Actor | None = None, **data) -> InvoiceEvent:
    return events(invoice, actor, [(kind, message, data)])[0]


def events(invoice: Invoice, actor: Actor | None, entries: list[tuple[str, str, dict]]) -> list[InvoiceEvent]:
    """Timeline entries (kind, message, data), in one insert, with the webhook events of those that have one.

    Call it in the transaction that saves the change, after setting it on `invoice`: the change, its entries
    and its webhook events (the invoice as it is now) commit together, so no event can be lost.
    """
    from integrations.webhooks.services import webhook_emit

    actor = actor or Actor()
    created = [
        InvoiceEvent(
            tenant_id=invoice.tenant_id,
            invoice=invoice,
            kind=kind,
            message=message,
            data=data,
            actor=actor.user if getattr(actor.user, "pk", None) else None,
            actor_key=actor.api_key,
        )
        for kind, message, data in entries
    ]
    insert(created)
    for kind, _message, _data in entries:
        if kind in WEBHOOK_KINDS:
            webhook_emit(invoice=invoice, kind=kind)
    return created


# --- create, drafts -------------------------------------------------------------------------


def invoice_create(*, tenant: Tenant, data, actor: Actor, draft: bool = False, bulk: bool = False) -> Invoice:
    """Validate and save an invoice; unless it is a draft, apply the gates (and queue it for NRS).

    The invoice is inserted once, with the status its gates give it: this is the API's hottest write.
    `bulk`: one of many from a file or a connector, sent to NRS after the business's single invoices.
    """
    with scope(tenant=tenant):
        parsed = parse_invoice(data)
        checked = _check(tenant, parsed, draft=draft)
        invoice = Invoice(
            tenant=tenant, created_by=actor.user if actor.user_id else None, created_by_key=actor.api_key, bulk=bulk
        )
        _apply(invoice, checked)
        with transaction.atomic():
            if draft:
                invoice.status = Status.DRAFT
                entries = [("invoice.created", "Saved as a draft.", {})]
            else:
                entries = [("invoice.created", "Created.", {}), _gate(invoice, checked.readiness, checked.rules)]
            _save_released(invoice, new=True)
            _save_lines(invoice, checked)
            events(invoice, actor, entries)
            if invoice.status == Status.PENDING:
                _enqueue(invoice)
        return invoice


def invoice_update_draft(*, invoice: Invoice, data, actor: Actor) -> Invoice:
    """Replace a draft's content (the buyer and lines are validated again)."""
    with scope(tenant=invoice.tenant):
        _lock_editable(invoice)
        checked = _check(invoice.tenant, parse_invoice(data), draft=True, exclude=invoice.pk)
        with transaction.atomic():
            _apply(invoice, checked)
            invoice.save()
            invoice.lines.all().delete()
            _save_lines(invoice, checked)
            event(invoice, "invoice.updated", "Draft updated.", actor)
        return invoice


def invoice_submit(*, invoice: Invoice, actor: Actor) -> Invoice:
    """A draft leaves for NRS: full checks, then the gates."""
    with scope(tenant=invoice.tenant):
        _lock_editable(invoice)
        data = invoice_as_data(invoice)
        checked = _check(invoice.tenant, parse_invoice(data), draft=False, exclude=invoice.pk)
        with transaction.atomic():
            _apply(invoice, checked)
            _release(invoice, actor, checked.readiness, checked.rules)
        return invoice


def invoice_delete_draft(*, invoice: Invoice) -> None:
    with scope(tenant=invoice.tenant):
        _lock_editable(invoice)
        invoice.delete()


def _lock_editable(invoice: Invoice) -> None:
    current = any_row(Invoice.objects.filter(pk=invoice.pk).values_list("status", flat=True))
    if current != Status.DRAFT:
        raise InvoiceError(
            "NOT_EDITABLE",
            f"This invoice is {Status(current).label.lower() if current else 'gone'}; only drafts can be changed.",
            status=409,
        )


# --- checks ---------------------------------------------------------------------------------


@dataclass
class Checked:
    parsed: InvoiceInput
    kind: str
    customer: Customer | None
    buyer: dict
    lines: list  # (LineInput, LineAmounts, item)
    original: Invoice | None
    readiness: list | None = None  # the tenant's checklist as checked (not for drafts), reused at release
    location: Location | None = None  # the primary location read for that checklist, reused in the snapshot
    rules: GateRules | None = None  # the review/approval rules, read with the location (not for drafts)


def _check(tenant: Tenant, parsed: InvoiceInput, *, draft: bool, exclude=None) -> Checked:
    number = parsed.document_number
    if not number:
        raise InvoiceError(
            "invalid_document_number", "The document number is required.", fields={"document_number": "required"}
        )
    if looks_like_uuid(number) or not any(ch.isalnum() for ch in number):
        raise InvoiceError(
            "invalid_document_number",
            "Use a human-readable invoice number such as INV-2026-001, not a UUID.",
            fields={"document_number": "must be a human-readable number, not a UUID"},
        )
    if parsed.currency not in lookup.currencies():
        raise InvoiceError(
            "incomplete_unpatchable",
            f"Unknown currency {parsed.currency}.",
            fields={"currency": "must be an ISO 4217 code such as NGN"},
        )
    if parsed.due_date and parsed.issue_date and parsed.due_date < parsed.issue_date:
        raise InvoiceError(
            "incomplete_unpatchable",
            "The due date is before the issue date.",
            fields={"due_date": "must be on or after the issue date"},
        )

    customer, buyer, kind = _buyer(tenant, parsed)
    lines = _lines(tenant, parsed)
    totals = document_totals([(amounts, line.tax_scheme, line.tax_rate) for line, amounts, _ in lines])
    if totals.payable <= 0:
        raise InvoiceError(
            "ZERO_VALUE",
            "The invoice total is zero; lines must add up to a positive amount.",
            fields={"lines": "total payable must be greater than zero"},
        )
    original = _original(tenant, parsed, totals.payable, exclude)
    readiness = location = rules = None
    if not draft:
        setup = tenant_setup(tenant)
        location, rules = setup.location, setup.rules
        readiness = setup.readiness(tenant)
        _supplier_ready(tenant, readiness)
        conflict = _number_in_use(tenant, number, exclude)
        if conflict:
            certified = conflict in CERTIFIED
            raise InvoiceError(
                "DOCUMENT_NUMBER_CONFLICT_INVOICE",
                f"Invoice number {number} is already used by a{' certified' if certified else 'n'} invoice "
                f"({Status(conflict).label.lower()}). Pick a different number.",
                fields={"document_number": "already used"},
                status=409,
            )
    return Checked(parsed, kind, customer, buyer, lines, original, readiness, location, rules)


def _number_in_use(tenant: Tenant, number: str, exclude=None) -> str | None:
    """The status of another live invoice of this business with this number, if there is one.

    In SQL written once: the ORM compiled this lookup anew for every create, a tenth of a create's work. Only
    the status is read: the whole row (JSON snapshots and all) was once the costliest query of a create.
    """
    sql, params = _NUMBER_IN_USE_SQL, [db_value(Invoice, "tenant", tenant.pk), number, *LIVE]
    if exclude is not None:
        sql += " AND id <> %s"
        params.append(db_value(Invoice, "id", exclude))
    with connection.cursor() as cursor:
        cursor.execute(sql + " LIMIT 1", params)
        row = cursor.fetchone()
    return row[0] if row else None


_NUMBER_IN_USE_SQL = (
    f"SELECT status FROM {Invoice._meta.db_table} WHERE tenant_id = %s AND document_number = %s"
    f" AND status IN ({', '.join(['%s'] * len(LIVE))})"
)


def _buyer(tenant: Tenant, parsed: InvoiceInput):
    """The buyer as it will be issued: the request's fields, completed from a saved customer."""
    given = dict(parsed.customer)
    customer = None
    # Live customers of this business only: the tenant is in the SQL, as the scope would add it.
    if parsed.customer_id:
        where = "tenant_id = %s AND id = %s AND archived_at IS NULL"
        customer = row_where(Customer, where, [db_value(Customer, "tenant", tenant.pk), parsed.customer_id])
        if customer is None:
            raise InvoiceError(
                "CUSTOMER_VALIDATION_FAILED",
                "The chosen customer does not exist.",
                fields={"customer_id": "unknown customer"},
            )
    elif given.get("tin"):  # one live customer per TIN
        where = "tenant_id = %s AND tin = %s AND archived_at IS NULL"
        customer = row_where(Customer, where, [db_value(Customer, "tenant", tenant.pk), given["tin"]])
    kind = parsed.kind
    if customer is not None:
        if customer.kind == Kind.B2G and kind == Kind.B2B:
            kind = Kind.B2G  # the spec: B2G is inferred from a buyer TIN saved as a government customer
        saved = {
            "name": customer.name,
            "tin": customer.tin,
            "email": customer.email,
            "phone": customer.phone,
            "address": customer.address,
            "city": customer.city,
            "postal_code": customer.postal_code,
            "state": customer.state_id or "",
            "lga": customer.lga_id or "",
            "country": customer.country_id or "NG",
        }
        given = {k: given.get(k) or saved.get(k, "") for k in saved}
    given["country"] = (given.get("country") or "NG").upper()

    if not given.get("name"):
        raise InvoiceError(
            "CUSTOMER_VALIDATION_FAILED", "The buyer's name is required.", fields={"customer.name": "required"}
        )
    if kind in (Kind.B2B, Kind.B2G):
        if parsed.customer_id and customer is not None:
            if not customer.tin and not parsed.customer.get("tin"):
                raise InvoiceError(
                    "unresolved_b2b_missing_tin",
                    f"The saved customer {customer.name} has no TIN; send customer.tin.",
                    fields={"customer.tin": "required"},
                )
            if not all(given.get(k) for k in ("address", "city", "postal_code")):
                raise InvoiceError(
                    "unresolved_b2b_customer_address",
                    f"The saved customer {customer.name} has no full address; send it.",
                    fields={
                        f"customer.{k}": "required" for k in ("address", "city", "postal_code") if not given.get(k)
                    },
                )
        problems = {}
        for name in ("tin", "email", "address", "city", "postal_code"):
            if not given.get(name):
                problems[f"customer.{name}"] = "required"
        if given.get("tin") and len(given["tin"]) < 5:
            problems["customer.tin"] = "must be at least 5 characters (e.g. 12345678-0001 or RC-1234567)"
        if given.get("email"):
            try:
                validate_email(given["email"])
            except Exception:
                problems["customer.email"] = "must be a valid e-mail address"
        if given.get("phone") and not PHONE_RE.match(given["phone"]):
            problems["customer.phone"] = "must start with + and the country code, e.g. +2348012345678"
        if problems:
            raise InvoiceError(
                "CUSTOMER_VALIDATION_FAILED",
                f"{kind} invoices need the buyer's TIN, e-mail, address, city and postal code.",
                fields=problems,
            )
    state = given.get("state") or ""
    if state and state not in lookup.states():
        raise InvoiceError(
            "CUSTOMER_VALIDATION_FAILED",
            f"Unknown state code {given['state']}.",
            fields={"customer.state": "must be an NRS state code such as NG-LA"},
        )
    lga = given.get("lga") or ""
    if lga and lookup.lgas().get(lga, ("", None))[1] != state:
        raise InvoiceError(
            "CUSTOMER_VALIDATION_FAILED",
            "The buyer's LGA must be an LGA of the buyer's state.",
            fields={"customer.lga": "must be an NRS LGA code of customer.state"},
        )
    if given["country"] not in lookup.countries():
        raise InvoiceError(
            "CUSTOMER_VALIDATION_FAILED",
            f"Unknown country {given['country']}.",
            fields={"customer.country": "must be an ISO alpha-2 code such as NG"},
        )
    buyer = {
        "name": given["name"],
        "tin": given.get("tin", ""),
        "email": given.get("email", ""),
        "telephone": given.get("phone", ""),
        "description": "",
        "address": {
            "street": given.get("address", ""),
            "city": given.get("city", ""),
            "postal_zone": given.get("postal_code", ""),
            "lga": lga,
            "lga_name": lookup.lgas()[lga][0] if lga else "",
            "state": state,
            "state_name": lookup.states()[state] if state else "",
            "country": given["country"],
        },
    }
    return customer, buyer, kind


def _lines(tenant: Tenant, parsed: InvoiceInput) -> list:
    checked = []
    item_ids = [line.item_id for line in parsed.lines if line.item_id]
    items = {item.pk: item for item in Item.objects.filter(pk__in=item_ids)} if item_ids else {}
    categories = lookup.tax_categories()
    for index, line in enumerate(parsed.lines):
        where = f"lines[{index}]"
        item = items.get(line.item_id) if line.item_id else None
        if line.item_id and item is None:
            raise InvoiceError(
                "incomplete_unpatchable",
                f"Line {index + 1} names an unknown item.",
                fields={f"{where}.item_id": "unknown item"},
            )
        if item is not None:  # a saved item fills what the line leaves out
            line.description = line.description or item.name
            if line.unit_price is None:
                line.unit_price = Decimal(item.unit_price_kobo) / 100
            line.hsn_code = line.hsn_code or (item.hs_code_id or "")
            line.isic_code = line.isic_code or (item.service_code_id or "")
            line.category = line.category or item.category
            line.tax_scheme = line.tax_scheme or item.tax_scheme_id
            line.tax_rate = line.tax_rate if line.tax_rate is not None else item.tax_rate
            line.unit = line.unit or (item.unit_id or "")
        if not line.description:
            raise InvoiceError(
                "incomplete_unpatchable",
                f"Line {index + 1} needs a description.",
                fields={f"{where}.description": "required"},
            )
        if line.quantity is None or line.quantity <= 0:
            raise InvoiceError(
                "incomplete_unpatchable",
                f"Line {index + 1} needs a quantity above zero.",
                fields={f"{where}.quantity": "must be greater than 0"},
            )
        if line.unit_price is None or line.unit_price <= 0:
            raise InvoiceError(
                "unresolvable_unit_price",
                f"Line {index + 1} needs a positive unit price.",
                fields={f"{where}.unit_price": "must be greater than 0"},
            )
        if line.hsn_code:
            if line.hsn_code not in lookup.hs_codes():
                raise InvoiceError(
                    "unresolvable_hsn",
                    f"Line {index + 1}: {line.hsn_code} is not a known HS code.",
                    fields={f"{where}.hsn_code": "unknown HS code; see GET /api/v1/helpers/hs-codes"},
                )
        elif line.isic_code:
            if line.isic_code not in lookup.service_codes():
                raise InvoiceError(
                    "unresolvable_hsn",
                    f"Line {index + 1}: {line.isic_code} is not a known service code.",
                    fields={f"{where}.isic_code": "unknown ISIC code"},
                )
        else:
            raise InvoiceError(
                "unresolvable_hsn",
                f"Line {index + 1} needs an HS code (goods) or ISIC code (services).",
                fields={f"{where}.hsn_code": "required"},
            )
        line.tax_scheme = line.tax_scheme or "STANDARD_VAT"
        if line.tax_scheme not in categories:
            raise InvoiceError(
                "incomplete_unpatchable",
                f"Line {index + 1}: unknown tax scheme {line.tax_scheme}.",
                fields={f"{where}.tax_scheme": "must be a tax category such as STANDARD_VAT"},
            )
        if line.tax_rate is None:
            line.tax_rate = Decimal("7.5") if line.tax_scheme == "STANDARD_VAT" else Decimal("0")
        if not Decimal(0) <= line.tax_rate <= 100:
            raise InvoiceError(
                "incomplete_unpatchable",
                f"Line {index + 1}: the tax rate must be 0–100.",
                fields={f"{where}.tax_rate": "must be between 0 and 100"},
            )
        if line.discount < 0 or line.fee < 0:
            raise InvoiceError(
                "incomplete_unpatchable",
                f"Line {index + 1}: discount and fee cannot be negative.",
                fields={f"{where}.discount": "must not be negative"},
            )
        amounts = line_amounts(
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount=line.discount,
            fee=line.fee,
            tax_rate=line.tax_rate,
        )
        if amounts.line_extension < 0:
            raise InvoiceError(
                "incomplete_unpatchable",
                f"Line {index + 1}: the discount exceeds the line amount.",
                fields={f"{where}.discount": "must not exceed quantity × price"},
            )
        if amounts.line_extension >= MAX_AMOUNT:  # a saved item's price × a huge quantity (as parsing bounds the rest)
            raise InvoiceError(
                "incomplete_unpatchable",
                f"Line {index + 1}: the amount is too large.",
                fields={f"{where}.quantity": f"quantity × unit_price must be less than {MAX_AMOUNT:,.0f}"},
            )
        checked.append((line, amounts, item))
    if sum(amounts.line_extension for _line, amounts, _item in checked) >= MAX_AMOUNT:
        raise InvoiceError(
            "incomplete_unpatchable",
            "The invoice total is too large.",
            fields={"lines": f"the lines must add up to less than {MAX_AMOUNT:,.0f}"},
        )
    return checked


def _original(tenant: Tenant, parsed: InvoiceInput, payable: Decimal, exclude) -> Invoice | None:
    if parsed.invoice_type == Invoice.Type.INVOICE:
        return None
    query = Invoice.objects.filter(invoice_type=Invoice.Type.INVOICE)
    if parsed.original_invoice_id:
        try:
            original = query.filter(pk=parsed.original_invoice_id).first()
        except Exception:  # not a UUID
            original = None
    elif parsed.original_irn:
        original = query.filter(irn=parsed.original_irn).first()
    else:
        raise InvoiceError(
            "incomplete_unpatchable",
            "A credit or debit note must name the certified invoice it corrects.",
            fields={"original_invoice_id": "required (or original_irn)"},
        )
    if original is None or original.status not in CERTIFIED:
        raise InvoiceError(
            "incomplete_unpatchable",
            "The invoice being corrected must be a certified invoice of this business.",
            fields={"original_invoice_id": "must be a certified invoice"},
        )
    if parsed.invoice_type == Invoice.Type.CREDIT_NOTE:
        credited = Invoice.objects.filter(
            original=original, invoice_type=Invoice.Type.CREDIT_NOTE, status__in=LIVE
        ).exclude(pk=exclude).aggregate(total=Sum("payable"))["total"] or Decimal("0")
        left = original.payable - credited
        if payable > left:
            raise InvoiceError(
                "CREDIT_NOTE_EXCEEDS_INVOICE",
                f"This credit note ({payable}) is more than what is left of invoice "
                f"{original.document_number} ({left}).",
                fields={"lines": f"credit notes on this invoice can total at most {left} more"},
            )
    return original


def _supplier_ready(tenant: Tenant, readiness: list | None = None) -> None:
    """The spec's supplier checks on create and submit, most fundamental first (on `readiness` if given)."""
    if readiness is None:
        readiness = tenant_readiness(tenant)
    missing = {item.key: item for item in readiness if not item.ok}
    for key in ("business_profile", "primary_location"):
        if key in missing:
            raise InvoiceError(
                "SUPPLIER_VALIDATION_FAILED",
                f"Your business profile is incomplete: {missing[key].detail}",
                detail="Complete Settings → Business profile and Locations.",
            )
    for key, reason in (
        ("nrs_business_id", "NO_BUSINESS_ID"),
        ("nrs_service_id", "NO_SERVICE_ID"),
        ("crypto_key", "NO_KEYS"),
    ):
        if key in missing:
            raise InvoiceError(reason, missing[key].detail, detail="Complete NRS set-up in Settings.")


def supplier_snapshot(tenant: Tenant, location: Location | None = None) -> dict:
    location = location or primary_location(tenant)
    return {
        "name": tenant.name,
        "tin": tenant.tin,
        "email": tenant.effective_email(),
        "telephone": tenant.telephone,
        "description": tenant.description,
        "address": {
            "street": location.street if location else "",
            "city": location.city if location else "",
            "postal_zone": location.postal_zone if location else "",
            "lga": location.lga_id if location else "",
            "lga_name": location.lga.name if location else "",
            "state": location.state_id if location else "",
            "state_name": location.state.name if location else "",
            "country": location.country_id if location else "NG",
        },
    }


def _apply(invoice: Invoice, checked: Checked) -> None:
    parsed = checked.parsed
    invoice.kind = checked.kind
    invoice.invoice_type = parsed.invoice_type
    invoice.type_code = INVOICE_TYPE_CODES[parsed.invoice_type]
    invoice.document_number = parsed.document_number
    invoice.issue_date = parsed.issue_date
    invoice.due_date = parsed.due_date
    invoice.currency = parsed.currency
    invoice.note = parsed.note
    invoice.po_reference = parsed.po_reference
    invoice.original = checked.original
    invoice.customer = checked.customer
    invoice.buyer = checked.buyer
    invoice.supplier = supplier_snapshot(invoice.tenant, checked.location)
    totals = document_totals([(amounts, line.tax_scheme, line.tax_rate) for line, amounts, _ in checked.lines])
    invoice.line_extension = totals.line_extension
    invoice.tax_total = totals.tax
    invoice.payable = totals.payable
    service_id = invoice.tenant.nrs_service_id
    invoice.irn = build_irn(parsed.document_number, service_id, parsed.issue_date) if service_id else ""
    invoice._lines = checked.lines


def _save_lines(invoice: Invoice, checked: Checked) -> None:
    insert(
        [
            InvoiceLine(
                tenant_id=invoice.tenant_id,
                invoice=invoice,
                position=index,
                item=item,
                description=line.description,
                quantity=line.quantity,
                unit_price=to_kobo(line.unit_price),
                discount=to_kobo(line.discount),
                fee=to_kobo(line.fee),
                hsn_code=line.hsn_code,
                isic_code=line.isic_code if not line.hsn_code else "",
                category=line.category,
                tax_category=line.tax_scheme,
                tax_rate=line.tax_rate,
                unit=line.unit,
                line_extension=amounts.line_extension,
                tax_amount=amounts.tax,
            )
            for index, (line, amounts, item) in enumerate(checked.lines)
        ]
    )


def invoice_as_data(invoice: Invoice) -> dict:
    """An invoice back into the create body (a draft re-checked at submit, or copied into a form)."""
    buyer = invoice.buyer or {}
    address = buyer.get("address", {})
    return {
        "invoice_kind": invoice.kind,
        "invoice_type": invoice.invoice_type,
        "document_number": invoice.document_number,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "currency": invoice.currency,
        "note": invoice.note,
        "po_reference": invoice.po_reference,
        "original_invoice_id": str(invoice.original_id) if invoice.original_id else "",
        "customer_id": invoice.customer_id,
        "customer": {
            "name": buyer.get("name", ""),
            "tin": buyer.get("tin", ""),
            "email": buyer.get("email", ""),
            "phone": buyer.get("telephone", ""),
            "address": address.get("street", ""),
            "city": address.get("city", ""),
            "postal_code": address.get("postal_zone", ""),
            "state": address.get("state", ""),
            "lga": address.get("lga", ""),
            "country": address.get("country", "NG"),
        },
        "lines": [
            {
                "description": ln.description,
                "quantity": ln.quantity,
                "unit_price": ln.unit_price,
                "discount": ln.discount,
                "fee": ln.fee,
                "hsn_code": ln.hsn_code,
                "isic_code": ln.isic_code,
                "category": ln.category,
                "tax_scheme": ln.tax_category,
                "tax_rate": ln.tax_rate,
                "unit_of_measure": ln.unit,
                "item_id": ln.item_id,
            }
            for ln in invoice.lines.all()
        ],
    }


# --- gates ----------------------------------------------------------------------------------


def gate_rules(tenant: Tenant) -> GateRules:
    rules, _ = GateRules.objects.get_or_create(tenant=tenant)
    return rules


GATE_FIELDS = ("review", "review_above", "approval_above", "maker_checker")


@transaction.atomic
def gate_rules_save(*, tenant: Tenant, user=None, **values) -> GateRules:
    """An admin sets the review/approval rules; what changed goes to the audit log with them."""
    unknown = set(values) - set(GATE_FIELDS)
    if unknown:
        raise ValueError(f"not gate rule fields: {sorted(unknown)}")
    rules, _ = GateRules.objects.select_for_update().get_or_create(tenant=tenant)
    before = {field: getattr(rules, field) for field in values}
    for field, value in values.items():
        setattr(rules, field, value)
    rules.save()
    changes = diff(before, values)
    if changes:
        audit(tenant, "settings.review_rules_changed", ", ".join(changes), user=user, changes=changes)
    return rules


def _needs_review(rules: GateRules, invoice: Invoice) -> bool:
    match rules.review:
        case GateRules.Review.ALL:
            return True
        case GateRules.Review.NOTES:
            return invoice.invoice_type != Invoice.Type.INVOICE
        case GateRules.Review.B2G:
            return invoice.kind == Kind.B2G
        case GateRules.Review.ABOVE:
            return rules.review_above is not None and invoice.payable > rules.review_above
    return False


def _needs_approval(rules: GateRules, invoice: Invoice) -> bool:
    return rules.approval_above is not None and invoice.payable > rules.approval_above


def _release(invoice: Invoice, actor: Actor, readiness: list | None = None, rules: GateRules | None = None) -> None:
    """A saved invoice goes to review, approval or the NRS queue, in that order of gates.

    `readiness` and `rules` are what the caller has just read (submit); others read them here.
    """
    entry = _gate(invoice, readiness, rules)
    with transaction.atomic():  # a savepoint: the IRN race below must not spoil the caller's transaction
        _save_released(invoice)
    events(invoice, actor, [entry])
    if invoice.status == Status.PENDING:
        _enqueue(invoice)


def _gate(invoice: Invoice, readiness: list | None, rules: GateRules | None = None) -> tuple[str, str, dict]:
    """Set the status the gates give `invoice` (not saved); returns its timeline entry."""
    rules = rules or gate_rules(invoice.tenant)
    invoice.submitted_at = invoice.submitted_at or timezone.now()
    if not invoice.reviewed_by_id and _needs_review(rules, invoice):
        return _hold(invoice, Status.PENDING_REVIEW, "BLOCKED_PENDING_REVIEW", "Waiting for a reviewer.")
    if not invoice.approved_by_id and _needs_approval(rules, invoice):
        return _hold(
            invoice,
            Status.PENDING_APPROVAL,
            "BLOCKED_PENDING_APPROVAL",
            f"Above {rules.approval_above}: waiting for an approver.",
        )
    if readiness is None:
        readiness = tenant_readiness(invoice.tenant)
    missing = [item for item in readiness if not item.ok]
    if missing:
        detail = "; ".join(f"{item.label}: {item.detail}" for item in missing)
        return _hold(invoice, Status.BLOCKED, "BLOCKED_CHECKLIST_FAILED", detail)
    invoice.status = Status.PENDING
    invoice.block_reason = invoice.block_detail = ""
    invoice.next_attempt_at = None
    return ("invoice.pending", "Queued for NRS.", {})


def _hold(invoice: Invoice, status: str, reason: str, detail: str) -> tuple[str, str, dict]:
    invoice.status = status
    invoice.block_reason = reason
    invoice.block_detail = detail
    return ("invoice.held", detail, {"reason": reason})


def _save_released(invoice: Invoice, new: bool = False) -> None:
    """Save an invoice leaving draft: its IRN now counts, so another live invoice may hold it already."""
    try:
        if new:
            insert([invoice])
        else:
            invoice.save()
    except IntegrityError:  # another live invoice took this IRN between the check and now
        raise InvoiceError(
            "DOCUMENT_NUMBER_CONFLICT_INVOICE",
            "This invoice number is already in use.",
            fields={"document_number": "already used"},
            status=409,
        ) from None


def _enqueue(invoice: Invoice) -> None:
    invoice_enqueue(invoice)


SUBMIT_TASK = "invoicing.tasks.submit_invoice"  # NRS submission (invoicing/submission.py)


def invoice_enqueue(invoice: Invoice, when=None) -> None:
    """Queue the submission with the current transaction, with the id only."""
    enqueue_on_commit(SUBMIT_TASK, str(invoice.pk), when=when)


def invoice_review(*, invoice: Invoice, user, approve: bool, comment: str = "") -> Invoice:
    return _decide(invoice, user, approve, comment, Status.PENDING_REVIEW, "reviewed_by", "review")


def invoice_approve(*, invoice: Invoice, user, approve: bool, comment: str = "") -> Invoice:
    return _decide(invoice, user, approve, comment, Status.PENDING_APPROVAL, "approved_by", "approval")


def _decide(invoice, user, approve, comment, expected, who_field, step) -> Invoice:
    with scope(tenant=invoice.tenant), transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != expected:
            raise InvoiceError("NOT_PENDING", f"This invoice is not waiting for {step}.", status=409)
        rules = gate_rules(locked.tenant)
        if rules.maker_checker and locked.created_by_id and locked.created_by_id == user.pk:
            raise InvoiceError(
                "MAKER_CHECKER",
                f"You created this invoice, so someone else must do its {step} (maker-checker).",
                status=403,
            )
        if not approve:
            if not comment.strip():
                raise InvoiceError(
                    "COMMENT_REQUIRED",
                    "Say why it is rejected: the creator will see it.",
                    fields={"comment": "required"},
                )
            locked.status = Status.DRAFT
            locked.rejection_reason = comment.strip()
            locked.block_reason = locked.block_detail = ""
            locked.reviewed_by = locked.approved_by = None
            locked.save()
            event(locked, "invoice.rejected", comment.strip(), Actor(user), step=step)
            return locked
        setattr(locked, who_field, user)
        locked.rejection_reason = ""
        event(locked, f"invoice.{'reviewed' if step == 'review' else 'approved'}", comment.strip(), Actor(user))
        _release(locked, Actor(user), rules=rules)  # saves it once, with the status the remaining gates give
        return locked


def invoice_release_blocked(*, invoice: Invoice, actor: Actor) -> Invoice:
    """Try a checklist-blocked invoice again once its business has fixed the set-up."""
    with scope(tenant=invoice.tenant), transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != Status.BLOCKED:
            raise InvoiceError("NOT_BLOCKED", "Only blocked invoices can be released.", status=409)
        locked.supplier = supplier_snapshot(locked.tenant)
        locked.irn = build_irn(locked.document_number, locked.tenant.nrs_service_id, locked.issue_date)
        _release(locked, actor)
        return locked
