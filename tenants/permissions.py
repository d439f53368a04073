"""Who may do what: roles for portal views (decorators) and the API (DRF permissions)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from tenants.models import Membership
from tenants.two_factor_rules import enrolment_needed, verification_pending

Role = Membership.Role


def redirect_to_code(request):
    return redirect_to_login(request.get_full_path(), login_url="two_factor_verify")


def verified_required(view):
    """A signed-in person who has given their second factor, if they have one (the security page itself)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if verification_pending(request):
            return redirect_to_code(request)
        return view(request, *args, **kwargs)

    return wrapper


def tenant_required(view):
    """A signed-in user with a business (signed-in users without one are sent to create one).

    Every member page passes here, so this is where two-factor sign-in is enforced: a session that still owes its
    code goes to the code page, and a member whose business requires two-factor sign-in but who has no device yet
    goes to enrolment and can do nothing else."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if verification_pending(request):
            return redirect_to_code(request)
        if request.membership is None:
            return redirect("signup_business")
        if request.method == "POST" and _form_of_another_business(request):
            return _business_changed(request)
        if enrolment_needed(request):
            messages.warning(
                request,
                _("%(name)s requires two-factor sign-in. Set up an authenticator app to continue.")
                % {"name": request.membership.tenant.name},
            )
            return redirect("settings_security")
        return view(request, *args, **kwargs)

    return wrapper


def _form_of_another_business(request) -> bool:
    """A portal form opened in another of the person's businesses (they switched since, in another tab)."""
    from tenants.templatetags.business_forms import FORM_BUSINESS

    sent = request.POST.get(FORM_BUSINESS)
    return bool(sent) and sent != str(request.tenant.pk)


def _business_changed(request):
    """Nothing is saved; the page says which business the form was for (if it is one of theirs) and offers both."""
    from tenants.services import membership_for_exactly
    from tenants.templatetags.business_forms import FORM_BUSINESS

    try:
        origin = membership_for_exactly(request.user, request.POST[FORM_BUSINESS])
    except ValidationError:  # not a business id at all
        origin = None
    context = {"origin": origin.tenant if origin else None}
    return render(request, "tenants/business_changed.html", context, status=409)


def _session_second_factor_check(request):
    """API calls made with a portal session (not a key) follow the same two-factor rules as the pages."""
    if request._request.api_key is not None:
        return
    if verification_pending(request._request):
        raise exceptions.NotAuthenticated("Finish signing in: enter the code from your authenticator app.")
    if enrolment_needed(request._request):
        raise exceptions.PermissionDenied("Your business requires two-factor sign-in. Set it up in the portal first.")


def role_required(*roles):
    """Admins may do everything; otherwise the user's role must be one of `roles` (else a 403 page)."""

    def decorator(view):
        @wraps(view)
        @tenant_required
        def wrapper(request, *args, **kwargs):
            role = request.membership.role
            if role != Role.ADMIN and role not in roles:
                allowed = ", ".join(sorted({str(Role.ADMIN.label), *(str(Role(r).label) for r in roles)}))
                raise PermissionDenied(f"This page is for: {allowed}. Your role is {Role(role).label}.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


admin_required = role_required()


class IsTenantAdminSession(BasePermission):
    """Admin API: a portal admin's session only; API keys get 403, as the spec says."""

    def has_permission(self, request, view):
        if request._request.api_key is not None:
            raise exceptions.PermissionDenied(
                "API keys cannot use admin routes. Sign in to the portal as an admin to change settings."
            )
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated("Sign in as a portal admin.")
        membership = request._request.membership
        if membership is None:
            raise exceptions.PermissionDenied("You are not a member of any business.")
        _session_second_factor_check(request)
        if membership.role != Role.ADMIN:
            raise exceptions.PermissionDenied(f"Only admins can do this; your role is {Role(membership.role).label}.")
        return True


class HasTenant(BasePermission):
    """Integrator routes: a valid API key, or a signed-in member of a business."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated("Send a valid API key in the X-Flowpoint-Key header.")
        if request._request.tenant is None:
            raise exceptions.PermissionDenied("You are not a member of any business.")
        _session_second_factor_check(request)
        return True
