"""Prometheus metrics of the write buffer, served on /metrics with django-prometheus's.

Buffer depth and the sync's counters are read from Redis at scrape time, so any web process
reports what the Celery workers did (nothing lives only in one process's memory). Fallback writes
happen in web processes and are counted there.
"""

from __future__ import annotations

from prometheus_client import REGISTRY, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

FALLBACK_WRITES = Counter(
    "schools24_writebuffer_fallback_writes",
    "Writes that went straight to the database instead of the buffer (backpressure).",
    ["model", "reason"],
)


def record_fallback(label: str, reason: str, count: int) -> None:
    FALLBACK_WRITES.labels(model=label, reason=reason).inc(count)


class WriteBufferCollector:
    def collect(self):
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
        }
        for key, documentation in counters.items():
            family = CounterMetricFamily(f"schools24_writebuffer_{key}", documentation)
            family.add_metric([], stats.get(key, 0.0))
            yield family
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


_installed = False


def install() -> None:
    global _installed
    if not _installed:
        REGISTRY.register(WriteBufferCollector())
        _installed = True
