"""The sync: move buffered writes from the Redis logs into PostgreSQL, in batches.

For each model: take over entries a dead consumer held (XAUTOCLAIM), then read new ones
(XREADGROUP), keep the newest version of each row, write the batch in one transaction with the
versioned upsert, and acknowledge only after the commit. A crash between commit and ack means a
redelivery, which the version guard turns into a no-op.

A batch that fails is retried entry by entry, so one bad record never blocks the rest. An entry that
fails on its own is released for the next run; after ``MAX_DELIVERIES`` failures it moves to the
dead-letter stream. When the database itself is unreachable nothing is counted against the
entries: they are released and the run stops, and the task retries with backoff.

Runs are single-flight (a PostgreSQL advisory lock, released by PostgreSQL if the worker dies) and
bounded (``MAX_RECORDS_PER_RUN``); even without the lock two runs at once would be safe, since the
consumer group hands each entry to one of them and the upsert is idempotent. ``exclusive=False``
(``WRITE_BUFFER_SYNC_EXCLUSIVE=0`` for the task) skips the lock, so several workers sync side by
side (``manage.py bench_sync_scaling`` measures what that buys). Rows are written in id order, so
two batches that share rows lock them in the same order and cannot deadlock.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.utils import timezone

from apps.writebuffer import dictionaries, records, sink
from apps.writebuffer.cache import buffer_client
from apps.writebuffer.connection import buffer_settings, global_key, log_key, stats_key
from apps.writebuffer.entries import Entry
from apps.writebuffer.models import SyncRun
from apps.writebuffer.registry import Registration, registrations

logger = logging.getLogger(__name__)

# Any fixed 64-bit number, unique to this lock within the database.
ADVISORY_LOCK_ID = 0x5C4001524_0001

# Test hook: a process with this variable set pauses after committing a batch and before
# acknowledging it, writing the marker file first, so a test can SIGKILL it at exactly that point.
PAUSE_AFTER_COMMIT_ENV = "WRITEBUFFER_PAUSE_AFTER_COMMIT"
# How long that pause lasts (default: an hour, i.e. until the test kills the worker).
PAUSE_SECONDS_ENV = "WRITEBUFFER_PAUSE_SECONDS"


class DatabaseUnavailable(Exception):
    """PostgreSQL could not be reached; the run stopped and its entries were released."""


@dataclass
class ModelResult:
    synced: int = 0
    failed: int = 0
    dead_lettered: int = 0
    freed_bytes: int = 0


@dataclass
class SyncResult:
    ran: bool = True
    models: dict[str, ModelResult] = field(default_factory=dict)

    @property
    def synced(self) -> int:
        return sum(result.synced for result in self.models.values())

    @property
    def failed(self) -> int:
        return sum(result.failed for result in self.models.values())

    @property
    def dead_lettered(self) -> int:
        return sum(result.dead_lettered for result in self.models.values())

    @property
    def freed_bytes(self) -> int:
        return sum(result.freed_bytes for result in self.models.values())


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def _is_unreachable(exc: Exception) -> bool:
    return isinstance(exc, (OperationalError, InterfaceError))


@contextmanager
def sync_lock() -> Iterator[bool]:
    if connection.vendor == "postgresql":
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_ID])
                acquired = cursor.fetchone()[0]
        except (OperationalError, InterfaceError) as exc:
            # Down before the run began: the task retries with backoff, as it does mid-run.
            connection.close()
            raise DatabaseUnavailable(str(exc)) from exc
        try:
            yield acquired
        finally:
            # A run that lost its connection lost the lock with it (PostgreSQL releases a dead
            # session's locks); unlocking on a new connection could only warn, or fail and hide
            # the DatabaseUnavailable the task retries on.
            if acquired and connection.connection is not None:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_ID])
        return
    # SQLite (local development): a Redis lock with an expiry longer than any run.
    lock = buffer_client().redis.lock(global_key("sync:lock"), timeout=30 * 60)
    acquired = lock.acquire(blocking=False)
    try:
        yield acquired
    finally:
        if acquired:
            lock.release()


def _apply(registration: Registration, entries: list[Entry]) -> None:
    """Write the newest version of each row among ``entries`` in one transaction."""
    newest: dict[str, dict] = {}
    for entry in entries:
        for record in entry.records:
            current = newest.get(record["k"])
            if current is None or current["v"] <= record["v"]:
                newest[record["k"]] = record
    model = registration.model
    ordered = [newest[pk] for pk in sorted(newest)]
    upserts = [record for record in ordered if record["o"] == records.UPSERT]
    deletes = [
        (uuid.UUID(record["k"]), record["v"]) for record in ordered if record["o"] == records.DELETE
    ]
    with transaction.atomic():
        sink.upsert(model, upserts, partition_field=registration.partition_field)
        sink.delete(model, deletes)
    if registration.on_stored is not None:
        # After the commit and before the ack: a reader that no longer finds the write pending
        # must not find a copy derived from the database as it was before.
        registration.on_stored([*upserts, *({"k": str(pk)} for pk, _ in deletes)])


def _pause_for_fault_test() -> None:
    marker = os.environ.get(PAUSE_AFTER_COMMIT_ENV)
    if marker:
        with open(marker, "w") as handle:
            handle.write(str(os.getpid()))
        time.sleep(float(os.environ.get(PAUSE_SECONDS_ENV, "3600")))


class _ModelSync:
    def __init__(self, registration: Registration, consumer: str) -> None:
        self.registration = registration
        self.label = registration.label
        self.consumer = consumer
        self.client = buffer_client()
        self.settings = buffer_settings()
        self.result = ModelResult()

    def _fail(self, entry: Entry, error: str, failed_pks: set[str] | None) -> int:
        """Charge ``entry`` a failure; dead-letter it after too many. Returns its failures."""
        failures = self.client.record_failure(self.label, entry.entry_id)
        if failures >= self.settings["MAX_DELIVERIES"]:
            logger.error(
                "write buffer: %s entry %s failed %d times; moved to dead letters: %s",
                self.label,
                entry.entry_id,
                failures,
                error,
            )
            self.client.dead_letter(
                self.label, entry, failed_pks=failed_pks, error=error, failures=failures
            )
            self.result.dead_lettered += len(failed_pks) if failed_pks is not None else 1
        else:
            self.client.release(self.label, self.consumer, [entry])
            self.result.failed += len(failed_pks) if failed_pks is not None else 1
        return failures

    def _database_unavailable(self, entries: list[Entry], exc: Exception) -> DatabaseUnavailable:
        self.client.release(self.label, self.consumer, entries)
        connection.close()
        return DatabaseUnavailable(str(exc))

    def process(self, entries: list[Entry]) -> None:
        decodable = [e for e in entries if e.payload is not None]
        for entry in entries:
            if entry.payload is None:
                self._fail(entry, entry.decode_error, None)
        try:
            _apply(self.registration, decodable)
        except Exception as exc:  # noqa: BLE001 - sorted below: unreachable database, or bad data
            if _is_unreachable(exc):
                raise self._database_unavailable(decodable, exc) from exc
            logger.warning(
                "write buffer: %s batch failed (%s); retrying row by row", self.label, exc
            )
            self._process_row_by_row(decodable)
            return
        _pause_for_fault_test()
        self.client.ack(self.label, decodable)
        if self.registration.client_ids:
            self.client.forget_ids(self.label, decodable)
        self.result.synced += sum(len(e.records) for e in decodable)
        self.result.freed_bytes += sum(len(e.raw) for e in decodable)

    def _process_row_by_row(self, entries: list[Entry]) -> None:
        """Apply each row on its own; an entry is acknowledged once all its rows are written, and
        charged a failure (then, eventually, dead-lettered) for the rows that were refused."""
        failed_pks: dict[str, str] = {}
        rows: dict[str, list[Entry]] = {}
        for entry in entries:
            for record in entry.records:
                rows.setdefault(record["k"], []).append(entry)
        for pk, row_entries in rows.items():
            try:
                _apply(self.registration, _only_row(row_entries, pk))
            except Exception as exc:  # noqa: BLE001
                if _is_unreachable(exc):
                    raise self._database_unavailable(entries, exc) from exc
                failed_pks[pk] = f"{type(exc).__name__}: {exc}"
        succeeded = []
        for entry in entries:
            entry_failed = {r["k"] for r in entry.records if r["k"] in failed_pks}
            if entry_failed:
                error = "; ".join(sorted({failed_pks[pk] for pk in entry_failed}))
                if self._fail(entry, error, entry_failed) == 1:
                    # Its other rows are stored now; count them once, not on every redelivery.
                    self.result.synced += len(entry.records) - len(entry_failed)
            else:
                succeeded.append(entry)
        self.client.ack(self.label, succeeded)
        if self.registration.client_ids:
            self.client.forget_ids(self.label, succeeded)
        self.result.synced += sum(len(e.records) for e in succeeded)
        self.result.freed_bytes += sum(len(e.raw) for e in succeeded)

    def run(self, budget: int) -> ModelResult:
        self.client.ensure_group(self.label)
        batch = self.settings["BATCH_SIZE"]
        min_idle_ms = int(self.settings["CLAIM_IDLE_SECONDS"] * 1000)
        claim_from: str | None = "0-0"  # one pass over the entries dead consumers held
        handled = 0
        while handled < budget:
            count = min(batch, budget - handled)
            entries: list[Entry] = []
            if claim_from is not None:
                entries, claim_from = self.client.claim_stale(
                    self.label, self.consumer, min_idle_ms, count, claim_from
                )
            if not entries:
                entries = self.client.read_new(self.label, self.consumer, count)
            if not entries:
                break
            self.process(entries)
            handled += sum(max(1, len(e.records)) for e in entries)
        return self.result


def _only_row(entries: list[Entry], pk: str) -> list[Entry]:
    """The given entries reduced to their records of one row."""
    reduced = []
    for entry in entries:
        # Only decoded entries reach here (an undecodable one is dead-lettered whole).
        payload = {**cast(dict[str, Any], entry.payload), "v": entry.version, "r": [
            {k: v for k, v in r.items() if k != "v"} for r in entry.records if r["k"] == pk
        ]}  # fmt: skip
        reduced.append(Entry(entry.entry_id, entry.raw, payload))
    return reduced


@contextmanager
def _no_lock() -> Iterator[bool]:
    yield True


def sync_all(
    *, trigger: str = "schedule", max_records: int | None = None, exclusive: bool | None = None
) -> SyncResult:
    """One sync run over every registered model. Returns what it did.

    ``exclusive`` (default: the ``SYNC_EXCLUSIVE`` setting, on) makes the run single-flight;
    without it the run goes side by side with any other (parallel sync workers)."""
    budget = max_records or buffer_settings()["MAX_RECORDS_PER_RUN"]
    if exclusive is None:
        exclusive = bool(buffer_settings().get("SYNC_EXCLUSIVE", True))
    with sync_lock() if exclusive else _no_lock() as acquired:
        if not acquired:
            now = timezone.now()
            SyncRun.objects.create(
                trigger=trigger, status=SyncRun.Status.SKIPPED, started_at=now, finished_at=now
            )
            return SyncResult(ran=False)
        if exclusive:
            # We hold the lock, so a run still marked running was cut short (its worker died).
            SyncRun.objects.filter(status=SyncRun.Status.RUNNING).update(
                status=SyncRun.Status.FAILED,
                finished_at=timezone.now(),
                error="the worker stopped before the run finished; its entries were taken over",
            )
        run = SyncRun.objects.create(trigger=trigger)
        dictionaries.dictionaries_mirror()  # decoding reads dictionaries from Redis only
        started = time.monotonic()
        result = SyncResult()
        error = ""
        consumer = consumer_name()
        try:
            _sync_models(consumer, budget, into=result.models)
        except DatabaseUnavailable as exc:
            error = f"database unavailable: {exc}"
            raise
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            duration = time.monotonic() - started
            _record_run(run, result, duration, error)
        return result


def _sync_models(consumer: str, budget: int, *, into: dict[str, ModelResult]) -> None:
    """Sync every model with pending writes, several at once on their own connections.

    Each model's batch is mostly PostgreSQL's work (parsing, inserting, checking keys) while
    the next model's is mostly Python's (reading and decoding the log), so running them side by
    side keeps both busy. Inside a transaction (a test's, or a caller's atomic block) other
    connections could not see its rows, and SQLite takes one writer at a time (a second
    connection would wait on "database is locked"), so models then go one after another. The
    budget is shared equally among the models that have pending writes.

    Each model's result is in ``into`` from its start, so when one model stops the run (the
    database went away) what the others committed is still counted.
    """
    client = buffer_client()
    active = [r for r in registrations() if client.redis.xlen(log_key(r.label))]
    share = max(1, budget // max(1, len(active)))
    threads = min(int(buffer_settings().get("SYNC_THREADS", 2)), len(active))
    syncs = {r.label: _ModelSync(r, consumer) for r in active}
    into.update({label: sync.result for label, sync in syncs.items()})
    if threads <= 1 or connection.in_atomic_block or connection.vendor == "sqlite":
        for sync in syncs.values():
            sync.run(share)
        return

    def run(sync: _ModelSync) -> ModelResult:
        try:
            return sync.run(share)
        finally:
            connections.close_all()  # this thread's own connections

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="writebuffer-sync") as pool:
        futures = [pool.submit(run, sync) for sync in syncs.values()]
    # The pool has waited for every model: raise the first error only now, with all counted.
    for future in futures:
        future.result()


def _record_run(run: SyncRun, result: SyncResult, duration: float, error: str) -> None:
    try:
        buffer_client().stats_incr(
            sync_runs=1,
            records_synced=result.synced,
            records_failed=result.failed,
            dead_lettered=result.dead_lettered,
            sync_seconds=float(duration),
            freed_bytes=result.freed_bytes,
            **({"sync_errors": 1} if error else {}),
        )
        buffer_client().redis.hset(
            stats_key(),
            mapping={"last_sync_finished": time.time(), "last_sync_duration": duration},
        )
    except Exception:  # noqa: BLE001 - statistics must never fail a sync
        logger.exception("could not record sync statistics")
    if error:
        status = SyncRun.Status.FAILED
    elif result.failed or result.dead_lettered:
        status = SyncRun.Status.PARTIAL
    else:
        status = SyncRun.Status.OK
    try:
        SyncRun.objects.filter(pk=run.pk).update(
            finished_at=timezone.now(),
            status=status,
            records_synced=result.synced,
            records_failed=result.failed,
            dead_lettered=result.dead_lettered,
            bytes_freed=result.freed_bytes,
            duration_seconds=duration,
            error=error[:5000],
        )
    except DatabaseError:
        logger.warning("could not record sync run %s (database unavailable)", run.pk)
