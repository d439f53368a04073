"""Flowpoint settings, read from the environment (django-environ).

With nothing set you get the embedded defaults: SQLite in WAL mode, django-q2's ORM broker, a
database cache shared by every process, console e-mail and the embedded NRS sandbox. Set
DATABASE_URL / REDIS_URL for PostgreSQL, a Redis broker and a Redis cache. A bad value fails loudly.
"""

import base64
import hashlib
import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Development is the default: production sets DEBUG=False, and then must set a real key.
DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is False.")
    SECRET_KEY = "dev-insecure-flowpoint-key-do-not-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "portal",  # before django_q: its `qcluster` command is ours (portal/task_cluster.py)
    "django_q",
    "django_otp",  # two-factor sign-in: TOTP apps and single-use recovery codes (tenants/two_factor.py)
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "tenants",
    "integrations.reference",
    "integrations.nrs",
    "integrations.nrs.sandbox",
    "invoicing",
    "integrations.webhooks",
    "integrations.connectors",
]

MIDDLEWARE = [
    "portal.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.sessions.SessionActivityMiddleware",  # "Where you're signed in": device, address, last seen
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tenants.middleware.TenantMiddleware",
    "portal.ratelimit.RateLimitMiddleware",
    "portal.middleware.ApiErrorMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
AUTH_USER_MODEL = "portal.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.tenant",
                "invoicing.context_processors.nrs_banner",  # admins: NRS unreachable, their invoices waiting
            ],
            # {% csrf_token %} also names the business a form was opened in (a person may switch business in
            # another tab): tenants/templatetags/business_forms.py.
            "builtins": ["tenants.templatetags.business_forms"],
        },
    },
]

