"""Rate limits (spec "Rate Limits"): 1-minute windows, draft-7 RateLimit-* headers, 429 with Retry-After.

Per IP: 10/min on /api/v1/auth/*, 120/min on other /api/v1/*. Per tenant: 60/min on POST /invoices/create.
The spec's own numbers are used throughout; the counters are shared, so two web processes count as one.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from django.db import connection

from tests.api.conftest import assert_error_shape, invoice_body, invoice_count, key_client, new_key
from tests.factories import TenantFactory, make_ready

CREATE = "/api/v1/invoices/create"
ROOT = Path(__file__).resolve().parent.parent.parent


def parse_ratelimit(value: str) -> dict:
    """`limit=60, remaining=59, reset=42` → {"limit": 60, "remaining": 59, "reset": 42}."""
    parts = dict(part.strip().split("=", 1) for part in value.split(","))
    assert set(parts) == {"limit", "remaining", "reset"}, value
    return {name: int(number) for name, number in parts.items()}


def policies(value: str) -> set:
    """`60;w=60, 120;w=60` → {(60, 60), (120, 60)}."""
    found = set()
    for item in value.split(","):
        match = re.fullmatch(r"\s*(\d+);w=(\d+)\s*", item)
        assert match, value
        found.add((int(match.group(1)), int(match.group(2))))
    return found


@pytest.fixture
def frozen_window(monkeypatch):
    """The limiter's clock stands still one second into a window, so that no test straddles two windows."""
    from portal import ratelimit

    now = (time.time() // 60) * 60 + 1
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now))
    return now


# --- per tenant: 60 creates a minute ----------------------------------------------------------------


def test_the_61st_create_in_a_minute_gets_429_with_the_headers(api, ready, key_file, frozen_window):
    for n in range(60):
        response = api.post(CREATE, invoice_body(document_number=f"RL-{n}"), format="json")
        assert response.status_code == 202, (n, response.content)
        assert (60, 60) in policies(response["RateLimit-Policy"])
        assert parse_ratelimit(response["RateLimit"]) == {"limit": 60, "remaining": 59 - n, "reset": 59}
        assert "Retry-After" not in response

    refused = api.post(CREATE, invoice_body(document_number="RL-60"), format="json")
    body = assert_error_shape(refused, 429)
    assert "60" in body["error"]
    assert (60, 60) in policies(refused["RateLimit-Policy"])
    assert parse_ratelimit(refused["RateLimit"]) == {"limit": 60, "remaining": 0, "reset": 59}
    assert refused["Retry-After"] == "59"
    assert refused["X-Request-Id"]
    assert invoice_count(ready) == 60

    # Keyed on the tenant, not the IP: another business from the same address still creates.
    other = make_ready(TenantFactory(name="Other Business Ltd"), key_file)
    other.nrs_service_id = "B0THERS1"
    other.save()
    assert key_client(other).post(CREATE, invoice_body(), format="json").status_code == 202
    # And only the create limit is spent: reads still answer, with the per-IP policy.
    listing = api.get("/api/v1/invoices")
    assert listing.status_code == 200
    assert parse_ratelimit(listing["RateLimit"])["limit"] == 120


def test_a_new_window_allows_creates_again(api, ready, monkeypatch, frozen_window):
    from portal import ratelimit

    for n in range(61):
        last = api.post(CREATE, invoice_body(document_number=f"W-{n}"), format="json")
    assert last.status_code == 429
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: frozen_window + 60))
    again = api.post(CREATE, invoice_body(document_number="W-61"), format="json")
    assert again.status_code == 202
    assert parse_ratelimit(again["RateLimit"])["remaining"] == 59


# --- per IP: 10 a minute on /api/v1/auth/*, 120 on the rest ---------------------------------------


def test_auth_routes_allow_10_requests_a_minute_per_ip(client, frozen_window):
    for n in range(10):
        response = client.post("/api/v1/auth/logout")
        assert response.status_code == 204
        assert policies(response["RateLimit-Policy"]) == {(10, 60)}
        assert parse_ratelimit(response["RateLimit"]) == {"limit": 10, "remaining": 9 - n, "reset": 59}
    for path, method in (("/api/v1/auth/logout", "post"), ("/api/v1/auth/me", "get"), ("/api/v1/auth/login", "post")):
        refused = getattr(client, method)(path, content_type="application/json")
        assert_error_shape(refused, 429)
        assert refused["Retry-After"] == "59"
        assert parse_ratelimit(refused["RateLimit"])["remaining"] == 0
    # Another address is not affected, nor is the rest of the API from this one.
    assert client.post("/api/v1/auth/logout", REMOTE_ADDR="10.0.0.7").status_code == 204
    assert client.get("/api/v1/helpers/states").status_code == 401  # counted as "api", not "auth"


