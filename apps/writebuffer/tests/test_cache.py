"""``RedisFirstCache`` is a drop-in Django cache: every documented operation gives what Django's
own ``django.core.cache.backends.redis.RedisCache`` gives, return values, exceptions and
``CacheKeyWarning``s alike.

Both backends run the same table of operations, in order, against a redis-server of this test
(each in its own database, with the same key prefix, so warnings name the same keys; ``clear()``
flushes only that server).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.cache import BaseCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django_redis.cache import RedisCache as DjangoRedisBackend

from apps.writebuffer.cache import RedisFirstCache

LONG_KEY = "k" * 260

VALUES: dict[str, Any] = {
    "str": "text é",
    "bytes": b"\x00\xff",
    "int": 42,
    "negative": -7,
    "float": 1.5,
    "decimal": Decimal("12.30"),
    "true": True,
    "false": False,
    "list": [1, "a", None],
    "dict": {"nested": {"x": 1}},
    "tuple": (1, 2),
    "empty": "",
    "zero": 0,
}


def set_then_get(cache: BaseCache, key: str, value: Any, **kwargs: Any) -> Any:
    cache.set(key, value, **kwargs)
    return cache.get(key, **kwargs)


OPERATIONS: list[tuple[str, Callable[[BaseCache], Any]]] = [
    ("set returns None", lambda c: c.set("a", 1)),
    ("get", lambda c: c.get("a")),
    ("get missing", lambda c: c.get("missing")),
    ("get missing with default", lambda c: c.get("missing", "fallback")),
    ("add existing", lambda c: c.add("a", 2)),
    ("add new None value", lambda c: c.add("none", None)),
    ("get None value ignores default", lambda c: c.get("none", "fallback")),
    ("has_key None value", lambda c: c.has_key("none")),
    ("has_key missing", lambda c: c.has_key("missing")),
    ("set_many returns failed keys", lambda c: c.set_many({"b": "x", "d": {"n": [1, 2]}})),
    ("set_many empty", lambda c: c.set_many({})),
    ("get_many", lambda c: c.get_many(["a", "b", "d", "none", "missing"])),
    ("get_many empty", lambda c: c.get_many([])),
    ("delete existing", lambda c: c.delete("b")),
    ("delete missing", lambda c: c.delete("b")),
    ("delete_many empty", lambda c: c.delete_many([])),
    ("delete_many", lambda c: c.delete_many(["d", "missing"])),
    ("get deleted", lambda c: c.get_many(["b", "d"])),
    ("incr", lambda c: c.incr("a")),
    ("incr by delta", lambda c: c.incr("a", 10)),
    ("decr", lambda c: c.decr("a", 3)),
    ("negative incr", lambda c: c.incr("a", -20)),
    ("incr missing", lambda c: c.incr("missing")),
    ("decr missing", lambda c: c.decr("missing")),
    ("get after incr", lambda c: c.get("a")),
    ("touch existing", lambda c: c.touch("a", 300)),
    ("touch missing", lambda c: c.touch("missing")),
    ("set timeout 0 expires at once", lambda c: c.set("gone", 1, timeout=0)),
    ("get expired", lambda c: c.get("gone", "fallback")),
    ("set negative timeout", lambda c: c.set("gone", 1, timeout=-5)),
    ("get negative expired", lambda c: c.has_key("gone")),
    ("add timeout 0", lambda c: c.add("gone", 1, timeout=0)),
    ("set no timeout", lambda c: c.set("kept", "v", timeout=None)),
    ("touch to no timeout", lambda c: c.touch("kept", None)),
    ("get kept", lambda c: c.get("kept")),
    ("get_or_set new", lambda c: c.get_or_set("made", lambda: "by callable")),
    ("get_or_set existing", lambda c: c.get_or_set("made", "other")),
    ("get_or_set None default", lambda c: c.get_or_set("nothing", None)),
    ("has_key after get_or_set None", lambda c: c.has_key("nothing")),
    ("values of every kind", lambda c: c.set_many(VALUES)),
    ("values round trip", lambda c: c.get_many(list(VALUES))),
    ("bool stays bool", lambda c: type(c.get("true")).__name__),
    ("big int", lambda c: set_then_get(c, "big", 2**70)),
    ("incr on a string", lambda c: c.incr("str")),
    ("incr_version", lambda c: c.incr_version("a")),
    ("old version gone", lambda c: c.get("a")),
    ("new version there", lambda c: c.get("a", version=2)),
    ("incr_version of None value", lambda c: c.incr_version("none")),
    ("None value moved", lambda c: (c.has_key("none"), c.has_key("none", version=2))),
    ("decr_version of None value", lambda c: c.decr_version("none", version=2)),
    ("None value back", lambda c: (c.has_key("none"), c.get("none", "fallback"))),
    ("incr_version missing", lambda c: c.incr_version("missing")),
    ("decr_version missing", lambda c: c.decr_version("missing")),
    ("version argument", lambda c: set_then_get(c, "v", "one", version=7)),
    ("other version misses", lambda c: c.get("v")),
    ("long key warns", lambda c: c.set(LONG_KEY, 1)),
    ("long key still works", lambda c: c.get(LONG_KEY)),
    ("key with space warns", lambda c: c.set("a b", 1)),
    ("control character warns", lambda c: c.get("bell\x07")),
    ("add long key", lambda c: c.add(LONG_KEY, 2)),
    ("get_many with bad key", lambda c: c.get_many(["a b", LONG_KEY])),
    ("set_many with bad key", lambda c: c.set_many({"c d": 1})),
    ("delete_many with bad key", lambda c: c.delete_many(["c d", "x y"])),
    ("has_key bad key", lambda c: c.has_key("a b")),
    ("touch bad key", lambda c: c.touch("a b")),
    ("incr bad key", lambda c: c.incr("a b")),
    ("delete bad key", lambda c: c.delete("a b")),
    ("incr_version bad key", lambda c: c.incr_version(LONG_KEY)),
    ("get_or_set bad key", lambda c: c.get_or_set("e f", 3)),
    ("async set", lambda c: async_to_sync(c.aset)("async", [1, "two"])),
    ("async get", lambda c: async_to_sync(c.aget)("async")),
    ("async add", lambda c: async_to_sync(c.aadd)("async", 0)),
    ("async get_many", lambda c: async_to_sync(c.aget_many)(["async", "missing"])),
    ("async set_many", lambda c: async_to_sync(c.aset_many)({"a1": 1, "a2": 2})),
    ("async incr", lambda c: async_to_sync(c.aincr)("a1", 5)),
    ("async decr", lambda c: async_to_sync(c.adecr)("a2")),
    ("async delete_many empty", lambda c: async_to_sync(c.adelete_many)([])),
    ("async delete", lambda c: async_to_sync(c.adelete)("a1")),
    ("async has_key", lambda c: async_to_sync(c.ahas_key)("a2")),
    ("async touch", lambda c: async_to_sync(c.atouch)("a2", 60)),
    ("async get_or_set", lambda c: async_to_sync(c.aget_or_set)("ag", lambda: 9)),
    ("async incr_version", lambda c: async_to_sync(c.aincr_version)("ag")),
    ("async decr_version", lambda c: async_to_sync(c.adecr_version)("ag", version=2)),
    ("async long key warns", lambda c: async_to_sync(c.aget)(LONG_KEY)),
    ("clear", lambda c: c.clear()),
    ("empty after clear", lambda c: c.get_many(["a", "kept", "made", "async"])),
    ("async clear", lambda c: async_to_sync(c.aclear)()),
]


def outcome(cache: BaseCache, operation: Callable[[BaseCache], Any]) -> tuple:
    """What an operation returned or raised, and the warnings it gave (category and text)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result: tuple = ("returned", operation(cache))
        except Exception as error:  # noqa: BLE001 (the exception's type is what is compared)
            result = ("raised", type(error).__name__)
    return (*result, [(w.category.__name__, str(w.message)) for w in caught])


