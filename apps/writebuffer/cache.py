"""The custom cache backend: django-redis's RedisCache, with our codecs, that can be the buffer.

Configured twice in settings, both with a codec of ``codecs.py`` as the compressor: as the read
cache (``default``, django-redis's own client) and as ``writebuffer``, whose ``CLIENT_CLASS``
``client.WriteBufferClient`` adds the buffer's stream operations.

As a cache it is a drop-in Django backend: every operation of Django's documented cache API
returns, raises and warns exactly as Django's own ``django.core.cache.backends.redis.RedisCache``
does (``tests/test_cache.py`` runs both through the same table). django-redis departs from that
in places (``set`` returns a bool, ``set_many`` nothing, ``delete_many`` a count, no
``CacheKeyWarning``, ``incr_version`` refuses a key holding ``None``, its own exception type for
an unreachable server); those are mended here, and django-redis's extras (``ttl``, ``lock``,
``nx=``...) stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted

from apps.writebuffer.client import WriteBufferClient
from apps.writebuffer.connection import CACHE_ALIAS
from apps.writebuffer.metrics import record_cache_lookups

_MISSING = object()


@contextmanager
def _redis_errors() -> Iterator[None]:
    """Raise redis-py's own error, as Django's backend does, not django-redis's wrapper."""
    try:
        yield
    except ConnectionInterrupted as error:
        raise (error.__cause__ or error) from None


class RedisFirstCache(RedisCache):
    @property
    def buffer(self) -> WriteBufferClient:
        client = self.client
        if not isinstance(client, WriteBufferClient):
            raise TypeError(
                "this cache's CLIENT_CLASS must be apps.writebuffer.client.WriteBufferClient"
            )
        return client

    @property
    def _counts_lookups(self) -> bool:
        """Hits and misses are counted for the read cache, not for the buffer's client."""
        return not isinstance(self.client, WriteBufferClient)

    def _validate(self, keys: Iterable[Any], version: int | None) -> None:
        for key in keys:
            self.make_and_validate_key(key, version=version)

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version=None, **kw) -> bool:
        self._validate([key], version)
        with _redis_errors():
            return super().add(key, value, timeout=timeout, version=version, **kw)

    def get(self, key: Any, default: Any = None, version=None, **kw) -> Any:
        self._validate([key], version)
        with _redis_errors():
            value = super().get(key, default=_MISSING, version=version, **kw)
        if self._counts_lookups:
            record_cache_lookups(hits=int(value is not _MISSING), misses=int(value is _MISSING))
        return default if value is _MISSING else value

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version=None, **kw) -> Any:
        self._validate([key], version)
        with _redis_errors():
            stored = super().set(key, value, timeout=timeout, version=version, **kw)
        # Django's set() returns nothing; django-redis's nx=/xx= extension answers whether it set.
        return stored if kw.get("nx") or kw.get("xx") else None

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version=None, **kw) -> bool:
        self._validate([key], version)
        with _redis_errors():
            return super().touch(key, timeout=timeout, version=version, **kw)

    def delete(self, key: Any, version=None, **kw) -> bool:
        self._validate([key], version)
        with _redis_errors():
            return bool(super().delete(key, version=version, **kw))

    def has_key(self, key: Any, version=None, **kw) -> bool:
        self._validate([key], version)
        with _redis_errors():
            return super().has_key(key, version=version, **kw)

    def get_many(self, keys: Iterable[Any], version=None, **kw) -> dict[Any, Any]:
        keys = list(keys)
        self._validate(keys, version)
        with _redis_errors():
            found = super().get_many(keys, version=version, **kw) if keys else {}
        if self._counts_lookups:
            record_cache_lookups(hits=len(found), misses=len(set(keys)) - len(found))
        return found

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version=None, **kw
    ) -> list[Any]:
        self._validate(data, version)
        if data:
            with _redis_errors():
                super().set_many(data, timeout=timeout, version=version, **kw)
        return []  # the keys that failed: with Redis, none (a failure raises)

    def delete_many(self, keys: Iterable[Any], version=None, **kw) -> None:
        keys = list(keys)
        self._validate(keys, version)
        if keys:
            with _redis_errors():
                super().delete_many(keys, version=version, **kw)

    def incr(self, key: Any, delta: int = 1, version=None, **kw) -> int:
        # Django's semantics: a missing key is a ValueError, and Redis's INCR does the rest (a
        # value that is not an integer is Redis's error, not a silent read-modify-write).
        made = self.make_and_validate_key(key, version=version)
        with _redis_errors():
            client = self.client.get_client(write=True)
        if not client.exists(made):
            raise ValueError(f"Key '{made}' not found.")
        return client.incr(made, delta)

    def decr(self, key: Any, delta: int = 1, version=None, **kw) -> int:
        return self.incr(key, -delta, version=version)

    # Django's own: moves any value, None included, through this backend's get/set/delete.
    incr_version = BaseCache.incr_version
    decr_version = BaseCache.decr_version

    def clear(self) -> bool:
        with _redis_errors():
            super().clear()
        return True


def buffer_client() -> WriteBufferClient:
    return cast(RedisFirstCache, caches[CACHE_ALIAS]).buffer


def read_cache() -> RedisFirstCache:
    """The ``default`` cache as settings configure it: with django-redis's ``lock``."""
    return cast(RedisFirstCache, caches["default"])
