"""FieldSales settings, read once from the environment (django-environ).

Every setting has a safe development default except the secret key, which is
required whenever DEBUG is off. A `.env` file at the project root is read when
present (`make run` writes one for local development).
"""

import datetime as dt
import importlib.util
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from fieldsales.object_store import s3_storage

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-only-key"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "simple_history",
    "csp",
    "django_prometheus",
    # The job queue (fieldsales/jobs.py, docs/jobs.md): Django's task API, its jobs in this database.
    "django_tasks",
    "django_tasks_db",
    # django-axes, named in the admin's language (fieldsales/lockouts.py).
    "fieldsales.lockouts.SignInSecurityConfig",
    "fieldsales",
    "clients",
    "workflows",
    "kpis",
]

MIDDLEWARE = [
    # Prometheus' request metrics (django-prometheus): its two middlewares bracket all the others.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # A request id for every log line written while the request is answered (fieldsales/http.py).
    "fieldsales.http.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # zstd, Brotli or gzip for every answer the client accepts compressed, padded against BREACH
    # (fieldsales/compression.py). Above WhiteNoise, whose middleware answers static files without calling the ones
    # below it: in development those files come from the finders uncompressed; pre-compressed ones (collectstatic)
    # carry a Content-Encoding and are left alone.
    "fieldsales.compression.CompressionMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signed-in answers kept by no cache (Cache-Control: no-store) unless they say otherwise.
    "fieldsales.http.no_store",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fieldsales.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "fieldsales.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Worker processes of this node (uvicorn reads the same variable; `make serve` sets it), and the nodes sharing the
# database: the pool of each worker is sized from them (below), and `check --deploy` compares the total with
# PostgreSQL's max_connections (fieldsales/checks.py).
WEB_CONCURRENCY = env.int("WEB_CONCURRENCY", default=1)
APP_NODES = env.int("APP_NODES", default=1)
# Connections of PostgreSQL's max_connections left to psql, migrations and `run_jobs`.
DB_RESERVED_CONNECTIONS = 10

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for the lock instead of failing at once; WAL lets readers run beside a writer. A transaction takes
    # the write lock when it begins (IMMEDIATE): one begun as a reader that writes after another writer committed
    # fails at once with "database is locked", whatever the timeout (the admin's saves beside a KPI recompute did).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    # Under ASGI every request runs in a thread of its own, so a connection kept by CONN_MAX_AGE is never used again:
    # each request paid for a new connection, and idle ones piled up towards PostgreSQL's limit under load (make load
    # failed with "too many clients"). A pool per worker process (psycopg's) lends connections to requests instead.
    # Its size: PostgreSQL's max_connections (DB_MAX_CONNECTIONS, PostgreSQL's default unless told), less a few kept
    # for psql and migrations, shared by the WEB_CONCURRENCY workers (set by `make serve`) of each of APP_NODES nodes.
    # A request that waits DB_POOL_TIMEOUT seconds for a connection gets 503 with Retry-After (fieldsales/http.py).
    # Each connection is checked as it is lent (CONN_HEALTH_CHECKS: the pool's `check`, one round trip): after a
    # PostgreSQL restart the pool's connections are dead, and a dead one is replaced instead of failing the request
    # that got it (24 of 40 requests answered 500 ten seconds after a restart without it).
    DB_POOL_MAX = env.int(
        "DB_POOL_MAX",
        default=max(
            2, (env.int("DB_MAX_CONNECTIONS", default=100) - DB_RESERVED_CONNECTIONS) // (WEB_CONCURRENCY * APP_NODES)
        ),
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(env.int("DB_POOL_MIN", default=2), DB_POOL_MAX),
        "max_size": DB_POOL_MAX,
        "timeout": env.float("DB_POOL_TIMEOUT", default=10),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# The channels-redis layer that carries the realtime messages when REDIS_URL is set: "pubsub" (Redis PUBLISH/SUBSCRIBE)
# or "core" (sorted sets in Redis). Measured by `make bench-realtime` with 200 reps' sockets: one change at a time, both
# deliver in a few ms (p95 2-5 ms); one commit that tells all 200 (a bulk admin action), pubsub in p95 75-125 ms, core
# in 390-560 ms: core sends each group message in four round trips, and a worker takes its sockets' messages out of
# Redis one at a time, four round trips each. What pubsub does not keep (a message sent while a worker reconnects to
# Redis) the catch-up after an outage (REALTIME_PROBE_SECONDS, below) or else the app's poll makes up for.
CHANNEL_LAYER = env.str("CHANNEL_LAYER", default="pubsub")
if CHANNEL_LAYER not in ("core", "pubsub"):
    raise ImproperlyConfigured('CHANNEL_LAYER must be "core" or "pubsub".')
# "core": unread messages a channel may hold before group sends skip it (logged, see LOGGING). All the sockets of one
# worker process share one such channel in Redis, so this bounds a worker's backlog, not a socket's: one commit that
# tells every rep queues a message per connected rep at once, and channels-redis's default of 100 lost most of them with
# 200 reps connected. Unread messages expire after 60 s whatever the capacity.
REDIS_CHANNEL_CAPACITY = 10_000
# Every this many seconds, a server process with sockets open sends itself a message through the channel layer; once
# one goes through after others failed (Redis restarted, or out of reach), each of its open apps and boards is told to
# read again what it may have missed (fieldsales.consumers.CatchesUpMixin), rather than at its next poll.
REALTIME_PROBE_SECONDS = env.float("REALTIME_PROBE_SECONDS", default=2.0)


def redis_host(url: str) -> dict[str, Any]:
    """A channel layer's Redis: a connection Redis dropped (a restart) is made again and its command sent again,
    instead of failing the socket that asked (with the pubsub layer, every handshake of the worker failed after a
    Redis restart; tests/sync/test_redis_restart.py)."""
    import redis

    return {"address": url, "retry_on_error": [redis.ConnectionError, redis.TimeoutError]}


CHANNEL_LAYERS: dict[str, dict[str, Any]]
if not REDIS_URL:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
elif CHANNEL_LAYER == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [redis_host(REDIS_URL)]},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_host(REDIS_URL)], "capacity": REDIS_CHANNEL_CAPACITY, "expiry": 60},
        }
    }

