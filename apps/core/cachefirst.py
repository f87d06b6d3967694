"""Cache-first reads of what requests decide from (the caller, the homework and its class, an
enrolment, an extension), so that a buffered write is accepted while PostgreSQL is away.

Each value is stored with the generation of its key. ``invalidate`` gives a key a new random
generation, so a value loaded from the database before an invalidation, and stored after it by
a slow reader, is never served (its generation no longer matches). A generation evicted by the
read cache's LRU makes the value a miss too: nothing stale survives eviction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.core.cache import caches
from django.db import transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Long enough to ride out a database outage; every change to the source invalidates at once.
TIMEOUT_SECONDS = 6 * 60 * 60
_MISSING = object()


def _generation_key(key: str) -> str:
    return f"{key}:gen"


def cache_first(key: str, load: Callable[[], T], *, timeout: int = TIMEOUT_SECONDS) -> T:
    """The cached value of ``key``, else ``load()`` (stored for the next caller)."""
    cache = caches["default"]
    generation_key = _generation_key(key)
    try:
        found = cache.get_many([key, generation_key])
    except RedisError as exc:
        logger.warning("read cache unavailable (%s); loading %s from the database", exc, key)
        return load()
    generation = found.get(generation_key)
    cached = found.get(key, _MISSING)
    if generation is not None and isinstance(cached, tuple) and cached[0] == generation:
        return cached[1]
    if generation is None:
        generation = uuid.uuid4().hex
        try:
            if not cache.add(generation_key, generation, timeout=timeout):
                generation = cache.get(generation_key)
        except RedisError:
            return load()
    value = load()
    try:
        cache.set(key, (generation, value), timeout=timeout)
        cache.touch(generation_key, timeout)
    except RedisError:
        pass
    return value


def invalidate(keys: Iterable[str]) -> None:
    """Make the given keys' cached values stale, now and (inside a transaction) again after
    the commit, so no reader caches what the transaction is about to change."""
    generation_keys = [_generation_key(key) for key in keys]
    if not generation_keys:
        return

    def bump() -> None:
        try:
            caches["default"].set_many(
                {key: uuid.uuid4().hex for key in generation_keys}, timeout=TIMEOUT_SECONDS
            )
        except RedisError as exc:
            logger.warning("read cache unavailable (%s); could not invalidate", exc)

    bump()
    transaction.on_commit(bump)
