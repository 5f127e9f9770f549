"""Settings for Wudian, read from WUDIAN_* environment variables.

The embedded default needs nothing: SQLite and Huey on SQLite under WUDIAN_DATA_DIR.
Production sets WUDIAN_DATABASE_URL (PostgreSQL) and WUDIAN_REDIS_URL (Redis).
"""

import os
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


TESTING = "pytest" in sys.modules
DEBUG = envbool("WUDIAN_DEBUG", False)
DATA_DIR = Path(os.environ.get("WUDIAN_DATA_DIR") or Path.cwd() / "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

_DEV_SECRET = "wudian-development-only-secret-do-not-use-in-production"  # noqa: S105
# Only serving pages needs a secret (sessions, CSRF, signed links): without debug the web
# entry points (wsgi.py, asgi.py, `wudian serve`) refuse to start without WUDIAN_SECRET_KEY
# (core.security.require_secret_key), while commands that serve no pages (`wudian lineloss`,
# `migrate`) run without it. Left empty, Django refuses any use of it.
SECRET_KEY = os.environ.get("WUDIAN_SECRET_KEY") or (_DEV_SECRET if DEBUG or TESTING else "")
SECRET_KEY_MISSING = not SECRET_KEY

ALLOWED_HOSTS = envlist("WUDIAN_ALLOWED_HOSTS", "127.0.0.1,localhost" if not DEBUG else "*")
CSRF_TRUSTED_ORIGINS = envlist("WUDIAN_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "wudian.accounts.apps.WudianAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "django_htmx",
    "template_partials",
    # Listed so the API docs use the Swagger UI files shipped in the package, not a CDN.
    "ninja",
    "huey.contrib.djhuey",
    "auditlog",
    "wudian.core",
    "wudian.accounts",
    "wudian.grid",
    "wudian.audit",
    "wudian.fieldwork",
    "wudian.billing",
    "wudian.notify",
    "wudian.circles",
    "wudian.joining",
    "wudian.outages",
    "wudian.analytics",
    "wudian.workorders",
    "wudian.knowledge",
    "wudian.civic",
    "wudian.metrics",
    "wudian.front",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "wudian.audit.middleware.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

# The audit log (django-auditlog): who changed special-group status, roles, scope
# assignments and Open311 keys. Reads of special-group status are written by
# wudian.audit.services.special_group_reads_record. The client address is core.throttle's
# (the AuditActorMiddleware's), never a forwarded header that any client may set.
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {"model": "grid.household", "include_fields": ["special_group"]},
    {
        "model": "accounts.user",
        "include_fields": ["is_active", "is_staff", "is_superuser", "department"],
        "m2m_fields": ["roles"],
    },
    "grid.compoundassignment",
    "grid.communityassignment",
    "grid.districtassignment",
    {
        "model": "workorders.open311key",
        "exclude_fields": ["digest", "last_used_at"],
        "m2m_fields": ["compounds"],
    },
)
# A foreign key's value is written as its name then, so the page reads no other row.
AUDITLOG_USE_FK_STRING_REPRESENTATION = True

ROOT_URLCONF = "wudian.urls"
WSGI_APPLICATION = "wudian.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wudian.notify.context_processors.inbox",
                "wudian.metrics.context_processors.menu",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("WUDIAN_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'wudian.sqlite3'}",
        conn_max_age=envint("WUDIAN_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web + task consumer) share the file: WAL and a busy timeout
    # keep writers from failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and envbool(
    "WUDIAN_DB_SERVER_SIDE_BINDING", True
):
    # Parameters bound on the server, and each statement a connection has run 5 times
    # prepared, so PostgreSQL stops planning the same small queries on every request (the
    # planning cost more than the running). Django leaves both off for the sake of
    # transaction-pooling proxies; turn them off for one with WUDIAN_DB_SERVER_SIDE_BINDING=0.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
if TESTING and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: the notify tests run a real task consumer in another process.
    # One file per test run, so concurrent runs in one checkout do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test_wudian_{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["wudian.accounts.backends.WudianBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "front:home_for_user"
LOGOUT_REDIRECT_URL = "front:index"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

REDIS_URL = os.environ.get("WUDIAN_REDIS_URL", "")
# Parallel test workers get their own queue and cache key space in a shared Redis.
TEST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main") if TESTING else ""

# The cache holds login-failure counters, so it must be shared by every web process:
# Redis when there is one, otherwise a table in the database.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("WUDIAN_CACHE_PREFIX", "wudian")
            + (f"-test-{TEST_WORKER}" if TESTING else ""),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "wudian_cache",
        }
    }

