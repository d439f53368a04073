"""Connect QuickBooks (admin only): send the admin to Intuit to allow access, and take Intuit's answer back.

The state sent to Intuit is kept in the admin's session with the connector it is for, so an answer is only taken by
the session that asked, for a connector of its own business."""

import secrets

import requests
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from intuitlib.exceptions import AuthClientError

from integrations.connectors import quickbooks
from integrations.connectors.models import Connector
from tenants.permissions import admin_required

SESSION_KEY = "quickbooks_oauth"


def _back(connector_id=None):
    """The connector's own page, or the connectors list when the answer names no connector of this session."""
    if connector_id is None:
        return redirect("settings_connectors")
    return redirect("connector_detail", pk=connector_id)


def _callback_url(request) -> str:
    return request.build_absolute_uri(reverse("quickbooks_callback"))


@admin_required
@require_GET
def quickbooks_connect(request, pk):
    connector = get_object_or_404(Connector, pk=pk, kind=Connector.Kind.QUICKBOOKS)
    if not (settings.QUICKBOOKS_CLIENT_ID and settings.QUICKBOOKS_CLIENT_SECRET):
        messages.error(
            request, _("This Flowpoint server has no QuickBooks app keys yet: ask its operator to add them.")
        )
        return _back(connector.pk)
    try:
        url, state = quickbooks.authorization_url(_callback_url(request))
    except (requests.RequestException, AuthClientError, ValueError):
        messages.error(request, _("Intuit's sign-in could not be reached. Try “Connect QuickBooks” again shortly."))
        return _back(connector.pk)
    request.session[SESSION_KEY] = {"state": state, "connector": str(connector.pk)}
    return redirect(url)


@admin_required
@require_GET
def quickbooks_callback(request):
    asked = request.session.pop(SESSION_KEY, None) or {}
    given = request.GET.get("state", "")
    if not asked or not given or not secrets.compare_digest(given, asked.get("state", "")):
        messages.error(
            request,
            _("This QuickBooks sign-in was not started here, or has expired. Use “Connect QuickBooks” again."),
        )
        return _back()
    connector = Connector.objects.filter(pk=asked["connector"], kind=Connector.Kind.QUICKBOOKS).first()
    if connector is None:
        raise Http404
    if request.GET.get("error") or not request.GET.get("code") or not request.GET.get("realmId"):
        messages.error(request, _("QuickBooks was not connected: access was not allowed in Intuit's sign-in."))
        return _back(connector.pk)
    try:
        quickbooks.connect(
            connector,
            code=request.GET["code"],
            realm_id=request.GET["realmId"],
            redirect_uri=_callback_url(request),
        )
    except (requests.RequestException, AuthClientError):
        messages.error(
            request,
            _("Intuit did not accept this sign-in (it may have taken too long). Use “Connect QuickBooks” again."),
        )
        return _back(connector.pk)
    messages.success(
        request,
        _("QuickBooks is connected: %(name)s reads its invoices and credit memos every %(minutes)s minutes.")
        % {"name": connector.name, "minutes": connector.every_minutes},
    )
    return _back(connector.pk)


urlpatterns = [
    path("settings/connectors/<uuid:pk>/quickbooks/connect", quickbooks_connect, name="quickbooks_connect"),
    path("settings/connectors/quickbooks/callback", quickbooks_callback, name="quickbooks_callback"),
]
