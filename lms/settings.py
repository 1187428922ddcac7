"""Podium settings: one module, everything from the environment.

Defaults are safe for production (DEBUG off, no default SECRET_KEY); `make run` sets DEBUG=1
for local use. Without DATABASE_URL a SQLite file under var/ is used; without REDIS_URL Celery
uses kombu's filesystem transport under var/, so a fresh machine needs no servers.
"""

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from lms.env import env, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env("PODIUM_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE) in the environment; "
            "Podium refuses to start without it when DEBUG is off."
        )
    # Development only: a random key kept under var/ so sessions survive restarts.
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# A refused form gets a page that says what happened and offers to reload (lms/errors.py).
CSRF_FAILURE_VIEW = "lms.errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "axes",
    "lms",
    "courses",
    "grading",
]

MIDDLEWARE = [
    # First: probes and scrapes reach the pod IP over HTTP, before host checks and redirects.
    "lms.health.HealthMiddleware",
    "lms.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's POST makes their cached pages stale (lms/page_cache.py).
    "lms.page_cache.WritesMiddleware",
    "lms.timezones.TimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: turns a login refused by the throttle (lms/throttle.py) into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lms.urls"
WSGI_APPLICATION = "lms.wsgi.application"
ASGI_APPLICATION = "lms.asgi.application"

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
                # The CSRF token of a page rendered for the page cache is a placeholder.
                "lms.page_cache.csrf",
            ],
            # {% url %} answers from a per-process memo (lms/cached_tags.py): the header alone
            # reversed ~8 URLs on every page (static URLs: lms/static_storage.py).
            "builtins": ["lms.cached_tags"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'podium.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django turns psycopg's statement preparation off (None). A threshold no query reaches
    # lets the few cursors that ask for it prepare (lms/prepared.py); Django's own cursors bind
    # on the client and never prepare.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
# The cache may live in a Redis of its own (REDIS_CACHE_URL: allkeys-lru, while the broker's Redis
# must never evict a task); without it the cache shares the broker's, as before.
REDIS_CACHE_URL = env("REDIS_CACHE_URL") or REDIS_URL
if REDIS_CACHE_URL:
    # Shared by all web processes, so sessions can be cached safely (read-through to the DB).
    CACHES = {"default": {"BACKEND": "lms.redis_cache.RedisCache",  # one client per pool: lms/redis_cache.py
                          "LOCATION": REDIS_CACHE_URL, "KEY_PREFIX": "podium"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Students' pages kept rendered until what they show changes (lms/page_cache.py). Only with a
# cache every process shares (a grading worker marks a student's pages changed from its own
# process); by default only when the cache has a Redis of its own (REDIS_CACHE_URL, allkeys-lru:
# the chart's default), as pages must not fill a broker's Redis that may not evict.
# STUDENT_PAGE_CACHE=1 turns it on with a shared Redis, =0 off.
STUDENT_PAGE_CACHE = bool(REDIS_CACHE_URL) and env_bool("STUDENT_PAGE_CACHE", bool(env("REDIS_CACHE_URL")))
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 300)
# Pages stored per student per PAGE_CACHE_SECONDS (a normal visit stores ~10; search URLs have no end).
PAGE_CACHE_MAX_PER_USER = env_int("PAGE_CACHE_MAX_PER_USER", 60)
# Rendered content keyed by content hash: immutable, so each process keeps its own copy
# instead of fetching ~100 KB from Redis on every lesson view.
CACHES["content"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                     "LOCATION": "podium-content", "OPTIONS": {"MAX_ENTRIES": 500}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The login throttle checks first (it never logs anyone in); then the ordinary backend.
AUTHENTICATION_BACKENDS = [
    "lms.throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Hashed, compressed file names need `collectstatic` (the image runs it at build time);
# without it (DEBUG, tests) files are served straight from the app and static/ folders.
STATICFILES_MANIFEST = env_bool("STATICFILES_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "lms.static_storage.CompressedManifestStaticFilesStorage"
            if STATICFILES_MANIFEST
            else "lms.static_storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATICFILES_MANIFEST
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Podium <podium@localhost>")
# Where EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend writes (the browser tests
# read sign-up links there).
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))

# Security. Cookies and HSTS follow HTTPS, which production always has (TLS at the Ingress).
SECURE_SSL = env_bool("SECURE_SSL", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_SSL
CSRF_COOKIE_SECURE = SECURE_SSL
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SECURE_SSL)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE_SSL else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_SSL
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_SSL)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Celery: Redis when REDIS_URL is set, otherwise a broker that needs no server.
CELERY_FILESYSTEM_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    for sub in ("queue", "processed", "control"):
        (CELERY_FILESYSTEM_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_DIR / "queue"),
        "processed_folder": str(CELERY_FILESYSTEM_DIR / "processed"),
        "control_folder": str(CELERY_FILESYSTEM_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    "close-expired-quiz-attempts": {"task": "courses.close_expired_quiz_attempts", "schedule": 60.0},
}
CELERY_TASK_IGNORE_RESULT = True

# Course content lives in the repo; load_course imports it into the database.
COURSE_CONTENT_DIR = BASE_DIR / "courses" / "content"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
                   "json": {"()": "lms.jsonlog.JsonFormatter"}},
    # LOG_FORMAT=json: one JSON object per line on stdout, for cluster log collectors.
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}
                 if env("LOG_FORMAT", "plain") != "json" else
                 {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
}

