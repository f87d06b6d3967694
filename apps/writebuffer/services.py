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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from django.db import models, transaction
from redis.exceptions import LockError, RedisError

from apps.writebuffer import cluster, metrics, records, sink
from apps.writebuffer.cache import buffer_client
from apps.writebuffer.connection import buffer_settings, log_key, model_key
from apps.writebuffer.entries import MAX_SEQ, version_of
from apps.writebuffer.errors import BufferUnavailable, ReplicasBehind
from apps.writebuffer.models import BufferedModel
from apps.writebuffer.registry import Policy, Registration, registration_for

logger = logging.getLogger(__name__)

_version_lock = threading.Lock()
_last_version = 0


def next_version(label: str | None = None) -> int:
    """A version for a write that bypasses the buffer, in the units of buffered versions
    (``ms * 10000 + seq``, see ``entries.version_of``), strictly increasing in this process.

    It is read from the buffer Redis's clock, which also stamps every buffered write: a web
    server whose own clock runs ahead must not make its direct write outrank later buffered
    ones (they would then be refused by the sync). On a Redis Cluster that is the clock of the
    master holding the model's log (``label``). Only when that Redis is unreachable does the
    local clock stand in.
    """
    global _last_version
    try:
        client = buffer_client().redis
        with cluster.refreshing(client):
            node = cluster.node_for_key(client, log_key(label)) if label else client
            seconds, microseconds = node.time()
        candidate = (seconds * 1000 + microseconds // 1000) * (MAX_SEQ + 1) + microseconds % 1000
    except RedisError:
        candidate = time.time_ns() // 1_000_000 * (MAX_SEQ + 1)
    with _version_lock:
        _last_version = max(candidate, _last_version + 1)
        return _last_version


def _attach_known(instances: Sequence[models.Model], known: Sequence[models.Model]) -> None:
    """Give each instance's foreign keys the objects the caller already loaded (by model and
    pk), so validating them (the same-school check) reads nothing from the database."""
    # ``obj._meta``, not ``type(obj)._meta``: a request's user is a lazy proxy of the model.
    by_key = {(obj._meta.concrete_model, obj.pk): obj for obj in known}
    for instance in instances:
        for field in instance._meta.concrete_fields:
            if not isinstance(field, models.ForeignKey) or field.is_cached(instance):
                continue
            related = field.related_model
            if not isinstance(related, type):
                continue
            obj = by_key.get((related._meta.concrete_model, field.value_from_object(instance)))
            if obj is not None:
                field.set_cached_value(instance, obj)


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
        over = buffer_client().used_memory() >= buffer_settings()["MAX_MEMORY_BYTES"]
        _memory_check = (time.monotonic(), over)
    return over


# Deletes are appended past the limits: written straight to the database, a delete would leave
# no trace there, and an older pending write of the same row would bring it back at the sync.
_UNLIMITED = 2**53


def _append(
    registration: Registration,
    partition: str,
    write_records: list[dict],
    *,
    limited: bool = True,
    fallback: bool = True,
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
            hold_ids=registration.client_ids,
        )
    except ReplicasBehind as exc:
        # The entry is in the master's log but may not survive its failover: not acknowledged.
        # Written through, the row must outrank that entry (which the sync still applies).
        if not fallback:
            raise BufferUnavailable(str(exc)) from exc
        logger.warning("write buffer replicas behind (%s); writing through to the database", exc)
        return None, "replicas_behind"
    except RedisError as exc:
        if not fallback:
            raise BufferUnavailable(str(exc)) from exc
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


def buffered_save_many(
    instances: Sequence[M],
    *,
    validate: bool = True,
    created: bool | None = None,
    fallback: bool = True,
    known: Sequence[models.Model] = (),
) -> list[M]:
    """Create or update rows of one model; rows of one partition become one buffered write
    (a whole register of marks is one Redis entry and one round trip).

    ``created`` says what the caller already knows (all new rows, or all existing ones), so
    ``auto_now_add`` fields get their value or keep it; None leaves it to each instance.
    ``known`` are objects the caller already loaded (the homework, the student): the rows'
    foreign keys to them are validated without reading them again.
    ``fallback=False`` is for writes decided under a ``partition_lock`` from the pending writes:
    if the buffer's Redis goes away meanwhile, writing to the database instead could race
    a write decided under a lock taken on a restarted Redis, so ``BufferUnavailable`` is raised
    (the API answers 503) and nothing is written.
    """
    if not instances:
        return []
    registration = registration_for(type(instances[0]))
    if len({instance.pk for instance in instances}) != len(instances):
        raise ValueError("buffered_save_many got the same row twice")
    if created is not None:
        for instance in instances:
            instance._state.adding = created
    _attach_known(instances, known)
    if validate:
        for instance in instances:
            _validate(instance)
    if registration.policy == Policy.WRITE_BEHIND:
        by_partition: dict[str, list[M]] = {}
        for instance in instances:
            by_partition.setdefault(registration.partition_of_instance(instance), []).append(
                instance
            )
        direct: list[M] = []
        version_floor = 0
        for partition, group in by_partition.items():
            version, reason = _append(
                registration,
                partition,
                [records.upsert_record(i) for i in group],
                fallback=fallback,
            )
            if version is None:
                metrics.record_fallback(registration.label, reason, len(group))
                direct.extend(group)
                if reason != "redis_unavailable":
                    version_floor = _version_above_log(registration)
                continue
            for instance in group:
                instance.version = version
                instance._state.adding = False
    else:
        direct, version_floor = list(instances), 0
    if direct:
        # Also right after a Redis error mid-way: rewriting a row the buffer did get is harmless,
        # the newer version simply wins.
        rows = []
        for instance in direct:
            instance.version = max(next_version(registration.label), version_floor)
            rows.append({**records.upsert_record(instance), "v": instance.version})
        with transaction.atomic():
            sink.upsert(registration.model, rows, partition_field=registration.partition_field)
            on_stored = registration.on_stored
            if on_stored is not None:
                transaction.on_commit(lambda: on_stored(rows))
        for instance in direct:
            instance._state.adding = False
    return list(instances)


def buffered_save(
    instance: M,
    *,
    validate: bool = True,
    created: bool | None = None,
    fallback: bool = True,
    known: Sequence[models.Model] = (),
) -> M:
    """Create or update one row. Returns the instance, its ``id`` and ``version`` set."""
    buffered_save_many(
        [instance], validate=validate, created=created, fallback=fallback, known=known
    )
    return instance


@contextmanager
def partition_lock(
    model: type[models.Model], name: str, *, timeout: float = 10, wait: float = 8
) -> Iterator[None]:
    """Serialise the decisions one service makes from a part of a model's pending and stored
    rows (one student's attempts at a homework, one register's marks).

    The lock lives on the buffer's Redis, next to the log it protects (the read cache may evict
    it), and expires ``timeout`` seconds after its holder died. Without that Redis, or after
    ``wait`` seconds of waiting, no such decision is safe: ``BufferUnavailable`` (503 with
    Retry-After, rather than a request left hanging).
    """
    registration = registration_for(model)
    lock = buffer_client().redis.lock(
        model_key(registration.label, f"lock:{name}"), timeout=timeout, blocking_timeout=wait
    )
    try:
        acquired = lock.acquire()
    except RedisError as exc:
        raise BufferUnavailable(str(exc)) from exc
    if not acquired:
        raise BufferUnavailable(f"lock {name} of {registration.label} stayed busy")
    try:
        yield
    finally:
        try:
            lock.release()
        except (RedisError, LockError):
            # Redis went away (its restart dropped the lock) or the lock expired: either way
            # nobody holds it for us any more, and what we wrote stands on its own.
            logger.warning("write buffer: lock %s of %s was lost", name, registration.label)


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
        sink.delete(registration.model, [(instance.pk, next_version(registration.label))])


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
