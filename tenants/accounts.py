"""A person's account: sign-up (with a new business, or a new business for someone signed in), sign-in and
sign-out, and accepting an invitation to a business. Each page calls one service (tenants/services.py)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from portal.throttle import login_failed, login_retry_after, login_succeeded
from tenants.account_forms import AcceptInvitationForm, BusinessForm, LoginForm, SignupForm
from tenants.middleware import SESSION_TENANT
from tenants.permissions import redirect_to_code
from tenants.services import account_signup, invitation_accept, invitation_by_token, invitation_signup, tenant_create
from tenants.two_factor_rules import signed_in_with_code, verification_pending

User = get_user_model()


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated and request.membership:
        return redirect("dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user, tenant = account_signup(
            business_name=data["business_name"],
            email=data["email"],
            password=data["password"],
            full_name=data["full_name"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SESSION_TENANT] = str(tenant.pk)
        messages.success(request, _("Welcome to Flowpoint. Let's get %(name)s ready for NRS.") % {"name": tenant.name})
        return redirect("onboarding")
    return render(request, "portal/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def signup_business(request):
    if not request.user.is_authenticated:
        return redirect("signup")
    if verification_pending(request):
        return redirect_to_code(request)
    form = BusinessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # An existing user becomes the new business's admin; no password is needed.
        tenant = tenant_create(
            name=form.cleaned_data["business_name"], admin_email=request.user.email, admin_password=None
        )
        request.session[SESSION_TENANT] = str(tenant.pk)
        return redirect("onboarding")
    return render(request, "portal/signup_business.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    form = LoginForm(request, request.POST or None)
    status = 200
    if request.method == "POST":
        email = request.POST.get("email", "")
        wait = login_retry_after(request, email)
        if wait:
            minutes = max(1, round(wait / 60))
            form.add_error(
                None,
                _("Too many failed sign-in attempts. Try again in about %(m)d minute(s), or reset your password.")
                % {"m": minutes},
            )
            status = 429
        elif form.is_valid():
            login(request, form.user)
            if signed_in_with_code(request, form.user):
                # The throttle is reset only once the code is right too: a known password alone must not
                # clear the count of wrong codes.
                query = f"?{urlencode({'next': next_url})}" if next_url else ""
                return redirect(reverse("two_factor_verify") + query)
            login_succeeded(request, email)
            return redirect(next_url or "dashboard")
        else:
            login_failed(request, email)
    return render(request, "registration/login.html", {"form": form, "next": next_url}, status=status)


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("login")


@require_http_methods(["GET", "POST"])
def invitation_view(request, token):
    invitation = invitation_by_token(token)
    if invitation is None:
        return render(request, "portal/invitation_invalid.html", status=404)
    existing = User.objects.filter(email__iexact=invitation.email).first()
    form = None
    if existing:
        if request.method == "POST" and request.user.is_authenticated:
            if verification_pending(request):
                return redirect_to_code(request)
            try:
                invitation_accept(invitation=invitation, user=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                request.session[SESSION_TENANT] = str(invitation.tenant_id)
                messages.success(request, _("You joined %(name)s.") % {"name": invitation.tenant.name})
                return redirect("dashboard")
    else:
        form = AcceptInvitationForm(invitation.email, request.POST or None)
        if request.method == "POST" and form.is_valid():
            user = invitation_signup(
                invitation=invitation, full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password"]
            )
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_TENANT] = str(invitation.tenant_id)
            messages.success(request, _("Welcome to %(name)s on Flowpoint.") % {"name": invitation.tenant.name})
            return redirect("dashboard")
    return render(
        request,
        "portal/invitation.html",
        {"invitation": invitation, "form": form, "existing": existing},
    )


def start_page_for_visitors(view):
    """`/` is the dashboard for a signed-in user; a visitor gets the start page (what Flowpoint is, how to begin)
    instead of being bounced to a bare sign-in form."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return render(request, "portal/start.html")
        return view(request, *args, **kwargs)

    return wrapper
