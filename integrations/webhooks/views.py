"""Settings → Webhooks (portal admins): the endpoint, its secret, test events and the delivery log."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from integrations.webhooks import services
from integrations.webhooks.forms import EndpointCreateForm, EndpointForm, RedeliverRangeForm, RotateForm
from integrations.webhooks.models import WebhookDelivery, WebhookEndpoint
from integrations.webhooks.safety import MAX_ATTEMPTS, RETRY_BACKOFF, secret_grace
from integrations.webhooks.signing import generate_secret
from portal.form_errors import apply_errors
from tenants.permissions import admin_required

_NEW_SECRET_SESSION = "new_webhook_secret"
PER_PAGE = 25
STATE_FILTERS = [("", gettext_lazy("All")), *WebhookDelivery.State.choices]


def _secret(request, form) -> str:
    """The typed secret, or a generated one (asked for, or the field left empty) remembered for a single showing on
    the next page."""
    if form.cleaned_data.get("generate") or not form.cleaned_data.get("secret"):
        secret = generate_secret()
        request.session[_NEW_SECRET_SESSION] = secret
        return secret
    return form.cleaned_data["secret"]


def _endpoint():
    return WebhookEndpoint.objects.first()


def _deliveries(request, endpoint):
    state = request.GET.get("state", "")
    qs = (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related("attempt_log")
        .order_by("-created_at", "-id")
    )
    if state in WebhookDelivery.State.values:
        qs = qs.filter(state=state)
    else:
        state = ""
    return Paginator(qs, PER_PAGE).get_page(request.GET.get("page")), state


@admin_required
@require_http_methods(["GET", "POST"])
def settings_webhooks(request):
    endpoint = _endpoint()
    form = None
    if endpoint is None:
        form = EndpointCreateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            secret = _secret(request, form)
            try:
                services.webhook_create(
                    tenant=request.tenant,
                    url=form.cleaned_data["url"],
                    events=form.cleaned_data["events"],
                    secret=secret,
                    user=request.user,
                )
            except ValidationError as exc:
                request.session.pop(_NEW_SECRET_SESSION, None)
                apply_errors(form, exc)
            except services.WebhookError as exc:
                request.session.pop(_NEW_SECRET_SESSION, None)
                messages.error(request, exc.message)
                return redirect("settings_webhooks")
            else:
                messages.success(request, _("Webhook endpoint saved. Send a test event to check it."))
                return redirect("settings_webhooks")
    elif request.method == "POST":
        return redirect("settings_webhooks")
    context = {
        "endpoint": endpoint,
        "form": form,
        "new_secret": request.session.pop(_NEW_SECRET_SESSION, None) if request.method == "GET" else None,
        "section": "webhooks",
        "max_attempts": MAX_ATTEMPTS,
        "backoff": RETRY_BACKOFF,
    }
    if endpoint:
        page, state = _deliveries(request, endpoint)
        context.update(
            {
                "page": page,
                "state": state,
                "state_filters": STATE_FILTERS,
                "rotating_until": endpoint.rotating_until(timezone.now()),
                "range_form": RedeliverRangeForm(),
            }
        )
    return render(request, "webhooks/settings_webhooks.html", context)


@admin_required
def deliveries_partial(request):
    """The delivery log alone, for a live refresh of the settings page."""
    endpoint = _endpoint()
    if endpoint is None:
        return redirect("settings_webhooks")
    page, state = _deliveries(request, endpoint)
    return render(
        request,
        "webhooks/_deliveries.html",
        {"endpoint": endpoint, "page": page, "state": state, "state_filters": STATE_FILTERS},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request):
    endpoint = _endpoint()
    if endpoint is None:
        return redirect("settings_webhooks")
    form = EndpointForm(request.POST or None, initial={"url": endpoint.url, "events": endpoint.events})
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_update(endpoint=endpoint, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Webhook endpoint saved."))
            return redirect("settings_webhooks")
    return render(request, "webhooks/endpoint_form.html", {"form": form, "endpoint": endpoint, "section": "webhooks"})


@admin_required
@require_http_methods(["GET", "POST"])
def webhook_rotate(request):
    endpoint = _endpoint()
    if endpoint is None:
        return redirect("settings_webhooks")
    form = RotateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        secret = _secret(request, form)
        try:
            services.webhook_rotate_secret(endpoint=endpoint, secret=secret, user=request.user)
        except ValidationError as exc:
            request.session.pop(_NEW_SECRET_SESSION, None)
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Secret replaced. Deliveries are signed with both secrets until the old one expires."),
            )
            return redirect("settings_webhooks")
    return render(
        request,
        "webhooks/rotate.html",
        {
            "form": form,
            "endpoint": endpoint,
            "section": "webhooks",
            "grace_hours": int(secret_grace().total_seconds() // 3600),
        },
    )


@admin_required
@require_POST
def webhook_pause(request):
    endpoint = get_object_or_404(WebhookEndpoint)
    who = request.user.email or _("an admin")
    services.webhook_pause(endpoint=endpoint, reason=_("Paused by %(who)s.") % {"who": who}, user=request.user)
    messages.success(request, _("Webhooks paused. New events are recorded and held until you re-enable."))
    return redirect("settings_webhooks")


@admin_required
@require_POST
def webhook_enable(request):
    endpoint = get_object_or_404(WebhookEndpoint)
    services.webhook_resume(endpoint=endpoint, user=request.user)
    messages.success(request, _("Webhooks re-enabled. Held deliveries are being sent."))
    return redirect("settings_webhooks")


@admin_required
@require_POST
def webhook_test(request):
    endpoint = get_object_or_404(WebhookEndpoint)
    delivery = services.webhook_send_test(endpoint=endpoint, user=request.user)
    messages.success(
        request,
        _("Test event %(id)s (type webhook.test) queued. Its result appears in the delivery log below.")
        % {"id": delivery.event_id},
    )
    return redirect("settings_webhooks")


@admin_required
@require_http_methods(["GET", "POST"])
def webhook_delete(request):
    endpoint = get_object_or_404(WebhookEndpoint)
    if request.method == "POST":
        services.webhook_delete(endpoint=endpoint, user=request.user)
        messages.success(request, _("Webhook endpoint deleted."))
        return redirect("settings_webhooks")
    return render(
        request,
        "tenants/confirm.html",
        {
            "title": _("Delete the webhook endpoint?"),
            "body": _(
                "Flowpoint will stop sending events to %(url)s and forget its delivery log. Events are still recorded."
            )
            % {"url": endpoint.url},
            "cancel_url": reverse("settings_webhooks"),
            "section": "webhooks",
            "action": _("Delete"),
        },
    )


@admin_required
@require_POST
def webhook_redeliver(request, pk):
    delivery = get_object_or_404(WebhookDelivery, pk=pk)
    try:
        services.delivery_redeliver(delivery=delivery, user=request.user)
    except services.WebhookError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Event %(id)s queued for redelivery.") % {"id": delivery.event_id})
    return redirect("settings_webhooks")


@admin_required
@require_POST
def webhook_redeliver_failed(request):
    endpoint = get_object_or_404(WebhookEndpoint)
    form = RedeliverRangeForm(request.POST)
    if not form.is_valid():
        errors = " ".join(" ".join(e) for e in form.errors.values())
        messages.error(request, _("Give a start and an end date and time. %(errors)s") % {"errors": errors})
        return redirect("settings_webhooks")
    try:
        count = services.deliveries_redeliver_failed(
            endpoint=endpoint, start=form.cleaned_data["start"], end=form.cleaned_data["end"], user=request.user
        )
    except services.WebhookError as exc:
        messages.error(request, exc.message)
    else:
        if count:
            messages.success(request, _("%(n)d failed deliveries queued again.") % {"n": count})
        else:
            messages.info(request, _("No failed deliveries in that period."))
    return redirect("settings_webhooks")


urlpatterns = [
    path("settings/webhooks/", settings_webhooks, name="settings_webhooks"),
    path("settings/webhooks/deliveries/", deliveries_partial, name="webhook_deliveries_partial"),
    path("settings/webhooks/edit/", webhook_edit, name="webhook_edit"),
    path("settings/webhooks/rotate/", webhook_rotate, name="webhook_rotate"),
    path("settings/webhooks/pause/", webhook_pause, name="webhook_pause"),
    path("settings/webhooks/enable/", webhook_enable, name="webhook_enable"),
    path("settings/webhooks/test/", webhook_test, name="webhook_test"),
    path("settings/webhooks/delete/", webhook_delete, name="webhook_delete"),
    path("settings/webhooks/deliveries/<int:pk>/redeliver/", webhook_redeliver, name="webhook_redeliver"),
    path("settings/webhooks/deliveries/redeliver-failed/", webhook_redeliver_failed, name="webhook_redeliver_failed"),
]
