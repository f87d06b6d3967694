"""The one way domain services write a buffered model: ``buffered_save`` / ``buffered_delete``.

A ``write_behind`` model's write is appended to its Redis log and acknowledged at once; the hourly
sync moves it into PostgreSQL. When the buffer is over its limits or its Redis is unreachable the
write goes straight to PostgreSQL instead (backpressure, never loss). A ``write_through`` model is
always written to PostgreSQL before the call returns, through the same versioned upsert.

Callers validate what only they can (foreign keys they loaded, permissions) before calling; these
calls validate each field's own value. Call them outside any transaction that may still roll back
after them: a buffered write is acknowledged the moment it is in Redis.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import TypeVar

from django.db import models, transaction
from redis.exceptions import RedisError

from apps.writebuffer import metrics, records, sink
from apps.writebuffer.cache import buffer_client
from apps.writebuffer.connection import buffer_settings, log_key
from apps.writebuffer.entries import MAX_SEQ, version_of
from apps.writebuffer.models import BufferedModel
from apps.writebuffer.registry import Policy, Registration, registration_for

logger = logging.getLogger(__name__)

_version_lock = threading.Lock()
_last_version = 0


def next_version() -> int:
    """A version for a write that bypasses the buffer, in the units of buffered versions
    (``ms * 10000 + seq``, see ``entries.version_of``), strictly increasing in this process.

    It is read from the buffer Redis's clock, which also stamps every buffered write: a web
    server whose own clock runs ahead must not make its direct write outrank later buffered
    ones (they would then be refused by the sync). Only when that Redis is unreachable does the
    local clock stand in.
    """
    global _last_version
    try:
        seconds, microseconds = buffer_client().redis.time()
        candidate = (seconds * 1000 + microseconds // 1000) * (MAX_SEQ + 1) + microseconds % 1000
    except RedisError:
        candidate = time.time_ns() // 1_000_000 * (MAX_SEQ + 1)
    with _version_lock:
        _last_version = max(candidate, _last_version + 1)
        return _last_version


def _validate(instance: models.Model) -> None:
    # Foreign keys are left out: checking them costs a query per write, and the calling service
    # has already loaded (and permission-checked) the objects it links to.
    exclude = [f.name for f in instance._meta.concrete_fields if f.is_relation]
    instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)


_memory_check: tuple[float, bool] = (0.0, False)


def _over_memory_limit() -> bool:
    """Whether the buffer's Redis uses more memory than allowed (checked at most once a second)."""
    global _memory_check
    checked_at, over = _memory_check
    if time.monotonic() - checked_at > 1.0:
        used = int(buffer_client().redis.info("memory").get("used_memory", 0))
        over = used >= buffer_settings()["MAX_MEMORY_BYTES"]
        _memory_check = (time.monotonic(), over)
    return over


# Deletes are appended past the limits: written straight to the database, a delete would leave
# no trace there, and an older pending write of the same row would bring it back at the sync.
_UNLIMITED = 2**53


def _append(
    registration: Registration, partition: str, write_records: list[dict], *, limited: bool = True
) -> tuple[int | None, str]:
    """Append to the buffer; returns (version, "") or (None, why it must go to the database)."""
    try:
        if limited and _over_memory_limit():
            return None, "memory_limit"
        version, pending = buffer_client().append(
            label=registration.label,
            partition=partition,
            records=write_records,
            max_pending=buffer_settings()["MAX_PENDING_PER_MODEL"] if limited else _UNLIMITED,
        )
    except RedisError as exc:
        logger.warning("write buffer unavailable (%s); writing through to the database", exc)
        return None, "redis_unavailable"
    if version is None:
        return None, "pending_limit"
    _maybe_request_flush(registration, pending)
    return version, ""


def _version_above_log(registration: Registration) -> int:
    """A version above every write in the model's log. A row written to the database because
    the buffer is full must beat its own older write still pending there, even when Redis gave
    that one a version in this same millisecond (or from a clock ahead of ours)."""
    try:
        info = buffer_client().redis.xinfo_stream(log_key(registration.label))
    except RedisError:  # no log yet, or Redis went away meanwhile
        return 0
    return version_of(info["last-generated-id"]) + 1


M = TypeVar("M", bound=BufferedModel)


def buffered_save_many(instances: Sequence[M], *, validate: bool = True) -> list[M]:
    """Create or update rows of one model; rows of one partition become one buffered write
    (a whole register of marks is one Redis entry and one round trip)."""
    if not instances:
        return []
    registration = registration_for(type(instances[0]))
    if len({instance.pk for instance in instances}) != len(instances):
        raise ValueError("buffered_save_many got the same row twice")
    if validate:
        for instance in instances:
            _validate(instance)
    if registration.policy == Policy.WRITE_BEHIND:
        by_partition: dict[str, list[M]] = {}
        for instance in instances:
            by_partition.setdefault(registration.partition_of_instance(instance), []).append(
                instance
            )
        fallback: list[M] = []
        version_floor = 0
        for partition, group in by_partition.items():
            version, reason = _append(
                registration, partition, [records.upsert_record(i) for i in group]
            )
            if version is None:
                metrics.record_fallback(registration.label, reason, len(group))
                fallback.extend(group)
                if reason != "redis_unavailable":
                    version_floor = _version_above_log(registration)
                continue
            for instance in group:
                instance.version = version
                instance._state.adding = False
    else:
        fallback, version_floor = list(instances), 0
    if fallback:
        # Also right after a Redis error mid-way: rewriting a row the buffer did get is harmless,
        # the newer version simply wins.
        rows = []
        for instance in fallback:
            instance.version = max(next_version(), version_floor)
            rows.append({**records.upsert_record(instance), "v": instance.version})
        with transaction.atomic():
            sink.upsert(registration.model, rows)
        for instance in fallback:
            instance._state.adding = False
    return list(instances)


def buffered_save(instance: M, *, validate: bool = True) -> M:
    """Create or update one row. Returns the instance, its ``id`` and ``version`` set."""
    buffered_save_many([instance], validate=validate)
    return instance


def buffered_delete(instance: BufferedModel) -> None:
    """Delete a row. Until the sync runs, reads see a tombstone and hide the row."""
    registration = registration_for(type(instance))
    if registration.policy == Policy.WRITE_BEHIND:
        version, reason = _append(
            registration,
            registration.partition_of_instance(instance),
            [records.delete_record(instance)],
            limited=False,
        )
        if version is not None:
            return
        metrics.record_fallback(registration.label, reason, 1)
    with transaction.atomic():
        sink.delete(registration.model, [(instance.pk, next_version())])


_flush_requested_at = 0.0


def _maybe_request_flush(registration: Registration, pending: int) -> None:
    """Ask for an early sync when a model's pending writes pass the threshold.

    Deduplicated here (every 5 s per process) and in Redis (every 30 s across processes); bytes
    and age thresholds are checked by the periodic ``check_thresholds`` task.
    """
    global _flush_requested_at
    if pending < buffer_settings()["FLUSH_AT_PENDING"]:
        return
    if time.monotonic() - _flush_requested_at < 5:
        return
    _flush_requested_at = time.monotonic()
    from apps.writebuffer.tasks import request_sync

    request_sync(trigger=f"threshold:pending:{registration.label}")
