"""The crypto-key file and the NRS credentials expiring: the admin enters the date in Settings (over HTTP), the real
scheduled check tells the admins 30, 7 and 1 days before, each once, by e-mail through a real SMTP server (aiosmtpd),
with no secret in any mail; the pages say how long is left, and the dashboard warns once it has passed."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from tenants.expiry import end_of
from tenants.models import AuditEvent, CryptoKey, Notification, Tenant
from tenants.notifications import credentials_expiring
from tests.conftest import member

pytestmark = pytest.mark.usefixtures("queue_inline")

MOMENTS = (31, 29.5, 20, 6.5, 6, 0.5, 0.2)  # days before the end the hourly check happens to run
TOLD = [0, 1, 0, 1, 0, 1, 0]  # at 30, 7 and 1 days: once each


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def subject(message) -> str:
    return str(message["Subject"]).strip()


def parts(message) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


@pytest.fixture
def people(ready_tenant):
    admin = member(ready_tenant, "admin", email="boss@kola.ng")
    member(ready_tenant, "admin", email="second.admin@kola.ng")
    member(ready_tenant, "clerk", email="clerk@kola.ng")
    return admin


def test_the_crypto_key_files_end_date_tells_the_admins_at_30_7_and_1_days_once_each(
    committed, ready_tenant, people, smtp_inbox
):
    valid_until = timezone.localdate() + timedelta(days=40)
    with scope(tenant=ready_tenant):
        crypto_key = CryptoKey.objects.get(is_active=True)
    saved = signed_in(people).post(
        reverse("crypto_key_valid_until", args=[crypto_key.pk]), {"valid_until": valid_until.isoformat()}, follow=True
    )
    assert "Saved. Expires in 40 days." in saved.content.decode()  # the whole of that day is still valid
    assert "Expires in 40 days" in signed_in(people).get(reverse("settings_crypto_keys")).content.decode()

    ends = end_of(valid_until)
    told = [committed(credentials_expiring, now=ends - timedelta(days=days)) for days in MOMENTS]
    assert told == TOLD
    assert committed(credentials_expiring, now=ends - timedelta(days=0.5)) == 0  # a rerun sends nothing again

    recipients = sorted(address for rcpt, _m in smtp_inbox.messages for address in rcpt)
    assert recipients == sorted(["boss@kola.ng", "second.admin@kola.ng"] * 3)  # the admins; the clerk is not told
    subjects = [subject(m) for rcpt, m in smtp_inbox.messages if rcpt == ["boss@kola.ng"]]
    assert subjects == [
        "The NRS crypto-key file expires within 30 days · Kola Foods Ltd",
        "The NRS crypto-key file expires within 7 days · Kola Foods Ltd",
        "The NRS crypto-key file expires tomorrow · Kola Foods Ltd",
    ]
    with scopes_disabled():
        key_file = CryptoKey.objects.get(pk=crypto_key.pk).key_file
    day = valid_until.strftime("%-d %b %Y")
    for _rcpt, message in smtp_inbox.messages:
        for part in parts(message):
            assert f"stops working on {day}, 23:59 (Lagos time)" in part
            assert "/settings/crypto-keys/" in part  # where to renew it
            assert key_file not in part and crypto_key.fingerprint not in part  # nothing of the key itself
            for secret_part in key_file.split('"'):
                assert len(secret_part) < 40 or secret_part not in part  # neither the public key nor the certificate
    with scopes_disabled():
        kinds = set(Notification.objects.filter(tenant=ready_tenant).values_list("kind", flat=True))
    assert kinds == {"crypto_key_expiring"}


def test_the_nrs_credentials_end_date_tells_the_admins_at_30_7_and_1_days_once_each(
    committed, ready_tenant, people, smtp_inbox
):
    valid_until = timezone.localdate() + timedelta(days=45)
    # Entered with the saved credentials kept (both secret fields left empty).
    saved = signed_in(people).post(
        reverse("settings_nrs"),
        {"form": "credentials", "api_key": "", "api_secret": "", "valid_until": valid_until.isoformat()},
        follow=True,
    )
    assert "Valid-until date saved; the saved NRS credentials are kept." in saved.content.decode()
    ready_tenant.refresh_from_db()
    assert ready_tenant.nrs_credentials_valid_until == valid_until
    assert ready_tenant.nrs_api_key == "nrs-key-123"  # kept
    page = signed_in(people).get(reverse("settings_nrs")).content.decode()
    assert f"Valid until {valid_until.strftime('%-d %b %Y')}: Expires in 45 days." in page
    with scopes_disabled():
        assert AuditEvent.objects.filter(tenant=ready_tenant, kind="settings.nrs_credentials_valid_until").exists()

    ends = end_of(valid_until)
    told = [committed(credentials_expiring, now=ends - timedelta(days=days)) for days in MOMENTS]
    assert told == TOLD
    assert committed(credentials_expiring, now=ends - timedelta(days=0.2)) == 0
    subjects = [subject(m) for rcpt, m in smtp_inbox.messages if rcpt == ["boss@kola.ng"]]
    assert subjects == [
        "The NRS API credentials expire within 30 days · Kola Foods Ltd",
        "The NRS API credentials expire within 7 days · Kola Foods Ltd",
        "The NRS API credentials expire tomorrow · Kola Foods Ltd",
    ]
    assert not [rcpt for rcpt, _m in smtp_inbox.messages if "clerk@kola.ng" in rcpt]
    for _rcpt, message in smtp_inbox.messages:
        for part in parts(message):
            assert "(Lagos time)" in part and "/settings/nrs/" in part
            assert "nrs-key-123" not in part and "nrs-secret-456" not in part


def test_new_credentials_with_a_new_date_are_warned_about_again(committed, ready_tenant, people, smtp_inbox):
    first = timezone.localdate() + timedelta(days=20)
    Tenant.objects.filter(pk=ready_tenant.pk).update(nrs_credentials_valid_until=first)
    assert committed(credentials_expiring) == 1  # within 30 days
    renewed = timezone.localdate() + timedelta(days=25)
    response = signed_in(people).post(
        reverse("settings_nrs"),
        {"form": "credentials", "api_key": "nrs-key-new", "api_secret": "nrs-secret-new", "valid_until": renewed},
    )
    assert response.status_code == 302
    assert committed(credentials_expiring) == 1  # the new date is a new warning
    assert committed(credentials_expiring) == 0


def test_a_date_that_has_passed_is_refused_with_the_fix_and_nothing_is_lost(ready_tenant, people):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    with scope(tenant=ready_tenant):
        crypto_key = CryptoKey.objects.get(is_active=True)
    client = signed_in(people)
    page = client.post(
        reverse("settings_nrs"), {"form": "credentials", "api_key": "", "api_secret": "", "valid_until": yesterday}
    ).content.decode()
    assert "That date has passed. Enter the date NRS gave for the new one, or leave it empty." in page
    refused = client.post(
        reverse("crypto_key_valid_until", args=[crypto_key.pk]), {"valid_until": yesterday}, follow=True
    )
    assert "That date has passed" in refused.content.decode()
    ready_tenant.refresh_from_db()
    crypto_key.refresh_from_db()
    assert ready_tenant.nrs_credentials_valid_until is None and crypto_key.valid_until is None
    assert ready_tenant.nrs_api_key == "nrs-key-123"


def test_the_wizard_asks_for_the_date_with_the_key_file(ready_tenant, people, key_file):
    from django.core.files.uploadedfile import SimpleUploadedFile

    valid_until = date.today() + timedelta(days=200)
    client = signed_in(people)
    step = reverse("onboarding_step", args=["keys"])
    assert 'name="valid_until"' in client.get(step).content.decode()
    upload = SimpleUploadedFile("crypto_keys.txt", key_file, content_type="text/plain")
    assert client.post(step, {"key_file": upload, "valid_until": valid_until.isoformat()}).status_code == 302
    with scope(tenant=ready_tenant):
        assert CryptoKey.objects.get(is_active=True).valid_until == valid_until
    # The saved key kept (no file), its date changed.
    later = valid_until + timedelta(days=30)
    assert client.post(step, {"valid_until": later.isoformat()}).status_code == 302
    with scope(tenant=ready_tenant):
        assert CryptoKey.objects.get(is_active=True).valid_until == later


def test_the_dashboard_warns_the_admins_once_the_key_file_or_the_credentials_have_expired(ready_tenant, people):
    clerk = member(ready_tenant, "clerk", email="clerk2@kola.ng")
    assert "expired-warning" not in signed_in(people).get(reverse("dashboard")).content.decode()
    past = timezone.localdate() - timedelta(days=3)
    with scope(tenant=ready_tenant):
        CryptoKey.objects.filter(is_active=True).update(valid_until=past)
    Tenant.objects.filter(pk=ready_tenant.pk).update(nrs_credentials_valid_until=past)
    day = past.strftime("%-d %b %Y")
    html = signed_in(people).get(reverse("dashboard")).content.decode()
    assert f"The NRS crypto-key file expired on {day}. Upload the new file" in html
    assert f"The NRS API credentials expired on {day}. Enter the new key and secret" in html
    assert "expired-warning" not in signed_in(clerk).get(reverse("dashboard")).content.decode()
    assert f"Expired on {day}" in signed_in(people).get(reverse("settings_crypto_keys")).content.decode()


def test_the_preferences_page_offers_the_two_new_kinds(ready_tenant, people):
    html = signed_in(people).get(reverse("notification_settings")).content.decode()
    assert "The NRS crypto-key file expiring in 30, 7 or 1 days" in html
    assert "The NRS API credentials expiring in 30, 7 or 1 days" in html
