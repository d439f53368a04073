"""Clerk screens: invoice list, editor (drafts), invoice page with its timeline and actions, review and
approval queue, PDF and QR, and the review/approval settings."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from integrations.nrs.errors import NrsError
from integrations.nrs.qr import qr_png
from integrations.reference import lookup
from integrations.reference.models import Lga
from integrations.reference.units import SUGGESTED_WORDS
from invoicing import services
from invoicing.balance import balances, invoice_balance
from invoicing.buyer_mail import invoice_email_queue
from invoicing.checking import invoice_validate
from invoicing.errors import InvoiceError
from invoicing.forms import DecisionForm, GateRulesForm, InvoiceForm, LineFormSet, PaymentForm, line_initial
from invoicing.models import Invoice, Kind
from invoicing.nrs_copy import difference_sentence, invoice_nrs_copy
from invoicing.payments import invoice_reconcile, invoice_record_payment
from invoicing.selectors import invoice_nrs_calls, invoice_search, invoice_timeline
from invoicing.submission import invoice_retry
from invoicing.summary import describe_lines, payment_means_label, total_rows
from invoicing.templatetags.money import format_money
from invoicing.validation import SUPPLIER_REASONS, supplier_missing
from invoicing.wording import action_refusal, invoice_problem, problem_line
from tenants.models import Membership
from tenants.permissions import admin_required, role_required, tenant_required
from tenants.readiness import tenant_readiness

Role = Membership.Role
Status = Invoice.Status
clerk_required = role_required(Role.CLERK)


def _actor(request):
    return services.Actor(user=request.user)


def _role(request) -> str:
    return request.membership.role


@tenant_required
def invoice_list(request):
    qs = invoice_search(request.GET)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    invoices = list(page.object_list)
    owed = balances(invoices)  # one query for the page: the certified notes that correct its invoices
    rows = [(invoice, owed[invoice.pk], problem_line(invoice)) for invoice in invoices]
    return render(
        request,
        "invoicing/invoice_list.html",
        {
            "page": page,
            "rows": rows,
            "statuses": Status.choices,
            "kinds": Kind.choices,
            "filters": request.GET,
            "section_nav": "invoices",
        },
    )


# --- editor ----------------------------------------------------------------------------------


# The service names fields as the API does and says what each needs in the API's words ("required", "must be an
# NRS state code such as NG-LA"). Beside a field on the page, the editor says it in words that fit under its label.
_REQUIRED_WORDS = {
    "document_number": _lazy("Enter your own number for it, such as INV-2026-001."),
    "issue_date": _lazy("Enter the issue date."),
    "customer_name": _lazy("Enter the buyer's name."),
    "customer_tin": _lazy("Enter the buyer's TIN, such as 12345678-0001."),
    "customer_email": _lazy("Enter the buyer's e-mail address, such as ap@acme.ng."),
    "customer_address": _lazy("Enter the buyer's street address."),
    "customer_city": _lazy("Enter the buyer's city."),
    "customer_postal_code": _lazy("Enter the buyer's postal code, such as 100001."),
    "note": _lazy("Say why this note corrects the invoice."),
    "description": _lazy("Describe what was sold."),
    "hsn_code": _lazy("Enter an HS code (goods) or ISIC code (services): type the code or words and pick one."),
    "quantity": _lazy("Enter a quantity above zero, such as 1 or 2.5."),
    "unit_price": _lazy("Enter a unit price above zero, such as 1,500.00."),
    "original_irn": _lazy("Enter the IRN of the invoice this note corrects, as printed on it."),
    "original_issue_date": _lazy("Enter the issue date of the invoice this note corrects."),
}
_INVALID_WORDS = {
    "document_number": _lazy("Use your own number, such as INV-2026-001."),
    "issue_date": _lazy("Enter the date as day, month and year."),
    "due_date": _lazy("The due date must be on or after the issue date."),
    "currency": _lazy("Enter a currency code of three letters, such as NGN."),
    "exchange_rate": _lazy("Enter the naira for 1 unit of the currency, such as 1,530.00."),
    "customer_tin": _lazy("Enter a TIN of at least 5 characters, such as 12345678-0001 or RC-1234567."),
    "customer_email": _lazy("Enter an e-mail address, such as ap@acme.ng."),
    "customer_phone": _lazy("Enter the telephone number as 0803 123 4567, or + and the country code."),
    "customer_state": _lazy("Choose the buyer's state from the list."),
    "customer_lga": _lazy("Choose an LGA of the buyer's state."),
    "customer_country": _lazy("Enter the country as two letters, such as NG."),
    "description": _lazy("Shorten the description."),
    "hsn_code": _lazy("There is no such code: type the code or words and pick one from the list."),
    "quantity": _lazy("Enter a quantity above zero, such as 1 or 2.5."),
    "unit_price": _lazy("Enter a unit price above zero, such as 1,500.00."),
    "discount": _lazy("The discount cannot be negative or more than the line's amount."),
    "tax_scheme": _lazy("Choose a tax from the list."),
    "tax_rate": _lazy("Enter a rate from 0 to 100, such as 7.5."),
    "fee": _lazy("The fee cannot be negative."),
    "withholding_rate": _lazy("Enter the withholding tax rate as a percent under 100, such as 5 or 10."),
    "unit_of_measure": _lazy(
        "There is no such unit: use a word such as each, kg, litre, hours, day, box or pair, or a code such as KGM."
    ),
    "payment_means": _lazy("Choose how the buyer pays from the list."),
    "original_issue_date": _lazy("Enter the date the IRN ends in: the invoice's issue date."),
}
# A line's tax against NRS's VAT exemption list (invoicing/validation.py), in the editor's words.
_EXEMPTION_WORDS = {
    "is on NRS's VAT exemption list": _lazy("These goods are VAT exempt: choose “VAT exempt” as the tax, at 0%."),
    "is not on NRS's VAT exemption list": _lazy(
        "These goods are not on NRS's VAT exemption list: choose the VAT the line is charged."
    ),
    "must be 0 for EXEMPTED": _lazy("A VAT exempt line has a rate of 0%."),
}
# The few the service words per case and well (a number in use, an amount too large): its sentence is clearer.
_OWN_SENTENCE = ("already used", "must be less than", "must not exceed")


def _field_words(name: str, said: str, error: InvoiceError) -> str:
    """What to say under the form field `name` for the service's `said` about it."""
    if any(part in said for part in _OWN_SENTENCE):
        return error.message
    for part, words in _EXEMPTION_WORDS.items():
        if part in said:
            return words
    if said.startswith("required"):
        return _REQUIRED_WORDS.get(name) or error.message
    return _INVALID_WORDS.get(name) or error.message


