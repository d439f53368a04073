"""The buyer's side: the purchase inbox (invoices suppliers certified with NRS and NRS delivered to this business),
one received document with its acknowledge / accept / dispute actions and its PDF, the suppliers, and VAT for
the period (output less input) with its CSV and XLSX."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from integrations.nrs.qr import qr_png
from invoicing.errors import InvoiceError
from invoicing.models import ReceivedInvoice, Supplier
from invoicing.purchases import selectors
from invoicing.purchases.document import document_view
from invoicing.purchases.services import purchase_acknowledge, purchase_decide, purchases_pull_enqueue
from invoicing.purchases.vat import XLSX_TYPE, month_bounds, report_csv, report_filename, report_xlsx, vat_report
from invoicing.services import Actor
from invoicing.wording import action_refusal
from tenants.models import Membership
from tenants.permissions import role_required, tenant_required

Role = Membership.Role
Status = ReceivedInvoice.Status
# Admins and approvers decide about what the business is billed; clerks and reviewers see.
decider_required = role_required(Role.APPROVER)
DECIDERS = (Role.ADMIN, Role.APPROVER)


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=_lazy("Reason for the dispute"),
        required=False,  # required to dispute, not to accept: the service says so, beside this field
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_lazy("What is wrong with the invoice, so the supplier can correct it."),
    )


def _actor(request) -> Actor:
    return Actor(user=request.user)


@tenant_required
def purchase_list(request):
    page = Paginator(selectors.received_search(request.GET), 50).get_page(request.GET.get("page"))
    filters = {key: value for key, value in request.GET.items() if key != "page" and value}
    given = filters.get("supplier", "")
    supplier = Supplier.objects.filter(pk=given).first() if given.isdigit() else None
    return render(
        request,
        "invoicing/purchases/list.html",
        {
            "page": page,
            "statuses": Status.choices,
            "filters": filters,
            "supplier": supplier,
            "pull": selectors.last_pull(request.tenant),
            "section_nav": "purchases",
        },
    )


@tenant_required
@require_POST
def purchase_check_now(request):
    """Ask NRS for new received invoices now, in the worker: the page does not wait on NRS."""
    purchases_pull_enqueue(request.tenant)
    messages.info(request, _("Checking with NRS… New invoices appear here in a minute or two."))
    return redirect("purchase_list")


def _detail(request, received, *, form=None, status=200):
    return render(
        request,
        "invoicing/purchases/detail.html",
        {
            "received": received,
            "doc": document_view(received),
            "can_decide": request.membership.role in DECIDERS,
            "form": form or DisputeForm(),
            "section_nav": "purchases",
        },
        status=status,
    )


def _received(pk):
    return get_object_or_404(
        ReceivedInvoice.objects.select_related("supplier", "acknowledged_by", "acknowledged_by_key", "decided_by"),
        pk=pk,
    )


@tenant_required
def purchase_detail(request, pk):
    return _detail(request, _received(pk))


@decider_required
@require_POST
def purchase_acknowledge_view(request, pk):
    received = _received(pk)
    try:
        purchase_acknowledge(received=received, actor=_actor(request))
    except InvoiceError as error:
        messages.error(request, action_refusal(error))
    else:
        messages.success(request, _("Receipt acknowledged: NRS has told the supplier that you received it."))
    return redirect("purchase_detail", pk=pk)


@decider_required
@require_POST
def purchase_decide_view(request, pk):
    received = _received(pk)
    form = DisputeForm(request.POST)
    accept = request.POST.get("decision") == "accept"
    if not form.is_valid():
        return _detail(request, received, form=form, status=400)
    try:
        purchase_decide(received=received, accept=accept, reason=form.cleaned_data["reason"], actor=_actor(request))
    except InvoiceError as error:
        # The refusal beside the reason it is about, or above the form; what was typed stays in the box.
        if "reason" in error.fields:
            form.add_error("reason", error.message)
        else:
            form.add_error(None, action_refusal(error))
        return _detail(request, _received(pk), form=form, status=400)
    if accept:
        messages.success(request, _("Accepted: it counts as input VAT for its month."))
    else:
        messages.success(request, _("Disputed, with your reason. It is left out of input VAT until it is settled."))
    return redirect("purchase_detail", pk=pk)


@tenant_required
def purchase_qr(request, pk):
    """NRS's QR code of a received invoice, as the supplier printed it: a buyer scans it with NRS's app."""
    code = document_view(_received(pk)).qr_code
    if not code:
        raise Http404
    response = HttpResponse(qr_png(code), content_type="image/png")
    response["Cache-Control"] = "private, max-age=86400"  # NRS's code never changes: drawn once a day at most
    return response


@tenant_required
def purchase_pdf(request, pk):
    from invoicing.purchases.pdf import received_pdf, received_pdf_filename

    received = _received(pk)
    response = HttpResponse(received_pdf(received), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{received_pdf_filename(received)}"'
    return response


@tenant_required
def supplier_list(request):
    page = Paginator(selectors.supplier_list(request.GET), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "invoicing/purchases/suppliers.html",
        {
            "page": page,
            "filters": {k: v for k, v in request.GET.items() if k != "page" and v},
            "section_nav": "purchases",
        },
    )


@tenant_required
def vat_report_view(request):
    start, end = month_bounds(request.GET.get("month"))
    report = vat_report(start, end)
    kind = request.GET.get("format")
    if kind == "csv":
        response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
    elif kind == "xlsx":
        response = HttpResponse(report_xlsx(report), content_type=XLSX_TYPE)
    else:
        return render(
            request,
            "invoicing/purchases/vat.html",
            {"report": report, "month": f"{start:%Y-%m}", "section_nav": "purchases"},
        )
    response["Content-Disposition"] = f'attachment; filename="{report_filename(report, kind)}"'
    return response


urlpatterns = [
    path("purchases/", purchase_list, name="purchase_list"),
    path("purchases/check/", purchase_check_now, name="purchase_check_now"),
    path("purchases/suppliers/", supplier_list, name="supplier_list"),
    path("purchases/vat/", vat_report_view, name="vat_report"),
    path("purchases/<uuid:pk>/", purchase_detail, name="purchase_detail"),
    path("purchases/<uuid:pk>/acknowledge/", purchase_acknowledge_view, name="purchase_acknowledge"),
    path("purchases/<uuid:pk>/decide/", purchase_decide_view, name="purchase_decide"),
    path("purchases/<uuid:pk>/pdf/", purchase_pdf, name="purchase_pdf"),
    path("purchases/<uuid:pk>/qr.png", purchase_qr, name="purchase_qr"),
]
