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

from django.db import models, transaction
from redis.exceptions import RedisError

from apps.writebuffer import metrics, records, sink
from apps.writebuffer.cache import buffer_client
from apps.writebuffer.connection import buffer_settings
from apps.writebuffer.registry import Policy, Registration, registration_for

logger = logging.getLogger(__name__)

_version_lock = threading.Lock()
_last_version = 0


def next_version() -> int:
    """A strictly increasing version: microseconds since the epoch, bumped on collisions."""
    global _last_version
    with _version_lock:
        _last_version = max(time.time_ns() // 1000, _last_version + 1)
        return _last_version


def _validate(instance: models.Model) -> None:
    # Foreign keys are left out: checking them costs a query per write, and the calling service
    # has already loaded (and permission-checked) the objects it links to.
    exclude = [f.name for f in instance._meta.concrete_fields if f.is_relation]
    instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)


def _write_through(registration: Registration, instances: Sequence[models.Model]) -> None:
    with transaction.atomic():
        sink.upsert(registration.model, instances)
    for instance in instances:
        instance._state.adding = False


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


def buffered_save_many(instances: Sequence[models.Model], *, validate: bool = True) -> list:
    """Create or update several rows of one model in one round trip (e.g. a whole register)."""
    if not instances:
        return []
    registration = registration_for(type(instances[0]))
    for instance in instances:
        if validate:
            _validate(instance)
        instance.version = next_version()
    if registration.policy == Policy.WRITE_THROUGH:
        _write_through(registration, instances)
        return list(instances)

    payloads = [records.upsert_payload(instance) for instance in instances]
    settings = buffer_settings()
    fallback: list[models.Model] = []
    reason = ""
    try:
        if _over_memory_limit():
            fallback, reason = list(instances), "memory_limit"
        else:
            results = buffer_client().append_many(
                label=registration.label,
                items=[
                    (registration.partition_of(p["f"]), instance.pk, p)
                    for instance, p in zip(instances, payloads, strict=True)
                ],
                max_pending=settings["MAX_PENDING_PER_MODEL"],
            )
            for instance, (entry_id, pending) in zip(instances, results, strict=True):
                if entry_id is None:
                    fallback.append(instance)
                    reason = "pending_limit"
                else:
                    instance._state.adding = False
            if results:
                _maybe_request_flush(registration, results[-1][1])
    except RedisError as exc:
        # Some of the batch may have reached Redis before the error; writing all of it through
        # is still right: the same version written twice is a no-op for the versioned upsert.
        logger.warning("write buffer unavailable (%s); writing through to the database", exc)
        fallback, reason = list(instances), "redis_unavailable"
    if fallback:
        metrics.record_fallback(registration.label, reason, len(fallback))
        _write_through(registration, fallback)
    return list(instances)


def buffered_save(instance: models.Model, *, validate: bool = True) -> models.Model:
    """Create or update one row. Returns the instance, its ``id`` and ``version`` set."""
    buffered_save_many([instance], validate=validate)
    return instance


def buffered_delete(instance: models.Model) -> None:
    """Delete a row. Until the sync runs, reads see a tombstone and hide the row."""
    registration = registration_for(type(instance))
    version = next_version()
    if registration.policy == Policy.WRITE_BEHIND:
        try:
            entry_id, pending = buffer_client().append(
                label=registration.label,
                partition=registration.partition_of_instance(instance),
                pk=instance.pk,
                payload=records.delete_payload(registration, instance, version),
                max_pending=buffer_settings()["MAX_PENDING_PER_MODEL"],
            )
            if entry_id is not None:
                _maybe_request_flush(registration, pending)
                return
            reason = "pending_limit"
        except RedisError:
            reason = "redis_unavailable"
        metrics.record_fallback(registration.label, reason, 1)
    with transaction.atomic():
        sink.delete(registration.model, [(instance.pk, version)])


_flush_requested_at = 0.0


def _maybe_request_flush(registration: Registration, pending: int) -> None:
    """Ask for an early sync when a model's pending count passes its threshold.

    The request is deduplicated through Redis (one per 30 seconds across all processes); bytes
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
