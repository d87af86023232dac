"""Sextant settings, read from the environment.

No variable is required: with none set, Sextant runs on SQLite in
SEXTANT_DATA_DIR with Celery tasks run in-process (the embedded default).
Production sets DATABASE_URL, REDIS_URL, SECRET_KEY and friends; see the README.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_secret(name: str) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (for Docker/K8s secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, "")


DATA_DIR = Path(env_str("SEXTANT_DATA_DIR", str(BASE_DIR / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _persistent_secret_key() -> str:
    # Generated once on first start and kept beside the database, so sessions
    # and signed URLs survive restarts without anyone configuring anything.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY") or _persistent_secret_key()
# Key used to encrypt secrets at rest (OIDC client secrets). Defaults to one
# derived from SECRET_KEY; set it separately to rotate SECRET_KEY independently.
FIELD_ENCRYPTION_KEY = env_secret("FIELD_ENCRYPTION_KEY") or SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Links in emails and the SSO redirect URI are built from SITE_URL. Unset, it
# follows PORT (which `make run` passes to gunicorn too), so `PORT=9000 make run`
# registers redirect URIs on the port it actually serves.
SITE_URL = (env_str("SITE_URL") or f"http://127.0.0.1:{env_int('PORT', 8000)}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "teams",
    "runs",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "accounts.context_processors.user_settings",
                "config.csp.nonce",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "sextant.sqlite3",
            # WAL lets readers proceed while the ingestion path writes.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and cache ----------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    # Sessions read from Redis, written through to the database (which stays the record): a
    # dashboard's dozens of chart requests each skip a session query.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # The database cache keeps rate limits and caches shared between the
    # processes of the embedded default as well.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "sextant_cache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A short publish timeout: ingestion must never hang on a broker that is down.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5, "max_retries": 1}
# Every periodic job, in one place (beat runs them; on the embedded default config.embedded does).
# Task names are the registered ones (@shared_task(name=...)), kept stable for messages already queued.
CELERY_BEAT_SCHEDULE: dict = {
    # Dead (revoked, expired, rotated-out) keys are refused at authentication already; this removes their rows.
    "accounts.purge_dead_keys": {"task": "accounts.tasks.purge_dead_keys", "schedule": 3600.0},
    "runs-mark-crashed": {"task": "runs.crash.mark_crashed_runs", "schedule": 60.0},
    # Requeues runs whose derived data lags their lines (a lost message, a broker that was down).
    "runs-sweep-stale-derived": {"task": "runs.sweep_stale_derived", "schedule": 60.0},
    "runs-ensure-key-indexes": {"task": "runs.ensure_key_indexes", "schedule": 600.0},
    # Requeues alert deliveries whose message was lost (a broker down when the alert came).
    "runs-alerts-requeue": {"task": "runs.alerts.requeue_deliveries", "schedule": 120.0},
    # Expired artifact versions (TTL) deleted, then blobs no version references garbage-collected.
    "runs-artifacts-expire-and-collect": {"task": "runs.artifacts.expire_and_collect", "schedule": 3600.0},
}

# --- Auth ------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailOrUsernameBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "teams:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "sextant@localhost")

# --- HTTPS and security headers -------------------------------------------------
# SEXTANT_HTTPS=true when Sextant is served over TLS (directly or behind a proxy).
HTTPS = env_bool("SEXTANT_HTTPS", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("SEXTANT_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Static and uploaded files ----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True  # serve straight from the apps without collectstatic
MEDIA_ROOT = Path(env_str("SEXTANT_FILES_DIR", str(DATA_DIR / "files")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if env_str("S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET"),
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "region_name": env_str("S3_REGION") or None,
            "access_key": env_secret("S3_ACCESS_KEY_ID"),
            "secret_key": env_secret("S3_SECRET_ACCESS_KEY"),
            "location": env_str("S3_PREFIX", "sextant"),
        },
    }
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("SEXTANT_MAX_REQUEST_BYTES", 20 * 1024 * 1024)

# --- REST API ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Every view resolves its caller (and team) and requires its declared needs (teams/access.py).
    "DEFAULT_PERMISSION_CLASSES": ["teams.access.NeedPermission"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "accounts.paging.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "accounts.api.exceptions.json_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sextant API",
    "DESCRIPTION": "Self-hosted experiment tracking: teams, API keys, runs, reports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.document_error_responses",
    ],
    # The docs page loads Swagger UI from this server, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Fields of the same name in different apps get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "ApiKeyStatusEnum": ["active", "expiring", "expired"],
        "PanelDataStatusEnum": ["fresh", "stale", "pending"],
        "BlockKindEnum": "reports.models.Block.Kind",
        "PanelKindEnum": "reports.models.Panel.Kind",
        "UserKindEnum": "accounts.models.User.Kind",
        "AlertSeverityEnum": "runs.alerts.models.Severity",
        "AlertChannelKindEnum": "runs.alerts.models.AlertChannel.Kind",
        "AlertDeliveryStatusEnum": "runs.alerts.models.AlertDelivery.Status",
        "ArtifactCollectionKindEnum": "runs.artifacts.models.ArtifactCollection.Kind",
        "SweepStateEnum": "runs.sweeps.models.Sweep.State",
        "RunStateEnum": "runs.models.Run.State",
    },
}

# --- Localisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging: to stderr; secrets never reach it (see accounts.authentication) --------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Sextant ------------------------------------------------------------------------
SEXTANT_SIGNUP_OPEN_DEFAULT = env_bool("SEXTANT_SIGNUP_OPEN", True)
# OIDC providers on loopback (127.0.0.0/8, ::1) are refused unless this is on:
# a team admin must not be able to point discovery fetches at the server itself.
SEXTANT_SSO_ALLOW_LOOPBACK = env_bool("SEXTANT_SSO_ALLOW_LOOPBACK", False)
# Alert webhooks never go to link-local, metadata or private addresses, nor to loopback
# unless this is on (the test suite's receivers listen on 127.0.0.1).
SEXTANT_ALERTS_ALLOW_LOOPBACK = env_bool("SEXTANT_ALERTS_ALLOW_LOOPBACK", False)
SEXTANT_ALERT_RETRIES = env_int("SEXTANT_ALERT_RETRIES", 5)  # attempts after the first, per delivery
SEXTANT_ALERT_RETRY_SECONDS = env_int("SEXTANT_ALERT_RETRY_SECONDS", 30)  # first backoff; doubles each time
# Tunables: each is the environment variable of the same name (README, "Settings").
SEXTANT_MAX_UPLOAD_BYTES = env_int("SEXTANT_MAX_UPLOAD_BYTES", 5 * 1024**3)  # one run file
SEXTANT_UPLOAD_URL_SECONDS = env_int("SEXTANT_UPLOAD_URL_SECONDS", 24 * 3600)  # signed upload URL lifetime
SEXTANT_RATE_LIMIT_REQUESTS = env_int("SEXTANT_RATE_LIMIT_REQUESTS", 3000)  # per API key per window, 0 = off
SEXTANT_RATE_LIMIT_WINDOW = env_int("SEXTANT_RATE_LIMIT_WINDOW", 60)
SEXTANT_CRASH_AFTER_SECONDS = env_int("SEXTANT_CRASH_AFTER_SECONDS", 300)  # heartbeat silence before "crashed"
# Sweeps: how long an agent's heartbeat waits for Celery's suggestion before making it itself,
# and how often (at most) a sweep's early termination is evaluated.
SEXTANT_SWEEP_SUGGEST_WAIT_MS = env_int("SEXTANT_SWEEP_SUGGEST_WAIT_MS", 2000)
SEXTANT_SWEEP_STOP_CHECK_SECONDS = env_int("SEXTANT_SWEEP_STOP_CHECK_SECONDS", 3)
SEXTANT_KEY_AUTH_FAILURE_LIMIT = env_int("SEXTANT_KEY_AUTH_FAILURE_LIMIT", 20)  # bad keys per address per window
SEXTANT_KEY_AUTH_FAILURE_WINDOW = env_int("SEXTANT_KEY_AUTH_FAILURE_WINDOW", 300)
SEXTANT_LOGIN_FAILURES_PER_ACCOUNT = env_int("SEXTANT_LOGIN_FAILURES_PER_ACCOUNT", 10)
SEXTANT_LOGIN_FAILURES_PER_IP = env_int("SEXTANT_LOGIN_FAILURES_PER_IP", 50)
SEXTANT_LOGIN_FAILURE_WINDOW = env_int("SEXTANT_LOGIN_FAILURE_WINDOW", 900)
SEXTANT_DEAD_KEY_RETENTION_DAYS = env_int("SEXTANT_DEAD_KEY_RETENTION_DAYS", 30)
# Embedded default only (tasks in-process): derived data is folded in inside the request
# that appended ("inline"), or by one background thread of each web process ("thread").
# Inline is the default: measured, the thread's writes contend with the next append for
# SQLite's single write lock and made back-to-back posts 2.6x slower (README, Ingestion).
SEXTANT_EMBEDDED_DERIVED = env_str("SEXTANT_EMBEDDED_DERIVED", "inline")
# The runs table counts exactly within this many milliseconds (PostgreSQL); past it, an estimate labelled as such.
SEXTANT_TABLE_COUNT_BUDGET_MS = env_int("SEXTANT_TABLE_COUNT_BUDGET_MS", 250)
# ... and does not try when PostgreSQL estimates more matching runs than this.
SEXTANT_TABLE_COUNT_ESTIMATE_OVER = env_int("SEXTANT_TABLE_COUNT_ESTIMATE_OVER", 200_000)
if SEXTANT_EMBEDDED_DERIVED not in ("thread", "inline"):
    raise ImproperlyConfigured("SEXTANT_EMBEDDED_DERIVED must be thread or inline")
# Artifact storage: a team's deduplicated blob bytes limit (0 = none; a team's own quota overrides it),
# how old an unreferenced blob or abandoned multipart upload must be before garbage collection deletes it.
SEXTANT_ARTIFACT_QUOTA_BYTES = env_int("SEXTANT_ARTIFACT_QUOTA_BYTES", 0)
SEXTANT_ARTIFACT_GC_GRACE_SECONDS = env_int("SEXTANT_ARTIFACT_GC_GRACE_SECONDS", 24 * 3600)
