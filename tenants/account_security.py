"""Settings → Your account: where you're signed in (sign a session out, or all but this one) and your password.

A password change or reset signs the person's other sessions out. Each of these is an audit entry in every
business the person belongs to (the account is theirs, shared by those businesses).
"""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.sessions.models import Session
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.models import UserSession
from portal.sessions import describe_device
from tenants.audit import audit
from tenants.models import Membership
from tenants.permissions import verified_required


def _audit_account(user, kind: str, message: str) -> None:
    for membership in Membership.objects.with_scopes_disabled().filter(user=user).select_related("tenant"):
        audit(membership.tenant, kind, message, user=user)


def active_sessions(user):
    """The person's sessions that still sign them in (rows of ended or expired sessions are dropped)."""
    live = Session.objects.filter(expire_date__gt=timezone.now()).values_list("session_key", flat=True)
    UserSession.objects.filter(user=user).exclude(session_key__in=live).delete()
    return list(UserSession.objects.filter(user=user))


def _describe(row) -> str:
    return f"{describe_device(row.user_agent)} from {row.ip_address or 'an unknown address'}"


def session_sign_out(row: UserSession, *, reason: str) -> None:
    """Ends the session: its next request is signed out."""
    Session.objects.filter(session_key=row.session_key).delete()
    row.delete()
    _audit_account(row.user, "account.session_signed_out", f"{row.user.email}: {_describe(row)} signed out ({reason})")


def sign_out_other_sessions(user, *, keep: str | None, reason: str) -> int:
    """Signs out every session of `user` but `keep` (a session key; None: all of them). Returns how many."""
    ended = 0
    for row in active_sessions(user):
        if row.session_key != keep:
            session_sign_out(row, reason=reason)
            ended += 1
    return ended


@verified_required
@require_http_methods(["GET"])
def account_security(request):
    current = request.session.session_key
    rows = active_sessions(request.user)
    sessions = [
        {"row": row, "device": describe_device(row.user_agent), "this_device": row.session_key == current}
        for row in rows
    ]
    sessions.sort(key=lambda s: not s["this_device"])
    return render(
        request,
        "tenants/account_security.html",
        {"sessions": sessions, "others": sum(1 for s in sessions if not s["this_device"])},
    )


@verified_required
@require_POST
def account_session_sign_out(request, pk):
    # Another person's session is no session of yours: 404, whoever asks.
    row = get_object_or_404(UserSession, pk=pk, user=request.user)
    this_device = row.session_key == request.session.session_key
    session_sign_out(row, reason="by its owner")
    if this_device:
        return redirect("login")
    messages.success(request, _("%(device)s is signed out.") % {"device": describe_device(row.user_agent)})
    return redirect("account_security")


@verified_required
@require_POST
def account_sessions_sign_out_others(request):
    ended = sign_out_other_sessions(request.user, keep=request.session.session_key, reason="signed out everywhere else")
    messages.success(request, _("Signed out everywhere else (%(n)d sessions).") % {"n": ended})
    return redirect("account_security")


@verified_required
@require_http_methods(["GET", "POST"])
def account_password(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)  # this session stays signed in
        _audit_account(user, "account.password_changed", f"{user.email} changed their password")
        ended = sign_out_other_sessions(user, keep=request.session.session_key, reason="the password changed")
        messages.success(
            request, _("Your password is changed. Your other sessions (%(n)d) are signed out.") % {"n": ended}
        )
        return redirect("account_security")
    return render(request, "tenants/account_password.html", {"form": form})


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's reset page; a reset password also signs out every session of the account."""

    def form_valid(self, form):
        response = super().form_valid(form)
        _audit_account(form.user, "account.password_reset", f"{form.user.email} reset their password by e-mail")
        sign_out_other_sessions(form.user, keep=None, reason="the password was reset")
        return response