def _adjustment_words(row, name: str, said: str, error: InvoiceError) -> str:
    """What to say beside a discount or charge row's field; the row is named by its kind and reason, as the
    clerk typed them, since several rows sit side by side."""
    charge = row.cleaned_data.get("kind") == "charge"
    kind = _("charge") if charge else _("discount")
    reason = row.cleaned_data.get("reason") or ""
    if name == "reason":
        if charge:
            return _("Say what this charge is for, such as Delivery.")
        return _("Say what this discount is for, such as Loyalty discount.")
    if name == "amount" and not any(part in said for part in _OWN_SENTENCE):
        return _("Enter the %(kind)s's amount, above zero, such as 5,000.00.") % {"kind": kind}
    if name == "tax_scheme" and said.startswith("required"):
        return _("The lines carry different VAT: choose the VAT the %(kind)s “%(reason)s” carries.") % {
            "kind": kind,
            "reason": reason,
        }
    if name == "tax_scheme":
        return _("Choose a VAT the %(kind)s “%(reason)s” carries, such as Standard VAT.") % {
            "kind": kind,
            "reason": reason,
        }
    if name == "tax_rate":
        return _("Enter a rate from 0 to 100, such as 7.5.")
    return error.message


def _map_error(form, formset, error: InvoiceError, tenant) -> list:
    """Put the service's refusal beside the fields it is about, in the editor's words; the rest on top.

    Returns the business's missing set-up items when that is what refused the invoice, for the page to list.
    """
    if error.reason in SUPPLIER_REASONS:
        form.add_error(
            None,
            _(
                "This invoice cannot go to NRS until your business set-up is complete; what is missing is listed "
                "below. Meanwhile you can save it as a draft."
            ),
        )
        return [item for item in tenant_readiness(tenant) if not item.ok]
    placed = False
    for key, said in error.fields.items():
        if key == "original_invoice_id" and form.is_note and not form["original_invoice_id"].value():
            key = "original_irn"  # a note started without an invoice in Flowpoint names one issued outside
        if key.startswith("customer."):
            name = "customer_" + key.removeprefix("customer.")
            if name in form.fields:
                form.add_error(name, _field_words(name, said, error))
                placed = True
                continue
        if key.startswith("lines[") and "]." in key:
            index, field = key[len("lines[") :].split("].", 1)
            field = {"isic_code": "hsn_code"}.get(field, field)
            if index.isdigit() and int(index) < len(formset.forms) and field in formset.forms[int(index)].fields:
                formset.forms[int(index)].add_error(field, _field_words(field, said, error))
                placed = True
                continue
        if key.startswith("allowance_charges[") and "]." in key:
            index, field = key[len("allowance_charges[") :].split("].", 1)
            target = form.allowance_charge_field(int(index), field) if index.isdigit() else None
            if target:
                row, name = target
                row.add_error(name, _adjustment_words(row, name, said, error))
                placed = True
                continue
        if key in form.fields:
            form.add_error(key, _field_words(key, said, error))
            placed = True
        elif key == "lines" and said.startswith("at least one line"):
            form.add_error(None, _("Add at least one line: what was sold, its code and its price."))
            placed = True
    if not placed or error.reason != "incomplete_unpatchable":
        form.add_error(None, error.message)  # the rule broken, in a sentence, above the form
    return []


