"""clinicbot settings: one module, read from the environment (or a `.env` file) with django-environ.

The environment variables are exactly those of the README's Configuration table. Other tunables
are constants here (or query parameters of DATABASE_URL / REDIS_URL), so an operator has one table
to read.
Cross-setting rules that must refuse a production start are system checks in `clinicbot.checks`.
"""

import secrets
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF

from clinicbot.runtime.dbconfig import database_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file fills in what the real environment leaves unset; the environment always wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# --- secrets and hosts ---------------------------------------------------------------------------
# An unset SECRET_KEY in production is refused by check clinicbot.E001. The stand-in is random per
# process so that a process started while skipping checks can never sign with a guessable key.
SECRET_KEY_FROM_ENV = bool(env.str("SECRET_KEY", default=""))
SECRET_KEY = env.str("SECRET_KEY", default="") or (
    "django-insecure-development-only-key" if DEBUG else secrets.token_urlsafe(50)
)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)

# --- where data lives ----------------------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default="")
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL
# The embedded default: no Postgres and no Redis. SQLite, an in-process cache, inline tasks.
EMBEDDED = not DATABASE_URL and not REDIS_URL

DATABASES = {"default": database_config(DATABASE_URL or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis is on the request path (de-duplication, locks, caches): every call is bounded.
REDIS_SOCKET_TIMEOUT = 0.5
REDIS_CONNECT_TIMEOUT = 0.5
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "clinicbot",
            "OPTIONS": {
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                "health_check_interval": 30,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# django-cachalot caches ORM reads in the cache above and invalidates them on every write.
CACHALOT_ENABLED = True
CACHALOT_TIMEOUT = 600
# Our only raw writes (clinicbot.runtime.bulk.rows_update) refuse cached tables: don't parse every
# statement looking for writes.
CACHALOT_INVALIDATE_RAW = False
# The sign-in apps never: their rows hold password hashes and session keys, which must stay in
# the database, not in a copy in Redis.
CACHALOT_UNCACHABLE_APPS = frozenset({"axes", "auth", "sessions"})
# Conversations, messages, metrics and follow-ups are written with every message: caching them
# would only churn Redis with invalidations, each write parsed for its tables and followed by a
# Redis write, on stage B's path, for reads that are hardly ever repeated.
CACHALOT_UNCACHABLE_TABLES = frozenset(
    {
        "django_migrations",
        "django_session",
        "conversations_conversationsession",
        "conversations_message",
        "conversations_messagemetric",
        "followups_followup",
        # Written with every booking turn, like the messages.
        "appointments_appointment",
        "appointments_appointmentchange",
        "appointments_bookingdialog",
        # The audit log is read to verify it: it must come from the database, never a cache.
        "security_auditevent",
        "security_audithead",
        "security_auditcheckpoint",
    }
)

# --- Celery --------------------------------------------------------------------------------------
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged after it ran, so a killed worker's task is delivered again; our tasks
# are idempotent. One message prefetched at a time keeps a slow task from hoarding others.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup would close the connection pool around every task (a new PostgreSQL
# connection per task); clinicbot.celery hands connections back to the pool instead.
CELERY_DB_REUSE_MAX = 10**9
# Django's LOGGING configures logging; Celery must not replace it.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis redelivers an unacknowledged task after this long; it must exceed the longest task.
    "visibility_timeout": 600,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
}
# A publish on the request path must not stall it: at most ~1 s of retries, then beat's minute
# flush (below) picks the work up.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BEAT_SCHEDULE = {
    # The safety net of stage B: stores whatever a lost or failed flush left behind.
    "journal-flush": {"task": "conversations.tasks.journal_flush", "schedule": 60.0},
    "followups-send-due": {"task": "followups.tasks.followups_send_due", "schedule": 60.0},
    # Times held for a patient's yes that ran out go back to the calendar.
    "holds-release": {"task": "appointments.tasks.holds_release", "schedule": 60.0},
    # Signs the audit chain's head with the RSA key (security.audit).
    "audit-checkpoint": {"task": "security.tasks.audit_checkpoint", "schedule": 3600.0},
    # Staff notifications held in quiet hours go out as one digest when they end (notifications).
    "notifications-digest": {
        "task": "notifications.tasks.notifications_digest",
        "schedule": 60.0,
    },
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"

# --- outside services ----------------------------------------------------------------------------
EVOLUTION_API_URL = env.str("EVOLUTION_API_URL", default="").rstrip("/")
EVOLUTION_API_KEY = env.str("EVOLUTION_API_KEY", default="")
EVOLUTION_WEBHOOK_SECRET = env.str("EVOLUTION_WEBHOOK_SECRET", default="")
# Each clinic's replies go out through its own channel (channels.registry). "locmem" or
# "console" here replaces every channel's sender in this process (tests, `manage.py chat`).
CHANNEL_SENDER_OVERRIDE = ""

OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
# The LLM lane (conversations.llm): the whole answer, tool calls included, within this many
# seconds, else the patient gets the hand-off reply; the model when no LLMModel row is active.
LLM_DEADLINE_S = 8.0
LLM_DEFAULT_MODEL = "gpt-4o-mini"
LLM_MAX_COMPLETION_TOKENS = 400
# Answers that may ask the model, per conversation per minute and per clinic per day
# (conversations.llm.limits); past them the patient gets a polite reply instead. Ten a minute is
# more than a person reads answers to (make bench's clinic day has patients asking six), and
# bounds a script.
LLM_CALLS_PER_CONVERSATION_PER_MINUTE = env.int("LLM_CALLS_PER_CONVERSATION_PER_MINUTE", default=10)
LLM_CALLS_PER_CLINIC_PER_DAY = env.int("LLM_CALLS_PER_CLINIC_PER_DAY", default=2000)
# Voice notes (conversations.voice): transcribed by this OpenAI-compatible speech-to-text model
# (a clinic's own `transcription_model` wins), within this many seconds counted from the start
# of the transcription (getting the audio included) and with no retry; past it, or without an
# OPENAI_API_KEY, the patient is asked to type and the conversation is flagged for staff.
TRANSCRIPTION_MODEL = env.str("TRANSCRIPTION_MODEL", default="gpt-transcribe")
TRANSCRIPTION_DEADLINE_S = env.float("TRANSCRIPTION_DEADLINE_S", default=10.0)

# Staff notifications (notifications): their e-mail goes through Django's e-mail backend, set
# by EMAIL_URL (smtp+tls://user:password@host:587; unset: printed to the console), within
# EMAIL_TIMEOUT seconds; their links to a conversation in the admin start with PUBLIC_URL
# (https://clinicbot.example.com; unset: a path alone).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="clinicbot@localhost")
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)
PUBLIC_URL = env.str("PUBLIC_URL", default="").rstrip("/")

PHI_MASTER_KEY = env.str("PHI_MASTER_KEY", default="")
PHI_RSA_PRIVATE_KEY = env.str("PHI_RSA_PRIVATE_KEY", default="")
HIPAA_AUDIT_KEY = env.str("HIPAA_AUDIT_KEY", default="")

# --- Django --------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "cachalot",
    "axes",
    "csp",
    "clinicbot",
    "conversations",
    "pricing",
    "followups",
    "appointments",
    "knowledge",
    "notifications",
    "security",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    # The admin's static files, wherever clinicbot runs (Fly's proxy only answers them sooner).
    # Only the full stack has middleware: the webhook and /health never reach it (routing.py).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, except that the console's background requests do not renew the session
    # (security.sessions): the idle logoff below still ends a session left open.
    "security.sessions.SessionMiddleware",
    # The console in the staff member's language: the one chosen in the admin header (a cookie,
    # set_language), else the browser's Accept-Language, else LANGUAGE_CODE.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it answers a locked-out sign-in with its lockout page.
    "axes.middleware.AxesMiddleware",
]

