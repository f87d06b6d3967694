"""Prometheus metrics of the write buffer and the read cache, served on /metrics.

Buffer depth and the sync's counters are read from Redis at scrape time, and the last sync run
and the next scheduled one from PostgreSQL, so any web process reports what the Celery workers
did (nothing lives only in one process's memory). Fallback writes, read-cache hits and misses
and the read cache's bytes happen in web processes and are counted there (in prometheus_client's
multiprocess files under gunicorn: see ``apps/core/metrics.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

if TYPE_CHECKING:
    from apps.core.collectors import DatabaseReads

logger = logging.getLogger(__name__)

SYNC_TASK = "apps.writebuffer.tasks.sync_write_buffer"

FALLBACK_WRITES = Counter(
    "schools24_writebuffer_fallback_writes",
    "Writes that went straight to the database instead of the buffer (backpressure).",
    ["model", "reason"],
)
CACHE_REQUESTS = Counter(
    "schools24_cache_requests",
    "Read-cache lookups by result: hit (the key was there) or miss.",
    ["result"],
)
for _result in ("hit", "miss"):
    CACHE_REQUESTS.labels(result=_result)  # both series exist (at 0) before the first lookup
CACHE_RAW_BYTES = Counter(
    "schools24_cache_raw_bytes",
    "Bytes of values stored in the read cache before compression.",
)
CACHE_STORED_BYTES = Counter(
    "schools24_cache_stored_bytes",
    "Bytes of values stored in the read cache after compression (what Redis holds).",
)


def record_fallback(label: str, reason: str, count: int) -> None:
    FALLBACK_WRITES.labels(model=label, reason=reason).inc(count)


def record_cache_lookups(hits: int, misses: int) -> None:
    if hits:
        CACHE_REQUESTS.labels(result="hit").inc(hits)
    if misses:
        CACHE_REQUESTS.labels(result="miss").inc(misses)


def record_cache_compression(raw_bytes: int, stored_bytes: int) -> None:
    CACHE_RAW_BYTES.inc(raw_bytes)
    CACHE_STORED_BYTES.inc(stored_bytes)


class WriteBufferCollector:
    """The buffer's depth and sync counters, from the buffer's Redis at scrape time."""

    def collect(self) -> Iterator[Metric]:
        from apps.writebuffer.cache import buffer_client
        from apps.writebuffer.registry import registrations

        up = GaugeMetricFamily("schools24_writebuffer_up", "1 if the buffer's Redis answered.")
        try:
            client = buffer_client()
            statuses = {r.label: client.model_status(r.label) for r in registrations()}
            stats = client.stats()
            model_stats = {r.label: client.model_stats(r.label) for r in registrations()}
        except Exception:  # noqa: BLE001 - a scrape must not fail because Redis is down
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up

        gauges = {
            "pending": ("schools24_writebuffer_pending_records", "Records waiting to sync."),
            "bytes": ("schools24_writebuffer_pending_bytes", "Redis memory of the model's log."),
            "oldest_age_seconds": (
                "schools24_writebuffer_oldest_pending_age_seconds",
                "Age of the oldest pending record.",
            ),
            "dead_letters": (
                "schools24_writebuffer_dead_letters",
                "Records in the dead-letter stream.",
            ),
        }
        for key, (name, documentation) in gauges.items():
            family = GaugeMetricFamily(name, documentation, labels=["model"])
            for label, status in statuses.items():
                family.add_metric([label], status[key])
            yield family

        ratio = GaugeMetricFamily(
            "schools24_writebuffer_compression_ratio",
            "Encoded payload bytes / raw payload bytes of writes so far (lower is better).",
            labels=["model"],
        )
        for label, counts in model_stats.items():
            if counts.get("raw_bytes"):
                ratio.add_metric([label], counts["encoded_bytes"] / counts["raw_bytes"])
        yield ratio

        counters = {
            "sync_runs": "Sync runs.",
            "records_synced": "Records written to the database by the sync.",
            "records_failed": "Record failures (retried later).",
            "dead_lettered": "Records moved to the dead-letter stream.",
            "sync_errors": "Sync runs that stopped on an error.",
            "sync_seconds": "Seconds spent in sync runs.",
            "freed_bytes": "Payload bytes the sync removed from the buffer (stored and acked).",
        }
        for key, documentation in counters.items():
            counter = CounterMetricFamily(f"schools24_writebuffer_{key}", documentation)
            counter.add_metric([], stats.get(key, 0.0))
            yield counter
        last = GaugeMetricFamily(
            "schools24_writebuffer_last_sync_timestamp_seconds", "When the last sync finished."
        )
        last.add_metric([], stats.get("last_sync_finished", 0.0))
        yield last
        duration = GaugeMetricFamily(
            "schools24_writebuffer_last_sync_duration_seconds", "How long the last sync took."
        )
        duration.add_metric([], stats.get("last_sync_duration", 0.0))
        yield duration


class SyncRunCollector:
    """The last finished sync run (its row in PostgreSQL) and the next scheduled one (Celery
    Beat's ``DatabaseScheduler`` row). Without the database it reports nothing:
    ``schools24_postgres_up`` is 0 then."""

    def __init__(self, database: DatabaseReads) -> None:
        self.database = database

    def collect(self) -> Iterator[Metric]:
        from apps.core.collectors import DatabaseSkipped

        try:
            with self.database.read():
                run = _last_run()
                next_sync = _next_sync_timestamp()
        except DatabaseSkipped:
            return
        except Exception:  # noqa: BLE001 - a scrape must not fail because PostgreSQL is down
            logger.warning("metrics: could not read the sync runs", exc_info=True)
            return
        if run is not None:
            yield from _last_run_families(run)
        if next_sync is not None:
            family = GaugeMetricFamily(
                "schools24_writebuffer_next_sync_timestamp_seconds",
                "When Celery Beat next runs the scheduled sync (Unix time; in the past: due).",
            )
            family.add_metric([], next_sync)
            yield family


def _last_run() -> Any:
    from apps.writebuffer.models import SyncRun

    return (
        SyncRun.objects.exclude(status__in=[SyncRun.Status.RUNNING, SyncRun.Status.SKIPPED])
        .only("status", "records_synced", "records_failed", "dead_lettered", "bytes_freed")
        .order_by("-started_at")
        .first()
    )


def _last_run_families(run: Any) -> Iterator[Metric]:
    from apps.writebuffer.models import SyncRun

    values = {
        "schools24_writebuffer_last_sync_success": (
            "1 if the last sync run finished (every record stored or retried later), 0 if it "
            "stopped on an error.",
            0 if run.status == SyncRun.Status.FAILED else 1,
        ),
        "schools24_writebuffer_last_sync_records": (
            "Records the last sync run stored.",
            run.records_synced,
        ),
        "schools24_writebuffer_last_sync_failed_records": (
            "Records the last sync run could not store (to retry, or dead-lettered).",
            run.records_failed + run.dead_lettered,
        ),
        "schools24_writebuffer_last_sync_freed_bytes": (
            "Payload bytes the last sync run removed from the buffer.",
            run.bytes_freed,
        ),
    }
    for name, (documentation, value) in values.items():
        family = GaugeMetricFamily(name, documentation)
        family.add_metric([], float(value))
        yield family


def _next_sync_timestamp() -> float | None:
    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.filter(task=SYNC_TASK, enabled=True).order_by("pk").first()
    if task is None:
        return None
    now = timezone.now()
    last_run = task.last_run_at or task.start_time or now
    remaining = task.schedule.remaining_estimate(last_run)
    return (now + remaining).timestamp()


def collectors(database: DatabaseReads) -> list[Any]:
    """Collectors that read this app's state at scrape time (``apps.core.metrics`` serves them)."""
    return [WriteBufferCollector(), SyncRunCollector(database)]
