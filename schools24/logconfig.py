"""Logging: readable lines in development, one JSON object per line in production.

Every line carries the id of the request it belongs to (``request_id``): django-guid's
middleware takes it from an incoming ``X-Request-ID`` header when that is a well-formed UUID,
generates one otherwise, and returns it in the response's ``X-Request-ID``. Celery tasks queued
while handling a request run under the same id (django-guid's Celery integration passes it in
the task's headers), and so do the event handlers of the events that request published
(``Event.request_id``, apps/events).
"""

from __future__ import annotations

from typing import Any

LOG_FORMATS = ("plain", "json")


def logging_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {
                "()": "django_guid.log_filters.CorrelationId",
                "correlation_id_field": "request_id",
            }
        },
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                # ISO 8601 in UTC, under "timestamp".
                "timestamp": True,
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # One INFO line per request saying it generated an id: noise.
            "django_guid": {"level": "WARNING"},
            # Celery's own loggers go through the root handler (CeleryIntegration below sets
            # use_django_logging), so worker lines are JSON too in production.
            "celery": {"level": level},
        },
    }


def guid_settings() -> dict[str, Any]:
    from django_guid.integrations import CeleryIntegration

    return {
        "GUID_HEADER_NAME": "X-Request-ID",
        "VALIDATE_GUID": True,
        "UUID_FORMAT": "string",
        "RETURN_HEADER": True,
        # Same-origin clients and the apps read it without CORS; nothing to expose.
        "EXPOSE_HEADER": False,
        "INTEGRATIONS": [CeleryIntegration(use_django_logging=True, log_parent=False)],
    }
