import base64
import json
import os
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import call_command
from django_scopes import scope, scopes_disabled

# Playwright's sync API runs an event loop in the test thread; Django's ORM must still be usable there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests.factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory  # noqa: E402, F401


def _quiet_load():
    call_command("load_reference_data", stdout=open(os.devnull, "w"))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the reference snapshot once; each test's transaction rolls back over it."""
    from django.db import connections

    # Live-server request threads must not keep persistent connections: they would block dropping the
    # PostgreSQL test database at the end of the run.
    for alias in connections:
        connections.settings[alias]["CONN_MAX_AGE"] = 0
    with django_db_blocker.unblock():
        _quiet_load()


def pytest_collection_modifyitems(items):
    # Browser and HTTP tests use a live server and flush the database afterwards: run them last, so the
    # reference data loaded once above serves every other test.
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None or "live_server" in item.fixturenames)


@pytest.fixture(autouse=True)
def reference_data(db):
    """The shipped reference snapshot; reloaded after transactional (browser) tests flush it."""
    from integrations.reference.models import State

    if not State.objects.exists():
        _quiet_load()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache(reference_data):
    """Login throttles live in the cache, rate limits in their own counters; each test starts with none."""
    from django.core.cache import cache

    from integrations.nrs import hosts
    from integrations.reference import lookup
    from invoicing import setup
    from portal import ratelimit

    cache.clear()
    ratelimit.purge_counters(now=time.time() + 3 * ratelimit.WINDOW)  # every window: on SQLite, no rollback undoes them
    lookup.clear()  # a code list a rolled-back test changed is read again
    setup.clear()  # and a business's set-up: the rollback also undid its version bumps
    hosts.clear()  # and each NRS host's health: the rolled-back rows with it


@pytest.fixture
def tenant():
    return TenantFactory()


@pytest.fixture
def other_tenant():
    return TenantFactory(name="Other Business Ltd")


def member(tenant, role="admin", email=None):
    user = UserFactory(**({"email": email} if email else {}))
    with scope(tenant=tenant):
        MembershipFactory(tenant=tenant, user=user, role=role)
    return user


@pytest.fixture
def admin_user(tenant):
    return member(tenant, "admin")


@pytest.fixture
def clerk_user(tenant):
    return member(tenant, "clerk")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def make_key_file(bits=2048, **overrides) -> bytes:
    """A key file shaped like the one NRS's portal hands out."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    data = {
        "public_key": base64.b64encode(pem).decode(),
        "certificate": base64.b64encode(b"NRS-CERTIFICATE-TOKEN-" + os.urandom(16)).decode(),
    }
    data.update(overrides)
    return json.dumps(data).encode()


@pytest.fixture(scope="session")
def key_file() -> bytes:
    return make_key_file()


@pytest.fixture
def unscoped():
    """For assertions that read rows directly, outside any request."""
    with scopes_disabled():
        yield


# --- the embedded NRS sandbox over real HTTP ----------------------------------------------------


@pytest.fixture
def sandbox_url(live_server, settings):
    settings.NRS_SANDBOX_URL = live_server.url + "/sandbox/nrs"
    settings.NRS_READ_TIMEOUT = 2.0
    settings.NRS_SANDBOX_TIMEOUT_SECONDS = 2.5
    return settings.NRS_SANDBOX_URL


@pytest.fixture
def connected_tenant(sandbox_url, key_file):
    return sandbox_business(key_file, name="Kola Foods Ltd", telephone="+2348099999999")


def sandbox_business(key_file, **fields):
    """A ready tenant whose NRS identity, credentials and key come from the embedded sandbox."""
    import uuid

    from integrations.nrs.services import nrs_sandbox_connect
    from tests.factories import make_ready

    tenant = TenantFactory(**fields)
    make_ready(tenant, key_file)
    tenant.nrs_business_id = uuid.uuid4()  # replaced by the sandbox's own
    nrs_sandbox_connect(tenant=tenant)
    tenant.refresh_from_db()
    return tenant


def set_faults(**values):
    from integrations.nrs.sandbox.models import SandboxFaults

    defaults = {
        "latency_ms": 0,
        "error_rate": 0,
        "timeout_rate": 0,
        "offline_rate": 0,
        "lost_response_rate": 0,
        "throttle_rate": 0,
    }
    SandboxFaults.objects.all().delete()
    SandboxFaults.objects.create(**{**defaults, **values})


def calls(tenant):
    from integrations.nrs.models import NrsCall

    with scope(tenant=tenant):
        return list(NrsCall.objects.order_by("id"))


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Stored files (invoice PDFs) go to the test's own folder, never to var/media."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


def pytest_sessionfinish(session):
    from pathlib import Path

    for leftover in (Path(__file__).resolve().parent.parent / "var").glob(f"test-flowpoint-{os.getpid()}.sqlite3*"):
        leftover.unlink(missing_ok=True)


def start_qcluster(sandbox_url, settings, log_name="test-qcluster.log", **overrides):
    """A real django-q2 cluster (`manage.py qcluster`) on the test database, talking to the live sandbox.

    Returns (process, log path); stop it with `stop_qcluster`."""
    import subprocess
    import sys
    from pathlib import Path

    from django.db import connection

    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(
        {"NRS_SANDBOX_URL": sandbox_url, "Q_WORKERS": "1", "NRS_READ_TIMEOUT": "5", "MEDIA_ROOT": settings.MEDIA_ROOT}
    )
    env.update({name: str(value) for name, value in overrides.items()})
    if connection.vendor == "sqlite":
        env["SQLITE_PATH"] = db["NAME"]
    else:
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    root = Path(__file__).resolve().parent.parent
    path = root / "var" / log_name
    with open(path, "w") as log:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return worker, path


def stop_qcluster(worker, timeout=5):
    import signal
    import subprocess

    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=timeout)  # a clean stop is nice, not needed: the test is over
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


@pytest.fixture
def qcluster(sandbox_url, settings):
    """A real django-q2 worker (`manage.py qcluster`) on the test database, talking to the live sandbox."""
    worker, _log = start_qcluster(sandbox_url, settings)
    try:
        yield worker
    finally:
        stop_qcluster(worker)


# --- one Chromium for the whole session (Playwright's sync API allows one instance at a time) ------------

CHROMIUM = "/usr/bin/chromium"  # Debian's package; nothing is downloaded
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
