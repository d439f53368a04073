"""Admin API for webhooks (/api/v1/integrations/webhooks…): a portal admin's session; API keys get 403.

No response ever carries a secret: only whether one is set and until when a rotation's old secret still signs.
"""

from datetime import UTC

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from integrations.webhooks import api_schemas as schemas
from integrations.webhooks import services
from integrations.webhooks.models import WebhookDelivery, WebhookEndpoint
from portal.api_errors import ApiError, refusal, refuse_nul
from portal.api_pagination import paginated
from portal.contract import off_schema
from portal.idempotency import idempotent
from portal.openapi import (
    TIMESTAMP,
    UUID,
    boolean,
    examples,
    idempotency,
    integer,
    json_body,
    nullable,
    obj,
    operation,
    page_of,
    paging,
    path_parameter,
    query,
    response,
    text,
)
from portal.shapes import Field, Shape
from tenants.permissions import IsTenantAdminSession

SCHEMA = "WebhookSubscriptionPatch"  # the published shape of these bodies (every field optional)
WRITABLE = ("url", "events", "secret", "active")
READ_ONLY = ("id", "secretSet", "secretRotatingUntil", "pausedAt", "pausedReason", "createdAt", "updatedAt", "links")


ADMIN = {"tags": ["Webhook subscriptions"], "security": "SESSION"}  # every operation here
RECORD_ID = path_parameter("id", "int", "Record id.")


def _iso(value):
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


# --- The answers, declared once for rendering and for the schema (portal/shapes.py) ------------------------

SUBSCRIPTION = Shape(
    "WebhookSubscription",
    {
        "id": Field(integer(), lambda endpoint: endpoint.pk),
        "url": Field(text(), lambda endpoint: endpoint.url),
        "events": Field({"type": "array", "items": schemas.WEBHOOK_EVENT_TYPE}, lambda endpoint: endpoint.events),
        "active": Field(boolean(), lambda endpoint: endpoint.active),
        "secretSet": Field(
            boolean("Whether a signing secret is set (it is never shown)."), lambda endpoint: bool(endpoint.secret)
        ),
        "secretRotatingUntil": Field(
            nullable(text("During a secret rotation, until when the old secret still signs.", format="date-time")),
            lambda endpoint: _iso(endpoint.rotating_until(timezone.now())),
        ),
        "pausedAt": Field(TIMESTAMP, lambda endpoint: _iso(endpoint.paused_at)),
        "pausedReason": Field(
            nullable(text("Why deliveries were paused (e.g. 5 failed attempts).")),
            lambda endpoint: endpoint.paused_reason or None,
        ),
        "createdAt": Field(TIMESTAMP, lambda endpoint: _iso(endpoint.created_at)),
        "updatedAt": Field(TIMESTAMP, lambda endpoint: _iso(endpoint.updated_at)),
        "links": Field(
            obj({"self": text(), "deliveries": text()}),
            lambda endpoint: {
                "self": reverse("api_webhook", args=[endpoint.pk]),
                "deliveries": reverse("api_webhook_deliveries", args=[endpoint.pk]),
            },
        ),
    },
    description="The business's callback URL (one per business). The secret is never echoed.",
)

ATTEMPT = Shape(
    None,
    {
        "number": Field(integer(), lambda attempt: attempt.number),
        "startedAt": Field(TIMESTAMP, lambda attempt: _iso(attempt.started_at)),
        "statusCode": Field(nullable(integer()), lambda attempt: attempt.status_code),
        "durationMs": Field(nullable(integer()), lambda attempt: attempt.duration_ms),
        "error": Field(nullable(text()), lambda attempt: attempt.error or None),
        "responseExcerpt": Field(text(), lambda attempt: attempt.response_excerpt),
    },
)

