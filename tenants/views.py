"""Onboarding wizard and Settings pages. Each form is handled once and used by both."""

from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from integrations.reference.models import Lga
from portal.form_errors import apply_errors
from tenants import services
from tenants.expiry import expiry_note
from tenants.forms import (
    ApiKeyForm,
    CryptoKeyForm,
    InviteForm,
    LocationForm,
    NrsCredentialsForm,
    NrsSettingsForm,
    ProfileForm,
    RoleForm,
    ValidUntilForm,
)
from tenants.models import ApiKey, CryptoKey, Invitation, Location, Membership, Tenant
from tenants.permissions import admin_required
from tenants.readiness import tenant_readiness

# --- Form handlers shared by onboarding and settings -------------------------------------------
# Each returns (form, saved). Forms are bound to a fresh copy of the tenant so a rejected form
# never leaves half-applied values on request.tenant.


def _fresh_tenant(request) -> Tenant:
    return Tenant.objects.get(pk=request.tenant.pk)


def _profile(request):
    form = ProfileForm(request.POST or None, instance=_fresh_tenant(request))
    if request.method == "POST" and form.is_valid():
        services.tenant_update(tenant=request.tenant, user=request.user, **form.cleaned_data)
        return form, True
    return form, False


def _nrs_ids(request, data):
    form = NrsSettingsForm(data, instance=_fresh_tenant(request))
    if data is not None and form.is_valid():
        services.tenant_update(tenant=request.tenant, user=request.user, **form.cleaned_data)
        return form, True
    return form, False


def _nrs_credentials(request, data):
    """(form, saved); saved is also True when the credentials on file are kept (both fields left empty)."""
    tenant = request.tenant
    form = NrsCredentialsForm(
        data, saved=tenant.has_nrs_credentials, initial={"valid_until": tenant.nrs_credentials_valid_until}
    )
    if data is not None and form.is_valid():
        secrets = {name: form.cleaned_data[name] for name in ("api_key", "api_secret")}
        if not form.keep:
            services.nrs_credentials_set(tenant=tenant, user=request.user, **secrets)
        valid_until = form.cleaned_data["valid_until"]
        form.date_changed = valid_until != tenant.nrs_credentials_valid_until
        services.nrs_credentials_valid_until_set(tenant=tenant, valid_until=valid_until, user=request.user)
        return form, True
    return form, False


def _location(request, location):
    form = LocationForm(request.POST or None, instance=location)
    if request.method == "POST" and form.is_valid():
        try:
            services.location_save(
                location=form.instance, make_primary=form.cleaned_data.get("make_primary", False), user=request.user
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            return form, False
        return form, True
    return form, False


def _crypto_key(request, keep_allowed: bool = False):
    """(form, saved). With `keep_allowed` (the wizard) and an active key on file, no file keeps that key."""
    active = CryptoKey.objects.filter(is_active=True).first() if keep_allowed else None
    posted = request.method == "POST"  # bound even when only the (empty) file was sent: no file keeps the saved key
    form = CryptoKeyForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        saved=active is not None,
        initial={"valid_until": active.valid_until if active else None},
    )
    if request.method == "POST" and form.is_valid():
        valid_until = form.cleaned_data["valid_until"]
        if not form.keep:
            services.crypto_key_upload(
                tenant=request.tenant, content=form.content, user=request.user, valid_until=valid_until
            )
        elif active is not None:  # the wizard: the saved key is kept, its date may be new
            form.date_changed = valid_until != active.valid_until
            services.crypto_key_set_valid_until(crypto_key=active, valid_until=valid_until, user=request.user)
        return form, True
    return form, False


def _location_context(form):
    return {"form": form, "lga_states": dict(Lga.objects.values_list("code", "state_id"))}


# --- Onboarding wizard ----------------------------------------------------------------------

STEPS = [
    ("business", _("Business profile")),
    ("location", _("Location")),
    ("nrs", _("NRS identity")),
    ("credentials", _("NRS API access")),
    ("keys", _("Crypto-key file")),
    ("done", _("Checklist")),
]
_STEP_FOR_ITEM = {
    "business_profile": "business",
    "primary_location": "location",
    "nrs_business_id": "nrs",
    "nrs_service_id": "nrs",
    "nrs_credentials": "credentials",
    "crypto_key": "keys",
}


@admin_required
def onboarding(request):
    """Resume at the first step that is still missing something."""
    for item in tenant_readiness(request.tenant):
        if not item.ok:
            return redirect("onboarding_step", step=_STEP_FOR_ITEM[item.key])
    return redirect("onboarding_step", step="done")


