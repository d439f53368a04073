import base64
import json
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from integrations.nrs.qr import NoActiveKey, qr_payload, qr_png, tenant_qr_payload
from integrations.nrs.sandbox.models import SandboxBusiness
from integrations.nrs.sandbox.services import business_provision, qr_decrypt
from tests.conftest import make_key_file


def test_a_qr_payload_made_with_the_tenants_key_is_decrypted_by_the_sandbox_to_irn_and_certificate():
    issued = business_provision(name="Kola Foods Ltd")
    business = SandboxBusiness.objects.get(pk=issued["business_id"])
    irn = f"INV001-{business.service_id}-20261120"
    when = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    payload = qr_payload(irn=irn, key_file=json.dumps(issued["crypto_keys"]), when=when)
    assert len(base64.b64decode(payload)) == 256  # one RSA-2048 block
    assert qr_decrypt(business, payload) == {
        "irn": f"{irn}.{int(when.timestamp())}",
        "certificate": issued["crypto_keys"]["certificate"],
    }
    # PKCS#1 v1.5 is randomised: the same IRN never gives the same payload twice.
    assert qr_payload(irn=irn, key_file=json.dumps(issued["crypto_keys"]), when=when) != payload


def test_a_key_file_with_a_wrong_format_is_refused():
    with pytest.raises(ValidationError, match="public_key is not valid base64"):
        qr_payload(irn="INV001-94ND90NR-20261120", key_file=make_key_file(public_key="%%%").decode())


def test_tenant_without_an_active_key_gets_no_keys(tenant):
    with pytest.raises(NoActiveKey):
        tenant_qr_payload(tenant, "INV001-94ND90NR-20261120")


def test_qr_png_is_a_scannable_sized_png():
    png = qr_png(base64.b64encode(b"x" * 256).decode())
    assert png.startswith(b"\x89PNG")
    import io

    image = Image.open(io.BytesIO(png))
    assert image.size[0] == image.size[1] >= 200
