"""Secrets are encrypted at rest: the database rows hold ciphertext, never the values."""

from django.db import connection
from django_scopes import scopes_disabled

from portal.crypto import decrypt
from tenants.models import ApiKey, CryptoKey
from tenants.services import api_key_create
from tests.factories import make_ready


def _raw(sql, *params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def test_nrs_credentials_and_key_files_are_encrypted_in_the_database(tenant, key_file):
    make_ready(tenant, key_file)
    raw_key, raw_secret = _raw("SELECT nrs_api_key, nrs_api_secret FROM tenants_tenant WHERE id = %s", tenant.pk.hex)
    if raw_key is None:  # PostgreSQL stores UUIDs natively
        raw_key, raw_secret = _raw(
            "SELECT nrs_api_key, nrs_api_secret FROM tenants_tenant WHERE id = %s", str(tenant.pk)
        )
    assert "nrs-key-123" not in raw_key and "nrs-secret-456" not in raw_secret
    assert decrypt(raw_key) == "nrs-key-123" and decrypt(raw_secret) == "nrs-secret-456"

    with scopes_disabled():
        crypto_key = CryptoKey.objects.get()
    (raw_file,) = _raw("SELECT key_file FROM tenants_cryptokey WHERE id = %s", crypto_key.pk)
    assert "public_key" not in raw_file and "certificate" not in raw_file
    assert decrypt(raw_file) == key_file.decode()


def test_api_keys_are_stored_only_as_hashes(tenant):
    row, plaintext = api_key_create(tenant=tenant, name="ERP")
    raw = _raw("SELECT * FROM tenants_apikey WHERE id = %s", row.pk)
    assert not any(plaintext in str(value) for value in raw)
    assert any(plaintext[:16] == value for value in raw)  # only the visible prefix
    with scopes_disabled():
        assert ApiKey.objects.get(pk=row.pk).key_hash != plaintext


def test_rotating_encryption_keys_keeps_old_secrets_readable(tenant, settings):
    from cryptography.fernet import Fernet

    from portal import crypto

    tenant.nrs_api_secret = "before-rotation"
    tenant.save()
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.FIELD_ENCRYPTION_KEYS]
    crypto._fernet.cache_clear()
    try:
        tenant.refresh_from_db()
        assert tenant.nrs_api_secret == "before-rotation"
    finally:
        settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[1:]
        crypto._fernet.cache_clear()
