"""Portal routes of the NRS gateway (under Settings); the embedded sandbox has its own (sandbox/urls.py)."""

from django.urls import path

from integrations.nrs import views

urlpatterns = [
    path("settings/nrs/connect-sandbox/", views.nrs_sandbox_connect_view, name="nrs_sandbox_connect"),
    path("settings/nrs/calls/", views.nrs_calls, name="nrs_calls"),
    path("settings/verify-tin/", views.tin_verify_view, name="tin_verify"),
]