def _check(request, form, formset, data) -> tuple[list, dict]:
    """ "Check before submitting": every problem beside its field at once, nothing saved (invoicing/checking.py).
    Returns the missing set-up items to list, and what the check found (its number of problems)."""
    report = invoice_validate(tenant=request.tenant, data=data)
    setup_missing = []
    for error in report.refusals:
        setup_missing = _map_error(form, formset, error, request.tenant) or setup_missing
    return setup_missing, {"problems": len(report.problems)}


def _editor(request, invoice=None, initial=None, lines=None):
    setup_missing = []
    checked = None
    if request.method == "POST":
        form = InvoiceForm(request.POST)
        formset = LineFormSet(request.POST, prefix="lines")
        if form.is_valid() and formset.is_valid():
            data = form.as_data([line for f in formset.forms if (line := f.as_data())])
            draft = request.POST.get("action") == "draft"
            if request.POST.get("action") == "check":
                setup_missing, checked = _check(request, form, formset, data)
                return _editor_page(request, form, formset, invoice, setup_missing, checked)
            try:
                if invoice is None:
                    saved = services.invoice_create(
                        tenant=request.tenant, data=data, actor=_actor(request), draft=draft
                    )
                else:
                    saved = services.invoice_update_draft(invoice=invoice, data=data, actor=_actor(request))
                    if not draft:
                        saved = services.invoice_submit(invoice=saved, actor=_actor(request))
            except InvoiceError as error:
                setup_missing = _map_error(form, formset, error, request.tenant)
                if not setup_missing and not draft:  # the buyer or a line refused first: say what else is to do
                    setup_missing = supplier_missing(request.tenant)
            else:
                messages.success(request, _outcome_message(saved))
                return redirect("invoice_detail", pk=saved.pk)
    else:
        form = InvoiceForm(initial=initial or {})
        formset = LineFormSet(prefix="lines", initial=lines or [{}])
    return _editor_page(request, form, formset, invoice, setup_missing, checked)


def _editor_page(request, form, formset, invoice, setup_missing, checked):
    return render(
        request,
        "invoicing/invoice_form.html",
        {
            "lga_states": dict(Lga.objects.values_list("code", "state_id")),
            "form": form,
            "formset": formset,
            "invoice": invoice,
            "section_nav": "invoices",
            "original": _original_for(form),
            "setup_missing": setup_missing,
            "checked": checked,
            "vat_exemptions": lookup.vat_exemptions(),  # the editor suggests "VAT exempt" for goods on NRS's list
            "unit_words": SUGGESTED_WORDS,
        },
    )


def _original_for(form):
    original_id = form["original_invoice_id"].value()
    if not original_id:
        return None
    try:
        return Invoice.objects.filter(pk=original_id).first()
    except Exception:
        return None