def test_other_api_routes_allow_120_requests_a_minute_per_ip(api, frozen_window):
    for n in range(120):
        response = api.get("/api/v1/helpers/currencies", {"limit": 1})
        assert response.status_code == 200, n
        assert parse_ratelimit(response["RateLimit"])["remaining"] == 119 - n
    assert policies(response["RateLimit-Policy"]) == {(120, 60)}
    refused = api.get("/api/v1/invoices")
    assert_error_shape(refused, 429)
    assert refused["Retry-After"] == "59"
    assert api.get("/api/v1/invoices", REMOTE_ADDR="10.0.0.8").status_code == 200
    assert api.get("/health").status_code == 200  # never limited


# --- two web processes, one count -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env() -> dict:
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    for name in ("RATE_LIMIT_AUTH", "RATE_LIMIT_API", "RATE_LIMIT_INVOICE_CREATE", "REDIS_URL"):
        env.pop(name, None)  # the spec's defaults, and the database counters the test database holds
    if connection.vendor == "sqlite":
        env["SQLITE_PATH"] = db["NAME"]
    else:
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return env


@pytest.fixture
def two_servers(live_server, transactional_db, tmp_path):
    """Two independent web processes (gunicorn, one sync worker each) on the test database.

    (`live_server` only puts this test among the HTTP tests, which the suite runs last: it flushes the database.)
    """
    env = _server_env()
    procs, urls = [], []
    try:
        for n in range(2):
            port = _free_port()
            log = open(tmp_path / f"server-{n}.log", "w")
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "portal.wsgi:application",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        "1",
                        "--log-level",
                        "warning",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        for proc, url in zip(procs, urls, strict=True):
            while True:
                assert proc.poll() is None, (tmp_path / f"server-{urls.index(url)}.log").read_text()
                try:
                    if requests.get(url + "/health", timeout=10).status_code == 200:
                        break
                except (requests.ConnectionError, requests.Timeout):  # not listening yet, or its first answer slow
                    pass
                assert time.monotonic() < deadline, "the web processes did not start"
                time.sleep(0.1)
        yield urls
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _wait_for_a_fresh_window(needed_seconds=12):
    left = 60 - time.time() % 60
    if left < needed_seconds:
        time.sleep(left + 0.2)


def test_remaining_counts_down_across_two_server_processes(two_servers, key_file):
    tenant = make_ready(TenantFactory(name="Kola Foods Ltd"), key_file)
    key = new_key(tenant)
    headers = {"X-Flowpoint-Key": key, "Content-Type": "application/json"}
    _wait_for_a_fresh_window()

    # Creates, alternating between the processes: the per-tenant create limit counts every one of them.
    seen = []
    for n in range(10):
        url = two_servers[n % 2] + CREATE
        response = requests.post(url, data=json.dumps(invoice_body(document_number=f"MP-{n}")), headers=headers)
        assert response.status_code == 202, response.text
        assert (60, 60) in policies(response.headers["RateLimit-Policy"])
        seen.append(parse_ratelimit(response.headers["RateLimit"]))
    assert [s["remaining"] for s in seen] == list(range(59, 49, -1))
    assert all(s["limit"] == 60 and 0 < s["reset"] <= 60 for s in seen)

    # Reads, alternating: the per-IP limit already holds the 10 creates of both processes.
    seen = []
    for n in range(10):
        response = requests.get(two_servers[(n + 1) % 2] + "/api/v1/invoices", headers=headers)
        assert response.status_code == 200
        assert policies(response.headers["RateLimit-Policy"]) == {(120, 60)}
        seen.append(parse_ratelimit(response.headers["RateLimit"])["remaining"])
    assert seen == list(range(109, 99, -1))
    assert invoice_count(tenant) == 10


# --- with Redis (deployments that set REDIS_URL) ---------------------------------------------------


@pytest.fixture
def redis_counters(settings):
    """The limiter on a real Redis (the one CI and the bench run), in a database of its own, emptied."""
    import redis

    from portal import ratelimit

    settings.REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/14")
    ratelimit._redis.cache_clear()
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    ratelimit._redis.cache_clear()


def test_with_redis_every_limit_of_a_request_counts_in_one_window_that_expires(redis_counters, frozen_window):
    from portal import ratelimit

    counters = [("api", "10.0.0.9"), ("invoice_create", "tenant-a")]
    first = ratelimit.hits(counters)
    assert [(h.scope, h.count, h.limit, h.reset) for h in first] == [("api", 1, 120, 59), ("invoice_create", 1, 60, 59)]
    second = ratelimit.hits([("invoice_create", "tenant-a"), ("api", "10.0.0.10")])
    assert [h.count for h in second] == [2, 1]
    window = int(frozen_window // 60 * 60)
    assert 0 < redis_counters.ttl(f"rl:invoice_create:tenant-a:{window}") <= 65
    # The next window starts again from one.
    assert ratelimit.hits(counters, now=frozen_window + 60)[1].count == 1
