"""Admin API for connectors (/api/v1/integrations/connectors…): a portal admin's session; API keys get 403, as the
published reference says of "integration connectors".

No answer ever carries a secret: only the names of those saved (`secretsSet`).
"""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from integrations.connectors import api_schemas as schemas
from integrations.connectors import services
from integrations.connectors.models import Connector, ConnectorRun, SourceDocument
from portal.admin_api import AdminCollection, json_object, page, refused
from portal.api_errors import ApiError
from portal.contract import off_schema
from portal.idempotency import idempotent
from portal.openapi import TIMESTAMP, UUID, integer, nullable, obj, path_parameter, query, response, text
from portal.shapes import Field, Shape, iso
from tenants.permissions import IsTenantAdminSession

CONNECTOR_ID = path_parameter("id", "uuid", "Connector id.")
DOCUMENT_ID = path_parameter("document_id", "int", "The source document's id (from …/documents).")
# API names of the request fields → the service's.
WRITABLE = {
    "name": "name",
    "kind": "kind",
    "settings": "settings",
    "secrets": "secrets",
    "mappings": "mappings",
    "everyMinutes": "every_minutes",
    "state": "state",
}
API_NAME = {service: api for api, service in WRITABLE.items()}


# --- The answers, declared once for rendering and for the schema (portal/shapes.py) ------------------------

RUN = Shape(
    "ConnectorRun",
    {
        "id": Field(integer(), lambda run: run.pk),
        "startedAt": Field(TIMESTAMP, lambda run: iso(run.started_at)),
        "finishedAt": Field(TIMESTAMP, lambda run: iso(run.finished_at)),
        "outcome": Field(
            text(
                "running; ok; partly (some documents need a fix: see documents); failed (the source could not be "
                "read: see message).",
                enum=list(ConnectorRun.Outcome.values),
            ),
            lambda run: run.outcome,
        ),
        "seen": Field(integer("Documents the source listed."), lambda run: run.seen),
        "created": Field(integer("Invoices this run created."), lambda run: run.created),
        "failed": Field(integer("Documents left with an error to fix."), lambda run: run.failed),
        "message": Field(nullable(text("Why the run failed, in words.")), lambda run: run.message or None),
    },
    description="One sync run of a connector.",
)

DOCUMENT = Shape(
    "ConnectorDocument",
    {
        "id": Field(integer(), lambda document: document.pk),
        "sourceId": Field(text("Its id at the source."), lambda document: document.source_id),
        "reference": Field(text("Its number at the source."), lambda document: document.reference),
        "state": Field(
            text(
                "created: an invoice was made; error: see `error`, fix, then retry; skipped: not an invoice for NRS.",
                enum=list(SourceDocument.State.values),
            ),
            lambda document: document.state,
        ),
        "error": Field(nullable(text("What is wrong and how to fix it.")), lambda document: document.error or None),
        "invoiceId": Field(nullable(UUID), lambda document: str(document.invoice_id) if document.invoice_id else None),
        "writtenBackAt": Field(TIMESTAMP, lambda document: iso(document.written_back_at)),
        "writtenBackStatus": Field(
            nullable(text("The invoice status last written back to the source.")),
            lambda document: document.written_back_status or None,
        ),
        "writeBackError": Field(nullable(text()), lambda document: document.write_back_error or None),
        "updatedAt": Field(TIMESTAMP, lambda document: iso(document.updated_at)),
        "links": Field(
            obj({"retry": text()}),
            lambda document: {
                "retry": reverse("api_connector_document_retry", args=[document.connector_id, document.pk])
            },
        ),
    },
    description="A document a connector read from its source: at most one invoice per source id.",
)


def _last_run(connector):
    run = ConnectorRun.objects.filter(connector=connector).order_by("-started_at", "-id").first()
    return RUN.render(run) if run else None