def _outcome_message(invoice: Invoice) -> str:
    match invoice.status:
        case Status.DRAFT:
            return _("Draft saved. Nothing was sent to NRS.")
        case Status.PENDING:
            return _("Invoice %(n)s is queued for NRS.") % {"n": invoice.document_number}
        case Status.PENDING_REVIEW:
            return _("Invoice %(n)s is waiting for review before it goes to NRS.") % {"n": invoice.document_number}
        case Status.PENDING_APPROVAL:
            return _("Invoice %(n)s is waiting for approval before it goes to NRS.") % {"n": invoice.document_number}
        case Status.BLOCKED:
            return _("Invoice %(n)s is held: %(why)s") % {"n": invoice.document_number, "why": invoice.block_detail}
    return _("Saved.")


@clerk_required
@require_http_methods(["GET", "POST"])
def invoice_new(request):
    initial = {"invoice_type": request.GET.get("type", "invoice")}
    lines = None
    original_id = request.GET.get("original")
    if original_id:  # a credit or debit note starts from the invoice it corrects
        original = get_object_or_404(Invoice, pk=original_id, status__in=Invoice.CERTIFIED_STATUSES)
        data = services.invoice_as_data(original)
        initial = InvoiceForm.initial_from(data) | {
            "invoice_type": initial["invoice_type"],
            "original_invoice_id": str(original.pk),
            "document_number": "",
            "issue_date": timezone.localdate(),  # a note is dated the day it is written (Africa/Lagos)
            "due_date": None,  # the original's due date would fall before it
            "note": "",
        }
        lines = [line_initial(line) for line in data["lines"]]
    return _editor(request, initial=initial, lines=lines)


@clerk_required
@require_http_methods(["GET", "POST"])
def invoice_edit(request, pk):
    invoice = get_object_or_404(Invoice, pk=pk)
    if not invoice.is_editable:
        messages.error(request, _("Only drafts can be edited."))
        return redirect("invoice_detail", pk=pk)
    data = services.invoice_as_data(invoice)
    return _editor(request, invoice, InvoiceForm.initial_from(data), [line_initial(ln) for ln in data["lines"]])


@clerk_required
@require_http_methods(["GET", "POST"])
def invoice_delete(request, pk):
    invoice = get_object_or_404(Invoice, pk=pk, status=Status.DRAFT)
    if request.method == "POST":
        services.invoice_delete_draft(invoice=invoice)
        messages.success(request, _("Draft deleted."))
        return redirect("invoice_list")
    return render(request, "invoicing/confirm_delete.html", {"invoice": invoice, "section_nav": "invoices"})


# --- the invoice page and its actions ----------------------------------------------------------


@tenant_required
def invoice_detail(request, pk):
    return _invoice_page(request, get_object_or_404(Invoice.objects.select_related("original", "created_by"), pk=pk))


def _full_amount(invoice, balance=None) -> str:
    """What "paid in full" records: the total as certified credit and debit notes have corrected it."""
    return format_money((balance or invoice_balance(invoice)).total, invoice.currency)


def _invoice_page(request, invoice, *, payment_form=None, status=200):
    role = _role(request)
    can_write = role in (Role.ADMIN, Role.CLERK)
    calls = invoice_nrs_calls(invoice)
    # A hold lists what is still missing now, each with where to fix it (the checklist is read only then).
    readiness = tenant_readiness(request.tenant) if invoice.status == Status.BLOCKED else None
    balance = invoice_balance(invoice)
    # A draft waits on the business's set-up as much as on itself: say what is missing there (a hold says it
    # in its problem above).
    setup_missing = []
    if invoice.status == Status.DRAFT:
        setup_missing = [item for item in tenant_readiness(request.tenant) if not item.ok]
    payment_form = payment_form or PaymentForm(
        initial={"payment_status": invoice.payment_status}, full_amount=_full_amount(invoice, balance)
    )
    lines = list(invoice.lines.all())
    describe_lines(lines)
    return render(
        request,
        "invoicing/invoice_detail.html",
        {
            "invoice": invoice,
            "balance": balance,
            "is_note": invoice.invoice_type != Invoice.Type.INVOICE,
            "lines": lines,
            "problem": invoice_problem(invoice, readiness=readiness, last_call=calls[-1] if calls else None),
            "timeline": invoice_timeline(invoice),
            "calls": calls,
            "can_write": can_write,
            "can_review": role in (Role.ADMIN, Role.REVIEWER) and invoice.status == Status.PENDING_REVIEW,
            "can_approve": role in (Role.ADMIN, Role.APPROVER) and invoice.status == Status.PENDING_APPROVAL,
            "decision_form": DecisionForm(),
            "payment_form": payment_form,
            "setup_missing": setup_missing,
            "nrs_differences": [difference_sentence(d, invoice.currency) for d in invoice.nrs_differences or []],
            "notes": invoice.notes.all() if invoice.invoice_type == Invoice.Type.INVOICE else [],
            "total_rows": total_rows(invoice, lines),
            "payment_by": payment_means_label(invoice.payment_means),
            "section_nav": "invoices",
        },
        status=status,
    )


