import hmac

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from portal.forms import AcceptInvitationForm, BusinessForm, LoginForm, SignupForm
from portal.throttle import login_failed, login_retry_after, login_succeeded
from tenants.middleware import SESSION_TENANT
from tenants.permissions import tenant_required
from tenants.readiness import tenant_readiness
from tenants.services import invitation_accept, invitation_by_token, tenant_create

User = get_user_model()


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated and request.membership:
        return redirect("dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        tenant = tenant_create(
            name=data["business_name"],
            admin_email=data["email"],
            admin_password=data["password"],
            admin_name=data["full_name"],
        )
        user = User.objects.get(email=data["email"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SESSION_TENANT] = str(tenant.pk)
        messages.success(request, _("Welcome to Flowpoint. Let's get %(name)s ready for NRS.") % {"name": tenant.name})
        return redirect("onboarding")
    return render(request, "portal/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def signup_business(request):
    if not request.user.is_authenticated:
        return redirect("signup")
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
            login_succeeded(request, email)
            login(request, form.user)
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
            first, _sep, last = form.cleaned_data["full_name"].partition(" ")
            user = User.objects.create_user(
                invitation.email, form.cleaned_data["password"], first_name=first, last_name=last
            )
            invitation_accept(invitation=invitation, user=user)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_TENANT] = str(invitation.tenant_id)
            messages.success(request, _("Welcome to %(name)s on Flowpoint.") % {"name": invitation.tenant.name})
            return redirect("dashboard")
    return render(
        request,
        "portal/invitation.html",
        {"invitation": invitation, "form": form, "existing": existing},
    )


@tenant_required
def dashboard(request):
    from invoicing.selectors import dashboard as invoice_dashboard
    from invoicing.selectors import nrs_queue

    readiness = tenant_readiness(request.tenant)
    return render(
        request,
        "portal/dashboard.html",
        {
            "readiness": readiness,
            "ready": all(item.ok for item in readiness),
            "nrs_queue": nrs_queue(request.tenant),
            **invoice_dashboard(request.tenant),
        },
    )


@never_cache
@require_safe
@tenant_required
def dashboard_nrs_queue(request):
    """The dashboard's NRS queue line alone: the open page refreshes it (static/js/app.js)."""
    from invoicing.selectors import nrs_queue

    return render(request, "portal/_nrs_queue.html", {"nrs_queue": nrs_queue(request.tenant)})


def status_page(request):
    from invoicing.selectors import nrs_reachability

    return render(request, "portal/status.html", {"nrs": nrs_reachability()})


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt  # a scraper has no session and no CSRF token; the bearer token is the credential
@never_cache
@require_safe
def metrics(request):
    """Prometheus scrape (portal/metrics.py), for the operator holding METRICS_TOKEN; off while it is unset."""
    token = settings.METRICS_TOKEN
    if not token:
        return _plain("Not found.", 404)
    scheme, _sep, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), token.encode()):
        response = _plain("Unauthorized: send Authorization: Bearer <METRICS_TOKEN>.", 401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    from portal.metrics import exposition

    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)


def _queue_ok() -> bool:
    if settings.Q_CLUSTER.get("redis"):
        from django_q.brokers import get_broker

        return bool(get_broker().ping())
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM django_q_ormq LIMIT 1")
    return True


@csrf_exempt  # no state to protect: any method but GET / HEAD is a 405 naming the allowed ones, never a CSRF 403
def health(request):
    """Uptime for monitors and the /status page: database and queue reachable, nothing more."""
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse({"error": f"{request.method} is not allowed on /health: use GET."}, status=405)
        response["Allow"] = "GET, HEAD"
        return response
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        ok = _queue_ok()
    except Exception:  # any failure of a dependency means degraded, never a 500
        ok = False
    return JsonResponse({"status": "ok" if ok else "degraded"}, status=200 if ok else 503)
