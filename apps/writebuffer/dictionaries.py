"""Compression dictionaries: trained from real buffered records, versioned, never deleted.

PostgreSQL is the source of truth; each dictionary is also mirrored into the buffer's Redis so a
process can decode pending entries while PostgreSQL is down. Dictionaries are immutable, so each
process caches them by id forever; only "which one is active" is re-read, every few seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import cast

import zstandard
from django.db import transaction
from django_redis.exceptions import CompressorError
from redis.exceptions import RedisError

from apps.writebuffer.connection import global_key, redis_client
from apps.writebuffer.models import CompressionDictionary

logger = logging.getLogger(__name__)

DICTIONARY_SIZE = 16 * 1024
ACTIVE_REFRESH_SECONDS = 10.0

_lock = threading.Lock()
_by_id: dict[int, zstandard.ZstdCompressionDict] = {}
_active: tuple[float, int | None] = (0.0, None)


def _active_key() -> str:
    return global_key("dict:active")


def _data_key(dictionary_id: int) -> str:
    return global_key(f"dict:{dictionary_id}")


def _load(dictionary_id: int) -> zstandard.ZstdCompressionDict | None:
    data: bytes | None = None
    try:
        data = cast(bytes | None, redis_client().get(_data_key(dictionary_id)))
    except RedisError:
        logger.warning("could not read dictionary %s from Redis", dictionary_id)
    if data is None:
        row = CompressionDictionary.objects.filter(pk=dictionary_id).values_list("data", flat=True)
        data = bytes(row[0]) if row else None
    if data is None:
        return None
    dictionary = zstandard.ZstdCompressionDict(data)
    dictionary.precompute_compress(level=3)
    return dictionary


def dictionary_by_id(dictionary_id: int) -> zstandard.ZstdCompressionDict:
    dictionary = _by_id.get(dictionary_id)
    if dictionary is None:
        with _lock:
            dictionary = _by_id.get(dictionary_id) or _load(dictionary_id)
            if dictionary is None:
                raise CompressorError(f"compression dictionary {dictionary_id} does not exist")
            _by_id[dictionary_id] = dictionary
    return dictionary


def active_dictionary() -> tuple[int, zstandard.ZstdCompressionDict] | None:
    """The dictionary new payloads use, or None (then payloads use plain zstd)."""
    global _active
    checked_at, dictionary_id = _active
    if time.monotonic() - checked_at > ACTIVE_REFRESH_SECONDS:
        try:
            raw = redis_client().get(_active_key())
            dictionary_id = int(raw) if raw else None
        except RedisError:
            pass  # keep using what we had; a Redis outage must not change the codec
        _active = (time.monotonic(), dictionary_id)
    if dictionary_id is None:
        return None
    try:
        return dictionary_id, dictionary_by_id(dictionary_id)
    except Exception:  # noqa: BLE001 - no dictionary means plain zstd, never a failed write
        logger.warning("active dictionary %s unavailable; writing plain zstd", dictionary_id)
        return None


def forget_active() -> None:
    """Make the next write re-read the active dictionary (after training, and in tests)."""
    global _active
    _active = (0.0, None)


def dictionary_train(*, samples: list[bytes], activate: bool = True) -> CompressionDictionary:
    """Train a dictionary from raw (uncompressed) record samples and make it the active one."""
    if len(samples) < 100:
        raise ValueError(
            f"need at least 100 sample records to train a dictionary, have {len(samples)}; "
            "let some writes accumulate in the buffer (or run seed_demo) and try again"
        )
    trained = zstandard.train_dictionary(DICTIONARY_SIZE, samples, level=3)
    data = trained.as_bytes()
    with transaction.atomic():
        if activate:
            CompressionDictionary.objects.filter(is_active=True).update(is_active=False)
        row = CompressionDictionary.objects.create(
            data=data,
            size_bytes=len(data),
            sample_count=len(samples),
            sample_bytes=sum(len(sample) for sample in samples),
            is_active=activate,
        )
    client = redis_client()
    client.set(_data_key(row.id), data)
    if activate:
        client.set(_active_key(), row.id)
    forget_active()
    return row


def dictionary_use(dictionary_id: int) -> None:
    """Make this buffer Redis encode new payloads with a stored dictionary (without changing which
    one PostgreSQL records as active; the benchmark's private Redis uses this)."""
    row = CompressionDictionary.objects.get(pk=dictionary_id)
    client = redis_client()
    client.set(_data_key(row.id), bytes(row.data))
    client.set(_active_key(), row.id)
    forget_active()
