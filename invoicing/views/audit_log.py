"""Settings → Audit log: every settings/keys/team/webhook change and every invoice state change, with
filters (kind, person, dates) and a CSV export of exactly what is filtered."""

import csv
from datetime import date

from django.core.paginator import Paginator
from django.db.models import CharField, F, Value
from django.db.models.functions import Coalesce
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from invoicing.models import InvoiceEvent
from tenants.models import AuditEvent, Membership
from tenants.permissions import admin_required

KINDS = [
    ("invoice", "Invoices"),
    ("nrs", "NRS steps"),
    ("settings", "Business settings"),
    ("api_key", "API keys"),
    ("crypto_key", "Crypto keys"),
    ("team", "Team"),
    ("webhook", "Webhooks"),
    ("connector", "Connectors"),
    ("account", "Sign-ins and passwords"),
    ("security", "Sign-in security"),
]
COLUMNS = ("created_at", "kind", "message", "who", "subject")


def _parse_date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def audit_rows(params):
    """Both event tables as one list, newest first, filtered."""
    kind = params.get("kind", "")
    user = params.get("user", "")
    since, until = _parse_date(params.get("from")), _parse_date(params.get("to"))
    who = Coalesce(F("actor__email"), F("actor_key__prefix"), Value("Flowpoint"), output_field=CharField())
    settings_events = AuditEvent.objects.annotate(who=who, subject=Value("", output_field=CharField()))
    invoice_events = InvoiceEvent.objects.annotate(who=who, subject=F("invoice__document_number"))
    tables = []
    for qs in (settings_events, invoice_events):
        if kind:
            qs = qs.filter(kind__startswith=f"{kind}.")
        if user:
            qs = qs.filter(actor_id=user)
        if since:
            qs = qs.filter(created_at__date__gte=since)
        if until:
            qs = qs.filter(created_at__date__lte=until)
        tables.append(qs.order_by().values_list(*COLUMNS))  # a compound SELECT orders only as a whole
    return tables[0].union(tables[1], all=True).order_by("-created_at")


@admin_required
def audit_log(request):
    rows = audit_rows(request.GET)
    if request.GET.get("format") == "csv":
        return _csv(rows)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    members = Membership.objects.select_related("user").order_by("user__email")
    return render(
        request,
        "portal/audit_log.html",
        {
            "page": page,
            "entries": [dict(zip(COLUMNS, row, strict=True)) for row in page.object_list],
            "kinds": KINDS,
            "members": members,
            "filters": request.GET,
            "section": "audit",
        },
    )


class _Echo:
    def write(self, value):
        return value


def _csv(rows):
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(["time (Africa/Lagos)", "kind", "what", "who", "invoice"])
        for created_at, kind, message, who, subject in rows.iterator():
            local = timezone.localtime(created_at).isoformat(timespec="seconds")
            yield writer.writerow([local, kind, message, who, subject])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{timezone.localdate():%Y%m%d}.csv"'
    return response


urlpatterns = [path("settings/audit/", audit_log, name="settings_audit")]
