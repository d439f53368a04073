"""Admin API for webhooks (/api/v1/integrations/webhooks…): a portal admin's session; API keys get 403.

No response ever carries a secret: only whether one is set and until when a rotation's old secret still signs.
"""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from integrations.webhooks import api_schemas as schemas
from integrations.webhooks import services
from integrations.webhooks.models import WebhookDelivery, WebhookEndpoint
from portal.admin_api import AdminCollection, json_object, page, refused
from portal.api_errors import ApiError
from portal.contract import off_schema
from portal.idempotency import idempotent
from portal.openapi import TIMESTAMP, UUID, boolean, integer, nullable, obj, path_parameter, query, response, text
from portal.shapes import Field, Shape, iso
from tenants.permissions import IsTenantAdminSession

SCHEMA = "WebhookSubscriptionPatch"  # the published shape of these bodies (every field optional)
WRITABLE = ("url", "events", "secret", "active")


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
            lambda endpoint: iso(endpoint.rotating_until(timezone.now())),
        ),
        "pausedAt": Field(TIMESTAMP, lambda endpoint: iso(endpoint.paused_at)),
        "pausedReason": Field(
            nullable(text("Why deliveries were paused (e.g. 5 failed attempts).")),
            lambda endpoint: endpoint.paused_reason or None,
        ),
        "createdAt": Field(TIMESTAMP, lambda endpoint: iso(endpoint.created_at)),
        "updatedAt": Field(TIMESTAMP, lambda endpoint: iso(endpoint.updated_at)),
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
        "startedAt": Field(TIMESTAMP, lambda attempt: iso(attempt.started_at)),
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
        "emittedAt": Field(TIMESTAMP, lambda delivery: iso(delivery.event.emitted_at)),
        "invoiceId": Field(
            nullable(UUID),
            lambda delivery: str(delivery.event.invoice_id) if delivery.event.invoice_id else None,
        ),
        "test": Field(boolean(), lambda delivery: delivery.is_test),
        "state": Field(
            text(enum=["pending", "sending", "succeeded", "failed", "held"]), lambda delivery: delivery.state
        ),
        "attemptCount": Field(integer(), lambda delivery: delivery.attempts),
        "nextAttemptAt": Field(TIMESTAMP, lambda delivery: iso(delivery.next_attempt_at)),
        "lastStatus": Field(
            nullable(integer("HTTP status of the last attempt.")), lambda delivery: delivery.last_status
        ),
        "lastError": Field(nullable(text()), lambda delivery: delivery.last_error or None),
        "deliveredAt": Field(TIMESTAMP, lambda delivery: iso(delivery.delivered_at)),
        "createdAt": Field(TIMESTAMP, lambda delivery: iso(delivery.created_at)),
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
SUBSCRIPTIONS = AdminCollection("Webhook subscriptions", SUBSCRIPTION)
REFUSALS = (ValidationError, services.WebhookError)  # what the services refuse, answered as API errors


def _body(request, *, partial: bool) -> dict:
    data = json_object(
        request,
        such_as='{"url": …, "events": […], "secret": …}',
        known=(*WRITABLE, *schemas.READ_ONLY),
        send="url, events, secret and active",
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


@SUBSCRIPTIONS.list("List webhook endpoints", operation_id="listWebhooks", answer="Endpoints (at most one).")
@SUBSCRIPTIONS.create(
    "Register a webhook endpoint",
    operation_id="createWebhook",
    description="One callback URL per business, subscribed to one or more events; a signing secret is required.",
    body=schemas.WEBHOOK_SUBSCRIPTION_INPUT,
    idempotent=True,
    example=("Certified and failed", schemas.WEBHOOK_INPUT_EXAMPLE),
    answer="Registered.",
)
@api_view(["GET", "POST"])
@permission_classes([IsTenantAdminSession])
@idempotent
def webhooks(request):
    if request.method == "POST":
        body = _body(request, partial=False)
        with refused(*REFUSALS):
            endpoint = services.webhook_create(
                tenant=request._request.tenant,
                url=body.get("url"),
                events=body.get("events"),
                secret=body.get("secret"),
                active=body.get("active", True),
                user=request.user,
            )
        return Response(endpoint_data(endpoint), status=status.HTTP_201_CREATED)
    return page(request, WebhookEndpoint.objects.order_by("pk"), endpoint_data)


@SUBSCRIPTIONS.get("Get a webhook endpoint", operation_id="getWebhook", answer="The endpoint.")
@SUBSCRIPTIONS.update(
    "Update a webhook endpoint",
    operation_id="updateWebhook",
    description='Change events, URL or secret; `{"active": true}` re-enables an endpoint paused after '
    "5 failed attempts.",
    body=schemas.WEBHOOK_SUBSCRIPTION_PATCH,
    example=("Re-enable", {"active": True}),
)
@SUBSCRIPTIONS.delete("Delete a webhook endpoint", operation_id="deleteWebhook")
@api_view(["GET", "PATCH", "DELETE"])
@permission_classes([IsTenantAdminSession])
def webhook(request, pk):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    if request.method == "DELETE":
        services.webhook_delete(endpoint=endpoint, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
    if request.method == "PATCH":
        body = _body(request, partial=True)
        with refused(*REFUSALS):
            services.webhook_update(endpoint=endpoint, user=request.user, **body)
    return Response(endpoint_data(endpoint))


@SUBSCRIPTIONS.list(
    "List deliveries of a webhook endpoint",
    operation_id="listWebhookDeliveries",
    shape=DELIVERY,
    nested=True,
    filters=[query("state", text(enum=["pending", "sending", "succeeded", "failed", "held"]), "Only these.")],
    answer="Deliveries, newest first.",
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
    return page(request, qs, delivery_data)


@SUBSCRIPTIONS.operation(
    "POST",
    "Redeliver an event",
    operation_id="redeliverWebhook",
    request=None,
    parameters=[SUBSCRIPTIONS.record_id, path_parameter("delivery_id", "int", "The delivery to send again.")],
    responses={202: response(DELIVERY.schema, "Queued again.")},
    errors=(400, 404),
)
@api_view(["POST"])
@permission_classes([IsTenantAdminSession])
def webhook_redeliver(request, pk, delivery_pk):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("event"), pk=delivery_pk, endpoint=endpoint)
    with refused(services.WebhookError):
        delivery = services.delivery_redeliver(delivery=delivery, user=request.user)
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
