"""Validate only: every problem of an invoice body at once, the business's checklist and, when asked, NRS's own
validate of the document it would become. Nothing is saved, no number is taken, no event is written.

The rules are create's own (parsing.py for shape, validation.py for the rest), run collecting (validation.Faults)
instead of stopping at the first refusal: a rule added there is checked here too.
"""

from dataclasses import dataclass, field

from django_scopes import scope

from integrations.nrs.errors import NrsError
from invoicing.errors import InvoiceError
from invoicing.nrs_now import nrs_now
from invoicing.parsing import parse_invoice_collecting
from invoicing.services import invoice_unsaved
from invoicing.submission import invoice_document
from invoicing.validation import Faults, invoice_check
from tenants.models import Tenant


@dataclass(frozen=True)
class Problem:
    field: str | None  # the body's field (customer.tin, lines[0].unit_price), or None for the whole invoice
    code: str  # the machine code create would answer with
    message: str  # what the field needs, as create's `fields` says it
    fix: str  # a sentence for people: what to do

    def as_api(self) -> dict:
        return {"field": self.field, "code": self.code, "message": self.message, "fix": self.fix}


@dataclass
class NrsCheck:
    valid: bool
    message: str = ""  # NRS's own words when it refused

    def as_api(self) -> dict:
        return {"checked": True, "valid": self.valid, **({"message": self.message} if self.message else {})}


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    refusals: list[InvoiceError] = field(default_factory=list)  # as the rules raised them (a form places them)
    readiness: list = field(default_factory=list)  # ReadinessItem, the whole checklist
    irn: str = ""
    payable: object = None  # Decimal, when every line could be read
    nrs: NrsCheck | None = None

    @property
    def valid(self) -> bool:
        return not self.problems and (self.nrs is None or self.nrs.valid)


def problems_of(errors: list[InvoiceError]) -> list[Problem]:
    """One problem per field, the first refusal of a field kept (parsing's before the rules'); a refusal naming no
    field (the business's set-up) is one problem of the whole invoice."""
    found: dict[str | None, Problem] = {}
    for error in errors:
        items = error.fields.items() if error.fields else [(None, error.message)]
        for name, message in items:
            if name not in found:
                fix = _sentence(message) if error.fields and _generic(error) else error.message
                found[name] = Problem(name, error.code, str(message), fix)
    return list(found.values())


def _generic(error: InvoiceError) -> bool:
    """A refusal whose sentence only says "see each field" (parsing's): each field's own words say the fix."""
    return "each is named" in error.message or "see fields" in error.message


def _sentence(message: str) -> str:
    text = str(message).strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def invoice_validate(*, tenant: Tenant, data, refusals: list[InvoiceError] = (), nrs: bool = False) -> Report:
    """Every problem of `data` (a create body) for `tenant`; `refusals`: what the caller found already (the API's
    published-shape check). `nrs`: also ask NRS to validate the document it would send, once no problem is left
    here (NRS's validate only; nothing is signed). Raises NrsUnavailable when NRS cannot be asked now."""
    with scope(tenant=tenant):
        parsed, shape_error = parse_invoice_collecting(data)
        faults = Faults(collect=True)
        faults.errors.extend(refusals)
        if shape_error is not None:
            faults.errors.append(shape_error)
        checked = invoice_check(tenant, parsed, draft=False, faults=faults)
        report = Report(problems_of(faults.errors), faults.errors, checked.readiness or [])
        if report.problems:
            return report
        invoice = invoice_unsaved(tenant=tenant, checked=checked)
        report.irn, report.payable = invoice.irn, invoice.payable
        if nrs:
            document = invoice_document(invoice, lines=[line for line, _amounts, _item in checked.lines])
            report.nrs = _nrs_validate(tenant, document)
        return report


def _nrs_validate(tenant: Tenant, document: dict) -> NrsCheck:
    try:
        nrs_now(tenant, "validate", lambda client: client.validate(document))
    except NrsError as exc:  # NRS answered and refused: its own words
        return NrsCheck(valid=False, message=exc.details or exc.public_message or str(exc))
    return NrsCheck(valid=True)