# --- staff sign-in hardening (the admin) ---------------------------------------------------------
# The header in which the proxy in front of clinicbot passes the client's address (Fly's proxy:
# Fly-Client-IP, which it sets itself whatever the client sent). Unset: the connecting address.
# Never X-Forwarded-For, which a client writes as it likes (and the web command trusts from no
# peer: fly.toml's --forwarded-allow-ips).
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="")
# django-axes counts failed sign-ins: 5 failures lock the account out for an hour from that
# address, so a stranger's guesses lock out the stranger, not the staff member at their own
# address (nor a clinic behind one NAT wholesale); a success resets the count.
# Lockouts land in the audit log (security.signals).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The client's address as the audit log records it (CLIENT_IP_HEADER, else the peer).
AXES_CLIENT_IP_CALLABLE = "security.signals.source_ip"
# HIPAA automatic logoff: a staff session ends after 15 idle minutes (every request renews it).
SESSION_COOKIE_AGE = 900
SESSION_SAVE_EVERY_REQUEST = True

ROOT_URLCONF = "clinicbot.urls"
ASGI_APPLICATION = "clinicbot.asgi.application"
WSGI_APPLICATION = "clinicbot.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "clinicbot" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
# The console's languages, each named in its own language (as the header's chooser shows them);
# our strings' catalogs are in locale/ (.po in git, .mo compiled by the build: clinicbot.catalogs).
# Hebrew is laid out right to left (Django's LANGUAGES_BIDI).
LANGUAGES = [
    ("ru", "Русский"),
    ("en", "English"),
    ("es", "Español"),
    ("pt", "Português"),
    ("uk", "Українська"),
    ("he", "עברית"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# In production WhiteNoise serves the files collectstatic gathered, under hashed names (cached
# for good by browsers) and precompressed. In development they come straight from the apps'
# folders, found anew on every request, with no collectstatic and no manifest to keep current.
# Both choices hang on DEBUG as read here, not on settings.DEBUG later: pytest-django turns DEBUG
# off for the tests after this, and the suite still has no collected files or manifest.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Request bodies (clinicbot.runtime.bodies). A body must arrive whole within
# REQUEST_BODY_READ_TIMEOUT seconds (else 408; long enough for a 64 MiB media body on a modest
# link). A webhook's is read into memory before its turn: at most WEBHOOK_MAX_BODY_BYTES (413,
# refused from its Content-Length), and at most WEBHOOK_MAX_TEXT_BODY_BYTES unless it carries
# media (base64 media is what makes a body big); the bodies one process holds at once stay within
# WEBHOOK_BODIES_IN_MEMORY_BYTES (else 503, which the gateway retries). Any other request's body
# (the staff console's) is at most REQUEST_MAX_BODY_BYTES (413), kept in memory by Django too.
REQUEST_BODY_READ_TIMEOUT = env.float("REQUEST_BODY_READ_TIMEOUT", default=30.0)
WEBHOOK_MAX_BODY_BYTES = 64 * 1024 * 1024
WEBHOOK_MAX_TEXT_BODY_BYTES = 5 * 1024 * 1024
WEBHOOK_BODIES_IN_MEMORY_BYTES = 192 * 1024 * 1024
REQUEST_MAX_BODY_BYTES = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BODY_BYTES

# --- production hardening (Fly.io terminates TLS and sets X-Forwarded-Proto) ---------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = True
    # Fly's health checks and the gateway may call over plain HTTP inside the private network.
    SECURE_REDIRECT_EXEMPT = [r"^health$", r"^ready$", r"^webhooks/"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 63072000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Every page of the admin and the console: scripts, styles, images, fonts and form posts from this
# site only. No inline script at all; the console's own <style> blocks carry the response's nonce.
# Style attributes stay allowed (the calendar positions its blocks with them; Django's admin has
# a few): they cannot run code.
CONTENT_SECURITY_POLICY = {
    # The API's interactive docs (DEBUG only) load their scripts from a CDN.
    "EXCLUDE_URL_PREFIXES": ["/docs"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# --- logging: one line per event, never message text or phone numbers ----------------------------
# Django's LOGGING below, and request paths in logs without query strings (an admin search carries
# a phone number in its URL) or a webhook secret (`/t/<secret>`): clinicbot.runtime.logs.
LOGGING_CONFIG = "clinicbot.runtime.logs.configure_logging"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpx2": {"level": "WARNING"},  # the `openai` client's HTTP library: a line per call
    },
}
