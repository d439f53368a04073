"""Two-factor sign-in with django-otp: an authenticator app (TOTP) and ten single-use recovery codes.

The password step stays in tenants/accounts.py (with its throttle); an account with a confirmed device then owes a
code here before any member page opens (tenants/permissions.py). Wrong codes count toward the same sign-in
throttle as wrong passwords, so a stolen password does not buy unlimited guesses at the code.
"""

from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.throttle import login_failed, login_retry_after, login_succeeded
from tenants.account_forms import CodeForm, ConfirmDeviceForm, PasswordConfirmForm, RequireTwoFactorForm
from tenants.account_security import sign_out_other_sessions
from tenants.audit import audit
from tenants.models import Membership
from tenants.permissions import verified_required
from tenants.two_factor_rules import SESSION_PENDING, has_device, verification_pending

RECOVERY_CODE_COUNT = 10
_NEW_CODES_SESSION = "new_recovery_codes"
APP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def _audit(request, kind, message=""):
    # Account events belong to the business the person is working in; a person without one has no audit log.
    if request.tenant is not None:
        audit(request.tenant, kind, message or request.user.email, user=request.user)


def _new_recovery_codes(user) -> list[str]:
    """Replaces any earlier recovery codes with ten new ones; the plain codes are returned to be shown once."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request):
    if not request.user.is_authenticated:
        return redirect("login")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if not verification_pending(request):
        return redirect(next_url or "dashboard")
    user = request.user
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        wait = login_retry_after(request, user.email)
        if wait:
            form.add_error(
                None,
                _("Too many wrong codes. Try again in about %(m)d minute(s).") % {"m": max(1, round(wait / 60))},
            )
            status = 429
        elif form.is_valid():
            device = match_token(user, form.cleaned_data["code"])
            if device is None:
                login_failed(request, user.email)
                form.add_error(
                    "code",
                    _("That code is not right. Type the 6-digit code your app shows now, or an unused recovery code."),
                )
            else:
                login_succeeded(request, user.email)
                request.session.cycle_key()
                otp_login(request, device)
                request.session.pop(SESSION_PENDING, None)
                if isinstance(device, StaticDevice):
                    left = device.token_set.count()
                    _audit(request, "security.recovery_code_used", f"{user.email}: {left} recovery code(s) left")
                    messages.warning(
                        request,
                        _("You used a recovery code; each works only once. %(n)d left. Make new ones in Security.")
                        % {"n": left},
                    )
                return redirect(next_url or "dashboard")
        else:
            login_failed(request, user.email)
    return render(request, "tenants/two_factor_verify.html", {"form": form, "next": next_url}, status=status)


@never_cache
@verified_required
@require_http_methods(["GET", "POST"])
def security(request):
    """Settings → Security: set up the app, see and renew recovery codes, turn two-factor off, and (admins) require
    it for the whole business."""
    user = request.user
    enrolled = has_device(user)
    action = request.POST.get("action") if request.method == "POST" else None
    confirm_form = ConfirmDeviceForm(request.POST if action == "confirm" else None)
    password_form = PasswordConfirmForm(user, request.POST if action == "disable" else None)
    is_admin = request.membership is not None and request.membership.role == Membership.Role.ADMIN
    require_form = None
    if is_admin:
        tenant = request.membership.tenant
        require_form = RequireTwoFactorForm(
            request.POST if action == "require" else None, initial={"require_two_factor": tenant.require_two_factor}
        )

    if action == "confirm" and not enrolled and confirm_form.is_valid():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
        if device is not None and device.verify_token(confirm_form.cleaned_data["code"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                codes = _new_recovery_codes(user)
            otp_login(request, device)
            request.session[_NEW_CODES_SESSION] = codes
            _audit(request, "security.two_factor_enrolled")
            messages.success(request, _("Two-factor sign-in is on. Keep your recovery codes somewhere safe."))
            return redirect("settings_security")
        confirm_form.add_error(
            "code", _("That code is not right. Check that the phone's time is correct and type the code shown now.")
        )
    elif action == "regenerate" and enrolled:
        request.session[_NEW_CODES_SESSION] = _new_recovery_codes(user)
        _audit(request, "security.recovery_codes_renewed")
        messages.success(request, _("New recovery codes made; the old ones no longer work."))
        return redirect("settings_security")
    elif action == "disable" and enrolled and password_form.is_valid():
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
        _audit(request, "security.two_factor_disabled")
        # Whoever turned it off may not be its owner: every other session of the account signs in again.
        sign_out_other_sessions(user, keep=request.session.session_key, reason="two-factor sign-in turned off")
        messages.success(request, _("Two-factor sign-in is off. You sign in with your password alone."))
        return redirect("settings_security")
    elif action == "require" and require_form is not None and require_form.is_valid():
        required = require_form.cleaned_data["require_two_factor"]
        if required != tenant.require_two_factor:
            tenant.require_two_factor = required
            tenant.save(update_fields=["require_two_factor"])
            _audit(
                request,
                "security.two_factor_required" if required else "security.two_factor_not_required",
                _("Two-factor sign-in required for every member") if required else _("Two-factor sign-in optional"),
            )
        messages.success(
            request,
            _("Every member now needs two-factor sign-in.") if required else _("Two-factor sign-in is optional."),
        )
        return redirect("settings_security")

    context = {
        "enrolled": enrolled,
        "confirm_form": confirm_form,
        "password_form": password_form,
        "require_form": require_form,
        "is_admin_here": is_admin,
        "new_codes": request.session.pop(_NEW_CODES_SESSION, None),
        "section": "security",
        # Admins see it among the business settings; other members, who have no settings menu, on its own.
        "base_template": "settings_base.html" if is_admin else "base.html",
    }
    if enrolled:
        device = StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).first()
        context["codes_left"] = device.token_set.count() if device else 0
    else:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=APP_NAME, confirmed=False)
        context["qr_svg"] = _qr_svg(device.config_url)
        context["secret"] = _grouped(b32encode(device.bin_key).decode())
    if context["new_codes"]:
        context["codes_text"] = "\n".join(context["new_codes"])
    return render(request, "tenants/settings_security.html", context)