def _act(request, pk, action):
    invoice = get_object_or_404(Invoice, pk=pk)
    try:
        message = action(invoice)
    except InvoiceError as error:
        if error.reason in SUPPLIER_REASONS:  # the page lists every missing item, with where to fix it
            messages.error(request, _("This invoice cannot go to NRS until your business set-up is complete."))
        else:
            messages.error(request, action_refusal(error))
    else:
        messages.success(request, message)
    return redirect("invoice_detail", pk=pk)


@clerk_required
@require_POST
def invoice_submit_view(request, pk):
    def submit(invoice):
        return _outcome_message(services.invoice_submit(invoice=invoice, actor=_actor(request)))

    return _act(request, pk, submit)


@clerk_required
@require_POST
def invoice_retry_view(request, pk):
    def retry(invoice):
        if invoice.status == Status.BLOCKED:
            services.invoice_release_blocked(invoice=invoice, actor=_actor(request))
        else:
            invoice_retry(invoice=invoice, actor=_actor(request))
        return _("Queued for NRS again.")

    return _act(request, pk, retry)


# The payment service names its input as the API does; on the page the refusal sits on the field the user typed in.
PAYMENT_FIELDS = {"amountPaid": "amount", "paymentStatus": "payment_status", "reference": "reference"}


@clerk_required
@require_POST
def invoice_payment_view(request, pk):
    invoice = get_object_or_404(Invoice.objects.select_related("original", "created_by"), pk=pk)
    form = PaymentForm(request.POST, full_amount=_full_amount(invoice))
    if form.is_valid():
        data = form.cleaned_data
        try:
            invoice_record_payment(
                invoice=invoice,
                status=data["payment_status"],
                amount=data["amount"],
                reference=data["reference"],
                actor=_actor(request),
            )
        except InvoiceError as error:
            fields = error.fields or {}
            if not fields or "nrsError" in error.extra:
                messages.error(request, action_refusal(error))
                return redirect("invoice_detail", pk=pk)
            # The service's sentence speaks plainly; its `fields` values are for integrators and stay off the page.
            for name in fields:
                form.add_error(PAYMENT_FIELDS.get(name), error.message)
        else:
            messages.success(request, _("Payment recorded and reported to NRS."))
            return redirect("invoice_detail", pk=pk)
    # What the user typed stays in the form, with the refusal beside the field it is about.
    return _invoice_page(request, invoice, payment_form=form, status=400)


@clerk_required
@require_POST
def invoice_reconcile_view(request, pk):
    def reconcile(invoice):
        invoice = invoice_reconcile(invoice=invoice, actor=_actor(request))
        if invoice.is_certified and invoice.irn:  # and NRS's copy beside ours: a difference shows on the page
            try:
                copy = invoice_nrs_copy(invoice)
            except (NrsError, InvoiceError):  # refused credentials, or NRS away now: the page keeps what it knew
                copy = None
            if copy is not None and copy.differences:
                return _("Checked with NRS: NRS's copy differs from this invoice; see above.")
        return _("Checked with NRS: the invoice is in line with what NRS has.")

    return _act(request, pk, reconcile)


@clerk_required
@require_POST
def invoice_send_view(request, pk):
    """Send to buyer: queue the PDF for the address on the form (the buyer's, unless the clerk changed it)."""

    def send(invoice):
        invoice_email_queue(invoice=invoice, to=request.POST.get("email", ""), actor=_actor(request))
        return _("The invoice is on its way to %(to)s; the timeline shows when it is sent.") % {
            "to": request.POST["email"].strip()
        }

    return _act(request, pk, send)


def _decision_view(step, roles):
    @role_required(*roles)
    @require_POST
    def view(request, pk):
        form = DecisionForm(request.POST)
        form.is_valid()
        approve = request.POST.get("decision") == "approve"
        decide = services.invoice_review if step == "review" else services.invoice_approve

        def act(invoice):
            decided = decide(
                invoice=invoice, user=request.user, approve=approve, comment=form.cleaned_data.get("comment", "")
            )
            if not approve:
                return _("Sent back to its creator as a draft, with your reason.")
            return _outcome_message(decided)

        return _act(request, pk, act)

    return view


