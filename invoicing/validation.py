"""The rules an invoice must meet before invoicing/services.py saves it: the document number, currency and
dates, the buyer (completed from a saved customer), the lines (completed from saved items), the invoice a
note corrects, and the supplier's set-up. Nothing here writes; services keep the transactions.

Shape and type are checked before this, in parsing.py; what comes back (`Checked`) is what services save.
"""

from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.validators import validate_email
from django.db import connection
from django.db.models import Q

from integrations.nrs.shapes import Party
from integrations.nrs.totals import DEDUCTED_CATEGORIES, AllowanceCharge, document_totals, in_naira
from integrations.reference import lookup
from integrations.reference.units import EXAMPLES as UNIT_EXAMPLES
from integrations.reference.units import unit_code
from invoicing.errors import InvoiceError
from invoicing.exchange_rates import NAIRA, rate_on, rate_places
from invoicing.external_originals import (
    ExternalOriginal,
    credit_cap_check,
    credit_left,
    external_credit_check,
    external_original,
    nrs_confirmed,
)
from invoicing.models import Customer, GateRules, Invoice, Item, Kind
from invoicing.parsing import MAX_AMOUNT, InvoiceInput, looks_like_uuid
from invoicing.setup import tenant_setup
from invoicing.shapes import DEFAULT_COUNTRY, buyer_party, customer_input
from portal.queries import db_value, row_where
from tenants.models import Location, Tenant
from tenants.readiness import missing_summary, tenant_readiness
from tenants.validators import PHONE_RE

Status = Invoice.Status
MAX_NAIRA = Decimal("1e16")  # what the naira columns hold (16 digits before the point)
UNKNOWN_UNIT = f"unknown unit; use a word such as kg or hours, or a code: {UNIT_EXAMPLES}"
# An invoice in one of these holds its document number: only drafts and deleted invoices give it back.
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


@dataclass
class Checked:
    parsed: InvoiceInput
    kind: str
    customer: Customer | None
    buyer: Party
    lines: list  # (Line, LineAmounts, item), complete
    original: Invoice | None
    exchange_rate: Decimal = Decimal(1)  # NGN per 1 unit of the invoice's currency, as it is issued
    readiness: list | None = None  # the tenant's checklist as checked (not for drafts), reused at release
    location: Location | None = None  # the primary location read for that checklist, reused in the snapshot
    rules: GateRules | None = None  # the review/approval rules, read with the location (not for drafts)
    external: ExternalOriginal | None = None  # the invoice a note corrects, issued outside Flowpoint
    allowance_charges: tuple = ()  # AllowanceCharge, complete
    payment_means: str = ""  # an NRS payment-means code, checked


def line_totals(lines, allowance_charges=()):
    """The document totals of checked lines ((Line, LineAmounts, item) triples) and allowances and charges."""
    return document_totals(
        [(amounts, line.tax_category, line.tax_rate, line.withholding_rate) for line, amounts, _ in lines],
        allowance_charges,
    )


class Faults:
    """Where a rule's refusal goes. By default it is raised at once: create, drafts and submit answer the first
    refusal, as the reference words it. Collecting (`collect=True`, the validate-only check), every refusal is
    kept and the rules go on, so that one answer lists every problem of a body.

    A rule that cannot go on without the value it refused (a line with no usable quantity has no amount) skips
    what depends on it; a rule still written as `raise InvoiceError` ends only its own section (`section`).
    """

    def __init__(self, *, collect: bool = False):
        self.collect = collect
        self.errors: list[InvoiceError] = []

    def add(self, error: InvoiceError) -> None:
        if not self.collect:
            raise error
        self.errors.append(error)

    def section(self, check, *args, default=None, **kwargs):
        """Run one section of rules; collecting, its raised refusal is kept and `default` stands for its result."""
        if not self.collect:
            return check(*args, **kwargs)
        try:
            return check(*args, **kwargs)
        except InvoiceError as error:
            self.errors.append(error)
            return default

    @property
    def count(self) -> int:  # not __len__: an empty Faults must not be falsy (`faults or Faults()` would drop it)
        return len(self.errors)