@admin_required
@require_http_methods(["GET", "POST"])
def onboarding_step(request, step):
    names = [name for name, _label in STEPS]
    if step not in names:
        return redirect("onboarding")
    index = names.index(step)
    next_url = reverse("onboarding_step", args=[names[min(index + 1, len(names) - 1)]])
    readiness = tenant_readiness(request.tenant)
    missing_steps = {_STEP_FOR_ITEM[item.key] for item in readiness if not item.ok}
    done_steps = [name for name in names[:-1] if name not in missing_steps]
    context = {"steps": STEPS, "step": step, "step_index": index, "next_url": next_url, "done_steps": done_steps}

    if step == "business":
        form, saved = _profile(request)
    elif step == "location":
        primary = Location.objects.filter(is_primary=True).first() or Location(tenant=request.tenant)
        form, saved = _location(request, primary)
        context.update(_location_context(form))
    elif step == "nrs":
        form, saved = _nrs_ids(request, request.POST or None)
    elif step == "credentials":
        form, saved = _nrs_credentials(request, request.POST if request.method == "POST" else None)
        context["tenant_has_credentials"] = request.tenant.has_nrs_credentials
    elif step == "keys":
        form, saved = _crypto_key(request, keep_allowed=True)
        context["active_key"] = CryptoKey.objects.filter(is_active=True).first()
    else:
        form, saved = None, False
        ready = not missing_steps
        if ready:
            services.onboarding_complete(tenant=request.tenant)
        context.update({"readiness": readiness, "ready": ready})

    if saved:
        kept = getattr(form, "keep", False) and not getattr(form, "date_changed", False)
        messages.success(request, _("Nothing to change: what is saved is kept.") if kept else _("Saved."))
        return redirect(next_url)
    context["form"] = form
    return render(request, "tenants/onboarding.html", context)


# --- Settings --------------------------------------------------------------------------------


@admin_required
@require_http_methods(["GET", "POST"])
def settings_profile(request):
    form, saved = _profile(request)
    if saved:
        messages.success(request, _("Business profile saved."))
        return redirect("settings_profile")
    return render(request, "tenants/settings_profile.html", {"form": form, "section": "profile"})


@admin_required
@require_http_methods(["GET", "POST"])
def settings_nrs(request):
    which = request.POST.get("form") if request.method == "POST" else None
    ids_form, ids_saved = _nrs_ids(request, request.POST if which == "ids" else None)
    cred_form, cred_saved = _nrs_credentials(request, request.POST if which == "credentials" else None)
    if ids_saved or cred_saved:
        if cred_saved and cred_form.keep and getattr(cred_form, "date_changed", False):
            messages.success(request, _("Valid-until date saved; the saved NRS credentials are kept."))
        elif cred_saved and cred_form.keep:
            messages.success(request, _("Nothing to change: the saved NRS credentials are kept."))
        else:
            messages.success(request, _("NRS credentials saved.") if cred_saved else _("NRS settings saved."))
        return redirect("settings_nrs")
    return render(
        request,
        "tenants/settings_nrs.html",
        {"ids_form": ids_form, "cred_form": cred_form, "section": "nrs", "tenant": request.tenant},
    )


