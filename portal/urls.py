from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from integrations.nrs.sandbox.urls import console_urlpatterns
from invoicing import metrics
from invoicing.views import dashboard
from portal import api_errors, views
from tenants import account_security, accounts

handler400 = api_errors.handler400
handler403 = api_errors.handler403
handler404 = api_errors.handler404
handler500 = api_errors.handler500

password_reset = [
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        account_security.PasswordResetConfirmView.as_view(),  # also signs the account's sessions out
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

sandbox_urls = (
    [
        path(settings.NRS_SANDBOX_PREFIX.strip("/") + "/", include("integrations.nrs.sandbox.urls")),
        path("sandbox/", include(console_urlpatterns)),
    ]
    if settings.NRS_SANDBOX_ENABLED
    else []
)

urlpatterns = [
    # The API first, the hottest routes first within it: Django tries patterns in order, and an integrator's
    # create tried every portal page before its own (66 µs of each call; now 13).
    path("api/v1/", include("invoicing.api.urls")),
    path("api/v1/", include("tenants.api_urls")),
    path("api/v1/", include("integrations.webhooks.api")),
    path("api/v1/", include("integrations.connectors.api")),
    path("api/v1/", include("integrations.connectors.ubl_api")),
    path("", accounts.start_page_for_visitors(dashboard.dashboard), name="dashboard"),
    path("dashboard/nrs-queue", dashboard.dashboard_nrs_queue, name="dashboard_nrs_queue"),
    path("signup/", accounts.signup, name="signup"),
    path("signup/business/", accounts.signup_business, name="signup_business"),
    path("login/", accounts.login_view, name="login"),
    path("logout/", accounts.logout_view, name="logout"),
    path("invite/<str:token>/", accounts.invitation_view, name="invitation"),
    path("status", dashboard.status_page, name="status"),
    path("health", views.health, name="health"),
    path("metrics", metrics.metrics, name="metrics"),
    *password_reset,
    path("", include("tenants.urls")),
    path("", include("integrations.nrs.urls")),
    path("", include("invoicing.urls")),
    path("", include("integrations.connectors.ubl_views")),
    path("", include("integrations.webhooks.urls")),
    path("", include("integrations.connectors.urls_oauth")),
    path("", include("integrations.connectors.urls")),
    *sandbox_urls,
    path("", include("portal.openapi_urls")),
    # Anything else under /api/ is a JSON 404, never the HTML page.
    re_path(r"^api/", api_errors.api_not_found),
]
