"""The custom cache backend: django-redis's RedisCache, with our codecs, that can be the buffer.

Configured twice in settings, both with a codec of ``codecs.py`` as the compressor: as the read
cache (``default``, django-redis's own client) and as ``writebuffer``, whose ``CLIENT_CLASS``
``client.WriteBufferClient`` adds the buffer's stream operations. Everything a cache does
(get/set, timeouts, key prefixes) is django-redis's own.
"""

from __future__ import annotations

from typing import cast

from django.core.cache import caches
from django_redis.cache import RedisCache

from apps.writebuffer.client import WriteBufferClient
from apps.writebuffer.connection import CACHE_ALIAS


class RedisFirstCache(RedisCache):
    @property
    def buffer(self) -> WriteBufferClient:
        client = self.client
        if not isinstance(client, WriteBufferClient):
            raise TypeError(
                "this cache's CLIENT_CLASS must be apps.writebuffer.client.WriteBufferClient"
            )
        return client


def buffer_client() -> WriteBufferClient:
    return cast(RedisFirstCache, caches[CACHE_ALIAS]).buffer


def read_cache() -> RedisFirstCache:
    """The ``default`` cache as settings configure it: with django-redis's ``lock``."""
    return cast(RedisFirstCache, caches["default"])
