"""Settings → Connectors (portal admins): the connectors, each one's settings, secrets, schedule and mappings,
and its run log (runs and documents, a document in error retried after a fix)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from integrations.connectors import kinds, mapping, services
from integrations.connectors.forms import ConnectorForm, mapping_formsets, mappings_from
from integrations.connectors.models import Connector, ConnectorRun, SourceDocument
from integrations.reference.lookup import tax_category_names
from tenants.permissions import admin_required

PER_PAGE = 25
RUNS_SHOWN = 20
DOCUMENT_FILTERS = [("", gettext_lazy("All")), *SourceDocument.State.choices]


def _last_runs(connectors):
    """The latest run of each connector, in one query."""
    latest = {}
    for run in ConnectorRun.objects.filter(connector__in=connectors).order_by("connector_id", "-started_at"):
        latest.setdefault(run.connector_id, run)
    return latest


@admin_required
def settings_connectors(request):
    connectors = list(Connector.objects.all())
    latest = _last_runs(connectors)
    for connector in connectors:
        connector.last_run = latest.get(connector.pk)
    return render(
        request,
        "connectors/settings_connectors.html",
        {"connectors": connectors, "kinds": Connector.Kind.choices, "section": "connectors"},
    )


def _mapping_context(kind, formsets):
    names = tax_category_names()
    return {
        "formsets": [(table, mapping.TABLES[table], mapping.TARGETS[table], formsets[table]) for table in formsets],
        # Tax categories by name: NRS's codes for them are not for people to read.
        "defaults": [
            (
                mapping.TABLES[table],
                sorted((source, names.get(code, code) if table == "tax" else code) for source, code in rows.items()),
            )
            for table, rows in mapping.defaults(kind).items()
            if rows
        ],
    }


def _save(request, *, kind, connector=None):
    """The add and edit form: a ConnectorForm and the mapping rows, saved by the service."""
    saved = services.secrets_set(connector) if connector else ()
    initial = None
    if connector is not None:
        initial = {"name": connector.name, "every_minutes": connector.every_minutes}
        initial.update({f"setting_{name}": value for name, value in (connector.settings or {}).items()})
    data = request.POST if request.method == "POST" else None
    form = ConnectorForm(data, kind=kind, saved_secrets=saved, initial=initial)
    formsets = {}
    if kind in kinds.KINDS_WITH_MAPPINGS:
        formsets = mapping_formsets(data, connector.mappings if connector else None)
    if data is not None and form.is_valid() and all(f.is_valid() for f in formsets.values()):
        values = form.data_for_service()
        if formsets:
            values["mappings"] = mappings_from(formsets)
        try:
            if connector is None:
                connector = services.connector_create(
                    tenant=request.tenant, data={"kind": kind, **values}, user=request.user
                )
                messages.success(request, _("Connector added. Its first run starts within a minute."))
            else:
                services.connector_update(connector=connector, data=values, user=request.user)
                messages.success(request, _("Connector saved."))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                target = ConnectorForm.field_for(field)
                if target in form.fields:
                    form.add_error(target, errors)
                else:
                    form.add_error(None, errors)
        else:
            return redirect("connector_detail", connector.pk)
    return render(
        request,
        "connectors/connector_form.html",
        {
            "form": form,
            "connector": connector,
            "kind": kind,
            "kind_label": Connector.Kind(kind).label,
            "section": "connectors",
            **_mapping_context(kind, formsets),
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def connector_new(request):
    kind = request.GET.get("kind", "")
    if kind not in Connector.Kind.values:
        return render(
            request, "connectors/choose_kind.html", {"kinds": Connector.Kind.choices, "section": "connectors"}
        )
    return _save(request, kind=kind)


@admin_required
@require_http_methods(["GET", "POST"])
def connector_edit(request, pk):
    connector = get_object_or_404(Connector, pk=pk)
    return _save(request, kind=connector.kind, connector=connector)


@admin_required
def connector_detail(request, pk):
    connector = get_object_or_404(Connector, pk=pk)
    state = request.GET.get("state", "")
    documents = (
        SourceDocument.objects.filter(connector=connector).select_related("invoice").order_by("-updated_at", "-id")
    )
    if state in SourceDocument.State.values:
        documents = documents.filter(state=state)
    else:
        state = ""
    runs = list(ConnectorRun.objects.filter(connector=connector).order_by("-started_at", "-id")[:RUNS_SHOWN])
    return render(
        request,
        "connectors/connector_detail.html",
        {
            "connector": connector,
            "runs": runs,
            "last_run": runs[0] if runs else None,
            "page": Paginator(documents, PER_PAGE).get_page(request.GET.get("page")),
            "state": state,
            "state_filters": DOCUMENT_FILTERS,
            "settings_shown": _settings_shown(connector),
            "secrets_set": services.secrets_set(connector),
            "kind_panel": _kind_panel(connector.kind),
            "has_mappings": connector.kind in kinds.KINDS_WITH_MAPPINGS,
            "section": "connectors",
        },
    )


def _kind_panel(kind):
    """A kind's own part of its connector's page (QuickBooks' "Connect to QuickBooks" button…), when its module
    ships one as connectors/kinds/<kind>.html."""
    name = f"connectors/kinds/{kind}.html"
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return None
    return name


def _settings_shown(connector):
    return [
        (setting.label, (connector.settings or {}).get(setting.name, ""))
        for setting in kinds.settings_of(connector.kind)
    ]


@admin_required
@require_POST
def connector_pause(request, pk):
    connector = get_object_or_404(Connector, pk=pk)
    services.connector_pause(connector=connector, user=request.user)
    messages.success(request, _("Connector paused. Nothing is read until you resume it."))
    return redirect("connector_detail", connector.pk)


@admin_required
@require_POST
def connector_resume(request, pk):
    connector = get_object_or_404(Connector, pk=pk)
    services.connector_resume(connector=connector, user=request.user)
    messages.success(request, _("Connector resumed. Its next run starts within a minute."))
    return redirect("connector_detail", connector.pk)


@admin_required
@require_POST
def connector_run(request, pk):
    connector = get_object_or_404(Connector, pk=pk)
    try:
        services.connector_run_now(connector=connector, user=request.user)
    except services.ConnectorError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Run started. Its result appears in the run log below; refresh in a moment."))
    return redirect("connector_detail", connector.pk)


@admin_required
@require_http_methods(["GET", "POST"])
def connector_delete(request, pk):
    connector = get_object_or_404(Connector, pk=pk)
    if request.method == "POST":
        services.connector_delete(connector=connector, user=request.user)
        messages.success(request, _("Connector deleted. The invoices it brought in stay."))
        return redirect("settings_connectors")
    return render(
        request,
        "tenants/confirm.html",
        {
            "title": _("Delete the connector “%(name)s”?") % {"name": connector.name},
            "body": _(
                "Flowpoint will stop reading from it and forget its run log and its saved secrets. The invoices it "
                "brought in stay, and nothing is removed from your other system."
            ),
            "cancel_url": reverse("connector_detail", args=[connector.pk]),
            "section": "connectors",
            "action": _("Delete"),
        },
    )


@admin_required
@require_POST
def connector_document_retry(request, pk, document_pk):
    connector = get_object_or_404(Connector, pk=pk)
    document = get_object_or_404(SourceDocument, pk=document_pk, connector=connector)
    name = document.reference or document.source_id
    try:
        state = services.connector_document_retry(document=document, user=request.user)
    except services.ConnectorError as exc:
        messages.error(request, exc.message)
    else:
        if state == SourceDocument.State.CREATED:
            messages.success(request, _("%(ref)s is now an invoice.") % {"ref": name})
        elif state == SourceDocument.State.ERROR:
            messages.error(
                request, _("%(ref)s still cannot become an invoice: %(error)s") % {"ref": name, "error": document.error}
            )
        else:
            messages.info(request, _("%(ref)s is not an invoice for NRS; it was skipped.") % {"ref": name})
    return redirect(reverse("connector_detail", args=[connector.pk]) + "#documents")


urlpatterns = [
    path("settings/connectors/", settings_connectors, name="settings_connectors"),
    path("settings/connectors/new/", connector_new, name="connector_new"),
    path("settings/connectors/<uuid:pk>/", connector_detail, name="connector_detail"),
    path("settings/connectors/<uuid:pk>/edit/", connector_edit, name="connector_edit"),
    path("settings/connectors/<uuid:pk>/pause/", connector_pause, name="connector_pause"),
    path("settings/connectors/<uuid:pk>/resume/", connector_resume, name="connector_resume"),
    path("settings/connectors/<uuid:pk>/run/", connector_run, name="connector_run"),
    path("settings/connectors/<uuid:pk>/delete/", connector_delete, name="connector_delete"),
    path(
        "settings/connectors/<uuid:pk>/documents/<int:document_pk>/retry/",
        connector_document_retry,
        name="connector_document_retry",
    ),
]
