"""The NRS crypto-key file: JSON {"public_key": base64(PEM RSA public key), "certificate": base64 token}.

Every way a file can be wrong gets its own message, because a business person has to act on it.
"""

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ValidationError

_HINT = "Upload the crypto_keys.txt file downloaded from the NRS e-invoicing portal, unchanged."


@dataclass(frozen=True)
class KeyFile:
    public_key: rsa.RSAPublicKey
    certificate: str
    fingerprint: str
    text: str  # the file as uploaded, to be stored encrypted


def _b64(value: str) -> bytes:
    return base64.b64decode("".join(value.split()), validate=True)


def parse_key_file(content: bytes) -> KeyFile:
    limit = settings.CRYPTO_KEY_FILE_MAX_BYTES
    if len(content) > limit:
        raise ValidationError(f"The file is too large to be an NRS key file (over {limit // 1024} KB). {_HINT}")
    try:
        text = content.decode("utf-8-sig")
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationError(f"The file is not JSON text. {_HINT}") from None
    if not isinstance(data, dict):
        raise ValidationError(f"The file must be a JSON object with public_key and certificate. {_HINT}")
    missing = [k for k in ("public_key", "certificate") if not isinstance(data.get(k), str) or not data[k].strip()]
    if missing:
        raise ValidationError(f"The file has no {' or '.join(missing)} value. {_HINT}")
    try:
        pem = _b64(data["public_key"])
    except (binascii.Error, ValueError):
        raise ValidationError(f"public_key is not valid base64. {_HINT}") from None
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError):
        raise ValidationError(f"public_key does not contain a PEM public key. {_HINT}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValidationError(f"public_key is not an RSA key; NRS issues RSA keys. {_HINT}")
    if key.key_size < 2048:
        raise ValidationError(f"public_key is a {key.key_size}-bit RSA key; NRS keys are 2048-bit. {_HINT}")
    try:
        if not _b64(data["certificate"]):
            raise ValueError
    except (binascii.Error, ValueError):
        raise ValidationError(f"certificate is not a valid base64 token. {_HINT}") from None
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashlib.sha256(der).hexdigest().upper()
    fingerprint = ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
    return KeyFile(public_key=key, certificate=data["certificate"].strip(), fingerprint=fingerprint, text=text)