DELIVERY = Shape(
    "WebhookDelivery",
    {
        "id": Field(integer(), lambda delivery: delivery.pk),
        "eventId": Field(text(), lambda delivery: delivery.event.id),
        "type": Field(text("Event type (webhook.test for a test delivery)."), lambda delivery: delivery.event.type),
        "status": Field(text("The envelope's root status."), lambda delivery: delivery.event.status),
        "source": Field(text(), lambda delivery: delivery.event.source),
        "emittedAt": Field(TIMESTAMP, lambda delivery: _iso(delivery.event.emitted_at)),
        "invoiceId": Field(
            nullable(UUID),
            lambda delivery: str(delivery.event.invoice_id) if delivery.event.invoice_id else None,
        ),
        "test": Field(boolean(), lambda delivery: delivery.is_test),
        "state": Field(
            text(enum=["pending", "sending", "succeeded", "failed", "held"]), lambda delivery: delivery.state
        ),
        "attemptCount": Field(integer(), lambda delivery: delivery.attempts),
        "nextAttemptAt": Field(TIMESTAMP, lambda delivery: _iso(delivery.next_attempt_at)),
        "lastStatus": Field(
            nullable(integer("HTTP status of the last attempt.")), lambda delivery: delivery.last_status
        ),
        "lastError": Field(nullable(text()), lambda delivery: delivery.last_error or None),
        "deliveredAt": Field(TIMESTAMP, lambda delivery: _iso(delivery.delivered_at)),
        "createdAt": Field(TIMESTAMP, lambda delivery: _iso(delivery.created_at)),
        "attempts": Field(ATTEMPT, lambda delivery: delivery.attempt_log.all(), many=True),
        "links": Field(
            obj({"redeliver": text()}),
            lambda delivery: {"redeliver": reverse("api_webhook_redeliver", args=[delivery.endpoint_id, delivery.pk])},
        ),
    },
    description="One event sent to the endpoint, with every attempt.",
)
endpoint_data = SUBSCRIPTION.render
delivery_data = DELIVERY.render


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
    raise refusal(exc) from None


@extend_schema(
    methods=["GET"],
    **operation(
        "List webhook endpoints",
        operation_id="listWebhooks",
        **ADMIN,
        parameters=paging(200),
        responses={200: response(page_of(SUBSCRIPTION.schema), "Endpoints (at most one).")},
        errors=(400,),
    ),
)
@extend_schema(
    methods=["POST"],
    **operation(
        "Register a webhook endpoint",
        operation_id="createWebhook",
        **ADMIN,
        description="One callback URL per business, subscribed to one or more events; a signing secret is required.",
        request=json_body(schemas.WEBHOOK_SUBSCRIPTION_INPUT),
        parameters=idempotency(),
        examples=examples(("Certified and failed", schemas.WEBHOOK_INPUT_EXAMPLE), request_only=True),
        responses={201: response(SUBSCRIPTION.schema, "Registered.")},
        errors=(400, 409, 413, 415),
    ),
)
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


@extend_schema(
    methods=["GET"],
    **operation(
        "Get a webhook endpoint",
        operation_id="getWebhook",
        **ADMIN,
        parameters=[RECORD_ID],
        responses={200: response(SUBSCRIPTION.schema, "The endpoint.")},
        errors=(404,),
    ),
)
@extend_schema(
    methods=["PATCH"],
    **operation(
        "Update a webhook endpoint",
        operation_id="updateWebhook",
        **ADMIN,
        description='Change events, URL or secret; `{"active": true}` re-enables an endpoint paused after '
        "5 failed attempts.",
        request=json_body(schemas.WEBHOOK_SUBSCRIPTION_PATCH),
        parameters=[RECORD_ID],
        examples=examples(("Re-enable", {"active": True}), request_only=True),
        responses={200: response(SUBSCRIPTION.schema, "Updated.")},
        errors=(400, 404, 413, 415),
    ),
)
@extend_schema(
    methods=["DELETE"],
    **operation(
        "Delete a webhook endpoint",
        operation_id="deleteWebhook",
        **ADMIN,
        parameters=[RECORD_ID],
        responses={204: response(None, "Deleted.")},
        errors=(404,),
    ),
)
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


@extend_schema(
    **operation(
        "List deliveries of a webhook endpoint",
        operation_id="listWebhookDeliveries",
        **ADMIN,
        parameters=[
            RECORD_ID,
            *paging(200),
            query("state", text(enum=["pending", "sending", "succeeded", "failed", "held"]), "Only these."),
        ],
        responses={200: response(page_of(DELIVERY.schema), "Deliveries, newest first.")},
        errors=(400, 404),
    )
)
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


@extend_schema(
    **operation(
        "Redeliver an event",
        operation_id="redeliverWebhook",
        **ADMIN,
        request=None,
        parameters=[RECORD_ID, path_parameter("delivery_id", "int", "The delivery to send again.")],
        responses={202: response(DELIVERY.schema, "Queued again.")},
        errors=(400, 404),
    )
)
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
