"""``/metrics`` for Prometheus only (a bearer token or an allowed network), with bounded labels.

Every scrape builds one registry (``scrape_registry``) that the operators' page reads too:

- per-process metrics (django-prometheus's requests, latencies and responses, the read cache's
  hits and misses, fallback writes, the web tier's queries). Under gunicorn each worker is its
  own process, so ``scripts/serve.sh`` sets ``PROMETHEUS_MULTIPROC_DIR``: prometheus_client then
  keeps every worker's values in files there and a scrape, whichever worker answers it, sums
  them (``MultiProcessCollector``); without it (``runserver``, tests) the process's own registry;
- collectors that read shared state at scrape time: the write buffer and the sync runs
  (``apps.writebuffer.metrics``), both Redis servers and PostgreSQL (``apps.core.collectors``).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_prometheus.middleware import PrometheusAfterMiddleware  # type: ignore[import-untyped]
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from apps.core import collectors
from apps.core.errors import error_body
from apps.writebuffer import metrics as writebuffer_metrics

KNOWN_METHODS = frozenset(
    ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]
)


def _token_matches(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return False
    header = request.headers.get("Authorization", "")
    scheme, _, sent = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip(), token)


def _address_allowed(request: HttpRequest) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_NETWORKS
    )


def metrics(request: HttpRequest) -> HttpResponse:
    if not (_token_matches(request) or _address_allowed(request)):
        return JsonResponse(
            error_body(
                "permission_denied",
                "Metrics need the metrics token or an allowed network address.",
            ),
            status=403,
        )
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)


class _ThisProcess:
    """The default registry's metrics (this process's own), when not in multiprocess mode."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def scrape_registry() -> CollectorRegistry:
    """Everything /metrics serves, collected afresh on every ``collect()``."""
    registry = CollectorRegistry(auto_describe=False)
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_ThisProcess())
    database = collectors.DatabaseReads()
    for collector in (*writebuffer_metrics.collectors(database), *collectors.collectors(database)):
        registry.register(collector)
    return registry


class BoundedPrometheusAfterMiddleware(PrometheusAfterMiddleware):
    """django-prometheus labels one latency metric with the raw method, so every made-up method
    would create new series without limit; unknown methods share one label instead."""

    def label_metric(self, metric: Any, request: Any, response: Any = None, **labels: Any) -> Any:
        if "method" in labels and labels["method"] not in KNOWN_METHODS:
            labels["method"] = "<invalid method>"
        return super().label_metric(metric, request, response=response, **labels)
