"""Admin API for webhooks (/api/v1/integrations/webhooks…): a portal admin's session; API keys get 403.

No response ever carries a secret: only whether one is set and until when a rotation's old secret still signs.
"""

from datetime import UTC

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from integrations.webhooks import services
from integrations.webhooks.models import WebhookDelivery, WebhookEndpoint
from portal.api_errors import ApiError, refuse_nul
from portal.api_pagination import paginated
from portal.contract import off_schema
from portal.idempotency import idempotent
from tenants.permissions import IsTenantAdminSession

SCHEMA = "WebhookSubscriptionPatch"  # the published shape of these bodies (every field optional)
WRITABLE = ("url", "events", "secret", "active")
READ_ONLY = ("id", "secretSet", "secretRotatingUntil", "pausedAt", "pausedReason", "createdAt", "updatedAt", "links")


def _iso(value):
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def endpoint_data(endpoint: WebhookEndpoint) -> dict:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": endpoint.events,
        "active": endpoint.active,
        "secretSet": bool(endpoint.secret),
        "secretRotatingUntil": _iso(endpoint.rotating_until(timezone.now())),
        "pausedAt": _iso(endpoint.paused_at),
        "pausedReason": endpoint.paused_reason or None,
        "createdAt": _iso(endpoint.created_at),
        "updatedAt": _iso(endpoint.updated_at),
        "links": {
            "self": reverse("api_webhook", args=[endpoint.pk]),
            "deliveries": reverse("api_webhook_deliveries", args=[endpoint.pk]),
        },
    }


def delivery_data(delivery: WebhookDelivery) -> dict:
    event = delivery.event
    return {
        "id": delivery.pk,
        "eventId": event.id,
        "type": event.type,
        "status": event.status,
        "source": event.source,
        "emittedAt": _iso(event.emitted_at),
        "invoiceId": str(event.invoice_id) if event.invoice_id else None,
        "test": delivery.is_test,
        "state": delivery.state,
        "attemptCount": delivery.attempts,
        "nextAttemptAt": _iso(delivery.next_attempt_at),
        "lastStatus": delivery.last_status,
        "lastError": delivery.last_error or None,
        "deliveredAt": _iso(delivery.delivered_at),
        "createdAt": _iso(delivery.created_at),
        "attempts": [
            {
                "number": a.number,
                "startedAt": _iso(a.started_at),
                "statusCode": a.status_code,
                "durationMs": a.duration_ms,
                "error": a.error or None,
                "responseExcerpt": a.response_excerpt,
            }
            for a in delivery.attempt_log.all()
        ],
        "links": {"redeliver": reverse("api_webhook_redeliver", args=[delivery.endpoint_id, delivery.pk])},
    }


def _body(request, *, partial: bool) -> dict:
    data = request.data
    if not isinstance(data, dict):
        raise ApiError('The body must be a JSON object such as {"url": …, "events": […], "secret": …}.')
    refuse_nul(data)
    unknown = sorted(set(data) - set(WRITABLE) - set(READ_ONLY))
    if unknown:
        raise ApiError(
            f"Unknown field {unknown[0]!r}; send url, events, secret and active.",
            fields={name: "unknown field" for name in unknown},
        )
    # JSON types as the schema declares them (0 is not text); the values are the service's.
    # null is judged by the service (a required field left empty), except `active`, where it would read as false.
    wrong = off_schema({k: v for k, v in data.items() if v is not None or k == "active"}, SCHEMA, only={"type"})
    if wrong:
        raise ApiError("Some fields have the wrong JSON type; see fields.", fields=wrong)
    body = {name: data[name] for name in WRITABLE if name in data}
    if partial and not body:
        raise ApiError("Nothing to change: send url, events, secret or active.")
    return body


def _raise(exc):
    if isinstance(exc, ValidationError):
        fields = {field: " ".join(messages) for field, messages in exc.message_dict.items()}
        message = next(iter(fields.values())) if len(fields) == 1 else "Some fields are invalid; see fields."
        raise ApiError(message, fields=fields) from None
    raise ApiError(exc.message, status_code=exc.status, code=exc.code) from None


@api_view(["GET", "POST"])
@permission_classes([IsTenantAdminSession])
@idempotent
def webhooks(request):
    if request.method == "POST":
        body = _body(request, partial=False)
        try:
            endpoint = services.webhook_create(
                tenant=request._request.tenant,
                url=body.get("url"),
                events=body.get("events"),
                secret=body.get("secret"),
                active=body.get("active", True),
                user=request.user,
            )
        except (ValidationError, services.WebhookError) as exc:
            _raise(exc)
        return Response(endpoint_data(endpoint), status=status.HTTP_201_CREATED)
    return paginated(request, WebhookEndpoint.objects.order_by("pk"), endpoint_data, max_limit=200)


@api_view(["GET", "PATCH", "DELETE"])
@permission_classes([IsTenantAdminSession])
def webhook(request, pk):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    if request.method == "DELETE":
        services.webhook_delete(endpoint=endpoint, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
    if request.method == "PATCH":
        body = _body(request, partial=True)
        try:
            services.webhook_update(endpoint=endpoint, user=request.user, **body)
        except (ValidationError, services.WebhookError) as exc:
            endpoint.refresh_from_db()
            _raise(exc)
    return Response(endpoint_data(endpoint))


@api_view(["GET"])
@permission_classes([IsTenantAdminSession])
def webhook_deliveries(request, pk):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    qs = (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related("attempt_log")
        .order_by("-created_at", "-id")
    )
    state = request.query_params.get("state")
    if state:
        if state not in WebhookDelivery.State.values:
            choices = ", ".join(WebhookDelivery.State.values)
            raise ApiError(f"state must be one of {choices}.", fields={"state": f"one of {choices}"})
        qs = qs.filter(state=state)
    return paginated(request, qs, delivery_data, max_limit=200)


@api_view(["POST"])
@permission_classes([IsTenantAdminSession])
def webhook_redeliver(request, pk, delivery_pk):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("event"), pk=delivery_pk, endpoint=endpoint)
    try:
        delivery = services.delivery_redeliver(delivery=delivery, user=request.user)
    except services.WebhookError as exc:
        _raise(exc)
    return Response(delivery_data(delivery), status=status.HTTP_202_ACCEPTED)


urlpatterns = [
    path("integrations/webhooks", webhooks, name="api_webhooks"),
    path("integrations/webhooks/<int:pk>", webhook, name="api_webhook"),
    path("integrations/webhooks/<int:pk>/deliveries", webhook_deliveries, name="api_webhook_deliveries"),
    path(
        "integrations/webhooks/<int:pk>/deliveries/<int:delivery_pk>/redeliver",
        webhook_redeliver,
        name="api_webhook_redeliver",
    ),
]
