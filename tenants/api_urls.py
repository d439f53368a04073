from django.urls import path

from tenants import api

urlpatterns = [
    path("auth/login", api.auth_login, name="api_auth_login"),
    path("auth/logout", api.auth_logout, name="api_auth_logout"),
    path("auth/me", api.auth_me, name="api_auth_me"),
    path("tenant/profile", api.tenant_profile, name="api_tenant_profile"),
    path("tenant/nrs-credentials", api.tenant_nrs_credentials, name="api_tenant_nrs_credentials"),
    path("tenant/locations", api.tenant_locations, name="api_tenant_locations"),
    path("tenant/locations/<int:pk>", api.tenant_location, name="api_tenant_location"),
    path("tenant/crypto-keys", api.tenant_crypto_keys, name="api_tenant_crypto_keys"),
    path("tenant/crypto-keys/<int:pk>", api.tenant_crypto_key, name="api_tenant_crypto_key"),
    path("tenant/api-keys", api.tenant_api_keys, name="api_tenant_api_keys"),
    path("tenant/api-keys/<int:pk>", api.tenant_api_key, name="api_tenant_api_key"),
    path("tenant/readiness", api.tenant_readiness_view, name="api_tenant_readiness"),
]
