"""Portal pages for UBL 2.1: download an issued invoice as UBL XML, and import UBL invoice files by upload.

Both are portal pages of the business (a session); the published API has no UBL routes, so none is added.
"""

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from integrations.connectors.ubl import UblError, invoice_to_ubl, ubl_to_invoice_body
from invoicing.errors import InvoiceError
from invoicing.models import Invoice
from invoicing.services import Actor, invoice_create
from tenants.models import Membership
from tenants.permissions import tenant_required

Role = Membership.Role
MAX_FILES = 50
MAX_BYTES = 5 * 2**20  # a UBL invoice with an embedded image is a few hundred kilobytes

# The create body's fields as the UBL file holds them: what a refusal of the invoice checks is about.
FIELD_WORDS = {
    "invoice_kind": gettext_lazy("the invoice kind"),
    "invoice_type": gettext_lazy("the document type (InvoiceTypeCode)"),
    "document_number": gettext_lazy("the invoice number (ID)"),
    "issue_date": gettext_lazy("the issue date (IssueDate)"),
    "due_date": gettext_lazy("the due date (DueDate)"),
    "currency": gettext_lazy("the currency (DocumentCurrencyCode)"),
    "po_reference": gettext_lazy("the order reference (OrderReference)"),
    "note": gettext_lazy("the note (Note)"),
    "original_invoice_id": gettext_lazy("the corrected invoice (BillingReference)"),
    "original_irn": gettext_lazy("the corrected invoice's IRN (UUID in BillingReference)"),
    "customer": gettext_lazy("the buyer (AccountingCustomerParty)"),
    "customer.name": gettext_lazy("the buyer's name (RegistrationName)"),
    "customer.tin": gettext_lazy("the buyer's TIN (CompanyID in PartyTaxScheme)"),
    "customer.email": gettext_lazy("the buyer's e-mail (ElectronicMail)"),
    "customer.phone": gettext_lazy("the buyer's phone (Telephone)"),
    "customer.address": gettext_lazy("the buyer's street (StreetName)"),
    "customer.city": gettext_lazy("the buyer's city (CityName)"),
    "customer.postal_code": gettext_lazy("the buyer's postal code (PostalZone)"),
    "customer.state": gettext_lazy("the buyer's state (CountrySubentityCode, e.g. NG-LA)"),
    "customer.lga": gettext_lazy("the buyer's LGA (District, e.g. NG-LA-IKJ)"),
    "customer.country": gettext_lazy("the buyer's country (IdentificationCode in Country)"),
    "lines": gettext_lazy("the lines (InvoiceLine)"),
    "exchange_rate": gettext_lazy("the exchange rate (CalculationRate in TaxExchangeRate)"),
    "payment_means": gettext_lazy("the payment means (PaymentMeansCode)"),
    "payment_terms_note": gettext_lazy("the payment terms (Note in PaymentTerms)"),
    "allowance_charges": gettext_lazy("the allowances and charges (AllowanceCharge)"),
}
LINE_WORDS = {
    "description": gettext_lazy("the description (Name in Item)"),
    "quantity": gettext_lazy("the quantity (InvoicedQuantity)"),
    "unit_price": gettext_lazy("the price (PriceAmount)"),
    "discount": gettext_lazy("the allowance (AllowanceCharge)"),
    "fee": gettext_lazy("the charge (AllowanceCharge)"),
    "hsn_code": gettext_lazy("the HS code (ItemClassificationCode with listID HS)"),
    "isic_code": gettext_lazy("the service code (ItemClassificationCode with listID ISIC)"),
    "category": gettext_lazy("the category"),
    "tax_scheme": gettext_lazy("the tax category (ClassifiedTaxCategory)"),
    "tax_rate": gettext_lazy("the tax rate (Percent in ClassifiedTaxCategory)"),
    "unit_of_measure": gettext_lazy("the unit (unitCode)"),
    "withholding_rate": gettext_lazy("the withholding tax rate (Percent in WithholdingTaxTotal)"),
}
ADJUSTMENT_WORDS = {
    "charge_indicator": gettext_lazy("charge or allowance (ChargeIndicator)"),
    "amount": gettext_lazy("the amount (Amount)"),
    "reason": gettext_lazy("the reason (AllowanceChargeReason)"),
    "tax_scheme": gettext_lazy("the tax category (TaxCategory)"),
    "tax_rate": gettext_lazy("the tax rate (Percent in TaxCategory)"),
}


_LINE_KEY = re.compile(r"^lines\[(\d+)\]\.(\w+)$")
_ADJUSTMENT_KEY = re.compile(r"^allowance_charges\[(\d+)\](?:\.(\w+))?$")
_ROUTE = re.compile(r";?\s*see (?:GET|POST) /api/\S+")
_DOTTED = re.compile(r"\bcustomer\.\w+\b")


def _field_words(key: str) -> str:
    line = _LINE_KEY.match(key)
    if line:
        field = LINE_WORDS.get(line[2], line[2].replace("_", " "))
        return _("line %(n)s, %(field)s") % {"n": int(line[1]) + 1, "field": field}
    adjustment = _ADJUSTMENT_KEY.match(key)
    if adjustment:
        field = ADJUSTMENT_WORDS.get(adjustment[2] or "", (adjustment[2] or "").replace("_", " "))
        where = _("allowance or charge %(n)s (AllowanceCharge)") % {"n": int(adjustment[1]) + 1}
        return f"{where}, {field}" if field else where
    return str(FIELD_WORDS.get(key, key.replace("_", " ").replace(".", " ")))


def _plain(message: str) -> str:
    """A message of the invoice checks without API routes or API field names (the checks word them for the API)."""
    message = _ROUTE.sub("", message)
    return _DOTTED.sub(lambda m: str(FIELD_WORDS.get(m[0], m[0])).split(" (")[0], message)


def refusal_words(exc: InvoiceError) -> list[str]:
    """Why the invoice checks refused an imported file: their sentence, then each field as the file names it."""
    words = [_plain(exc.message)]
    for key, message in (exc.fields or {}).items():
        what = _field_words(key)
        words.append(f"{what[:1].upper()}{what[1:]}: {_plain(message)}.")
    return words


@tenant_required
@require_GET
def invoice_ubl(request, pk):
    """An issued invoice as a UBL 2.1 file (Peppol BIS Billing 3.0), with its IRN and QR code."""
    invoice = get_object_or_404(Invoice, pk=pk)
    if not invoice.is_certified:
        raise Http404(_("Only an invoice NRS has certified can be downloaded as UBL."))
    name = f"{invoice.document_number}.xml".replace("/", "-")
    response = HttpResponse(invoice_to_ubl(invoice), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _import_one(request, upload) -> dict:
    result = {"file": upload.name, "invoice": None, "errors": []}
    if upload.size > MAX_BYTES:
        result["errors"] = [_("The file is larger than 5 MB: a UBL invoice is much smaller. Is it the right file?")]
        return result
    try:
        body = ubl_to_invoice_body(upload.read())
        result["invoice"] = invoice_create(tenant=request.tenant, data=body, actor=Actor(user=request.user), bulk=True)
    except UblError as exc:
        result["errors"] = exc.errors
    except InvoiceError as exc:
        result["errors"] = refusal_words(exc)
    return result


@tenant_required
@require_http_methods(["GET", "POST"])
def ubl_import(request):
    can_write = request.membership.role in (Role.ADMIN, Role.CLERK)
    results, problem = [], ""
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied(_("Only clerks and admins can import invoices."))
        uploads = request.FILES.getlist("files")
        if not uploads:
            problem = _("Choose one or more UBL files (.xml) to import.")
        elif len(uploads) > MAX_FILES:
            problem = _("Import at most %(n)s files at a time.") % {"n": MAX_FILES}
        else:
            results = [_import_one(request, upload) for upload in uploads]
            created = sum(1 for result in results if result["invoice"])
            if created:
                messages.success(
                    request, _("%(n)s of %(total)s files became invoices.") % {"n": created, "total": len(results)}
                )
    return render(
        request,
        "connectors/ubl_import.html",
        {"can_write": can_write, "results": results, "problem": problem, "section_nav": "invoices"},
    )


urlpatterns = [
    path("invoices/<uuid:pk>/ubl.xml", invoice_ubl, name="invoice_ubl"),
    path("invoices/import-ubl/", ubl_import, name="ubl_import"),
]