@admin_required
def settings_locations(request):
    return render(
        request,
        "tenants/settings_locations.html",
        {"locations": Location.objects.select_related("state", "lga", "country"), "section": "locations"},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def location_edit(request, pk=None):
    location = get_object_or_404(Location, pk=pk) if pk else Location(tenant=request.tenant)
    form, saved = _location(request, location)
    if saved:
        messages.success(request, _("Location saved."))
        return redirect("settings_locations")
    context = _location_context(form)
    context.update({"section": "locations", "location": location})
    return render(request, "tenants/location_form.html", context)


@admin_required
@require_POST
def location_make_primary(request, pk):
    location = get_object_or_404(Location, pk=pk)
    services.location_save(location=location, make_primary=True, user=request.user)
    messages.success(request, _("%(loc)s is now the primary location.") % {"loc": location})
    return redirect("settings_locations")


@admin_required
@require_http_methods(["GET", "POST"])
def location_delete(request, pk):
    location = get_object_or_404(Location, pk=pk)
    if request.method == "POST":
        services.location_delete(location=location, user=request.user)
        messages.success(request, _("Location deleted."))
        return redirect("settings_locations")
    return _confirm(
        request,
        title=_("Delete this location?"),
        body=_("%(loc)s will be removed. Invoices already issued keep the address they were issued with.")
        % {"loc": location},
        cancel_url=reverse("settings_locations"),
        section="locations",
    )


@admin_required
@require_http_methods(["GET", "POST"])
def settings_crypto_keys(request):
    form, saved = _crypto_key(request)
    if saved:
        messages.success(request, _("Key file uploaded; it is now the active key."))
        return redirect("settings_crypto_keys")
    return render(
        request,
        "tenants/settings_crypto_keys.html",
        {"form": form, "keys": CryptoKey.objects.select_related("uploaded_by"), "section": "crypto_keys"},
    )


@admin_required
@require_POST
def crypto_key_activate(request, pk):
    services.crypto_key_activate(crypto_key=get_object_or_404(CryptoKey, pk=pk), user=request.user)
    messages.success(request, _("Key activated; older keys are kept inactive."))
    return redirect("settings_crypto_keys")


@admin_required
@require_POST
def crypto_key_valid_until(request, pk):
    key = get_object_or_404(CryptoKey, pk=pk)
    form = ValidUntilForm(request.POST)
    if form.is_valid():
        valid_until = form.cleaned_data["valid_until"]
        services.crypto_key_set_valid_until(crypto_key=key, valid_until=valid_until, user=request.user)
        messages.success(request, _("Saved. %(note)s.") % {"note": expiry_note(key.valid_until) or _("no end date")})
    else:
        messages.error(request, " ".join(form.errors["valid_until"]))
    return redirect("settings_crypto_keys")


@admin_required
@require_http_methods(["GET", "POST"])
def crypto_key_delete(request, pk):
    key = get_object_or_404(CryptoKey, pk=pk)
    if request.method == "POST":
        services.crypto_key_delete(crypto_key=key, user=request.user)
        messages.success(request, _("Key deleted."))
        return redirect("settings_crypto_keys")
    warning = _(" It is the active key: invoices cannot be signed until you upload another.") if key.is_active else ""
    return _confirm(
        request,
        title=_("Delete this key file?"),
        body=_("Key %(fp)s… will be deleted.") % {"fp": key.fingerprint[:23]} + warning,
        cancel_url=reverse("settings_crypto_keys"),
        section="crypto_keys",
    )


_NEW_KEY_SESSION = "new_api_key"


@admin_required
@require_http_methods(["GET", "POST"])
def settings_api_keys(request):
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        expires_on = form.cleaned_data["expires_on"]
        expires_at = timezone.make_aware(datetime.combine(expires_on, time.max)) if expires_on else None
        try:
            key, plaintext = services.api_key_create(
                tenant=request.tenant,
                name=form.cleaned_data["name"],
                expires_at=expires_at,
                user=request.user,
                read_only=form.cleaned_data["access"] == "read_only",
                allowed_networks=form.cleaned_data["allowed_networks"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            # Shown once, on the page we redirect to; never stored anywhere but this session entry.
            request.session[_NEW_KEY_SESSION] = {"id": key.pk, "key": plaintext}
            return redirect("settings_api_keys")
    new_key = request.session.pop(_NEW_KEY_SESSION, None)
    return render(
        request,
        "tenants/settings_api_keys.html",
        {"form": form, "keys": ApiKey.objects.all(), "new_key": new_key, "section": "api_keys"},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def api_key_revoke(request, pk):
    key = get_object_or_404(ApiKey, pk=pk)
    if request.method == "POST":
        services.api_key_revoke(api_key=key, user=request.user)
        messages.success(request, _("Key %(name)s revoked.") % {"name": key.name})
        return redirect("settings_api_keys")
    return _confirm(
        request,
        title=_("Revoke this API key?"),
        body=_("Systems using %(key)s will get 401 errors at once. This cannot be undone.") % {"key": key},
        cancel_url=reverse("settings_api_keys"),
        section="api_keys",
        action=_("Revoke key"),
    )


@admin_required
@require_http_methods(["GET", "POST"])
def settings_team(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                tenant=request.tenant,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            return redirect("settings_team")
    invitations = [i for i in Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True) if i.is_open]
    return render(
        request,
        "tenants/settings_team.html",
        {
            "form": form,
            "members": Membership.objects.select_related("user").order_by("created_at"),
            "invitations": invitations,
            "roles": Membership.Role.choices,
            "section": "team",
        },
    )


@admin_required
@require_POST
def member_role(request, pk):
    membership = get_object_or_404(Membership, pk=pk)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_set_role(membership=membership, role=form.cleaned_data["role"], user=request.user)
            messages.success(request, _("Role updated."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("settings_team")


@admin_required
@require_http_methods(["GET", "POST"])
def member_remove(request, pk):
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk)
    if request.method == "POST":
        try:
            services.membership_remove(membership=membership, user=request.user)
            messages.success(request, _("%(user)s removed.") % {"user": membership.user})
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("settings_team")
    return _confirm(
        request,
        title=_("Remove %(user)s?") % {"user": membership.user},
        body=_("They will lose access to %(name)s at once.") % {"name": request.tenant.name},
        cancel_url=reverse("settings_team"),
        section="team",
        action=_("Remove"),
    )


@admin_required
@require_POST
def invitation_revoke(request, pk):
    invitation = get_object_or_404(Invitation, pk=pk)
    services.invitation_revoke(invitation=invitation, user=request.user)
    messages.success(request, _("Invitation to %(email)s withdrawn.") % {"email": invitation.email})
    return redirect("settings_team")


def _confirm(request, *, title, body, cancel_url, section, action=None):
    return render(
        request,
        "tenants/confirm.html",
        {
            "title": title,
            "body": body,
            "cancel_url": cancel_url,
            "section": section,
            "action": action or _("Delete"),
        },
    )