_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
# The currency of amounts on KPI cards and account statements ("FCFA", "€", …).
CURRENCY = env.str("CURRENCY", default="FCFA")
# The sender printed at the top of account statements.
COMPANY_NAME = env.str("COMPANY_NAME", default="FieldSales")
COMPANY_ADDRESS = env.str("COMPANY_ADDRESS", default="")
# Account statements by WhatsApp and SMS: "file" writes each message and its PDF under STATEMENT_OUTBOX_DIR; "http"
# calls the provider below. Email goes through EMAIL_URL.
STATEMENT_WHATSAPP_BACKEND = env.str("STATEMENT_WHATSAPP_BACKEND", default="file")
STATEMENT_SMS_BACKEND = env.str("STATEMENT_SMS_BACKEND", default="file")
STATEMENT_OUTBOX_DIR = env.str("STATEMENT_OUTBOX_DIR", default=str(BASE_DIR / "var" / "outbox"))
STATEMENT_RATE_PER_HOUR = env.int("STATEMENT_RATE_PER_HOUR", default=30)
STATEMENT_LINK_DAYS = env.int("STATEMENT_LINK_DAYS", default=7)
# Work off the request (fieldsales/jobs.py, docs/jobs.md): jobs are rows of this database, enqueued in the transaction
# of the data they follow. JOBS_IN_PROCESS runs a worker in a thread of each server process (`make run` needs nothing
# more); off, `manage.py run_jobs` runs them, on as many nodes as wanted.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
JOBS_IN_PROCESS = env.bool("JOBS_IN_PROCESS", default=True)
# How often an idle worker looks for work, in seconds.
JOBS_POLL_SECONDS = env.float("JOBS_POLL_SECONDS", default=1.0)
# A job still running after this long was left by a worker that stopped: it is run again (every job is safe to run
# twice). Longer than the longest job: every KPI card of 20,000 clients takes some 17 minutes.
JOBS_STALLED_MINUTES = env.int("JOBS_STALLED_MINUTES", default=60)
# The nightly work (every KPI card recomputed, old op results forgotten), in TIME_ZONE.
JOBS_NIGHTLY_AT = env.str("JOBS_NIGHTLY_AT", default="02:30")
# The site's public address (https://fieldsales.example.com), which links sent without a request start with: the
# statement links of SMS, WhatsApp and email. `make run` and `make serve` set it to the address they serve; a link made
# in a request starts with the request's own address (fieldsales/site.py). `check --deploy` flags it unset, plain
# HTTP, or this machine (fieldsales/checks.py).
SITE_URL = env.str("SITE_URL", default="")
WHATSAPP_API_URL = env.str("WHATSAPP_API_URL", default="https://graph.facebook.com/v21.0")
WHATSAPP_PHONE_ID = env.str("WHATSAPP_PHONE_ID", default="")
WHATSAPP_TOKEN = env.str("WHATSAPP_TOKEN", default="")
SMS_API_URL = env.str("SMS_API_URL", default="https://api.twilio.com/2010-04-01")
SMS_ACCOUNT_SID = env.str("SMS_ACCOUNT_SID", default="")
SMS_AUTH_TOKEN = env.str("SMS_AUTH_TOKEN", default="")
SMS_FROM = env.str("SMS_FROM", default="")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="FieldSales <no-reply@localhost>")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a sign-in while its username is locked out from that address, before any password is
# checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, with the pool's connection given back while the password's hash is computed; it answers
    # every username and password itself. ModelBackend stays for the sessions it signed in before (a session names
    # its backend), which it reads back.
    "fieldsales.signin.PasswordBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_TZ = True