# --- Database ------------------------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Server-side binding lets psycopg prepare a statement run five times on a connection: PostgreSQL then
    # skips parsing and planning it (create +13 % under `make bench`). Off behind PgBouncer in transaction mode.
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = env.bool("PG_SERVER_SIDE_BINDING", True)
else:
    DATABASES = {
        "default": {
            "ENGINE": "portal.sqlite",  # Django's, waiting for the write lock in finer steps (see its module)
            "NAME": env.str("SQLITE_PATH", default=str(VAR_DIR / "flowpoint.sqlite3")),
            "OPTIONS": {
                # WAL lets the web server and the worker read while the other writes; IMMEDIATE
                # takes the write lock up front so concurrent writers queue instead of failing.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # A file, not memory, so that a real worker process can share the test database; one per
            # test run, so that runs side by side never share one.
            "TEST": {"NAME": str(VAR_DIR / f"test-flowpoint-{os.getpid()}.sqlite3")},
            # Persistent connections: opening one runs the PRAGMAs above, a millisecond on every request
            # (and on every task django-q2 enqueues, as its broker closes connections it deems old).
            "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=600),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and queue -----------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A database cache is shared by every process (web and worker), unlike the local-memory one:
    # login throttles and rate limits must hold across processes.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"}}

Q_CLUSTER = {
    "name": "flowpoint",
    "workers": env.int("Q_WORKERS", default=2),
    # A submission makes up to five NRS calls of at most NRS_READ_TIMEOUT each. The soak (bench/soak.py)
    # shortens both so that a SIGKILLed worker's task is redelivered within seconds.
    "timeout": env.int("Q_TIMEOUT", default=300),
    "retry": env.int("Q_RETRY", default=360),  # must exceed timeout, or a slow task runs twice while still running
    "max_attempts": 3,
    "catch_up": False,
    "ack_failures": True,
    # Keep no results of successful tasks: with django-q2's default (the last 250) every finished task counts
    # and trims that table, ~20 ms per task. Invoices keep their own history (events, NRS calls); failures
    # are still kept.
    "save_limit": env.int("Q_SAVE_LIMIT", default=-1),
    "poll": 0.5,
    "label": "Tasks",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["broker_class"] = "portal.task_broker.OrmBroker"  # django-q2's, with a cheaper enqueue

# --- Auth ----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_THROTTLE_FAILURES = env.int("LOGIN_THROTTLE_FAILURES", default=5)
LOGIN_THROTTLE_WINDOW = env.int("LOGIN_THROTTLE_WINDOW", default=900)  # seconds
INVITATION_DAYS = 7

# --- Secrets at rest -----------------------------------------------------------------------
# Comma-separated Fernet keys: the first encrypts, all decrypt, so a key can be rotated by
# putting the new one first and re-saving (`manage.py rotate_secrets`).
_encryption_keys = env.list("FIELD_ENCRYPTION_KEYS", default=[])
if not _encryption_keys:
    if not DEBUG:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DEBUG is False.")
    _encryption_keys = [base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()]
FIELD_ENCRYPTION_KEYS = _encryption_keys

# --- E-mail --------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Flowpoint <no-reply@flowpoint.ng>")

# --- NRS -----------------------------------------------------------------------------------
NRS_SANDBOX_PREFIX = env.str("NRS_SANDBOX_PREFIX", default="/sandbox/nrs")
# Unset: the sandbox embedded in this server. Set it to use a sandbox elsewhere (e.g. NRS's public one).
NRS_SANDBOX_EMBEDDED = not env.str("NRS_SANDBOX_URL", default="")
NRS_SANDBOX_URL = env.str("NRS_SANDBOX_URL", default="") or SITE_URL.rstrip("/") + NRS_SANDBOX_PREFIX
NRS_LIVE_URL = env.str("NRS_LIVE_URL", default="https://einvoice1.nrs.gov.ng")
NRS_CONNECT_TIMEOUT = env.float("NRS_CONNECT_TIMEOUT", default=5.0)
NRS_READ_TIMEOUT = env.float("NRS_READ_TIMEOUT", default=30.0)
# The embedded sandbox (integrations/nrs/sandbox) answers under /sandbox/nrs on this same server.
NRS_SANDBOX_ENABLED = env.bool("NRS_SANDBOX_ENABLED", default=True)
NRS_SANDBOX_FAULTS = {
    "latency_ms": env.int("NRS_SANDBOX_LATENCY_MS", default=0),
    "error_rate": env.float("NRS_SANDBOX_ERROR_RATE", default=0.0),  # share of HTTP 500s
    "timeout_rate": env.float("NRS_SANDBOX_TIMEOUT_RATE", default=0.0),  # share that hang past the timeout
    "offline_rate": env.float("NRS_SANDBOX_OFFLINE_RATE", default=0.0),  # transmit: access points offline
    "lost_response_rate": env.float("NRS_SANDBOX_LOST_RESPONSE_RATE", default=0.0),  # sign done, answer lost
    "throttle_rate": env.float("NRS_SANDBOX_THROTTLE_RATE", default=0.0),  # share of 429s with Retry-After
    "retry_after_seconds": env.int("NRS_SANDBOX_RETRY_AFTER_SECONDS", default=2),
    "strict": env.bool("NRS_SANDBOX_STRICT", default=False),  # reject totals that do not reconcile
}
NRS_SANDBOX_TIMEOUT_SECONDS = env.float("NRS_SANDBOX_TIMEOUT_SECONDS", default=35.0)
# Submission retries: attempts in all, the waits between them (seconds), and when SUBMITTING counts as stuck.
NRS_MAX_ATTEMPTS = env.int("NRS_MAX_ATTEMPTS", default=6)
NRS_RETRY_BACKOFF = env.list("NRS_RETRY_BACKOFF", cast=int, default=[5, 30, 120, 600, 1800])
NRS_STUCK_AFTER_SECONDS = env.int("NRS_STUCK_AFTER_SECONDS", default=420)  # > the task timeout
# Calls in flight (invoicing/dispatch.py). NRS answers in hundreds of milliseconds to seconds: a worker process
# keeps NRS_WORKER_THREADS invoices in flight, each with one call open at a time. The host limit is shared by
# every worker process and machine (counted in the database) and NRS's 429/503 lower it for everyone; the
# business limit keeps one business's backlog from taking every slot.
# Each thread holds a database connection while its invoice is in flight: on PostgreSQL, Q_WORKERS × threads × worker
# machines (plus the web processes) must stay under max_connections (100 by default), hence the smaller default.
# At 300 ms a call, an invoice's three or four calls take a second: hiding that latency at the ~120/s these two
# cores certify needs ~130 invoices in flight (bench `nrs_latency`: 96 in flight gave 0.63 of the 0 ms rate,
# 192 gave 0.95). A business may take two thirds of the host's slots, so another business always finds room.
NRS_WORKER_THREADS = env.int("NRS_WORKER_THREADS", default=16 if env.str("DATABASE_URL", default="") else 96)
NRS_HOST_CONCURRENCY = env.int("NRS_HOST_CONCURRENCY", default=192)
NRS_BUSINESS_CONCURRENCY = env.int("NRS_BUSINESS_CONCURRENCY", default=128)
NRS_DISPATCH_SECONDS = env.float("NRS_DISPATCH_SECONDS", default=60.0)  # one task's claiming, then the next task
NRS_THROTTLE_PAUSE_SECONDS = env.float("NRS_THROTTLE_PAUSE_SECONDS", default=2.0)  # a 429/503 without Retry-After
# The circuit: after this many host failures in a row (no connection, no answer, 5xx) invoices wait for NRS
# instead of failing, and one probe every NRS_CIRCUIT_PROBE_SECONDS tests whether it is back.
NRS_CIRCUIT_FAILURES = env.int("NRS_CIRCUIT_FAILURES", default=5)
NRS_CIRCUIT_PROBE_SECONDS = env.float("NRS_CIRCUIT_PROBE_SECONDS", default=15.0)
# The buyer's side (invoicing/purchases/): how often each business's received invoices are pulled from NRS, how
# far back its first pull reaches, and how often the delivery of its own B2B/B2G invoices is looked up.
PURCHASES_PULL_MINUTES = env.int("PURCHASES_PULL_MINUTES", default=5)
PURCHASES_FIRST_PULL_DAYS = env.int("PURCHASES_FIRST_PULL_DAYS", default=30)
DELIVERY_CHECK_MINUTES = env.int("DELIVERY_CHECK_MINUTES", default=10)

# --- Webhooks ------------------------------------------------------------------------------
# Hosts that may be called over plain http and on internal addresses (development and tests only).
WEBHOOK_ALLOWED_HOSTS = env.list("WEBHOOK_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
# Servers inside our own network a connector may reach (an SFTP server, an Odoo): none but the local host in DEBUG.
CONNECTOR_ALLOWED_HOSTS = env.list(
    "CONNECTOR_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)  # seconds (the spec's limit)
WEBHOOK_SECRET_GRACE_HOURS = env.int("WEBHOOK_SECRET_GRACE_HOURS", default=24)

# --- Connectors: QuickBooks Online (integrations/connectors/quickbooks.py) -------------------------------------
# The app's keys from Intuit's developer portal. The OAuth endpoints come from Intuit's discovery document
# (authorization at appcenter.intuit.com, tokens at oauth.platform.intuit.com/oauth2/v1/tokens/bearer); tests point
# both URLs at a local stand-in of the API.
QUICKBOOKS_CLIENT_ID = env("QUICKBOOKS_CLIENT_ID", default="")
QUICKBOOKS_CLIENT_SECRET = env("QUICKBOOKS_CLIENT_SECRET", default="")
QUICKBOOKS_OAUTH_URL = env(
    "QUICKBOOKS_OAUTH_URL", default="https://developer.intuit.com/.well-known/openid_configuration/"
)
QUICKBOOKS_BASE_URL = env("QUICKBOOKS_BASE_URL", default="https://quickbooks.api.intuit.com/v3")
CONNECTORS_TIMEOUT = env.float("CONNECTORS_TIMEOUT", default=30.0)  # seconds per call to QuickBooks or Odoo

# --- I18N / time ---------------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "Africa/Lagos"  # what people see; storage is UTC (USE_TZ)
USE_I18N = True
USE_TZ = True

# --- Static and media ----------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG  # serve straight from static/ in development, no collectstatic
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))  # stored PDFs
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
CRYPTO_KEY_FILE_MAX_BYTES = 64 * 1024
# A 10,000-row CSV is about 2 MB (11 MB with every cell 40 characters long): 20 MB leaves room for 20,000 rows.
CSV_UPLOAD_MAX_BYTES = env.int("CSV_UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)

# --- API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "EXCEPTION_HANDLER": "portal.api_errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

from portal.openapi import SPECTACULAR_SETTINGS  # noqa: E402, F401  (/api/v1/schema, /api/docs)

# Requests per minute (the spec's defaults); tests and operators may lower or raise them.
RATE_LIMITS = {
    "auth": env.int("RATE_LIMIT_AUTH", default=10),
    "api": env.int("RATE_LIMIT_API", default=120),
    "invoice_create": env.int("RATE_LIMIT_INVOICE_CREATE", default=60),
    "csv_submit": env.int("RATE_LIMIT_CSV_SUBMIT", default=5),
    "verify_page": env.int("RATE_LIMIT_VERIFY_PAGE", default=30),
}

# --- Operators -----------------------------------------------------------------------------
# /metrics (Prometheus) answers only `Authorization: Bearer <METRICS_TOKEN>`. Unset, the route is a 404: queue
# depths and NRS health are nobody's business until an operator asks for them. A short token is refused, since
# nothing throttles guesses at it.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if METRICS_TOKEN and len(METRICS_TOKEN) < 16:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 16 characters long (or unset to turn /metrics off).")

# --- Security ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "portal.api_errors.csrf_failure"  # JSON on /api/ paths, Django's page elsewhere
SESSION_ENGINE = "portal.sessions"  # database sessions; a forged key holding a NUL is no session
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Pages load nothing but their own static files: no inline script or style, no other host (portal/security.py).
# frame-ancestors repeats X-Frame-Options for the browsers that only read the policy.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env.bool("BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},  # its per-render INFO steps drown everything else
        "fontTools": {"level": "WARNING"},
    },
}

# Two-factor sign-in (django-otp): the name an authenticator app shows next to the code.
OTP_TOTP_ISSUER = "Flowpoint"
