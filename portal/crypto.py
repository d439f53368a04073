"""Secrets at rest: Fernet encryption with a rotatable list of keys (settings.FIELD_ENCRYPTION_KEYS)."""

from functools import cache, lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.FIELD_ENCRYPTION_KEYS])


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    return _decrypted(_fernet(), token)


@lru_cache(maxsize=4096)
def _decrypted(fernet: MultiFernet, token: str) -> str:
    """Kept per process (under the keys that read it): every API request loads its tenant, NRS credentials and
    all, and decrypting them anew was 2 % of an invoice create. Tokens are never reused for other plaintexts."""
    try:
        return fernet.decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a key was removed from FIELD_ENCRYPTION_KEYS too early
        raise ValueError("Stored secret cannot be decrypted with the configured keys.") from exc


class EncryptedTextField(models.TextField):
    """A text column whose value is stored encrypted; Python code only ever sees the plaintext."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