CONNECTOR = Shape(
    "Connector",
    {
        "id": Field(UUID, lambda connector: str(connector.pk)),
        "name": Field(text(), lambda connector: connector.name),
        "kind": Field(schemas.CONNECTOR_KIND, lambda connector: connector.kind),
        "state": Field(schemas.CONNECTOR_STATE, lambda connector: connector.state),
        "settings": Field({"type": "object"}, lambda connector: connector.settings or {}),
        "secretsSet": Field(
            {"type": "array", "items": text(), "description": "The secrets saved (never shown)."},
            services.secrets_set,
        ),
        "mappings": Field(schemas.CONNECTOR_MAPPINGS, lambda connector: connector.mappings or {}),
        "everyMinutes": Field(integer(), lambda connector: connector.every_minutes),
        "watermark": Field(
            text("How far the source has been read, in the kind's own terms."), lambda connector: connector.watermark
        ),
        "nextRunAt": Field(
            {**TIMESTAMP, "description": "null while paused, or when due at the next minute."},
            lambda connector: iso(connector.next_run_at) if connector.state == Connector.State.ACTIVE else None,
        ),
        "lastRun": Field(nullable(RUN.schema), _last_run),
        "createdAt": Field(TIMESTAMP, lambda connector: iso(connector.created_at)),
        "updatedAt": Field(TIMESTAMP, lambda connector: iso(connector.updated_at)),
        "links": Field(
            obj({"self": text(), "runs": text(), "documents": text(), "sync": text()}),
            lambda connector: {
                "self": reverse("api_connector", args=[connector.pk]),
                "runs": reverse("api_connector_runs", args=[connector.pk]),
                "documents": reverse("api_connector_documents", args=[connector.pk]),
                "sync": reverse("api_connector_sync", args=[connector.pk]),
            },
        ),
    },
    description="Where invoices come in from (an SFTP folder, QuickBooks Online, Odoo). Secrets are never echoed.",
)
connector_data = CONNECTOR.render
CONNECTORS = AdminCollection("Connectors", CONNECTOR, record_id=CONNECTOR_ID)
REFUSALS = (ValidationError, services.ConnectorError)  # what the services refuse, answered as API errors


def _body(request, *, partial: bool) -> dict:
    data = json_object(
        request,
        such_as='{"name": …, "kind": …, "settings": {…}}',
        known=(*WRITABLE, *schemas.READ_ONLY),
        send=", ".join(WRITABLE),
    )
    wrong = off_schema(data, "ConnectorPatch" if partial else "ConnectorInput")
    if wrong:
        raise ApiError("Some fields are invalid; see fields.", fields=wrong)
    body = {WRITABLE[name]: data[name] for name in WRITABLE if name in data}
    if partial and not body:
        raise ApiError(f"Nothing to change: send any of {', '.join(WRITABLE)}.")
    return body


def _connector(pk):
    return get_object_or_404(Connector, pk=pk)


@CONNECTORS.list("List connectors", operation_id="listConnectors", answer="Connectors, by name.")
@CONNECTORS.create(
    "Add a connector",
    operation_id="createConnector",
    description="Its first run starts within a minute, then every `everyMinutes`.",
    body=schemas.CONNECTOR_INPUT,
    idempotent=True,
    example=("Odoo", schemas.CONNECTOR_INPUT_EXAMPLE),
    answer="Added.",
)
@api_view(["GET", "POST"])
@permission_classes([IsTenantAdminSession])
@idempotent
def connectors(request):
    if request.method == "POST":
        body = _body(request, partial=False)
        with refused(*REFUSALS, field_names=API_NAME):
            connector = services.connector_create(tenant=request._request.tenant, data=body, user=request.user)
        return Response(connector_data(connector), status=status.HTTP_201_CREATED)
    return page(request, Connector.objects.order_by("name", "pk"), connector_data)