# The country a phone number typed without its country code is read in, for a client list that names none
# (ISO 3166 code; Côte d'Ivoire, the demo's country). Each list names its own, this by default.
PHONE_REGION = env.str("PHONE_REGION", default="CI").upper()

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Leaflet's files come from the django-leaflet package. Its app is not installed: its admin needs GeoDjango's GDAL.
_LEAFLET_PACKAGE = importlib.util.find_spec("leaflet")
STATICFILES_DIRS = [
    BASE_DIR / "static",
    *(
        [("leaflet", Path(_LEAFLET_PACKAGE.submodule_search_locations[0]) / "static" / "leaflet")]
        if _LEAFLET_PACKAGE and _LEAFLET_PACKAGE.submodule_search_locations
        else []
    ),
]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Hashed, compressed static files need `collectstatic`; development and tests serve them as they are.
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=not DEBUG)
# Photos and thumbnails: on this node's disk (MEDIA_ROOT) unless S3_BUCKET names a bucket of an S3-compatible object
# store (django-storages), which every node of a deployment shares. Kept private: the app's views check who may read
# a photo, then send the reader to a signed URL that expires (fieldsales/storage.py).
S3_BUCKET = env.str("S3_BUCKET", default="")
MEDIA_STORAGE: dict[str, Any] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# Where those signed URLs point, which pages may show images from: S3_PUBLIC_ORIGIN when the store is reached through
# another address, else the store's endpoint, else AWS's addresses.
S3_ORIGINS: list[str] = []
if S3_BUCKET:
    MEDIA_STORAGE = s3_storage(
        bucket=S3_BUCKET,
        endpoint_url=env.str("S3_ENDPOINT_URL", default=""),
        region=env.str("S3_REGION", default=""),
        access_key=env.str("S3_ACCESS_KEY", default=""),
        secret_key=env.str("S3_SECRET_KEY", default=""),
    )
    _endpoint = urlparse(MEDIA_STORAGE["OPTIONS"]["endpoint_url"] or "")
    _store_origin = f"{_endpoint.scheme}://{_endpoint.netloc}" if _endpoint.netloc else "https://*.amazonaws.com"
    S3_ORIGINS = env.list("S3_PUBLIC_ORIGIN", default=[_store_origin])
STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "fieldsales.storage.ModuleManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without the manifest nothing is collected: WhiteNoise serves the files where the finders find them (the app's
# static/ and the apps' own, such as drf-spectacular-sidecar's Swagger UI), with DEBUG on or off.
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Every error in the API's envelope, {"code", "detail"} (fieldsales/http.py).
    "EXCEPTION_HANDLER": "fieldsales.http.api_exception_handler",
    # JSON only: DRF's browsable pages (forms that post to the API, in a browser) only while developing.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "FieldSales API",
    "DESCRIPTION": "Sync contract and REST API of FieldSales.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Login throttling (django-axes), the same for the app's sign-in page and the admin's: after AXES_FAILURE_LIMIT wrong
# passwords for one username from one address, that pair is locked out for AXES_COOLOFF_MINUTES (staff unlock it in the
# admin, "Access attempts"). Locking the pair, not the username alone, keeps a stranger from locking a rep out; reps
# behind one carrier's address keep signing in. A success forgets the failures.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_VERBOSE = False
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "fieldsales.accounts.lockout"
# The client's address is REMOTE_ADDR: behind a proxy, the ASGI server sets it from X-Forwarded-For for the proxies it
# trusts (FORWARDED_ALLOW_IPS, see `make serve`), so a client cannot choose its own address with a header.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# HTTPS: on whenever DEBUG is off. The site redirects HTTP to HTTPS, its cookies travel over HTTPS only, and browsers
# are told to use nothing else for a year (HSTS). Behind a TLS proxy the ASGI server learns the scheme from
# X-Forwarded-Proto (trusted from FORWARDED_ALLOW_IPS only). `HTTPS=false` serves plain HTTP (the tests' live servers).
HTTPS = env.bool("HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp) on every page, in development too, so the browser tests run under it: scripts,
# styles, fonts and the service worker come from this site only, nothing inline; images also from photos taken on the
# phone (data:, blob:) and the map tiles of the supervisors' board.
MAP_TILES_ORIGIN = "https://tile.openstreetmap.org"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:", MAP_TILES_ORIGIN, *S3_ORIGINS],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Photos arrive as raw bodies of up to 5 MiB (the blob view checks its own limit, the push view 1 MiB).
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024

IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# Importing or exporting a model takes its own permission (`import_client`, `export_visit`, ...; each model's
# Meta.permissions), granted by role (fieldsales.roles): the view permission alone would let anyone who reads one
# client export them all, and the change permission would let a supervisor import a payment.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"

# Who may read /metrics besides superusers: a scraper sending `Authorization: Bearer <METRICS_TOKEN>`
# (fieldsales/metrics.py).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Each line names the request it was written for (fieldsales/http.py): a server error's answer carries that id.
    "filters": {"request_id": {"()": "fieldsales.http.RequestIdFilter"}},
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "line"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # channels-redis reports the messages it drops for a full channel at INFO: kept whatever LOG_LEVEL says.
    # django-axes logs every sign-in at INFO; lockouts at WARNING. django-tasks logs each job's start and end at INFO,
    # two lines per push; a failed job at ERROR (and its retry, fieldsales.jobs, at WARNING).
    "loggers": {
        "channels_redis": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
    },
}