@pytest.fixture
def both_backends(redis_server):
    server = redis_server(appendonly=False)
    base = server.url.rsplit("/", 1)[0]
    params = {"KEY_PREFIX": "dropin", "TIMEOUT": 300}
    django_cache = DjangoRedisCache(f"{base}/0", params)
    ours = RedisFirstCache(
        f"{base}/1",
        {**params, "OPTIONS": {"COMPRESSOR": "apps.writebuffer.codecs.ZstdDictionaryCompressor"}},
    )
    yield django_cache, ours
    django_cache.close()
    ours.close()


@pytest.mark.django_db
def test_every_operation_gives_what_djangos_redis_backend_gives(both_backends):
    django_cache, ours = both_backends
    differences = []
    for name, operation in OPERATIONS:
        expected, got = outcome(django_cache, operation), outcome(ours, operation)
        if got != expected:
            differences.append(f"{name}: Django {expected!r}, ours {got!r}")
    assert differences == [], "\n".join(differences)


@pytest.mark.django_db
def test_the_table_catches_django_redis_own_departures(redis_server):
    """The table is not vacuous: django-redis's backend as it comes differs from Django's in
    the four ways the issue names, and the table reports each."""
    base = redis_server(appendonly=False).url.rsplit("/", 1)[0]
    params = {"KEY_PREFIX": "dropin", "TIMEOUT": 300}
    django_cache = DjangoRedisCache(f"{base}/0", params)
    plain = DjangoRedisBackend(f"{base}/1", params)
    departures = {
        "set_many returns failed keys": ("returned", None, []),
        "delete_many empty": ("returned", 0, []),
        "long key warns": ("returned", True, []),
        "incr_version of None value": ("raised", "ValueError", []),
    }
    seen = {}
    for name, operation in OPERATIONS:
        expected, got = outcome(django_cache, operation), outcome(plain, operation)
        if name in departures:
            assert got != expected
            seen[name] = got
    assert seen == departures
    django_cache.close()
    plain.close()


@pytest.mark.django_db
def test_an_unreachable_server_raises_what_djangos_backend_raises(redis_server):
    server = redis_server(appendonly=False)
    base = server.url.rsplit("/", 1)[0]
    # Each backend's own spelling of a one-second connect timeout.
    django_cache = DjangoRedisCache(
        f"{base}/0", {"KEY_PREFIX": "dropin", "OPTIONS": {"socket_connect_timeout": 1}}
    )
    ours = RedisFirstCache(
        f"{base}/1", {"KEY_PREFIX": "dropin", "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1}}
    )
    server.kill()

    for operation in (
        lambda c: c.get("a"),
        lambda c: c.set("a", 1),
        lambda c: c.get_many(["a", "b"]),
        lambda c: c.incr("a"),
    ):
        django_outcome = outcome(django_cache, operation)
        assert django_outcome[:2] == ("raised", "ConnectionError")
        assert outcome(ours, operation) == django_outcome
