"""Portal CSV upload flow: upload, preview with errors beside their cells, submit, and progress (batch.js polls
a small JSON view while the batch is validated or submitted)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from invoicing import batches
from invoicing.errors import InvoiceError
from invoicing.models import Batch
from invoicing.services import Actor
from invoicing.uploads import csv_upload_refusal
from invoicing.validation import SUPPLIER_REASONS, supplier_missing
from tenants.models import Membership
from tenants.permissions import role_required, tenant_required

Role = Membership.Role
BatchStatus = Batch.Status
clerk_required = role_required(Role.CLERK)
RUNNING = (BatchStatus.VALIDATING, BatchStatus.SUBMITTING)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=format_lazy(
            gettext_lazy("UTF-8, one row per invoice line, at most {mb} MB and {rows:,} rows."),
            mb=settings.CSV_UPLOAD_MAX_BYTES // 2**20,
            rows=batches.MAX_ROWS,
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        refusal = csv_upload_refusal(upload)
        if refusal:
            raise forms.ValidationError(refusal.message, code=refusal.code)
        return upload


def _can_write(request) -> bool:
    return request.membership.role in (Role.ADMIN, Role.CLERK)


@tenant_required
@require_http_methods(["GET", "POST"])
def batch_upload(request):
    can_write = _can_write(request)
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied(_("Only clerks and admins can upload invoices."))
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            batch = batches.batch_upload(
                tenant=request.tenant, file=form.cleaned_data["file"], actor=Actor(user=request.user)
            )
            if batch.status == BatchStatus.INVALID:
                messages.error(request, _("This file cannot be used: %(why)s") % {"why": batch.error_summary})
            else:
                messages.success(
                    request,
                    _("Uploaded %(rows)s rows. They are being checked; nothing is sent to NRS until you submit.")
                    % {"rows": batch.row_count},
                )
            return redirect("batch_detail", pk=batch.pk)
    else:
        form = UploadForm()
    return render(
        request,
        "invoicing/batches/upload.html",
        {
            "form": form,
            "can_write": can_write,
            "columns": batches.COLUMNS_HELP,
            "recent": [(b, batches.batch_verdict(b)) for b in Batch.objects.order_by("-created_at")[:20]],
            "max_rows": f"{batches.MAX_ROWS:,}",
            "max_mb": settings.CSV_UPLOAD_MAX_BYTES // 2**20,
            "section_nav": "invoices",
        },
    )


def _preview(batch: Batch, only_errors: bool):
    """The rows as a table: the file's columns, each cell with its errors beside it."""
    rows = list(batches.preview_rows(batch, only_errors=only_errors))
    used = set()
    for row in rows:
        used.update(row.values)
        used.update(e["column"] for e in row.errors if e["column"])
    columns = [c for c in batches.COLUMNS if c in used]
    table = []
    for row in rows:
        by_column = {}
        for error in row.errors:
            by_column.setdefault(error["column"], []).append(error)
        group = row.group
        invoice = group.invoice if group else None
        table.append(
            {
                "row": row.row,
                "has_errors": row.has_errors,
                "errors": row.errors,  # all of them, also beside the start of the row: wide files scroll
                "cells": [(c, row.values.get(c, ""), by_column.get(c, [])) for c in columns],
                "invoice": invoice,
                "state": group.get_state_display() if group else "",
            }
        )
    return columns, table


@tenant_required
@require_GET
def batch_detail(request, pk):
    batch = get_object_or_404(Batch, pk=pk)
    counts = batches.batch_progress(batch)
    only_errors = request.GET.get("rows") == "errors"
    columns, table = _preview(batch, only_errors) if batch.status != BatchStatus.VALIDATING else ([], [])
    return render(
        request,
        "invoicing/batches/detail.html",
        {
            "batch": batch,
            "verdict": batches.batch_verdict(batch),
            "counts": counts,
            "columns": columns,
            "table": table,
            "only_errors": only_errors,
            "preview_limit": batches.PREVIEW_ROWS,
            "errors": batches.batch_errors(batch, 500),
            "running": batch.status in RUNNING,
            "can_submit": _can_write(request)
            and batch.status == BatchStatus.VALIDATED
            and batch.valid_count > 0
            and not batch.submit_requested,
            "section_nav": "invoices",
            "setup_missing": supplier_missing(request.tenant) if not batch.submit_requested else [],
        },
    )


@clerk_required
@require_POST
def batch_submit(request, pk):
    batch = get_object_or_404(Batch, pk=pk)
    try:
        batch = batches.batch_submit(batch=batch, actor=Actor(user=request.user))
    except InvoiceError as error:
        if error.reason in SUPPLIER_REASONS:  # the batch page lists every missing item, with where to fix it
            messages.error(request, _("Nothing can be submitted until your business set-up is complete."))
        else:
            messages.error(request, f"{error.message} {error.detail}".strip())
    else:
        messages.success(
            request,
            _("%(n)s valid invoices are being created and sent to NRS; %(skipped)s invalid ones are skipped.")
            % {"n": batch.valid_count, "skipped": batch.invalid_count},
        )
    return redirect("batch_detail", pk=batch.pk)


@tenant_required
@require_GET
def batch_progress(request, pk):
    batch = get_object_or_404(Batch, pk=pk)
    counts = batches.batch_progress(batch)
    return JsonResponse(
        {
            "status": batch.status,
            "statusLabel": batch.get_status_display(),
            "rows": batch.row_count,
            "validatedRows": batch.validated_rows,
            "valid": batch.valid_count,
            "invalid": batch.invalid_count,
            **counts,
        }
    )


urlpatterns = [
    path("invoices/upload/", batch_upload, name="batch_upload"),
    path("invoices/batches/<uuid:pk>/", batch_detail, name="batch_detail"),
    path("invoices/batches/<uuid:pk>/submit/", batch_submit, name="batch_submit"),
    path("invoices/batches/<uuid:pk>/progress/", batch_progress, name="batch_progress"),
]
