"""The business's own NRS screens: connect to the embedded sandbox, check a TIN with NRS, and what NRS said
to each of our calls. They sit above tenants (whose onboarding and Settings pages link here), as the NRS
gateway does: tenants never imports NRS code."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from integrations.nrs.errors import NrsError, NrsNotFound
from integrations.nrs.models import NrsCall
from integrations.nrs.services import nrs_sandbox_connect, tin_verify
from tenants.permissions import admin_required


def _back(request, fallback):
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else fallback)


@admin_required
@require_POST
def nrs_sandbox_connect_view(request):
    try:
        nrs_sandbox_connect(tenant=request.tenant, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Connected to the NRS sandbox: business ID, service ID %(sid)s, API credentials and key file are set.")
            % {"sid": request.tenant.nrs_service_id},
        )
    return _back(request, reverse("settings_nrs"))


@admin_required
@require_POST
def tin_verify_view(request):
    tin = request.POST.get("tin") or request.tenant.tin
    if not tin:
        messages.error(request, _("Enter your TIN in the business profile first."))
        return _back(request, reverse("settings_profile"))
    try:
        found = tin_verify(tenant=request.tenant, tin=tin)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except NrsNotFound:
        messages.error(request, _("NRS does not know TIN %(tin)s. Check it against your tax documents.") % {"tin": tin})
    except NrsError as exc:
        messages.error(request, _("NRS could not check the TIN now: %(why)s") % {"why": exc})
    else:
        messages.success(
            request,
            _("NRS knows TIN %(tin)s: %(name)s (%(status)s).")
            % {"tin": tin, "name": found.get("taxpayer_name", "?"), "status": found.get("status", "?")},
        )
    return _back(request, reverse("settings_profile"))


@admin_required
def nrs_calls(request):
    return render(request, "tenants/nrs_calls.html", {"calls": NrsCall.objects.all()[:100], "section": "nrs"})