def invoice_check(
    tenant: Tenant, parsed: InvoiceInput, *, draft: bool, exclude=None, faults: Faults | None = None
) -> Checked:
    """Every rule an invoice must meet to be saved (a draft) or sent (not a draft); raises InvoiceError.

    Reads only: the saved customer and items it names, the invoice it corrects, the business's set-up and
    numbers in use. `exclude`: the invoice being checked again (a draft), which must not conflict with itself.
    `faults`: collecting, every refusal is kept there instead of the first being raised (see Faults).
    """
    faults = Faults() if faults is None else faults
    number = parsed.document_number
    if not number:
        faults.add(
            InvoiceError(
                "invalid_document_number",
                "The invoice number is required: your own, such as INV-2026-001.",
                fields={"document_number": "required"},
            )
        )
    elif looks_like_uuid(number) or not any(ch.isalnum() for ch in number):
        faults.add(
            InvoiceError(
                "invalid_document_number",
                "Use a human-readable invoice number such as INV-2026-001, not a UUID.",
                fields={"document_number": "must be a human-readable number, not a UUID"},
            )
        )
    if parsed.currency not in lookup.currencies():
        faults.add(
            InvoiceError(
                "incomplete_unpatchable",
                f"{parsed.currency} is not a currency code; use three letters such as NGN.",
                fields={"currency": "must be an ISO 4217 code such as NGN"},
            )
        )
    if parsed.due_date and parsed.issue_date and parsed.due_date < parsed.issue_date:
        faults.add(
            InvoiceError(
                "incomplete_unpatchable",
                "The due date is before the issue date.",
                fields={"due_date": "must be on or after the issue date"},
            )
        )

    customer, buyer, kind = faults.section(_buyer, tenant, parsed, faults, default=(None, None, parsed.kind))
    before = faults.count
    lines = faults.section(_lines, tenant, parsed, faults, default=[])
    lines_complete = faults.count == before  # a total of some lines only says nothing of the invoice's
    allowance_charges = faults.section(_allowance_charges, parsed, lines, default=())
    payment_means = faults.section(_payment_means, parsed, default="")
    totals = line_totals(lines, allowance_charges)
    if lines_complete and totals.tax_exclusive <= 0 < totals.line_extension:
        faults.add(
            InvoiceError(
                "ZERO_VALUE",
                "The allowances take the invoice to zero or below; they must be less than the lines' total.",
                fields={"allowance_charges": "allowances must add up to less than the lines' total"},
            )
        )
    elif lines_complete and totals.payable <= 0:
        faults.add(
            InvoiceError(
                "ZERO_VALUE",
                "The invoice total is zero; lines must add up to a positive amount.",
                fields={"lines": "total payable must be greater than zero"},
            )
        )
    original, external = faults.section(_original, tenant, parsed, totals.payable, exclude, default=(None, None))
    rate = faults.section(_exchange_rate, parsed, totals.payable, default=Decimal(1))
    readiness = location = rules = None
    if not draft:
        setup = tenant_setup(tenant)
        location, rules = setup.location, setup.rules
        readiness = setup.readiness(tenant)
        faults.section(supplier_check, tenant, readiness)
        conflict = _number_in_use(tenant, number, exclude) if number else None
        if conflict:
            certified = conflict in Invoice.CERTIFIED_STATUSES
            faults.add(
                InvoiceError(
                    "DOCUMENT_NUMBER_CONFLICT_INVOICE",
                    f"Invoice number {number} is already used by a{' certified' if certified else 'n'} invoice "
                    f"({Status(conflict).label.lower()}). Pick a different number.",
                    fields={"document_number": "already used"},
                    status=409,
                )
            )
        if external is not None:  # asked only when the note is to be sent: a draft is saved without NRS
            confirmed = faults.section(nrs_confirmed, tenant, external)
            external = confirmed or external
            if confirmed and parsed.invoice_type == Invoice.Type.CREDIT_NOTE:
                faults.section(external_credit_check, external, totals.payable, live=LIVE, exclude=exclude)
    return Checked(
        parsed,
        kind,
        customer,
        buyer,
        lines,
        original,
        exchange_rate=rate,
        readiness=readiness,
        location=location,
        rules=rules,
        external=external,
        allowance_charges=allowance_charges,
        payment_means=payment_means,
    )


def _exchange_rate(parsed: InvoiceInput, payable: Decimal) -> Decimal:
    """The rate the invoice is issued at: 1 for naira; for another currency the one given, or else the business's
    rates table on the issue date. Nigerian VAT is accounted in naira, so a foreign invoice cannot go without."""
    given = parsed.exchange_rate
    if parsed.currency == NAIRA:
        if given is not None and given != 1:
            raise InvoiceError(
                "incomplete_unpatchable",
                "A naira invoice has no exchange rate: leave it out (or send 1).",
                fields={"exchange_rate": "must be empty or 1 for an NGN invoice"},
            )
        return Decimal(1)
    rate = rate_places(given) if given is not None else rate_on(parsed.currency, parsed.issue_date)
    if rate is None:
        raise InvoiceError(
            "incomplete_unpatchable",
            f"An invoice in {parsed.currency} needs an exchange rate: naira per 1 {parsed.currency}. Give one, or "
            f"have an admin add a {parsed.currency} rate in Settings, Exchange rates.",
            fields={"exchange_rate": f"required for a {parsed.currency} invoice: naira per 1 {parsed.currency}"},
        )
    if rate <= 0:
        raise InvoiceError(
            "incomplete_unpatchable",
            "The exchange rate rounds to 0 at six decimals.",
            fields={"exchange_rate": "must be at least 0.000001"},
        )
    if in_naira(payable, rate) >= MAX_NAIRA:
        raise InvoiceError(
            "incomplete_unpatchable",
            f"The total in naira must be less than {MAX_NAIRA:,.0f}.",
            fields={"exchange_rate": f"the total × rate must be less than {MAX_NAIRA:,.0f}"},
        )
    return rate


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


def _buyer(tenant: Tenant, parsed: InvoiceInput, faults: Faults | None = None):
    """The buyer as it will be issued: the request's fields, completed from a saved customer."""
    faults = Faults() if faults is None else faults
    given = dict(parsed.customer)
    customer = None
    # Live customers of this business only: the tenant is in the SQL, as the scope would add it.
    if parsed.customer_id:
        where = "tenant_id = %s AND id = %s AND archived_at IS NULL"
        customer = row_where(Customer, where, [db_value(Customer, "tenant", tenant.pk), parsed.customer_id])
        if customer is None:
            faults.add(
                InvoiceError(
                    "CUSTOMER_VALIDATION_FAILED",
                    "The chosen customer does not exist.",
                    fields={"customer_id": "unknown customer"},
                )
            )
    elif given.get("tin"):  # one live customer per TIN
        where = "tenant_id = %s AND tin = %s AND archived_at IS NULL"
        customer = row_where(Customer, where, [db_value(Customer, "tenant", tenant.pk), given["tin"]])
    kind = parsed.kind
    if customer is not None:
        if customer.kind == Kind.B2G and kind == Kind.B2B:
            kind = Kind.B2G  # the spec: B2G is inferred from a buyer TIN saved as a government customer
        saved = customer_input(customer)
        given = {k: given.get(k) or saved.get(k, "") for k in saved}
    given["country"] = (given.get("country") or DEFAULT_COUNTRY).upper()

    if not given.get("name"):
        faults.add(
            InvoiceError(
                "CUSTOMER_VALIDATION_FAILED", "The buyer's name is required.", fields={"customer.name": "required"}
            )
        )
    if kind in (Kind.B2B, Kind.B2G):
        if parsed.customer_id and customer is not None:
            if not customer.tin and not parsed.customer.get("tin"):
                faults.add(
                    InvoiceError(
                        "unresolved_b2b_missing_tin",
                        f"The saved customer {customer.name} has no TIN: add the buyer's TIN.",
                        fields={"customer.tin": "required"},
                    )
                )
            if not all(given.get(k) for k in ("address", "city", "postal_code")):
                faults.add(
                    InvoiceError(
                        "unresolved_b2b_customer_address",
                        f"The saved customer {customer.name} has no full address: add the buyer's street address, "
                        "city and postal code.",
                        fields={
                            f"customer.{k}": "required" for k in ("address", "city", "postal_code") if not given.get(k)
                        },
                    )
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
            faults.add(
                InvoiceError(
                    "CUSTOMER_VALIDATION_FAILED",
                    f"{kind} invoices need the buyer's TIN, e-mail, address, city and postal code.",
                    fields=problems,
                )
            )
    state = given.get("state") or ""
    if state and state not in lookup.states():
        faults.add(
            InvoiceError(
                "CUSTOMER_VALIDATION_FAILED",
                f"{given['state']} is not a Nigerian state code; use one such as NG-LA (Lagos).",
                fields={"customer.state": "must be an NRS state code such as NG-LA"},
            )
        )
        state = ""  # collecting: the checks below go on without it
    lga = given.get("lga") or ""
    if lga and lookup.lgas().get(lga, ("", None))[1] != (given.get("state") or ""):
        faults.add(
            InvoiceError(
                "CUSTOMER_VALIDATION_FAILED",
                "The buyer's LGA must be an LGA of the buyer's state.",
                fields={"customer.lga": "must be an NRS LGA code of customer.state"},
            )
        )
        lga = ""
    if given["country"] not in lookup.countries():
        faults.add(
            InvoiceError(
                "CUSTOMER_VALIDATION_FAILED",
                f"{given['country']} is not a country code; use two letters such as NG.",
                fields={"customer.country": "must be an ISO alpha-2 code such as NG"},
            )
        )
    buyer = buyer_party(
        given,
        lga_name=lookup.lgas()[lga][0] if lga else "",
        state_name=lookup.states()[state] if state else "",
    )
    return customer, buyer, kind


def _lines(tenant: Tenant, parsed: InvoiceInput, faults: Faults | None = None) -> list:
    """The lines as they will be issued, completed from saved items; collecting, a line with a refused value is
    left out of what comes back (its amount cannot be known) and the other lines are still checked."""
    faults = Faults() if faults is None else faults
    checked = []
    item_ids = [int(line.item_code) for line in parsed.lines if line.item_code]
    items = {item.pk: item for item in Item.objects.filter(pk__in=item_ids)} if item_ids else {}
    categories = lookup.tax_categories()
    for index, line in enumerate(parsed.lines):
        where = f"lines[{index}]"
        refused = faults.count
        item = items.get(int(line.item_code)) if line.item_code else None
        if line.item_code and item is None:
            faults.add(
                InvoiceError(
                    "incomplete_unpatchable",
                    f"Line {index + 1}: the saved item it names does not exist (any more); choose another.",
                    fields={f"{where}.item_id": "unknown item"},
                )
            )
        if item is not None:  # a saved item fills what the line leaves out
            line = replace(
                line,
                description=line.description or item.name,
                unit_price=Decimal(item.unit_price_kobo) / 100 if line.unit_price is None else line.unit_price,
                hsn_code=line.hsn_code or (item.hs_code_id or ""),
                isic_code=line.isic_code or (item.service_code_id or ""),
                category=line.category or item.category,
                tax_category=line.tax_category or item.tax_scheme_id,
                tax_rate=line.tax_rate if line.tax_rate is not None else item.tax_rate,
                unit=line.unit or (item.unit_id or ""),
            )
        if not line.description:
            faults.add(
                InvoiceError(
                    "incomplete_unpatchable",
                    f"Line {index + 1} needs a description.",
                    fields={f"{where}.description": "required"},
                )
            )
        if line.quantity is None or line.quantity <= 0:
            faults.add(
                InvoiceError(
                    "incomplete_unpatchable",
                    f"Line {index + 1} needs a quantity above zero.",
                    fields={f"{where}.quantity": "must be greater than 0"},
                )
            )
        if line.unit_price is None or line.unit_price <= 0:
            faults.add(
                InvoiceError(
                    "unresolvable_unit_price",
                    f"Line {index + 1} needs a positive unit price.",
                    fields={f"{where}.unit_price": "must be greater than 0"},
                )
            )
        if line.hsn_code:
            if line.hsn_code not in lookup.hs_codes():
                faults.add(
                    InvoiceError(
                        "unresolvable_hsn",
                        f"Line {index + 1}: {line.hsn_code} is not a known HS code.",
                        fields={f"{where}.hsn_code": "unknown HS code; see GET /api/v1/helpers/hs-codes"},
                    )
                )
        elif line.isic_code:
            if line.isic_code not in lookup.service_codes():
                faults.add(
                    InvoiceError(
                        "unresolvable_hsn",
                        f"Line {index + 1}: {line.isic_code} is not a known service code.",
                        fields={f"{where}.isic_code": "unknown ISIC code"},
                    )
                )
        else:
            faults.add(
                InvoiceError(
                    "unresolvable_hsn",
                    f"Line {index + 1} needs an HS code (goods) or ISIC code (services).",
                    fields={f"{where}.hsn_code": "required"},
                )
            )
        line = replace(line, tax_category=line.tax_category or "STANDARD_VAT")
        if line.tax_category not in categories:
            faults.add(
                InvoiceError(
                    "incomplete_unpatchable",
                    f"Line {index + 1}: that tax scheme is not one NRS knows; use one of its tax categories, such as "
                    "standard VAT.",
                    fields={f"{where}.tax_scheme": "must be a tax category such as STANDARD_VAT"},
                )
            )
        if line.tax_rate is None:
            line = replace(line, tax_rate=_default_rate(line.tax_category))
        if not Decimal(0) <= line.tax_rate <= 100:
            faults.add(
                InvoiceError(
                    "incomplete_unpatchable",
                    f"Line {index + 1}: the tax rate must be 0–100.",
                    fields={f"{where}.tax_rate": "must be between 0 and 100"},
                )
            )
        if line.tax_category in DEDUCTED_CATEGORIES and not line.withholding_rate:
            # An older body's withholding line: withheld at its tax rate, no tax added (totals.tax_rates).
            line = replace(line, withholding_rate=line.tax_rate)
        if not Decimal(0) <= line.withholding_rate < 100:
            raise InvoiceError(
                "incomplete_unpatchable",
                f"Line {index + 1}: the withholding tax rate must be 0 or more and under 100.",
                fields={f"{where}.withholding_rate": "must be a percent from 0 to under 100, such as 10"},
            )
        if unit_code(line.unit) is None:  # kept as typed ("Each"); the NRS document sends its code (EA)
            raise InvoiceError(
                "incomplete_unpatchable",
                f"Line {index + 1}: “{line.unit}” is not a unit of measure NRS knows. Use a common word (each, kg, "
                f"litre, hour, day) or a UN/ECE code such as {UNIT_EXAMPLES}.",
                fields={f"{where}.unit_of_measure": UNKNOWN_UNIT},
            )

        _exemption_check(line, index)
        if line.discount < 0 or line.fee < 0:
            faults.add(
                InvoiceError(
                    "incomplete_unpatchable",
                    f"Line {index + 1}: discount and fee cannot be negative.",
                    fields={f"{where}.discount": "must not be negative"},
                )
            )
        if faults.count > refused:
            continue  # collecting: this line's amount cannot be known
        amounts = line.amounts
        if amounts.line_extension < 0:
            faults.add(
                InvoiceError(
                    "incomplete_unpatchable",
                    f"Line {index + 1}: the discount exceeds the line amount.",
                    fields={f"{where}.discount": "must not exceed quantity × price"},
                )
            )
        if amounts.line_extension >= MAX_AMOUNT:  # a saved item's price × a huge quantity (as parsing bounds the rest)
            faults.add(
                InvoiceError(
                    "incomplete_unpatchable",
                    f"Line {index + 1}: the amount is too large.",
                    fields={f"{where}.quantity": f"quantity × unit_price must be less than {MAX_AMOUNT:,.0f}"},
                )
            )
            continue
        checked.append((line, amounts, item))
    if sum(amounts.line_extension for _line, amounts, _item in checked) >= MAX_AMOUNT:
        faults.add(
            InvoiceError(
                "incomplete_unpatchable",
                "The invoice total is too large.",
                fields={"lines": f"the lines must add up to less than {MAX_AMOUNT:,.0f}"},
            )
        )
    return checked


# The VAT categories a line may charge: goods on NRS's VAT exemption list are charged none of them.
VAT_CHARGED = frozenset({"STANDARD_VAT", "REDUCED_VAT", "ZERO_VAT"})
EXEMPT = "EXEMPTED"


def _exemption_check(line, index: int) -> None:
    """Goods on NRS's VAT exemption list are VAT exempt, and only they are (a service has no HS code to look up, so
    its exemption is the business's call). Until the list is synced there is nothing to check it against."""
    where = f"lines[{index}]"
    if line.tax_category == EXEMPT and line.tax_rate != 0:
        raise InvoiceError(
            "incomplete_unpatchable",
            f"Line {index + 1}: a VAT-exempt line has a tax rate of 0: set tax_rate to 0.",
            fields={f"{where}.tax_rate": "must be 0 for EXEMPTED"},
        )
    if not line.hsn_code or not lookup.vat_exemptions():
        return
    exempt = lookup.vat_exemption(line.hsn_code) is not None
    if exempt and line.tax_category in VAT_CHARGED:
        raise InvoiceError(
            "incomplete_unpatchable",
            f"Line {index + 1}: HS code {line.hsn_code} is VAT-exempt: set tax_scheme to EXEMPTED with tax_rate 0.",
            fields={
                f"{where}.tax_scheme": "must be EXEMPTED with tax_rate 0: the HS code is on NRS's VAT exemption list"
            },
        )
    if not exempt and line.tax_category == EXEMPT:
        raise InvoiceError(
            "incomplete_unpatchable",
            f"Line {index + 1}: HS code {line.hsn_code} is not on NRS's VAT exemption list, so the line cannot be "
            "VAT-exempt: set tax_scheme to the VAT it is charged, such as STANDARD_VAT.",
            fields={f"{where}.tax_scheme": "must not be EXEMPTED: the HS code is not on NRS's VAT exemption list"},
        )


def _default_rate(category: str) -> Decimal:
    return Decimal("7.5") if category == "STANDARD_VAT" else Decimal("0")


def _allowance_charges(parsed: InvoiceInput, lines: list) -> tuple:
    """The document's allowances and charges, each taxed at its own category and rate: by default the lines'
    single added tax (required when the lines have several)."""
    rates = {(line.tax_category, line.tax_rate) for line, _amounts, _item in lines}
    rates = {rate for rate in rates if rate[0] not in DEDUCTED_CATEGORIES}
    categories = lookup.tax_categories()
    checked = []
    for index, item in enumerate(parsed.allowance_charges):
        where = f"allowance_charges[{index}]"
        what = "charge" if item["charge"] else "allowance"
        if item.get("amount") is None:  # refused as it was read (parsing.py); checking every fault, go on
            continue
        if item["amount"] <= 0:
            raise InvoiceError(
                "incomplete_unpatchable",
                f"Each {what} needs an amount above zero.",
                fields={f"{where}.amount": "must be greater than 0"},
            )
        if not item.get("reason"):
            raise InvoiceError(
                "incomplete_unpatchable",
                f"Say what the {what} is for, such as “Loyalty discount” or “Delivery”.",
                fields={f"{where}.reason": "required: what it is for"},
            )
        category, rate = item["tax_scheme"], item["tax_rate"]
        if not category:
            if len(rates) != 1:
                raise InvoiceError(
                    "incomplete_unpatchable",
                    f"The lines have several tax rates: say which one the {what} “{item.get('reason')}” is taxed at.",
                    fields={f"{where}.tax_scheme": "required when the lines have several tax rates"},
                )
            category, line_rate = next(iter(rates))
            rate = line_rate if rate is None else rate
        if category not in categories or category in DEDUCTED_CATEGORIES:
            raise InvoiceError(
                "incomplete_unpatchable",
                f"The {what} “{item['reason']}”: that tax scheme is not a tax NRS adds, such as standard VAT.",
                fields={f"{where}.tax_scheme": "must be a tax that is added to the price, such as standard VAT"},
            )
        rate = _default_rate(category) if rate is None else rate
        if not Decimal(0) <= rate <= 100:
            raise InvoiceError(
                "incomplete_unpatchable",
                f"The {what} “{item['reason']}”: the tax rate must be 0–100.",
                fields={f"{where}.tax_rate": "must be between 0 and 100"},
            )
        checked.append(AllowanceCharge(item["charge"], item["amount"], item["reason"], category, rate))
    return tuple(checked)


def _payment_means(parsed: InvoiceInput) -> str:
    code = parsed.payment_means
    if code and code not in lookup.payment_means():
        examples = ", ".join(f"{c} ({n})" for c, n in list(lookup.payment_means().items())[:4])
        means_message = f"must be a payment-means code of NRS's list, such as {examples}"
        raise InvoiceError(
            "incomplete_unpatchable",
            f"{code} is not one of NRS's payment means; use a code such as {examples}.",
            fields={"payment_means": means_message},
        )
    return code


def _original(tenant: Tenant, parsed: InvoiceInput, payable: Decimal, exclude):
    """The invoice a note corrects: (certified in Flowpoint, None) or (None, issued outside Flowpoint)."""
    if parsed.invoice_type == Invoice.Type.INVOICE:
        return None, None
    query = Invoice.objects.filter(invoice_type=Invoice.Type.INVOICE)
    if parsed.original_invoice_id:
        try:
            original = query.filter(pk=parsed.original_invoice_id).first()
        except Exception:  # not a UUID
            original = None
    elif parsed.original_irn:
        original = query.filter(irn=parsed.original_irn).first()
        if original is None and parsed.original_issue_date:  # not Flowpoint's: issued elsewhere
            return None, external_original(tenant, parsed.original_irn, parsed.original_issue_date)
        if original is not None and parsed.original_issue_date not in (None, original.issue_date):
            raise InvoiceError(
                "incomplete_unpatchable",
                f"Invoice {original.document_number} was issued on {original.issue_date.isoformat()}, not on "
                f"{parsed.original_issue_date.isoformat()}.",
                fields={"original_issue_date": "must be the issue date of the invoice original_irn names"},
            )
    else:
        raise InvoiceError(
            "incomplete_unpatchable",
            "A credit or debit note must name the certified invoice it corrects.",
            fields={"original_invoice_id": "required (or original_irn)"},
        )
    if original is None or original.status not in Invoice.CERTIFIED_STATUSES:
        raise InvoiceError(
            "incomplete_unpatchable",
            "The invoice being corrected must be a certified invoice of this business (for an invoice issued "
            "outside Flowpoint, give its IRN and its issue date).",
            fields={"original_invoice_id": "must be a certified invoice"},
        )
    if parsed.invoice_type == Invoice.Type.CREDIT_NOTE:
        left = credit_left(original_payable=original.payable, notes=Q(original=original), live=LIVE, exclude=exclude)
        credit_cap_check(payable, left, original.document_number)
    return original, None


# The readiness items an invoice cannot be created without, most fundamental first, with the reference's code.
SUPPLIER_ITEMS = (
    ("business_profile", "SUPPLIER_VALIDATION_FAILED"),
    ("primary_location", "SUPPLIER_VALIDATION_FAILED"),
    ("nrs_business_id", "NO_BUSINESS_ID"),
    ("nrs_service_id", "NO_SERVICE_ID"),
    ("crypto_key", "NO_KEYS"),
)
SUPPLIER_REASONS = frozenset(reason for _key, reason in SUPPLIER_ITEMS)


def supplier_check(tenant: Tenant, readiness: list | None = None) -> None:
    """The spec's supplier checks on create and submit (on `readiness` if given).

    The code is the most fundamental item's; the sentence names every item still missing, so that one
    refusal says all there is to do rather than one thing at a time.
    """
    if readiness is None:
        readiness = tenant_readiness(tenant)
    missing = {item.key for item in readiness if not item.ok}
    for key, reason in SUPPLIER_ITEMS:
        if key in missing:
            raise InvoiceError(
                reason,
                "Your business set-up is not complete. " + missing_summary(readiness),
                detail="An admin of your business completes it in Settings.",
            )


def supplier_missing(tenant: Tenant) -> list:
    """The readiness items still missing when they keep invoices from being created (else []), for a page to list."""
    readiness = tenant_readiness(tenant)
    blocking = {key for key, _reason in SUPPLIER_ITEMS}
    if any(item.key in blocking and not item.ok for item in readiness):
        return [item for item in readiness if not item.ok]
    return []
