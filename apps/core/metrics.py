"""``/metrics`` for Prometheus only (a bearer token or an allowed network), with bounded labels."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_prometheus.exports import ExportToDjangoView  # type: ignore[import-untyped]
from django_prometheus.middleware import PrometheusAfterMiddleware  # type: ignore[import-untyped]

from apps.core.errors import error_body

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
    return ExportToDjangoView(request)


class BoundedPrometheusAfterMiddleware(PrometheusAfterMiddleware):
    """django-prometheus labels one latency metric with the raw method, so every made-up method
    would create new series without limit; unknown methods share one label instead."""

    def label_metric(self, metric: Any, request: Any, response: Any = None, **labels: Any) -> Any:
        if "method" in labels and labels["method"] not in KNOWN_METHODS:
            labels["method"] = "<invalid method>"
        return super().label_metric(metric, request, response=response, **labels)
