"""Test settings: real PostgreSQL and real Redis (never SQLite or an in-memory cache)."""

import os

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, REST_FRAMEWORK, WRITE_BUFFER, env

DATABASES["default"] = env.db(
    "DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/schools24"
)
DATABASES["default"]["OPTIONS"] = {}  # no pool: tests open and drop databases
DATABASES["default"]["TEST"] = {"NAME": "test_schools24"}

# Each pytest-xdist worker (if used) gets its own key prefix so parallel tests never share keys.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
for _cache in CACHES.values():
    _cache["KEY_PREFIX"] = f"s24test-{_worker}"
WRITE_BUFFER["KEY_PREFIX"] = f"wbtest-{_worker}"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"login": "1000/min"}
MEDIA_ROOT = env.path("MEDIA_ROOT", default="/tmp/schools24-test-media")
CELERY_TASK_ALWAYS_EAGER = False

INSTALLED_APPS = [*INSTALLED_APPS, "apps.writebuffer.tests.sample"]  # noqa: F405
WRITE_BUFFER["CLAIM_IDLE_SECONDS"] = env.int("WRITE_BUFFER_CLAIM_IDLE_SECONDS", default=1)
WRITE_BUFFER["MAX_DELIVERIES"] = 3
