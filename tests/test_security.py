"""Security headers and cookies as production serves them, the Content-Security-Policy in development too, no
inline script or style left in a template, and the password rules at sign-up.

Production settings are read at import, so the production checks run in a subprocess with the production
environment (as `check --deploy` does in test_settings_and_health.py), on a database of their own.
"""

import json
import os
import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from tests.test_settings_and_health import PRODUCTION, _run

# Nothing here imports models at module level: the subprocess imports this module before django.setup().

ROOT = Path(__file__).resolve().parent.parent
HOST = PRODUCTION["ALLOWED_HOSTS"]


def production_probe():
    """In the subprocess: sign in over https, as a browser would, and print what the responses carried."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client, override_settings

    from portal.openapi_urls import DOCS_CSP
    from tests.factories import PASSWORD

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    get_user_model().objects.create_user(email="ops@kola.ng", password=PASSWORD)
    client = Client(enforce_csrf_checks=True, HTTP_HOST=HOST)
    # Plain static storage: the manifest storage would need collectstatic, and serves the same headers.
    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=plain_static):
        over_http = client.get("/login/")
        form = client.get("/login/", secure=True)
        signed_in = client.post(
            "/login/",
            {"email": "ops@kola.ng", "password": PASSWORD, "csrfmiddlewaretoken": form.cookies["csrftoken"].value},
            secure=True,
            headers={"Referer": f"https://{HOST}/login/"},
        )
        docs = client.get("/api/docs", secure=True)

    def cookie(response, name):
        morsel = response.cookies[name]
        return {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]), "samesite": morsel["samesite"]}

    print(
        json.dumps(
            {
                "http": [over_http.status_code, over_http.get("Location")],
                "headers": {name: form.get(name) for name in HEADERS},
                "signed_in": [signed_in.status_code, signed_in.get("Location")],
                "csrf_cookie": cookie(form, "csrftoken"),
                "session_cookie": cookie(signed_in, "sessionid"),
                "docs_csp": docs.get("Content-Security-Policy") == DOCS_CSP,
            }
        )
    )


HEADERS = (
    "Strict-Transport-Security",
    "X-Frame-Options",
    "Referrer-Policy",
    "X-Content-Type-Options",
    "Content-Security-Policy",
)


def test_production_over_https_sends_the_security_headers_and_secure_cookies(tmp_path):
    env = {**PRODUCTION, "SQLITE_PATH": str(tmp_path / "production.sqlite3")}
    result = _run("from tests.test_security import production_probe; production_probe()", **env)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen["http"] == [301, f"https://{HOST}/login/"]  # plain http goes to https first
    headers = seen["headers"]
    hsts = dict(re.findall(r"([\w-]+)(?:=(\d+))?", headers["Strict-Transport-Security"]))
    assert int(hsts["max-age"]) >= 31_536_000 and "includeSubDomains" in hsts
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp

    assert seen["signed_in"] == [302, "/"], "the sign-in over https (CSRF checked) failed"
    assert seen["session_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert seen["csrf_cookie"]["secure"] is True
    assert seen["docs_csp"] is True  # the API docs keep the policy they need


def test_development_pages_carry_the_policy_too_and_json_does_not(client, admin_user):
    from portal.openapi_urls import DOCS_CSP

    login = client.get(reverse("login"))
    assert login["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in settings.CONTENT_SECURITY_POLICY
    client.force_login(admin_user)
    assert client.get(reverse("dashboard"))["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    assert client.get("/no-such-page/")["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    assert client.get("/api/docs")["Content-Security-Policy"] == DOCS_CSP
    assert "Content-Security-Policy" not in client.get("/health")


def test_djangos_own_error_pages_which_style_themselves_inline_go_without_it(admin_user, settings):
    from django.test import Client

    refused = Client(enforce_csrf_checks=True).post(reverse("login"), {"email": admin_user.email})
    assert refused.status_code == 403 and b"CSRF verification failed" in refused.content
    assert "Content-Security-Policy" not in refused
    settings.DEBUG = True  # a developer's yellow page, readable
    debug_404 = Client().get("/no-such-page/")
    assert b"Using the URLconf defined in" in debug_404.content and "Content-Security-Policy" not in debug_404


# What the policy refuses to run or apply. The API docs have their own policy; the PDF is drawn by WeasyPrint.
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+\s*=", re.I)
# The PDF and the e-mails are never served to a browser under our CSP; mail programs drop <style> blocks, so
# an e-mail's HTML carries its styles inline.
EXEMPT = {
    "templates/api_docs.html",
    "invoicing/templates/invoicing/pdf/invoice.html",
    "invoicing/templates/invoicing/pdf/received.html",
    "invoicing/templates/invoicing/email/invoice.html",
    # E-mails: mail clients keep only inline styles, and no page's CSP applies to them.
    "tenants/templates/tenants/email/notification.html",
    "tenants/templates/tenants/email/digest.html",
}


def test_no_template_holds_inline_script_style_or_event_handler():
    templates = [p for p in ROOT.glob("**/templates/**/*.html") if ".venv" not in p.parts]
    assert len(templates) > 50
    found = []
    for path in templates:
        name = path.relative_to(ROOT).as_posix()
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if name not in EXEMPT and INLINE.search(line):
                found.append(f"{name}:{number}: {line.strip()[:100]}")
    assert found == []


def test_signup_refuses_short_common_and_numeric_passwords(client):
    data = {"business_name": "Kola Foods Ltd", "full_name": "Kola Adeyemi", "email": "kola@kolafoods.ng"}
    for password, message in (
        ("kola-2026", "This password is too short. It must contain at least 10 characters."),
        ("password123", "This password is too common."),
        ("2348012345678", "This password is entirely numeric."),
    ):
        html = client.post(reverse("signup"), {**data, "password": password}).content.decode()
        assert message in html, password
