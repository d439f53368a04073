"""What every admin collection of the API repeats (/api/v1/integrations/webhooks, …/connectors, /api/v1/tenant/…),
declared once: a newcomer adding the next one writes only its words, its shapes and its service calls.

An admin collection answers a portal admin's session only (API keys get 403: the view's permission says so, its
schema's `security` too), lists in pages of at most MAX_PAGE, and documents the same operations with the same
error codes:

    SUBSCRIPTIONS = AdminCollection("Webhook subscriptions", SUBSCRIPTION)

    @SUBSCRIPTIONS.list("List webhook endpoints", operation_id="listWebhooks", answer="Endpoints (at most one).")
    @SUBSCRIPTIONS.create("Register a webhook endpoint", operation_id="createWebhook", answer="Registered.",
                          body=WEBHOOK_SUBSCRIPTION_INPUT, idempotent=True)
    @api_view(["GET", "POST"])
    @permission_classes([IsTenantAdminSession])
    @idempotent
    def webhooks(request):
        if request.method == "POST":
            with refused(ValidationError, WebhookError):
                endpoint = webhook_create(…)
            return Response(SUBSCRIPTION.render(endpoint), status=status.HTTP_201_CREATED)
        return page(request, WebhookEndpoint.objects.order_by("pk"), SUBSCRIPTION.render)
"""

from contextlib import contextmanager

from drf_spectacular.utils import extend_schema

from portal.api_errors import ApiError, refusal, refuse_nul
from portal.api_pagination import paginated
from portal.openapi import examples, idempotency, json_body, operation, page_of, paging, path_parameter, response

MAX_PAGE = 200  # every admin list: the limit documented (paging) and the limit served (page) are this one number
RECORD_ID = path_parameter("id", "int", "Record id.")


def page(request, queryset, render):
    """One page of an admin list, as `AdminCollection.list` documents it."""
    return paginated(request, queryset, render, max_limit=MAX_PAGE)


@contextmanager
def refused(*errors, field_names=None):
    """A service's refusal (one of `errors`: ValidationError, a DomainError) answered as the API words it
    (portal.api_errors.refusal); `field_names` maps the service's field names to the API's."""
    try:
        yield
    except errors as exc:
        raise refusal(exc, field_names=field_names) from None


def json_object(request, *, such_as: str, known, send: str) -> dict:
    """The request's JSON object: 400 when the body is not an object (`such_as` shows one), holds a NUL character,
    or names a field not `known` (`send` lists what to send instead). The fields' values are the caller's to judge."""
    data = request.data
    if not isinstance(data, dict):
        raise ApiError(f"The body must be a JSON object such as {such_as}.")
    refuse_nul(data)
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ApiError(
            f"Unknown field {unknown[0]!r}; send {send}.",
            fields={name: "unknown field" for name in unknown},
        )
    return data


class AdminCollection:
    """The extend_schema(...) declarations of one admin collection's operations: its tag, the Shape it answers
    and its records' path parameter are given once. Each method declares one operation (`methods` names the
    HTTP method, so several stack on one view); `description` and a request `example` are optional."""

    def __init__(self, tag: str, shape, *, record_id=RECORD_ID):
        self.admin = {"tags": [tag], "security": "SESSION"}
        self.shape, self.record_id = shape, record_id

    def operation(self, method: str, summary: str, *, operation_id: str, **kwargs):
        """Any operation of the collection: portal/openapi.py's operation(...) with the collection's tag and the
        admin session's security."""
        return extend_schema(methods=[method], **operation(summary, operation_id=operation_id, **self.admin, **kwargs))

    def list(self, summary, *, operation_id, answer, shape=None, nested=False, filters=(), description=""):
        """GET a page of records (`page`). `nested`: the records of one of this collection's records (its id in
        the path, 404 when it is not the business's); `filters`: query parameters after the paging ones."""
        within = [self.record_id] if nested else []
        return self.operation(
            "GET",
            summary,
            operation_id=operation_id,
            description=description,
            parameters=[*within, *paging(MAX_PAGE), *filters],
            responses={200: response(page_of((shape or self.shape).schema), answer)},
            errors=(400, 404) if nested else (400,),
        )

    def create(self, summary, *, operation_id, answer, body, idempotent=False, example=None, errors=(), description=""):
        """POST a new record: 201 with it. `idempotent`: the view is @idempotent (portal/idempotency.py), so the
        Idempotency-Key header is documented, and 409 with it."""
        return self.operation(
            "POST",
            summary,
            operation_id=operation_id,
            description=description,
            request=json_body(body),
            **({"parameters": idempotency()} if idempotent else {}),
            **_request_example(example),
            responses={201: response(self.shape.schema, answer)},
            errors=(400, *((409,) if idempotent else ()), *errors, 413, 415),
        )

    def get(self, summary, *, operation_id, answer, description=""):
        """GET one record by its id."""
        return self.operation(
            "GET",
            summary,
            operation_id=operation_id,
            description=description,
            parameters=[self.record_id],
            responses={200: response(self.shape.schema, answer)},
            errors=(404,),
        )

    def update(self, summary, *, operation_id, body, answer="Updated.", example=None, description=""):
        """PATCH one record with the fields that change: 200 with it."""
        return self.operation(
            "PATCH",
            summary,
            operation_id=operation_id,
            description=description,
            request=json_body(body),
            parameters=[self.record_id],
            **_request_example(example),
            responses={200: response(self.shape.schema, answer)},
            errors=(400, 404, 413, 415),
        )

    def delete(self, summary, *, operation_id, description=""):
        """DELETE one record: 204."""
        return self.operation(
            "DELETE",
            summary,
            operation_id=operation_id,
            description=description,
            parameters=[self.record_id],
            responses={204: response(None, "Deleted.")},
            errors=(404,),
        )


def _request_example(example) -> dict:
    """extend_schema's `examples` for one (name, value) request example, or nothing."""
    return {"examples": examples(example, request_only=True)} if example else {}
