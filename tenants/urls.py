from django.urls import path

from tenants import account_security, notification_views, two_factor, views

urlpatterns = [
    path("onboarding/", views.onboarding, name="onboarding"),
    path("onboarding/<slug:step>/", views.onboarding_step, name="onboarding_step"),
    path("settings/", views.settings_profile, name="settings_profile"),
    path("settings/nrs/", views.settings_nrs, name="settings_nrs"),
    path("settings/locations/", views.settings_locations, name="settings_locations"),
    path("settings/locations/new/", views.location_edit, name="location_new"),
    path("settings/locations/<int:pk>/", views.location_edit, name="location_edit"),
    path("settings/locations/<int:pk>/primary/", views.location_make_primary, name="location_make_primary"),
    path("settings/locations/<int:pk>/delete/", views.location_delete, name="location_delete"),
    path("settings/crypto-keys/", views.settings_crypto_keys, name="settings_crypto_keys"),
    path("settings/crypto-keys/<int:pk>/activate/", views.crypto_key_activate, name="crypto_key_activate"),
    path("settings/crypto-keys/<int:pk>/delete/", views.crypto_key_delete, name="crypto_key_delete"),
    path("settings/api-keys/", views.settings_api_keys, name="settings_api_keys"),
    path("settings/api-keys/<int:pk>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("login/code/", two_factor.verify, name="two_factor_verify"),
    path("account/security/", two_factor.security, name="settings_security"),
    path("settings/team/", views.settings_team, name="settings_team"),
    path("settings/team/<int:pk>/role/", views.member_role, name="member_role"),
    path("settings/team/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("account/", account_security.account_security, name="account_security"),
    path("account/password/", account_security.account_password, name="account_password"),
    path(
        "account/sessions/<int:pk>/sign-out/",
        account_security.account_session_sign_out,
        name="account_session_sign_out",
    ),
    path(
        "account/sessions/sign-out-others/",
        account_security.account_sessions_sign_out_others,
        name="account_sessions_sign_out_others",
    ),
    path("settings/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("notifications/", notification_views.notification_list, name="notification_list"),
    path("notifications/read-all/", notification_views.notification_read_all, name="notification_read_all"),
    path("notifications/settings/", notification_views.notification_settings, name="notification_settings"),
    path("notifications/<int:pk>/read/", notification_views.notification_read, name="notification_read"),
]
