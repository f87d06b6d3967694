"""The custom cache backend: django-redis's RedisCache whose client also speaks the write buffer.

Configured twice in settings: as the read cache (``default``) and as ``writebuffer``, with
``CLIENT_CLASS`` = ``client.WriteBufferClient`` and one of the codecs in ``codecs.py`` as its
compressor. Everything a cache does (get/set, timeouts, key prefixes) is django-redis's own.
"""

from __future__ import annotations

from django.core.cache import caches
from django_redis.cache import RedisCache

from apps.writebuffer.client import WriteBufferClient
from apps.writebuffer.connection import CACHE_ALIAS


class WriteBufferCache(RedisCache):
    @property
    def buffer(self) -> WriteBufferClient:
        client = self.client
        if not isinstance(client, WriteBufferClient):
            raise TypeError(
                "this cache's CLIENT_CLASS must be apps.writebuffer.client.WriteBufferClient"
            )
        return client


def buffer_client() -> WriteBufferClient:
    return caches[CACHE_ALIAS].buffer