@CONNECTORS.get("Get a connector", operation_id="getConnector", answer="The connector.")
@CONNECTORS.update(
    "Update a connector",
    operation_id="updateConnector",
    description='Change its name, settings, secrets, mappings or schedule; `{"state": "paused"}` pauses it, '
    '`{"state": "active"}` resumes it.',
    body=schemas.CONNECTOR_PATCH,
    example=("Pause", {"state": "paused"}),
)
@CONNECTORS.delete(
    "Delete a connector",
    operation_id="deleteConnector",
    description="Its runs, documents and secrets go; the invoices it brought in stay.",
)
@api_view(["GET", "PATCH", "DELETE"])
@permission_classes([IsTenantAdminSession])
def connector(request, pk):
    found = _connector(pk)
    if request.method == "DELETE":
        services.connector_delete(connector=found, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
    if request.method == "PATCH":
        body = _body(request, partial=True)
        with refused(*REFUSALS, field_names=API_NAME):
            services.connector_update(connector=found, data=body, user=request.user)
    return Response(connector_data(found))


@CONNECTORS.list(
    "List a connector's runs",
    operation_id="listConnectorRuns",
    shape=RUN,
    nested=True,
    answer="Runs, newest first.",
)
@api_view(["GET"])
@permission_classes([IsTenantAdminSession])
def connector_runs(request, pk):
    found = _connector(pk)
    runs = ConnectorRun.objects.filter(connector=found).order_by("-started_at", "-id")
    return page(request, runs, RUN.render)


@CONNECTORS.list(
    "List a connector's documents",
    operation_id="listConnectorDocuments",
    shape=DOCUMENT,
    nested=True,
    filters=[query("state", text(enum=list(SourceDocument.State.values)), "Only these.")],
    answer="Documents, most recently read first.",
)
@api_view(["GET"])
@permission_classes([IsTenantAdminSession])
def connector_documents(request, pk):
    found = _connector(pk)
    documents = SourceDocument.objects.filter(connector=found).order_by("-updated_at", "-id")
    state = request.query_params.get("state")
    if state is not None:
        if state not in SourceDocument.State.values:
            choices = ", ".join(SourceDocument.State.values)
            raise ApiError(f"state must be one of {choices}.", fields={"state": f"one of {choices}"})
        documents = documents.filter(state=state)
    return page(request, documents, DOCUMENT.render)


@CONNECTORS.operation(
    "POST",
    "Run a connector now",
    operation_id="syncConnector",
    description="Queues a run at once; its result appears in …/runs. A paused connector answers 409 "
    "(`connector_paused`): resume it first.",
    request=None,
    parameters=[CONNECTOR_ID],
    responses={202: response(CONNECTOR.schema, "Queued.")},
    errors=(404, 409),
)
@api_view(["POST"])
@permission_classes([IsTenantAdminSession])
def connector_sync(request, pk):
    found = _connector(pk)
    with refused(services.ConnectorError, field_names=API_NAME):
        services.connector_run_now(connector=found, user=request.user)
    return Response(connector_data(found), status=status.HTTP_202_ACCEPTED)


@CONNECTORS.operation(
    "POST",
    "Retry a document",
    operation_id="retryConnectorDocument",
    description="After a fix (a mapping, a customer's details): the document in error is tried again and "
    "becomes an invoice, or keeps its (new) error. A document not in error answers 409 "
    "(`document_not_in_error`).",
    request=None,
    parameters=[CONNECTOR_ID, DOCUMENT_ID],
    responses={200: response(DOCUMENT.schema, "Tried again: see its state.")},
    errors=(404, 409),
)
@api_view(["POST"])
@permission_classes([IsTenantAdminSession])
def connector_document_retry(request, pk, document_pk):
    found = _connector(pk)
    document = get_object_or_404(SourceDocument, pk=document_pk, connector=found)
    with refused(services.ConnectorError, field_names=API_NAME):
        services.connector_document_retry(document=document, user=request.user)
    return Response(DOCUMENT.render(document))


urlpatterns = [
    path("integrations/connectors", connectors, name="api_connectors"),
    path("integrations/connectors/<uuid:pk>", connector, name="api_connector"),
    path("integrations/connectors/<uuid:pk>/runs", connector_runs, name="api_connector_runs"),
    path("integrations/connectors/<uuid:pk>/documents", connector_documents, name="api_connector_documents"),
    path("integrations/connectors/<uuid:pk>/sync", connector_sync, name="api_connector_sync"),
    path(
        "integrations/connectors/<uuid:pk>/documents/<int:document_pk>/retry",
        connector_document_retry,
        name="api_connector_document_retry",
    ),
]
