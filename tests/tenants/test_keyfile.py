import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import ValidationError

from tenants.keyfile import parse_key_file
from tests.conftest import make_key_file


def test_a_key_file_like_nrs_issues_is_accepted_with_a_sha256_fingerprint(key_file):
    parsed = parse_key_file(key_file)
    assert parsed.public_key.key_size == 2048
    assert parsed.certificate == json.loads(key_file)["certificate"]
    assert len(parsed.fingerprint) == 95 and parsed.fingerprint.count(":") == 31


def _ec_key_b64():
    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return base64.b64encode(pem).decode()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not json", "not JSON text"),
        (b"\xff\xfe\x00garbage", "not JSON text"),
        (b"[1, 2]", "must be a JSON object"),
        (json.dumps({"certificate": "YWJj"}).encode(), "no public_key value"),
        (json.dumps({"public_key": "", "certificate": ""}).encode(), "no public_key or certificate value"),
        (make_key_file(public_key="not base64!!"), "public_key is not valid base64"),
        (make_key_file(public_key=base64.b64encode(b"hello").decode()), "does not contain a PEM public key"),
        (make_key_file(public_key=_ec_key_b64()), "not an RSA key"),
        (make_key_file(bits=1024), "1024-bit RSA key"),
        (make_key_file(certificate="%%%"), "certificate is not a valid base64 token"),
        (b"{" + b" " * 70000 + b"}", "too large"),
    ],
)
def test_every_kind_of_wrong_key_file_gets_a_message_that_says_what_is_wrong(content, message):
    with pytest.raises(ValidationError) as exc:
        parse_key_file(content)
    text = " ".join(exc.value.messages)
    assert message in text
    assert "crypto_keys.txt" in text  # and how to fix it
