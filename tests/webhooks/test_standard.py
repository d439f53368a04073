"""Standard Webhooks as a receiver meets it: real deliveries to the loopback receiver, verified with the
`standardwebhooks` package exactly as an integrator would, for a `whsec_` secret the admin gave and for one
Flowpoint generated; `x-flowpoint-signature` keeps the reference's rule for both kinds of secret."""

import base64
import json
import re

import pytest
from django_scopes import scope, scopes_disabled
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from integrations.webhooks.delivery import delivery_attempt
from integrations.webhooks.models import WebhookEndpoint
from integrations.webhooks.services import webhook_send_test
from integrations.webhooks.signing import generate_secret
from tests.conftest import member
from tests.webhooks.support import SECRET, expected_hex, make_endpoint, standard_ok

PAGE = "/settings/webhooks/"
API = "/api/v1/integrations/webhooks"
ADMIN_GIVEN = "whsec_" + base64.b64encode(bytes(range(7, 39))).decode()  # 32 bytes, padded base64


@pytest.fixture
def admin(client, ready_tenant, receiver, queue_inline):
    client.force_login(member(ready_tenant, "admin"))
    return client


def send_test_event(admin, receiver, django_capture_on_commit_callbacks) -> dict:
    """The portal's "Send test event", delivered for real; the request the receiver got."""
    before = len(receiver.requests)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(PAGE + "test/", follow=True)
    assert "type webhook.test" in response.content.decode()
    assert receiver.wait_for(before + 1, timeout=5)
    return receiver.requests[-1]


def assert_verifies_as_a_receiver_would(request, secret):
    body, headers = request["body"], request["headers"]
    event = Webhook(secret).verify(body, headers)
    assert event["type"] == "webhook.test" and headers["webhook-id"] == event["id"]
    # The reference's signature: the secret string as registered, `whsec_` prefix and all.
    assert headers["x-flowpoint-signature"] == expected_hex(body, secret)
    tampered = body.replace(b'"test":true', b'"test":false')
    assert tampered != body
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(body, headers)  # another key


def test_an_admin_given_whsec_secret_verifies_with_the_standardwebhooks_package(
    admin, ready_tenant, receiver, django_capture_on_commit_callbacks
):
    response = admin.post(
        API, {"url": receiver.url, "events": ["invoice.certified"], "secret": ADMIN_GIVEN}, "application/json"
    )
    assert response.status_code == 201, response.content
    assert ADMIN_GIVEN not in response.content.decode()
    request = send_test_event(admin, receiver, django_capture_on_commit_callbacks)
    assert_verifies_as_a_receiver_would(request, ADMIN_GIVEN)
    assert not standard_ok(request, ADMIN_GIVEN)  # the key is the decoded part, not the string's bytes


@pytest.mark.parametrize("asked", [{"generate": "on"}, {"secret": ""}], ids=["generate-ticked", "secret-left-empty"])
def test_a_generated_secret_is_a_whsec_key_that_verifies(
    admin, ready_tenant, receiver, django_capture_on_commit_callbacks, asked
):
    response = admin.post(PAGE, {"url": receiver.url, "events": ["invoice.certified"], **asked})
    assert response.status_code == 302
    page = admin.get(PAGE).content.decode()
    secret = re.search(r'id="new-secret-value">([^<]+)<', page).group(1)  # as the admin copies it, shown once
    with scope(tenant=ready_tenant):
        assert WebhookEndpoint.objects.get().secret == secret
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{40}", secret)
    assert 24 <= len(base64.b64decode(secret.removeprefix("whsec_"))) <= 32
    request = send_test_event(admin, receiver, django_capture_on_commit_callbacks)
    assert_verifies_as_a_receiver_would(request, secret)


def test_generated_secrets_differ():
    assert len({generate_secret() for _ in range(20)}) == 20


def test_during_a_rotation_both_whsec_keys_verify(admin, ready_tenant, receiver, django_capture_on_commit_callbacks):
    make_endpoint(ready_tenant, receiver.url, secret=ADMIN_GIVEN)
    new = generate_secret()
    response = admin.post(PAGE + "rotate/", {"secret": new})
    assert response.status_code == 302, response.content
    request = send_test_event(admin, receiver, django_capture_on_commit_callbacks)
    Webhook(new).verify(request["body"], request["headers"])
    Webhook(ADMIN_GIVEN).verify(request["body"], request["headers"])  # the receiver that has not switched yet
    assert request["headers"]["x-flowpoint-signature"] == expected_hex(request["body"], new)
    assert request["headers"]["x-flowpoint-signature-previous"] == expected_hex(request["body"], ADMIN_GIVEN)


def test_other_secrets_keep_their_utf8_key(admin, ready_tenant, receiver, django_capture_on_commit_callbacks):
    make_endpoint(ready_tenant, receiver.url)
    request = send_test_event(admin, receiver, django_capture_on_commit_callbacks)
    assert standard_ok(request, SECRET) and request["headers"]["x-flowpoint-signature"] == expected_hex(
        request["body"], SECRET
    )
    Webhook(base64.b64encode(SECRET.encode()).decode()).verify(request["body"], request["headers"])


@pytest.mark.parametrize(
    "secret",
    [
        "whsec_fuzz_0123456789abcdef",  # not base64
        "whsec_" + base64.urlsafe_b64encode(b"\xfb" * 30).decode(),  # URL-safe alphabet: libraries disagree
        "whsec_" + base64.b64encode(b"k" * 16).decode(),  # a key shorter than 24 bytes
        "whsec_" + base64.b64encode(b"k" * 30).decode() + "=",  # wrong padding
    ],
)
def test_a_malformed_whsec_secret_is_refused_where_it_is_typed(admin, receiver, secret):
    response = admin.post(
        API, {"url": receiver.url, "events": ["invoice.certified"], "secret": secret}, "application/json"
    )
    assert response.status_code == 400
    assert "Standard Webhooks key" in response.json()["fields"]["secret"] and secret not in response.content.decode()
    page = admin.post(PAGE, {"url": receiver.url, "events": ["invoice.certified"], "secret": secret}).content.decode()
    assert "Standard Webhooks key" in page and secret not in page
    assert not WebhookEndpoint.objects.with_scopes_disabled().exists()


def test_a_malformed_whsec_secret_stored_before_the_check_still_delivers(
    ready_tenant, receiver, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(ready_tenant, receiver.url)
    legacy = "whsec_fuzz_0123456789abcdef"
    with scopes_disabled():
        endpoint.secret = legacy
        endpoint.save(update_fields=["secret"])
    with django_capture_on_commit_callbacks(execute=False):
        delivery = webhook_send_test(endpoint=endpoint)
    assert delivery_attempt(delivery.pk) == "succeeded"
    request = receiver.requests[-1]
    assert standard_ok(request, legacy) and request["headers"]["x-flowpoint-signature"] == expected_hex(
        request["body"], legacy
    )
    assert json.loads(request["body"])["type"] == "webhook.test"
