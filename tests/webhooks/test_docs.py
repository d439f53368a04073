"""docs/webhooks.md: its Python verification snippet works against a real signed delivery."""

import json
import re
import time
from pathlib import Path

from integrations.webhooks.delivery import delivery_attempt
from integrations.webhooks.services import webhook_emit, webhook_update
from tests.webhooks.support import SECRET, deliveries, make_endpoint, make_invoice, standard_ok

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def _snippet() -> dict:
    text = DOC.read_text()
    section = text.split("## Verifying a delivery in Python", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)
    namespace = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # the documented code, verbatim
    return namespace


class Headers(dict):
    """Case-insensitive, like Django's and Flask's request.headers."""

    def get(self, key, default=None):
        return super().get(key.lower(), default)


def test_the_documented_python_verification_accepts_real_deliveries_and_rejects_the_rest(
    ready_tenant, receiver, django_capture_on_commit_callbacks
):
    verify = _snippet()["verify_flowpoint_webhook"]
    endpoint = make_endpoint(ready_tenant, receiver.url)
    with django_capture_on_commit_callbacks(execute=False):
        event = webhook_emit(invoice=make_invoice(ready_tenant), kind="invoice.certified")
    delivery_attempt(deliveries(ready_tenant)[0].pk)
    request = receiver.requests[0]
    raw, headers = request["body"], Headers(request["headers"])

    verified = verify(raw, headers, SECRET)
    assert verified["id"] == event.id and verified["data"]["status"] == "CERTIFIED"
    assert verify(raw, headers, "not-the-right-secret-000") is None
    assert verify(raw.replace(b"CERTIFIED", b"FAILED"), headers, SECRET) is None
    assert verify(raw, Headers({**headers, "x-flowpoint-signature": "é" * 64}), SECRET) is None  # no crash

    # A delivery older than 5 minutes is refused even when correctly signed.
    stale = json.loads(raw)
    stale["timestamp"] = int(time.time() * 1000) - 5 * 60 * 1000 - 1000
    stale_raw = json.dumps(stale, separators=(",", ":")).encode()
    from integrations.webhooks.delivery import flowpoint_signature

    stale_headers = Headers({**headers, "x-flowpoint-signature": flowpoint_signature(stale_raw, SECRET)})
    assert verify(stale_raw, stale_headers, SECRET) is None

    # During a rotation a receiver that still has the old secret verifies the -previous signature.
    webhook_update(endpoint=endpoint, secret="the-new-secret-after-rotation")
    with django_capture_on_commit_callbacks(execute=False):
        webhook_emit(invoice=make_invoice(ready_tenant, document_number="R-1"), kind="invoice.certified")
    delivery_attempt(deliveries(ready_tenant)[-1].pk)
    rotated = receiver.requests[-1]
    assert verify(rotated["body"], Headers(rotated["headers"]), SECRET) is not None
    assert verify(rotated["body"], Headers(rotated["headers"]), "the-new-secret-after-rotation") is not None
    assert standard_ok(rotated, SECRET) and standard_ok(rotated, "the-new-secret-after-rotation")


def test_the_docs_name_the_real_headers_schedule_and_key():
    text = DOC.read_text()
    for needle in (
        "x-flowpoint-signature",
        "x-flowpoint-signature-previous",
        "webhook-signature",
        "Flowpoint-Webhooks/1",
        "UTF-8 bytes of your secret",
        "hmac.compare_digest",
        '{"active": true}',
    ):
        assert needle in text, needle
    from integrations.webhooks.safety import RETRY_BACKOFF

    for seconds in RETRY_BACKOFF:
        assert f"~{seconds} s" in text


def test_the_docs_event_table_lists_exactly_the_event_types_invoicing_publishes():
    """The event names are defined once (invoicing/events.py); the docs' table follows them, in their order."""
    from integrations.webhooks.models import TEST_EVENT_TYPE
    from invoicing.events import EVENT_TYPES, PUBLISHED

    table = DOC.read_text().split("## Events", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:-1] for line in table.splitlines() if line.startswith("| `")][1:]  # [0]: the header
    assert [row[0].strip().strip("`") for row in rows] == [*EVENT_TYPES, TEST_EVENT_TYPE]
    sources = dict((row[0].strip().strip("`"), row[2]) for row in rows)
    for published in PUBLISHED.values():
        if published.source:
            assert f"`{published.source}`" in sources[published.type], published