# How long the dashboard's figures are kept (seconds; 0: never kept). A periodic task computes
# the boards people open first afresh every five minutes, or as soon as its last run ends on a
# city where a run takes longer (24 min on the benchmark city: docs/benchmarks.md): kept
# figures must outlive a run. Tests compute every figure afresh
# unless a test sets it.
WUDIAN_METRICS_CACHE_SECONDS = int(
    os.environ.get("WUDIAN_METRICS_CACHE_SECONDS", "0" if TESTING else "1800")
)

HUEY_NAME = os.environ.get("WUDIAN_HUEY_NAME", "wudian") + (
    f"-test-{TEST_WORKER}" if TESTING else ""
)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": HUEY_NAME,
        "url": REDIS_URL,
        "immediate": False,
        "utc": True,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": HUEY_NAME,
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": False,
        "utc": True,
    }
if TESTING:
    # Tests run tasks in the calling thread, but against the real storage backend
    # (immediate_use_memory=False) so the configured queue is exercised.
    HUEY["immediate"] = True
    HUEY["immediate_use_memory"] = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# Vendored front-end assets and the site's own CSS live in wudian/static, outside any app.
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("WUDIAN_MEDIA_ROOT") or DATA_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# HTTPS and security headers. WUDIAN_HTTPS: the site is reached over HTTPS only (directly, or
# through a TLS proxy with WUDIAN_BEHIND_TLS_PROXY, which turns it on by default): cookies are
# sent over HTTPS only, plain HTTP is redirected (except /healthz, for load balancers) and
# browsers are told with HSTS to use HTTPS for WUDIAN_HSTS_SECONDS.
if envbool("WUDIAN_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
HTTPS = envbool("WUDIAN_HTTPS", envbool("WUDIAN_BEHIND_TLS_PROXY", False))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("WUDIAN_SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = envint("WUDIAN_HSTS_SECONDS", 365 * 24 * 3600) if HTTPS else 0
# Both reach beyond this site (every subdomain; browsers' built-in lists), so each is the
# domain owner's decision; Django's deploy check is told it was made.
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("WUDIAN_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("WUDIAN_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [
    *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Scripts and styles only from files this site serves: no inline script or style, no eval.
# Images may be data: URIs (the CSS framework's icons, Swagger UI's).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# The site's public origin (scheme, host, optional port): the absolute links of the public feeds,
# the printable notice's QR code, and the names the feeds give their items (CAP identifier and
# sender, iCalendar UIDs) come from it, never from a request's Host header.
PUBLIC_URL = (os.environ.get("WUDIAN_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")

# Where to report a security problem: an e-mail address or a URL, shown on the error pages and
# in /.well-known/security.txt.
SECURITY_CONTACT = os.environ.get("WUDIAN_SECURITY_CONTACT", "")

# Apprise URLs for the staff channels, comma separated.
NOTIFY_URLS = envlist("WUDIAN_NOTIFY_URLS")
# SMS gateway and e-mail server as Apprise URLs (json://host:port/sms, mailto://user:pw@host).
# In debug mode, unset ones go to this site's development gateway (/dev/gateway/), which
# records what a real one would have sent; without debug an unset one is reported at start-up
# and on /healthz, and its messages wait as "no gateway".
DEV_GATEWAY_URL = "{scheme}://{host}/dev/gateway/".format(
    scheme="jsons" if PUBLIC_URL.startswith("https:") else "json",
    host=PUBLIC_URL.split("://", 1)[-1].split("/", 1)[0],
)
_dev_gateway = DEBUG and not TESTING
NOTIFY_SMS_GATEWAY_URL = os.environ.get("WUDIAN_SMS_GATEWAY_URL") or (
    DEV_GATEWAY_URL + "sms/" if _dev_gateway else ""
)
NOTIFY_EMAIL_URL = os.environ.get("WUDIAN_EMAIL_URL") or (
    DEV_GATEWAY_URL + "email/" if _dev_gateway else ""
)
NOTIFY_MAX_ATTEMPTS = envint("WUDIAN_NOTIFY_MAX_ATTEMPTS", 5)
NOTIFY_RETRY_SECONDS = envint("WUDIAN_NOTIFY_RETRY_SECONDS", 60)
# A message claimed longer ago than this is taken back: its consumer is presumed dead.
NOTIFY_SENDING_TIMEOUT = envint("WUDIAN_NOTIFY_SENDING_TIMEOUT", 300)
NOTIFY_BATCH_SIZE = envint("WUDIAN_NOTIFY_BATCH_SIZE", 100)

# API tokens and login throttling.
API_TOKEN_DAYS = envint("WUDIAN_API_TOKEN_DAYS", 30)
LOGIN_FAILURE_LIMIT = envint("WUDIAN_LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_SECONDS = envint("WUDIAN_LOGIN_LOCKOUT_SECONDS", 15 * 60)
# One office often shares one address, so the per-address limit is higher than per-user.
LOGIN_FAILURE_LIMIT_PER_ADDRESS = envint(
    "WUDIAN_LOGIN_FAILURE_LIMIT_PER_ADDRESS", 4 * LOGIN_FAILURE_LIMIT
)

# How long a compound's join link (the QR code on its window and poster) works from the day it
# was made or printed.
JOIN_LINK_DAYS = envint("WUDIAN_JOIN_LINK_DAYS", 365)

# Searches for a compound on the start page, per client address (per user when logged in)
# and minute: enough for a person typing, too few to walk through account numbers.
SEARCH_LIMIT_PER_MINUTE = envint("WUDIAN_SEARCH_LIMIT_PER_MINUTE", 30)
# Messages and replies a resident may write in the circles per hour (staff are not counted).
CIRCLE_WORDS_PER_HOUR = envint("WUDIAN_CIRCLE_WORDS_PER_HOUR", 20)
# Reverse proxies in front of the web processes that append to X-Forwarded-For; the client's
# address is read from there instead of the connection (login and search throttles count by it).
TRUSTED_PROXY_COUNT = envint("WUDIAN_TRUSTED_PROXIES", 0)

DEMO_PASSWORD = "wudian-demo"  # noqa: S105  refused unless DEBUG, see accounts.backends

NINJA_PAGINATION_PER_PAGE = 50
# Bounded limit and offset (wudian.core.api): a huge offset is refused, not sent to the database.
NINJA_PAGINATION_CLASS = "wudian.core.api.LimitOffset"

LOG_LEVEL = os.environ.get("WUDIAN_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Query strings may carry account numbers, search texts and keys: see wudian/core/logs.py.
    "filters": {"redact": {"()": "wudian.core.logs.RedactQueryStrings"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # The Huey consumer installs its own handler; do not print each line twice.
        "huey": {"level": "INFO", "propagate": False},
        # Django's own handlers (its console in debug, runserver's request lines) would print
        # query strings unredacted: these loggers use ours instead.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # WeasyPrint logs each step of every PDF at INFO (printed notices, the monthly report).
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

ADMIN_SITE_HEADER = _("Wudian administration")

# In debug mode static files are served straight from the apps, without collectstatic.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG

# The Open311 jurisdiction_id this server answers to (besides its own host name); any other is
# an unknown jurisdiction, answered 404 as the GeoReport spec says.
OPEN311_JURISDICTION = os.environ.get("WUDIAN_OPEN311_JURISDICTION", "wudian").strip()
