"""Signing secrets and the two signatures every delivery carries.

- `x-flowpoint-signature` follows the published reference: hex HMAC-SHA256 of the raw body, keyed with the
  secret string exactly as the admin registered it (its UTF-8 bytes, a `whsec_` prefix included), whatever
  its form.
- `webhook-signature` follows Standard Webhooks: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
  A `whsec_<base64>` secret is that specification's own form: its key is the base64-decoded part, so the
  `standardwebhooks` libraries verify with the secret as given. Any other secret keys with its UTF-8 bytes,
  as it always has (a receiver hands the library the base64 of those bytes).
"""

import base64
import binascii
import hashlib
import hmac
import re
import secrets

STANDARD_PREFIX = "whsec_"
GENERATED_KEY_BYTES = 30  # 240 bits; a multiple of 3, so its base64 has no padding for a decoder to disagree on
STANDARD_KEY_BYTES = (24, 64)  # the size Standard Webhooks recommends for a key
_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?")


def generate_secret() -> str:
    """A strong signing secret in Standard Webhooks' form, shown once to the person who asked for it."""
    return STANDARD_PREFIX + base64.b64encode(secrets.token_bytes(GENERATED_KEY_BYTES)).decode()


def _standard_key(secret: str) -> bytes | None:
    """The decoded key of a well-formed `whsec_` secret; None for any other secret."""
    if not secret.startswith(STANDARD_PREFIX):
        return None
    encoded = secret[len(STANDARD_PREFIX) :]
    # Strict: every library must read the same key, and lenient decoders silently drop what they do not know.
    if not _BASE64.fullmatch(encoded):
        return None
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        return None
    low, high = STANDARD_KEY_BYTES
    return key if low <= len(key) <= high else None


def secret_problem(secret: str) -> str | None:
    """Why a `whsec_` secret is not a Standard Webhooks key (None when it is one, or is another kind of secret)."""
    if secret.startswith(STANDARD_PREFIX) and _standard_key(secret) is None:
        low, high = STANDARD_KEY_BYTES
        return (
            f"A secret starting with {STANDARD_PREFIX} is a Standard Webhooks key: {STANDARD_PREFIX} followed by "
            f"the base64 of {low} to {high} random bytes. Fix it, or use a secret without that prefix."
        )
    return None


def hmac_key(secret: str) -> bytes:
    """The key of the Standard Webhooks signature. A malformed `whsec_` secret stored before they were checked
    keys with its UTF-8 bytes, like every other secret."""
    return _standard_key(secret) or secret.encode()


def flowpoint_signature(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_signature(event_id: str, sent_s: int, body: bytes, secret: str) -> str:
    signed = f"{event_id}.{sent_s}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(hmac_key(secret), signed, hashlib.sha256).digest()).decode()
