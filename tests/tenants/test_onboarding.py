import uuid

from django.urls import reverse
from django_scopes import scopes_disabled

from tenants.models import CryptoKey, Location, Tenant
from tenants.readiness import tenant_readiness
from tests.factories import make_ready


def _missing(tenant):
    tenant.refresh_from_db()
    return {item.key: item.code for item in tenant_readiness(tenant) if not item.ok}


def test_a_new_business_starts_with_every_readiness_item_missing_and_the_spec_codes(tenant, admin_user):
    assert _missing(tenant) == {
        "business_profile": "SUPPLIER_VALIDATION_FAILED",
        "primary_location": "SUPPLIER_VALIDATION_FAILED",
        "nrs_business_id": "NO_BUSINESS_ID",
        "nrs_service_id": "NO_SERVICE_ID",
        "nrs_credentials": "NO_CREDENTIALS",
        "crypto_key": "NO_KEYS",
    }


def test_business_email_falls_back_to_the_admins(tenant, admin_user):
    assert tenant.effective_email() == admin_user.email
    tenant.email = "billing@example.ng"
    assert tenant.effective_email() == "billing@example.ng"


def test_wizard_resumes_at_the_first_missing_step(admin_client, tenant, key_file):
    assert admin_client.get(reverse("onboarding"))["Location"] == reverse("onboarding_step", args=["business"])
    make_ready(tenant, key_file)
    assert admin_client.get(reverse("onboarding"))["Location"] == reverse("onboarding_step", args=["done"])
    page = admin_client.get(reverse("onboarding_step", args=["done"])).content.decode()
    assert "You&#x27;re ready for NRS" in page or "You're ready for NRS" in page
    tenant.refresh_from_db()
    assert tenant.onboarded_at is not None


