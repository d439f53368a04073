import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(code_or_args, **env):
    dropped = ("DATABASE_URL", "REDIS_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    args = code_or_args if isinstance(code_or_args, list) else ["-c", code_or_args]
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


PRINT_SETTINGS = (
    "import django, json, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'portal.settings'); django.setup();"
    "from django.conf import settings as s;"
    "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], 'cache': s.CACHES['default']['BACKEND'],"
    " 'q': sorted(k for k in ('orm', 'redis') if k in s.Q_CLUSTER), 'mail': s.EMAIL_BACKEND,"
    " 'nrs': s.NRS_SANDBOX_URL, 'opts': s.DATABASES['default'].get('OPTIONS', {})}))"
)


def test_embedded_defaults_with_nothing_set():
    result = _run(PRINT_SETTINGS)
    assert result.returncode == 0, result.stderr
    conf = json.loads(result.stdout)
    assert conf["db"] == "portal.sqlite" and "journal_mode=WAL" in conf["opts"]["init_command"]
    assert conf["cache"] == "django.core.cache.backends.db.DatabaseCache"
    assert conf["q"] == ["orm"]
    assert conf["mail"] == "django.core.mail.backends.console.EmailBackend"
    assert conf["nrs"].endswith("/sandbox/nrs")


def test_database_and_redis_urls_switch_to_postgresql_and_redis():
    result = _run(PRINT_SETTINGS, DATABASE_URL="postgres://u@db.example:5432/fp", REDIS_URL="redis://cache:6379/0")
    conf = json.loads(result.stdout)
    assert conf["db"] == "django.db.backends.postgresql"
    assert conf["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert conf["q"] == ["redis"]


PRODUCTION = {
    "DEBUG": "False",
    "SECRET_KEY": "k3!x9-this-is-a-long-random-production-secret-key-with-entropy-0f8a7d6c5b4a",
    "ALLOWED_HOSTS": "portal.flowpoint.ng",
    "FIELD_ENCRYPTION_KEYS": "p6cHnKRWc-dmFBQ0Ye-n-Mkwy_R7Jq-XnVkVz1yW2fE=",
}


def test_production_settings_pass_check_deploy_without_warnings():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = _run(["manage.py", "check"], **env)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_sqlite_database_file_runs_in_wal_mode(tmp_path):
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'portal.settings'); django.setup();"
        "from django.db import connection; c = connection.cursor(); c.execute('PRAGMA journal_mode');"
        "print(c.fetchone()[0])"
    )
    result = _run(code, SQLITE_PATH=str(tmp_path / "wal.sqlite3"))
    assert result.stdout.strip() == "wal", result.stderr


def test_health_answers_ok_with_database_and_queue(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response["X-Request-Id"]


def test_health_answers_503_degraded_when_the_queue_table_is_gone(client, monkeypatch):
    from portal import views

    def broken():
        raise RuntimeError("queue down")

    monkeypatch.setattr(views, "_queue_ok", broken)
    response = client.get("/health")
    assert response.status_code == 503 and response.json() == {"status": "degraded"}


def test_status_page_is_public_and_polls_health(client):
    html = client.get("/status").content.decode()
    assert 'id="status-line"' in html and "js/app.js" in html


def test_request_id_is_echoed_when_sane_and_replaced_when_not(client):
    assert client.get("/health", headers={"X-Request-Id": "abc-123"})["X-Request-Id"] == "abc-123"
    assert client.get("/health", headers={"X-Request-Id": "bad id with spaces"})["X-Request-Id"] != "bad id"
