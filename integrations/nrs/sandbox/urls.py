"""Mounted at settings.NRS_SANDBOX_PREFIX (/sandbox/nrs): the same paths as the NRS host (NRS.md)."""

from django.urls import path, re_path

from integrations.nrs.sandbox import api, views

urlpatterns = [
    path("api", api.health),
    path("api/v1/entity/<uuid:entity_id>", api.entity),
    path("api/v1/invoice/irn/validate", api.irn_validate),
    path("api/v1/invoice/validate", api.validate),
    path("api/v1/invoice/sign", api.sign),
    path("api/v1/invoice/confirm/<str:irn>", api.confirm),
    path("api/v1/invoice/download/<str:irn>", api.download),
    path("api/v1/invoice/update/<str:irn>", api.update),
    path("api/v1/invoice/transmit/self-health-check", api.transmit_health),
    path("api/v1/invoice/transmit/lookup/<str:irn>", api.transmit_lookup),
    path("api/v1/invoice/transmit/pull", api.transmit_pull),
    path("api/v1/invoice/transmit/<str:irn>", api.transmit),
    path("api/v1/invoice/resources/<slug:name>", api.resource),
    path("api/v1/invoice/<uuid:business_id>", api.search),
    path("api/v1/utilities/verify-tin/", api.verify_tin),
    re_path(r"^(?P<path>.*)$", api.no_route),
]

# The sandbox's own pages, mounted at /sandbox/: what it received, and its fault switches.
console_urlpatterns = [
    path("", views.console, name="sandbox_console"),
    path("faults/", views.faults_edit, name="sandbox_faults"),
    path("copy/", views.copy_change, name="sandbox_copy_change"),
]