def test_profile_step_rejects_a_phone_without_plus_and_keeps_the_other_fields(admin_client, tenant):
    response = admin_client.post(
        reverse("onboarding_step", args=["business"]),
        {"name": "Kola Foods Ltd", "tin": "12345678-0001", "telephone": "0801 234", "description": "Food"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "starting with + and the country code" in html
    assert 'value="12345678-0001"' in html
    tenant.refresh_from_db()
    assert tenant.tin == ""  # nothing half-saved


def test_profile_step_requires_a_tin_of_five_characters(admin_client, tenant):
    response = admin_client.post(reverse("onboarding_step", args=["business"]), {"name": "Kola", "tin": "12"})
    assert "at least 5 characters" in response.content.decode()


def test_profile_step_saves_and_moves_on(admin_client, tenant):
    response = admin_client.post(
        reverse("onboarding_step", args=["business"]),
        {"name": "Kola Foods Ltd", "tin": "12345678-0001", "telephone": "+2348012345678", "email": ""},
    )
    assert response["Location"] == reverse("onboarding_step", args=["location"])
    assert "business_profile" not in _missing(tenant)


def test_nrs_step_checks_uuid_and_service_id(admin_client, tenant):
    response = admin_client.post(
        reverse("onboarding_step", args=["nrs"]),
        {"environment": "sandbox", "nrs_business_id": "not-a-uuid", "nrs_service_id": "abc123"},
    )
    html = response.content.decode()
    assert "The NRS business ID is a UUID" in html
    assert "exactly 8 uppercase letters or digits" in html
    assert 'value="abc123"' in html
    good = admin_client.post(
        reverse("onboarding_step", args=["nrs"]),
        {"environment": "live", "nrs_business_id": str(uuid.uuid4()), "nrs_service_id": "94ND90NR"},
    )
    assert good.status_code == 302
    tenant.refresh_from_db()
    assert tenant.environment == "live" and tenant.nrs_service_id == "94ND90NR"


def _location(state="NG-LA", lga="NG-LA-IKJ", **extra):
    return {
        "street": "12 Allen Avenue",
        "city": "Ikeja",
        "postal_zone": "100001",
        "state": state,
        "lga": lga,
        "country": "NG",
        **extra,
    }


def test_the_business_phone_is_read_as_people_type_it(admin_client, tenant):
    response = admin_client.post(
        reverse("onboarding_step", args=["business"]),
        {"name": "Kola Foods Ltd", "tin": "12345678-0001", "telephone": "0803 123 4567", "email": ""},
    )
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.telephone == "+2348031234567"


def test_a_location_postal_code_is_6_digits_and_its_dropdowns_ask_for_a_choice(admin_client, tenant):
    form = admin_client.get(reverse("location_new")).content.decode()
    assert '<option value="" selected>Choose a state…</option>' in form
    assert '<option value="" selected>Choose an LGA…</option>' in form
    assert "---------" not in form
    response = admin_client.post(reverse("location_new"), _location(postal_zone="ABC"))
    assert "A Nigerian postal code is 6 digits" in response.content.decode()
    with scopes_disabled():
        assert not Location.objects.exists()


def test_location_lga_must_belong_to_the_state(admin_client, tenant):
    response = admin_client.post(reverse("onboarding_step", args=["location"]), _location(state="NG-AB"))
    html = response.content.decode()
    assert "Ikeja is in Lagos, not Abia. Choose an LGA of Abia." in html
    assert 'value="12 Allen Avenue"' in html
    with scopes_disabled():
        assert not Location.objects.exists()


def test_first_location_is_primary_and_only_one_stays_primary(admin_client, tenant):
    admin_client.post(reverse("location_new"), _location())
    admin_client.post(reverse("location_new"), _location(state="NG-AB", lga="NG-AB-ANO", city="Aba"))
    with scopes_disabled():
        first, second = Location.objects.order_by("created_at")
        assert first.is_primary and not second.is_primary
    admin_client.post(reverse("location_make_primary", args=[second.pk]))
    with scopes_disabled():
        assert list(Location.objects.filter(is_primary=True)) == [second]
    # Deleting the primary promotes the remaining one.
    admin_client.post(reverse("location_delete", args=[second.pk]))
    with scopes_disabled():
        assert list(Location.objects.filter(is_primary=True)) == [first]


def test_credentials_are_write_only(admin_client, tenant):
    admin_client.post(
        reverse("settings_nrs"), {"form": "credentials", "api_key": "key-ABC-123", "api_secret": "secret-XYZ-789"}
    )
    tenant.refresh_from_db()
    assert tenant.nrs_api_key == "key-ABC-123" and tenant.nrs_api_secret == "secret-XYZ-789"
    html = admin_client.get(reverse("settings_nrs")).content.decode()
    assert "key-ABC-123" not in html and "secret-XYZ-789" not in html
    assert "They are never shown again" in html


def test_key_upload_keeps_older_keys_inactive_and_shows_fingerprint(admin_client, tenant, key_file):
    from tests.conftest import make_key_file

    for content in (key_file, make_key_file()):
        from django.core.files.uploadedfile import SimpleUploadedFile

        response = admin_client.post(
            reverse("settings_crypto_keys"), {"key_file": SimpleUploadedFile("crypto_keys.txt", content)}
        )
        assert response.status_code == 302
    with scopes_disabled():
        keys = list(CryptoKey.objects.order_by("uploaded_at"))
    assert [k.is_active for k in keys] == [False, True]
    html = admin_client.get(reverse("settings_crypto_keys")).content.decode()
    assert keys[0].fingerprint in html and keys[1].fingerprint in html
    admin_client.post(reverse("crypto_key_activate", args=[keys[0].pk]))
    with scopes_disabled():
        assert CryptoKey.objects.get(is_active=True) == keys[0]


def test_wrong_key_file_upload_says_what_is_wrong(admin_client, tenant):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = admin_client.post(
        reverse("onboarding_step", args=["keys"]), {"key_file": SimpleUploadedFile("keys.txt", b"hello")}
    )
    assert "The file is not JSON text" in response.content.decode()
    with scopes_disabled():
        assert not CryptoKey.objects.exists()


def test_api_key_is_shown_once_then_only_its_prefix(admin_client, tenant):
    response = admin_client.post(reverse("settings_api_keys"), {"name": "Sage ERP"}, follow=True)
    html = response.content.decode()
    import re

    key = re.search(r"(fp_test_[A-Za-z0-9]{40})", html).group(1)
    again = admin_client.get(reverse("settings_api_keys")).content.decode()
    assert key not in again and key[:16] in again
    assert Tenant.objects.get(pk=tenant.pk).is_sandbox
