"""The sandbox console: what the sandbox received (each business sees its own), and fault injection."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from integrations.nrs.sandbox.forms import COPY_FIELDS, CopyChangeForm, FaultsForm
from integrations.nrs.sandbox.models import SandboxFaults, SandboxInvoice, SandboxRequest
from integrations.nrs.sandbox.services import faults, stored_document_change
from tenants.permissions import verified_required


@verified_required
def console(request):
    # Operators (staff) see everything; a business sees only what its own sandbox identity sent.
    received = SandboxRequest.objects.select_related("business").order_by("-created_at", "-id")
    if not request.user.is_staff:
        business_id = request.tenant.nrs_business_id if request.tenant else None
        received = received.filter(business_id=business_id) if business_id else received.none()
    return render(
        request,
        "nrs_sandbox/console.html",
        {"received": received[:200], "faults": faults(), "can_edit": request.user.is_staff},
    )


@verified_required
@require_http_methods(["GET", "POST"])
def faults_edit(request):
    if not request.user.is_staff:
        raise PermissionDenied("Fault injection changes the sandbox for every business; operators (staff) only.")
    row = SandboxFaults.objects.order_by("pk").first() or SandboxFaults(**faults())
    form = FaultsForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Sandbox faults updated.")
        return redirect("sandbox_console")
    return render(request, "nrs_sandbox/faults.html", {"form": form})


@verified_required
@require_http_methods(["GET", "POST"])
def copy_change(request):
    """Operators make NRS's stored copy of an IRN differ from what the issuer holds (as NRS's record might)."""
    if not request.user.is_staff:
        raise PermissionDenied("Changing what the sandbox holds is for operators (staff) only.")
    form = CopyChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        irn = form.cleaned_data["irn"].strip()
        if not SandboxInvoice.objects.filter(irn=irn).exists():
            form.add_error("irn", "The sandbox holds no signed invoice with this IRN.")
        else:
            label, path, _kind = COPY_FIELDS[form.cleaned_data["field"]]
            stored_document_change(irn, path, form.cleaned_data["value"])
            messages.success(
                request, f"NRS's copy of {irn} changed: {label.lower()} is now {form.cleaned_data['value']}."
            )
            return redirect("sandbox_console")
    return render(request, "nrs_sandbox/copy_change.html", {"form": form})
