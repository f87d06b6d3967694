"""The operators' page in the Django admin: the monitoring panels, drawn live in the browser.

The page polls ``metrics.json`` every few seconds. Its figures come from the same registry
/metrics serves (``apps.core.metrics.scrape_registry``), summed here into one value per panel;
counters stay cumulative and the page derives rates and latency percentiles from two
consecutive polls, as Prometheus's ``rate()`` and ``histogram_quantile()`` do. Superusers only:
a school admin or other staff gets a 403, an anonymous visitor the admin's login.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.contrib.admin import site
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse

from apps.core.metrics import scrape_registry

LATENCY = "django_http_requests_latency_including_middlewares_seconds"
RESPONSES = "django_http_responses_total_by_status_total"
POLL_SECONDS_DEFAULT = 5
POLL_SECONDS_RANGE = (1, 60)

Samples = dict[str, list[tuple[dict[str, str], float]]]


def _require_superuser(request: HttpRequest) -> None:
    if not request.user.is_superuser:
        raise PermissionDenied("The operations page is for operators (superusers) only.")


def collect_samples() -> Samples:
    """Every sample of one scrape, by sample name (``_total``, ``_bucket``... included)."""
    samples: Samples = defaultdict(list)
    for family in scrape_registry().collect():
        for sample in family.samples:
            samples[sample.name].append((sample.labels, sample.value))
    return samples


def _total(samples: Samples, name: str, where: Callable[[dict[str, str]], bool] | None = None):
    """The sum of a sample's values (over the labels ``where`` accepts); None if absent."""
    values = [value for labels, value in samples.get(name, []) if where is None or where(labels)]
    return sum(values) if values else None


def _by_label(samples: Samples, name: str, label: str) -> dict[str, float]:
    return {labels[label]: value for labels, value in samples.get(name, []) if label in labels}


def _status_class(prefix: str) -> Callable[[dict[str, str]], bool]:
    return lambda labels: labels.get("status", "").startswith(prefix)


def panel_values(samples: Samples) -> dict[str, Any]:
    """One figure per panel (None: not reported, e.g. its server is down)."""
    values: dict[str, Any] = {
        # cache
        "cache_hits": _total(
            samples, "schools24_cache_requests_total", lambda labels: labels["result"] == "hit"
        ),
        "cache_misses": _total(
            samples, "schools24_cache_requests_total", lambda labels: labels["result"] == "miss"
        ),
        "cache_raw_bytes": _total(samples, "schools24_cache_raw_bytes_total"),
        "cache_stored_bytes": _total(samples, "schools24_cache_stored_bytes_total"),
        # buffer
        "buffer_up": _total(samples, "schools24_writebuffer_up"),
        "pending_records": _total(samples, "schools24_writebuffer_pending_records"),
        "pending_bytes": _total(samples, "schools24_writebuffer_pending_bytes"),
        "dead_letters": _total(samples, "schools24_writebuffer_dead_letters"),
        "fallback_writes": _total(samples, "schools24_writebuffer_fallback_writes_total"),
        # sync
        "sync_runs": _total(samples, "schools24_writebuffer_sync_runs_total"),
        "sync_errors": _total(samples, "schools24_writebuffer_sync_errors_total"),
        "records_synced": _total(samples, "schools24_writebuffer_records_synced_total"),
        "freed_bytes": _total(samples, "schools24_writebuffer_freed_bytes_total"),
        "last_sync_timestamp": _total(samples, "schools24_writebuffer_last_sync_timestamp_seconds"),
        "last_sync_duration": _total(samples, "schools24_writebuffer_last_sync_duration_seconds"),
        "last_sync_records": _total(samples, "schools24_writebuffer_last_sync_records"),
        "last_sync_success": _total(samples, "schools24_writebuffer_last_sync_success"),
        "last_sync_failed_records": _total(
            samples, "schools24_writebuffer_last_sync_failed_records"
        ),
        "last_sync_freed_bytes": _total(samples, "schools24_writebuffer_last_sync_freed_bytes"),
        "next_sync_timestamp": _total(samples, "schools24_writebuffer_next_sync_timestamp_seconds"),
        # API
        "responses": _total(samples, RESPONSES),
        "responses_4xx": _total(samples, RESPONSES, _status_class("4")) or 0.0,
        "responses_5xx": _total(samples, RESPONSES, _status_class("5")) or 0.0,
        "latency_count": _total(samples, f"{LATENCY}_count"),
        "latency_sum": _total(samples, f"{LATENCY}_sum"),
        # PostgreSQL
        "postgres_up": _total(samples, "schools24_postgres_up"),
        "postgres_connections": _total(samples, "schools24_postgres_connections"),
        "db_read_queries": _total(
            samples, "schools24_db_queries_total", lambda labels: labels["kind"] == "read"
        ),
        "db_write_queries": _total(
            samples, "schools24_db_queries_total", lambda labels: labels["kind"] == "write"
        ),
        "postgres_commits": _total(
            samples,
            "schools24_postgres_transactions_total",
            lambda labels: labels["result"] == "commit",
        ),
        "postgres_rows_read": _total(
            samples,
            "schools24_postgres_rows_total",
            lambda labels: labels["operation"] in ("returned", "fetched"),
        ),
        "postgres_rows_written": _total(
            samples,
            "schools24_postgres_rows_total",
            lambda labels: labels["operation"] in ("inserted", "updated", "deleted"),
        ),
    }
    for role in ("cache", "buffer"):
        for key, name in (
            ("up", "schools24_redis_up"),
            ("used_bytes", "schools24_redis_memory_used_bytes"),
            ("max_bytes", "schools24_redis_memory_max_bytes"),
            ("evicted_keys", "schools24_redis_evicted_keys_total"),
        ):
            values[f"redis_{role}_{key}"] = _by_label(samples, name, "role").get(role)
    return values


def latency_buckets(samples: Samples) -> list[list[float | None]]:
    """The request latency histogram's cumulative buckets: [upper bound (None: +Inf), count]."""
    buckets: dict[float, float] = defaultdict(float)
    for labels, value in samples.get(f"{LATENCY}_bucket", []):
        buckets[float(labels["le"])] += value
    return [[None if math.isinf(le) else le, buckets[le]] for le in sorted(buckets)]


def model_rows(samples: Samples) -> list[dict[str, Any]]:
    pending = _by_label(samples, "schools24_writebuffer_pending_records", "model")
    size = _by_label(samples, "schools24_writebuffer_pending_bytes", "model")
    ratio = _by_label(samples, "schools24_writebuffer_compression_ratio", "model")
    return [
        {
            "model": model,
            "pending_records": pending[model],
            "pending_bytes": size.get(model),
            "compression_ratio": ratio.get(model),
        }
        for model in sorted(pending)
    ]


def operations_metrics(request: HttpRequest) -> JsonResponse:
    _require_superuser(request)
    samples = collect_samples()
    return JsonResponse(
        {
            "time": time.time(),
            "values": panel_values(samples),
            "latency_buckets": latency_buckets(samples),
            "models": model_rows(samples),
        }
    )


def operations_page(request: HttpRequest) -> HttpResponse:
    _require_superuser(request)
    try:
        every = int(request.GET.get("every", POLL_SECONDS_DEFAULT))
    except ValueError:
        every = POLL_SECONDS_DEFAULT
    low, high = POLL_SECONDS_RANGE
    every = min(high, max(low, every))
    return TemplateResponse(
        request,
        "admin/operations.html",
        {
            **site.each_context(request),
            "title": "Operations",
            "poll_seconds": every,
            "poll_ms": every * 1000,
        },
    )
