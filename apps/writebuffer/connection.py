"""The buffer's Redis client and key names.

The buffer talks to Redis through the ``writebuffer`` cache alias (our django-redis backend), so it
shares that backend's connection pool, timeouts and codecs. Every key of one model carries the
model label as a hash tag (``wb:{homework.submission}:log``), so a Redis Cluster keeps a model's
log, indexes and dead letters in one slot and the Lua scripts stay valid there.
"""

from __future__ import annotations

from django.conf import settings
from django_redis import get_redis_connection
from redis import Redis

CACHE_ALIAS = "writebuffer"


def buffer_settings() -> dict:
    return settings.WRITE_BUFFER


def redis_client() -> Redis:
    return get_redis_connection(CACHE_ALIAS)


def key_prefix() -> str:
    return buffer_settings().get("KEY_PREFIX", "wb")


def model_key(label: str, suffix: str) -> str:
    return f"{key_prefix()}:{{{label}}}:{suffix}"


def log_key(label: str) -> str:
    return model_key(label, "log")


def index_key(label: str, partition: str) -> str:
    return model_key(label, f"ix:{partition}")


def index_pattern(label: str) -> str:
    return model_key(label, "ix:*")


def ids_key(label: str) -> str:
    return model_key(label, "ids")


def dead_key(label: str) -> str:
    return model_key(label, "dead")


def failures_key(label: str) -> str:
    return model_key(label, "failures")


def stats_key() -> str:
    return f"{key_prefix()}:stats"


def global_key(suffix: str) -> str:
    return f"{key_prefix()}:{suffix}"


SYNC_GROUP = "sync"
