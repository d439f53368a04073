"""The NRS QR code (NRS.md): compact JSON {"irn": "<IRN>.<unix seconds>", "certificate": …}, encrypted with
the tenant's NRS public key (RSA, PKCS#1 v1.5), base64; drawn with error correction M."""

import base64
import io
import json
from datetime import datetime

import qrcode
from cryptography.hazmat.primitives.asymmetric import padding
from django.utils import timezone
from django_scopes import scope
from qrcode.constants import ERROR_CORRECT_M

from tenants.keyfile import parse_key_file
from tenants.models import CryptoKey

_RSA_2048_PKCS1_MAX = 245


class NoActiveKey(Exception):
    """The tenant has no active NRS crypto key (the spec's NO_KEYS)."""


def qr_payload(*, irn: str, key_file: str, when: datetime | None = None) -> str:
    parsed = parse_key_file(key_file.encode())
    stamp = int((when or timezone.now()).timestamp())
    plaintext = json.dumps({"irn": f"{irn}.{stamp}", "certificate": parsed.certificate}, separators=(",", ":")).encode()
    limit = parsed.public_key.key_size // 8 - 11
    if len(plaintext) > limit:
        raise ValueError(f"QR plaintext is {len(plaintext)} bytes; RSA PKCS#1 v1.5 with this key takes {limit}.")
    return base64.b64encode(parsed.public_key.encrypt(plaintext, padding.PKCS1v15())).decode()


def tenant_qr_payload(tenant, irn: str, when: datetime | None = None) -> str:
    with scope(tenant=tenant):
        key = CryptoKey.objects.filter(is_active=True).first()
    if key is None:
        raise NoActiveKey("Upload the NRS crypto-key file in Settings → Crypto keys.")
    return qr_payload(irn=irn, key_file=key.key_file, when=when)


def qr_png(payload: str, *, box_size: int = 6) -> bytes:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=4)
    code.add_data(payload)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(payload: str) -> bytes:
    """The same code as SVG paths (scales to any print size)."""
    from qrcode.image.svg import SvgPathImage

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4, image_factory=SvgPathImage)
    code.add_data(payload)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()
