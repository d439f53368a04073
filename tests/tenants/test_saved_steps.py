"""A wizard step or settings form whose secret is already saved: empty fields keep what is saved, and say so."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from tenants import services
from tenants.models import CryptoKey, Tenant
from tests.factories import make_ready
from tests.tenants.test_admin_api import _location_body, admin_api, api  # noqa: F401  (fixtures)

EMPTY_CREDENTIALS = {"api_key": "", "api_secret": ""}


def _saved_credentials(tenant):
    services.nrs_credentials_set(tenant=tenant, api_key="nrs-key-123", api_secret="nrs-secret-456")


def _credentials(tenant):
    tenant = Tenant.objects.get(pk=tenant.pk)
    return tenant.nrs_api_key, tenant.nrs_api_secret


def test_the_credentials_step_with_saved_credentials_and_empty_fields_moves_on(admin_client, tenant):
    _saved_credentials(tenant)
    step = admin_client.get(reverse("onboarding_step", args=["credentials"])).content.decode()
    assert "Saved. Leave both fields empty to keep them" in step
    response = admin_client.post(reverse("onboarding_step", args=["credentials"]), EMPTY_CREDENTIALS, follow=True)
    assert response.redirect_chain == [(reverse("onboarding_step", args=["keys"]), 302)]
    html = response.content.decode()
    assert "This field is required" not in html and "what is saved is kept" in html
    assert _credentials(tenant) == ("nrs-key-123", "nrs-secret-456")


def test_a_new_key_without_its_secret_is_refused_and_the_saved_ones_stay(admin_client, tenant):
    _saved_credentials(tenant)
    response = admin_client.post(
        reverse("onboarding_step", args=["credentials"]), {"api_key": "new-key", "api_secret": ""}
    )
    assert response.status_code == 200
    assert "Enter the new API secret as well, or leave both empty to keep the saved ones." in response.content.decode()
    assert _credentials(tenant) == ("nrs-key-123", "nrs-secret-456")
    replaced = admin_client.post(
        reverse("onboarding_step", args=["credentials"]), {"api_key": "new-key", "api_secret": "new-secret"}
    )
    assert replaced.status_code == 302 and _credentials(tenant) == ("new-key", "new-secret")


def test_the_credentials_step_without_saved_credentials_asks_for_both_in_words(admin_client, tenant):
    response = admin_client.post(reverse("onboarding_step", args=["credentials"]), EMPTY_CREDENTIALS)
    html = response.content.decode()
    assert response.status_code == 200 and "This field is required" not in html
    assert "Enter the API key NRS issued for your business." in html
    assert "Enter the API secret NRS issued with the key." in html


def test_the_key_step_with_an_active_key_and_no_file_moves_on(admin_client, tenant, key_file):
    make_ready(tenant, key_file)
    step = admin_client.get(reverse("onboarding_step", args=["keys"])).content.decode()
    assert "Leave the file empty to keep it." in step
    response = admin_client.post(reverse("onboarding_step", args=["keys"]), {}, follow=True)
    assert response.redirect_chain == [(reverse("onboarding_step", args=["done"]), 302)]
    assert "This field is required" not in response.content.decode()
    with scopes_disabled():
        assert CryptoKey.objects.filter(tenant=tenant, is_active=True).count() == 1


def test_the_key_step_without_a_key_asks_for_the_file_in_words(admin_client, tenant):
    response = admin_client.post(reverse("onboarding_step", args=["keys"]), {})
    html = response.content.decode()
    assert response.status_code == 200 and "This field is required" not in html
    assert "Choose the crypto_keys.txt file you downloaded from the NRS portal." in html


def test_settings_nrs_keeps_saved_credentials_when_both_fields_are_left_empty(admin_client, tenant):
    _saved_credentials(tenant)
    response = admin_client.post(reverse("settings_nrs"), {"form": "credentials", **EMPTY_CREDENTIALS}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain == [(reverse("settings_nrs"), 302)]
    assert "This field is required" not in html and "the saved NRS credentials are kept" in html
    assert _credentials(tenant) == ("nrs-key-123", "nrs-secret-456")


def test_a_key_file_upload_in_settings_still_needs_a_file(admin_client, tenant, key_file):
    make_ready(tenant, key_file)
    response = admin_client.post(reverse("settings_crypto_keys"), {})
    assert "Choose the crypto_keys.txt file you downloaded from the NRS portal." in response.content.decode()
    ok = admin_client.post(
        reverse("settings_crypto_keys"), {"key_file": SimpleUploadedFile("crypto_keys.txt", key_file)}
    )
    assert ok.status_code == 302


def test_the_admin_api_refuses_a_nigerian_postal_code_of_letters_as_the_location_form_does(admin_api):  # noqa: F811
    refused = admin_api.post("/api/v1/tenant/locations", _location_body(postalZone="ABC"), format="json")
    assert refused.status_code == 400
    assert refused.json()["fields"]["postalZone"] == (
        "A Nigerian postal code is 6 digits, such as 100001 (Lagos) or 900001 (Abuja)."
    )
    assert admin_api.post("/api/v1/tenant/locations", _location_body(), format="json").status_code == 201
    abroad = admin_api.post("/api/v1/tenant/locations", _location_body(postalZone="SW1A 1AA", country="GB"))
    assert abroad.status_code == 201, abroad.json()  # elsewhere, postal codes as that country writes them
