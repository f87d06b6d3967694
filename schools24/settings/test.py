"""Test settings: real PostgreSQL and real Redis (never SQLite or an in-memory cache)."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, REST_FRAMEWORK, WRITE_BUFFER, env

_production_options = DATABASES["default"].get("OPTIONS", {})
DATABASES["default"] = env.db_url_config(
    env.str("DATABASE_URL", default="") or "postgres://postgres@127.0.0.1:5432/schools24"
)
# No pool in the test process (tests open and drop databases); a server process a test starts
# runs with production's pool and timeouts (DATABASE_POOL=1), as the thing under test.
DATABASES["default"]["OPTIONS"] = {}
if env.bool("DATABASE_POOL", default=False):
    DATABASES["default"]["OPTIONS"] = _production_options
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Test runs on one machine must not share a database or Redis keys: each run gets an id, which
# processes the tests start (Celery workers, commands) inherit through the environment.
_run = os.environ.setdefault("SCHOOLS24_TEST_RUN", str(os.getpid()))
DATABASES["default"]["TEST"] = {"NAME": f"test_schools24_{_run}"}
# A replica alias in every test run: with no replica configured it mirrors the test database
# (tests that do not list it in ``databases`` read from the primary); a process a test starts
# against a real primary/standby pair gets DATABASE_REPLICA_URLS instead.
if "replica" not in DATABASES:
    DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
for _alias in DATABASES:
    if _alias.startswith("replica"):
        DATABASES[_alias]["OPTIONS"] = DATABASES["default"]["OPTIONS"]
_worker = f"{_run}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
for _cache in CACHES.values():
    _cache["KEY_PREFIX"] = f"s24test-{_worker}"
WRITE_BUFFER["KEY_PREFIX"] = f"wbtest-{_worker}"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"login": "100000/min"}
MEDIA_ROOT = env.path(
    "MEDIA_ROOT", default=str(Path(tempfile.gettempdir()) / "schools24-test-media")
)
CELERY_TASK_ALWAYS_EAGER = False

INSTALLED_APPS = [*INSTALLED_APPS, "apps.writebuffer.tests.sample"]  # noqa: F405
WRITE_BUFFER["CLAIM_IDLE_SECONDS"] = env.int("WRITE_BUFFER_CLAIM_IDLE_SECONDS", default=1)
WRITE_BUFFER["MAX_DELIVERIES"] = 3
CELERY_TASK_DEFAULT_QUEUE = f"schools24-test-{_run}"
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"asgi-test-{_run}"  # noqa: F405
STATIC_ROOT = None  # nothing is collected in tests; WhiteNoise serves from the app finders
WHITENOISE_USE_FINDERS = True
EVENTS = {**EVENTS, "CLAIM_IDLE_SECONDS": 1, "MAX_DELIVERIES": 3}  # noqa: F405
