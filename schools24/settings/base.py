"""Settings shared by every environment; every external address comes from the environment.

The local defaults let a developer run the project with nothing configured: SQLite under ``var/``
and the Redis on 127.0.0.1:6379. ``production.py`` removes the defaults that must not leak there.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ

from schools24.logconfig import guid_settings, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-secret-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_prometheus",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_guid",
    "channels",
    "apps.core",
    "apps.users",
    "apps.calendar",
    "apps.writebuffer",
    "apps.events",
    "apps.notifications",
    "apps.analytics",
    "apps.homework",
    "apps.quizzes",
    "apps.attendance",
    "apps.grades",
    "apps.fees",
    "apps.dashboards",
    "apps.pages",
    "apps.benchmarks",
]

MIDDLEWARE = [
    # First: every log line of the request carries its id (X-Request-ID, see LOGGING below).
    "django_guid.middleware.guid_middleware",
    "apps.core.middleware.TrustedProxyMiddleware",
    # Each request reads from the primary once it has written (apps/core/replicas.py).
    "apps.core.replicas.PrimaryAfterWriteMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "apps.core.middleware.ApiJsonErrorsMiddleware",
    "apps.core.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "apps.core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before common: the language a user chose (set_language) or their browser's.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.events.origin.RequestOriginMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.core.errors.ServiceUnavailableMiddleware",
    "apps.core.metrics.BoundedPrometheusAfterMiddleware",
]

# How many reverse proxies in front of the web server append to X-Forwarded-For. 0 (the
# default): the header is ignored and the connecting address is the client. Set it to exactly
# the number of proxies you run, or anyone can choose the address they are throttled under.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# /metrics: allowed with "Authorization: Bearer <METRICS_TOKEN>" (when set) or from these networks.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
# django-prometheus's request latency histograms: fine steps where our requests are (5 ms to
# 1 s) so p95/p99 are close, coarse above (its default starts at 10 ms and runs to 75 s).
PROMETHEUS_LATENCY_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.35, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0,
    float("inf"),
)  # fmt: skip

# Pages load nothing from other hosts and run no inline script. Inline styles are allowed: the
# admin and the API docs (Swagger UI) set style attributes, and a style cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)

ROOT_URLCONF = "schools24.urls"
WSGI_APPLICATION = "schools24.wsgi.application"
ASGI_APPLICATION = "schools24.asgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# No DATABASE_URL: an embedded SQLite file, so `make run` works on a bare machine. PostgreSQL is
# what production and the test suite use; psycopg 3's pool keeps connections warm.
# An empty DATABASE_URL counts as unset.
DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # While PostgreSQL is away a request must fail in seconds (and answer 503), not hang: a
    # connect gives up after DATABASE_CONNECT_TIMEOUT and a request waits for a pooled
    # connection at most DATABASE_POOL_TIMEOUT. Once it is back the pool heals by itself: with
    # CONN_HEALTH_CHECKS Django gives the pool psycopg's check, so a broken connection is
    # replaced rather than lent to a request; ``reconnect_timeout`` keeps background reconnects
    # trying instead of giving up; ``max_idle`` retires connections from before the outage.
    _connect_timeout = env.int("DATABASE_CONNECT_TIMEOUT", default=2)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": _connect_timeout,
            "pool": {
                "min_size": 1,
                "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
                "timeout": env.float("DATABASE_POOL_TIMEOUT", default=3.0),
                "reconnect_timeout": 24 * 60 * 60,
                "max_idle": 60.0,
            },
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, worker and beat share the file: wait for locks rather than fail.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
# Read replicas (PostgreSQL streaming standbys): comma-separated URLs, aliases ``replica``,
# ``replica_2``, ... Only reads that opt in with ``apps.core.replicas.lag_tolerant`` go there,
# and only while a replica is at most DATABASE_REPLICA_MAX_LAG_SECONDS behind (checked at most
# every DATABASE_REPLICA_CHECK_SECONDS per process); everything else uses ``default``.
DATABASE_REPLICA_URLS = [url for url in env.list("DATABASE_REPLICA_URLS", default=[]) if url]
DATABASE_REPLICA_MAX_LAG_SECONDS = env.float("DATABASE_REPLICA_MAX_LAG_SECONDS", default=5.0)
DATABASE_REPLICA_CHECK_SECONDS = env.float("DATABASE_REPLICA_CHECK_SECONDS", default=2.0)
for _index, _url in enumerate(DATABASE_REPLICA_URLS, start=1):
    _replica = env.db_url_config(_url)
    if _replica["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ValueError("DATABASE_REPLICA_URLS must name PostgreSQL standbys of DATABASE_URL.")
    _replica["CONN_HEALTH_CHECKS"] = True
    _replica["OPTIONS"] = {**DATABASES["default"]["OPTIONS"]}
    DATABASES["replica" if _index == 1 else f"replica_{_index}"] = _replica
DATABASE_ROUTERS = ["apps.core.replicas.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = ["apps.users.auth.ThrottledModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# Failed logins allowed per window, per username and per client address.
# (see apps/users/auth.py: only the first limit applies at an address where the username has
# logged in before, so neither of the others can lock an owner out of their usual place).
LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS = env.int(
    "LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS", default=10
)
LOGIN_FAILURES_PER_USERNAME = env.int("LOGIN_FAILURES_PER_USERNAME", default=50)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=300)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
LOGIN_KNOWN_ADDRESS_SECONDS = env.int("LOGIN_KNOWN_ADDRESS_SECONDS", default=60 * 24 * 60 * 60)

LANGUAGE_CODE = "en"
# English and French (pages and notifications); a user picks one in the page header (a
# cookie); notifications use the language of the recipient's notification preferences.
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT: Path | None = BASE_DIR / "staticfiles"
# WhiteNoise serves static files from the ASGI server itself (no separate web server needed).
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))

# --- Attachments: S3-compatible storage when a bucket is configured, local disk otherwise ----
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "default_acl": None,
            "querystring_auth": True,
        },
    }

# Homework attachments and submission files: refused with a 400 above these limits.
# Quizzes: answers sent up to this many seconds after an attempt's deadline still count (a
# phone on a slow network); later ones are refused and the attempt is submitted automatically.
QUIZ_ANSWER_GRACE_SECONDS = env.float("QUIZ_ANSWER_GRACE_SECONDS", default=15.0)
# At most one "answer saved" event per attempt this often (0: one per answer).
QUIZ_ANSWER_EVENT_SECONDS = env.float("QUIZ_ANSWER_EVENT_SECONDS", default=10.0)
HOMEWORK_MAX_ATTACHMENT_BYTES = env.int("HOMEWORK_MAX_ATTACHMENT_BYTES", default=10 * 1024 * 1024)
HOMEWORK_MAX_FILES_PER_UPLOAD = env.int("HOMEWORK_MAX_FILES_PER_UPLOAD", default=5)
HOMEWORK_ALLOWED_ATTACHMENT_EXTENSIONS = env.list(
    "HOMEWORK_ALLOWED_ATTACHMENT_EXTENSIONS",
    default=["pdf", "doc", "docx", "png", "jpg", "jpeg", "txt"],
)
# Any request body over this is refused with 413 from its Content-Length, before it is read:
# the most files one upload may carry at the largest size, plus room for the other fields.
REQUEST_MAX_BODY_BYTES = env.int(
    "REQUEST_MAX_BODY_BYTES",
    default=HOMEWORK_MAX_FILES_PER_UPLOAD * HOMEWORK_MAX_ATTACHMENT_BYTES + 1024 * 1024,
)
DATA_UPLOAD_MAX_NUMBER_FILES = 4 * HOMEWORK_MAX_FILES_PER_UPLOAD

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)

# --- Fees -----------------------------------------------------------------------------------
# The in-repo "test" payment gateway: its hosted checkout page "pays" without money, so it is on
# for development and tests and off in production settings (README, "Fees"). Its webhook
# signatures use this shared secret.
FEES_TEST_GATEWAY_ENABLED = env.bool("FEES_TEST_GATEWAY_ENABLED", default=True)
FEES_TEST_GATEWAY_SECRET_DEFAULT = "schools24-test-gateway-secret"
FEES_TEST_GATEWAY_SECRET = env("FEES_TEST_GATEWAY_SECRET", default=FEES_TEST_GATEWAY_SECRET_DEFAULT)

# --- Redis roles ----------------------------------------------------------------------------
# REDIS_URL: read cache, sessions and the channel layer; may evict (LRU).
# WRITE_BUFFER_REDIS_URL: the write buffer; must persist (AOF) and never evict. A Redis Cluster is
# written redis+cluster://host:port,host:port/ (README, "Redis Cluster").
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
WRITE_BUFFER_REDIS_URL = env("WRITE_BUFFER_REDIS_URL", default="redis://127.0.0.1:6379/1")

_redis_timeouts = {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 5}
CACHES = {
    "default": {
        "BACKEND": "apps.writebuffer.cache.RedisFirstCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="s24"),
        "OPTIONS": {
            **_redis_timeouts,
            # zstd with the dictionary, counting bytes for /metrics' compression ratio.
            "COMPRESSOR": "apps.writebuffer.codecs.ReadCacheCompressor",
        },
    },
    "writebuffer": {
        "BACKEND": "apps.writebuffer.cache.RedisFirstCache",
        "LOCATION": WRITE_BUFFER_REDIS_URL,
        "KEY_PREFIX": "s24",
        "OPTIONS": {
            **_redis_timeouts,
            "CLIENT_CLASS": "apps.writebuffer.client.WriteBufferClient",
            "CONNECTION_FACTORY": "apps.writebuffer.cluster.ClusterAwareConnectionFactory",
            "SERIALIZER": "apps.writebuffer.serializers.CompactJSONSerializer",
            "COMPRESSOR": env(
                "WRITE_BUFFER_COMPRESSOR",
                default="apps.writebuffer.codecs.ZstdDictionaryCompressor",
            ),
        },
    },
}

# Sessions live in the read cache for 24 hours, as the original design asks.
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_CACHE_ALIAS = "default"
SESSION_COOKIE_AGE = 24 * 60 * 60

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/2")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
# The Redis transport redelivers a task nobody acked within visibility_timeout. Its default (one
# hour) equals the hourly sync's period, so a slow sync would run twice; keep it far above the
# hard time limit of any task.
# Its queue and every key kombu writes carry the project's name, so another Celery project on the
# same Redis neither takes our tasks nor sees our bindings.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 6 * 60 * 60,
    "global_keyprefix": env("CELERY_KEY_PREFIX", default="schools24:"),
}
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="schools24")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# --- Channels -------------------------------------------------------------------------------
# Why websockets closed with 1011 after ~5 s: channels-redis's RedisChannelLayer waits for each
# process's messages with BZPOPMIN for up to 5 s at a time, and redis-py 8 gives every connection
# a 5 s socket timeout by default, so an idle wait timed out on the client just as the server
# answered "nothing yet" and daphne closed the socket. The layer is now the pub/sub one: a
# group_send is one PUBLISH that each web process receives once and hands to all of its sockets
# in the group (the list layer pops one message per socket, about 6 s for 1,000 boards on the
# development machine), and it polls its subscription instead of blocking. Messages are at most
# once, which is what live hints are (apps/events). The read timeout stays above any wait,
# keepalive and a health check notice a Redis that went away while a connection sat idle.
CHANNEL_LAYERS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": REDIS_URL,
                    "socket_connect_timeout": 2,
                    "socket_timeout": 15,
                    "socket_keepalive": True,
                    "health_check_interval": 30,
                }
            ],
        },
    },
}
# Seconds between the {"type": "heartbeat"} messages every websocket sends while idle, so clients
# (browsers cannot see protocol pings) and proxies with idle timeouts both see traffic; daphne's
# own protocol pings (--ping-interval, default 20 s) close a connection whose peer is gone.
WEBSOCKET_HEARTBEAT_SECONDS = env.float("WEBSOCKET_HEARTBEAT_SECONDS", default=20)
# Dashboards are cached compressed for this long; events bump versions before that.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=30 * 60)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.users.tokens.RevocableJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.DefaultPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.errors.api_exception_handler",
    # Per client address, successes too: high enough for a whole school behind one NAT address.
    "DEFAULT_THROTTLE_RATES": {"login": env("LOGIN_RATE", default="300/min")},
    # DRF keys throttles on REMOTE_ADDR, which TrustedProxyMiddleware has already set; never on
    # the raw X-Forwarded-For header (DRF's default when this is None).
    "NUM_PROXIES": 0,
    "DEFAULT_METADATA_CLASS": "apps.core.metadata.Metadata",
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SIMPLE_JWT = {
    # Short: an access token cannot be revoked before it expires except by a password change or
    # "sign out everywhere" (apps/users/tokens.py); logging out revokes the refresh token.
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_TOKEN_MINUTES", default=10)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "TOKEN_OBTAIN_SERIALIZER": "apps.users.tokens.StampedTokenObtainSerializer",
    "TOKEN_REFRESH_SERIALIZER": "apps.users.tokens.RotatingRefreshSerializer",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Schools24 API",
    "DESCRIPTION": "REST API for the Schools24 mobile apps and integrations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the drf-spectacular-sidecar package, not a CDN: /api/docs/ works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI would otherwise load a validation badge from swagger.io on every page.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {
        "NotificationKindEnum": "apps.notifications.models.Kind.choices",
        "WarningKindEnum": "apps.analytics.models.WarningKind.choices",
        "AssessmentKindEnum": "apps.grades.models.AssessmentKind.choices",
        # Quizzes use one set of review moments for marks and for answers.
        "ReviewWhenEnum": "apps.quizzes.models.ReviewWhen",
        "InvoiceStatusEnum": "apps.fees.models.InvoiceStatus.choices",
    },
}

# --- Write buffer ---------------------------------------------------------------------------
WRITE_BUFFER = {
    # Above either limit new writes go straight to the database (backpressure, never loss).
    "MAX_PENDING_PER_MODEL": env.int("WRITE_BUFFER_MAX_PENDING_PER_MODEL", default=500_000),
    "MAX_MEMORY_BYTES": env.int("WRITE_BUFFER_MAX_MEMORY_BYTES", default=512 * 1024 * 1024),
    # Thresholds that trigger a sync before the hourly schedule.
    "FLUSH_AT_PENDING": env.int("WRITE_BUFFER_FLUSH_AT_PENDING", default=20_000),
    "FLUSH_AT_BYTES": env.int("WRITE_BUFFER_FLUSH_AT_BYTES", default=64 * 1024 * 1024),
    "FLUSH_AT_AGE_SECONDS": env.int("WRITE_BUFFER_FLUSH_AT_AGE_SECONDS", default=60 * 60),
    # One sync run reads at most this many entries per model, in batches of BATCH_SIZE.
    "BATCH_SIZE": env.int("WRITE_BUFFER_BATCH_SIZE", default=1000),
    "MAX_RECORDS_PER_RUN": env.int("WRITE_BUFFER_MAX_RECORDS_PER_RUN", default=200_000),
    # Models synced side by side, each on its own database connection.
    "SYNC_THREADS": env.int("WRITE_BUFFER_SYNC_THREADS", default=2),
    # One sync run at a time (a PostgreSQL advisory lock); off lets several workers sync at once.
    "SYNC_EXCLUSIVE": env.bool("WRITE_BUFFER_SYNC_EXCLUSIVE", default=True),
    # An entry delivered this many times without success goes to the dead-letter stream.
    "MAX_DELIVERIES": env.int("WRITE_BUFFER_MAX_DELIVERIES", default=5),
    # Entries a consumer has held this long are taken over (the consumer is presumed dead).
    "CLAIM_IDLE_SECONDS": env.int("WRITE_BUFFER_CLAIM_IDLE_SECONDS", default=300),
    "KEY_PREFIX": env("WRITE_BUFFER_KEY_PREFIX", default="wb"),
    # Policies forced per model label, e.g. {"quizzes.answer": "write_through"}.
    "POLICY_OVERRIDES": env.dict("WRITE_BUFFER_POLICY_OVERRIDES", default={}),
    # A buffered write is acknowledged only once this many replicas of its master hold it
    # (WAIT after the append); 0 acknowledges on the master alone. README, "Redis Cluster".
    "MIN_REPLICAS": env.int("WRITE_BUFFER_MIN_REPLICAS", default=0),
    "REPLICA_TIMEOUT_MS": env.int("WRITE_BUFFER_REPLICA_TIMEOUT_MS", default=1000),
}

# --- Domain events --------------------------------------------------------------------------
# Handlers (notifications, activity log, leaderboards) read a durable stream; see apps/events.
EVENTS = {
    # A handler that fails on one event this many times leaves it in "Failed events" (admin).
    "MAX_DELIVERIES": env.int("EVENTS_MAX_DELIVERIES", default=5),
    # An event a worker took and did not finish in this time is taken over by another worker.
    "CLAIM_IDLE_SECONDS": env.int("EVENTS_CLAIM_IDLE_SECONDS", default=60),
}

# --- Notifications and the activity log -----------------------------------------------------
# One provider class per channel; real gateways plug in here without code changes. The
# recording provider keeps messages in the database (admin: "Recorded messages").
NOTIFICATION_PROVIDERS = {
    "email": env(
        "NOTIFICATIONS_EMAIL_PROVIDER", default="apps.notifications.providers.EmailProvider"
    ),
    "sms": env(
        "NOTIFICATIONS_SMS_PROVIDER", default="apps.notifications.providers.RecordingProvider"
    ),
    "push": env(
        "NOTIFICATIONS_PUSH_PROVIDER", default="apps.notifications.providers.RecordingProvider"
    ),
}
NOTIFICATIONS = {
    # An absence alert waits this long, so a teacher's quick correction never reaches a parent.
    "ABSENCE_GRACE_SECONDS": env.int("NOTIFICATIONS_ABSENCE_GRACE_SECONDS", default=10 * 60),
    # A delivery claimed this long ago by a worker that never finished is sent again (same key).
    "SENDING_TIMEOUT_SECONDS": env.int("NOTIFICATIONS_SENDING_TIMEOUT_SECONDS", default=5 * 60),
    "MAX_ATTEMPTS": env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=8),
}
ACTIVITY_RETENTION_DAYS = env.int("ACTIVITY_RETENTION_DAYS", default=365)

# Logs: LOG_FORMAT "plain" (readable; the default here) or "json" (one object per line with
# timestamp, level, logger, message and request_id; production's default). schools24/logconfig.py.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)
DJANGO_GUID = guid_settings()