invoice_review_view = _decision_view("review", (Role.REVIEWER,))
invoice_approve_view = _decision_view("approval", (Role.APPROVER,))


@tenant_required
def invoice_pdf(request, pk):
    """The stored PDF; rendered now (and stored) if the task has not done it yet."""
    from invoicing.pdf import invoice_pdf_store

    invoice = get_object_or_404(Invoice, pk=pk)
    if not invoice.pdf:
        invoice_pdf_store(invoice)
    name = f"{invoice.document_number}.pdf".replace("/", "-")
    return FileResponse(invoice.pdf.open("rb"), content_type="application/pdf", as_attachment=True, filename=name)


@tenant_required
def invoice_qr(request, pk):
    invoice = get_object_or_404(Invoice, pk=pk)
    if not invoice.qr_payload:
        return HttpResponse(status=404)
    response = HttpResponse(qr_png(invoice.qr_payload), content_type="image/png")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@tenant_required
def queue(request):
    role = _role(request)
    statuses = {
        Role.REVIEWER: [Status.PENDING_REVIEW],
        Role.APPROVER: [Status.PENDING_APPROVAL],
        Role.ADMIN: [Status.PENDING_REVIEW, Status.PENDING_APPROVAL],
    }.get(role)
    if statuses is None:
        raise PermissionDenied(_("The queue is for reviewers and approvers. Your role is %(r)s.") % {"r": role})
    waiting = Invoice.objects.filter(status__in=statuses).select_related("created_by").order_by("submitted_at")
    differing = []
    if role == Role.ADMIN:  # certified invoices whose NRS copy differs from ours (invoicing/nrs_copy.py)
        found = Invoice.objects.filter(status__in=Invoice.CERTIFIED_STATUSES, nrs_checked_at__isnull=False)
        for invoice in found.exclude(nrs_differences=[]).order_by("-nrs_checked_at")[:100]:
            invoice.difference_sentences = [difference_sentence(d, invoice.currency) for d in invoice.nrs_differences]
            differing.append(invoice)
    return render(request, "invoicing/queue.html", {"waiting": waiting, "differing": differing, "section_nav": "queue"})


@admin_required
@require_http_methods(["GET", "POST"])
def settings_gates(request):
    rules = services.gate_rules(request.tenant)
    form = GateRulesForm(request.POST or None, instance=rules)
    if request.method == "POST" and form.is_valid():
        values = {field: form.cleaned_data[field] for field in services.GATE_FIELDS}
        services.gate_rules_save(tenant=request.tenant, user=request.user, **values)
        messages.success(request, _("Review and approval rules saved."))
        return redirect("settings_gates")
    return render(request, "invoicing/settings_gates.html", {"form": form, "section": "gates"})


urlpatterns = [
    path("invoices/", invoice_list, name="invoice_list"),
    path("invoices/new/", invoice_new, name="invoice_new"),
    path("invoices/queue/", queue, name="invoice_queue"),
    path("invoices/<uuid:pk>/", invoice_detail, name="invoice_detail"),
    path("invoices/<uuid:pk>/edit/", invoice_edit, name="invoice_edit"),
    path("invoices/<uuid:pk>/delete/", invoice_delete, name="invoice_delete"),
    path("invoices/<uuid:pk>/submit/", invoice_submit_view, name="invoice_submit"),
    path("invoices/<uuid:pk>/retry/", invoice_retry_view, name="invoice_retry"),
    path("invoices/<uuid:pk>/payment/", invoice_payment_view, name="invoice_payment"),
    path("invoices/<uuid:pk>/reconcile/", invoice_reconcile_view, name="invoice_reconcile"),
    path("invoices/<uuid:pk>/send/", invoice_send_view, name="invoice_send"),
    path("invoices/<uuid:pk>/review/", invoice_review_view, name="invoice_review"),
    path("invoices/<uuid:pk>/approve/", invoice_approve_view, name="invoice_approve"),
    path("invoices/<uuid:pk>/pdf/", invoice_pdf, name="invoice_pdf"),
    path("invoices/<uuid:pk>/qr.png", invoice_qr, name="invoice_qr"),
    path("settings/approvals/", settings_gates, name="settings_gates"),
]