# Prometheus: when set, /metrics answers only on this port (the pod's metrics port), not on
# the web port the Ingress reaches. See lms/metrics.py.
METRICS_PORT = env_int("METRICS_PORT", 0)

# Client addresses. Behind the Ingress, REMOTE_ADDR is the ingress controller's, and the client's
# address is the right-most X-Forwarded-For entry the proxies added. TRUSTED_PROXY_COUNT says how
# many proxies sit in front of the app (the chart sets 1); 0 ignores X-Forwarded-For entirely,
# because without a proxy any client could write that header. See lms/throttle.client_ip.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Login throttle (django-axes, database handler, so every web pod sees the same counts):
# LOGIN_FAILURE_LIMIT failures for one email from one address lock that pair out, and
# LOGIN_IP_FAILURE_LIMIT failures from one address (any emails: a school's NAT is one address)
# lock the address out, and LOGIN_ACCOUNT_FAILURE_LIMIT failures for one email (from any
# addresses: a distributed guesser) lock the email out, all for LOGIN_COOLOFF_MINUTES after the
# last failure. Failures for unknown emails count the same, and the lockout page never says
# whether the account exists.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_IP_FAILURE_LIMIT = env_int("LOGIN_IP_FAILURE_LIMIT", 50)
LOGIN_ACCOUNT_FAILURE_LIMIT = env_int("LOGIN_ACCOUNT_FAILURE_LIMIT", 100)
LOGIN_COOLOFF_MINUTES = env_int("LOGIN_COOLOFF_MINUTES", 15)
AXES_HANDLER = "lms.throttle.LoginThrottleHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address", "username"]
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_CLIENT_IP_CALLABLE = "lms.throttle.client_ip"
AXES_USERNAME_CALLABLE = "lms.throttle.login_username"
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_RESET_ON_SUCCESS = False  # a correct guess with a known account must not reset an address's count
# Attempts refused while locked out are not counted: otherwise one address, locked for one email,
# could keep adding failures until that email hit LOGIN_ACCOUNT_FAILURE_LIMIT everywhere.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False
# No row per successful login (IP address and browser of every student, kept forever); failures
# are kept in AccessAttempt (visible in the admin, where an admin can also unlock) until cool-off.
AXES_DISABLE_ACCESS_LOG = True

# Sign-up and password reset: at most N requests per address per window (lms/throttle.RateLimit,
# in the default cache: Redis when REDIS_URL is set, so shared by every pod).
SIGNUP_RATE_LIMIT = env_int("SIGNUP_RATE_LIMIT", 10)
PASSWORD_RESET_RATE_LIMIT = env_int("PASSWORD_RESET_RATE_LIMIT", 10)
RATE_LIMIT_WINDOW_MINUTES = env_int("RATE_LIMIT_WINDOW_MINUTES", 15)
# A sign-up link (email confirmation) stays valid this long.
SIGNUP_LINK_MAX_AGE_SECONDS = env_int("SIGNUP_LINK_MAX_AGE_SECONDS", 3 * 24 * 3600)

# Content-Security-Policy (django-csp): scripts, styles, images, fonts and connections only from
# Podium's own origin; no inline scripts or style attributes anywhere (templates use static JS
# and CSS classes; htmx's indicator <style> is turned off by the htmx-config meta tag in
# base.html). With DEBUG on the policy is report-only, so Django's debug pages still work.
_CSP = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
if DEBUG:
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP
