"""``/healthz/``: is every service this deployment depends on reachable and safe?

The write buffer's Redis is also checked for settings that would lose acknowledged writes (the
engine's own rules, ``writebuffer.status.buffer_durability_problems``); any makes the deployment
unhealthy.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django_redis import get_redis_connection
from kombu import Connection

from apps.writebuffer.status import buffer_durability_problems


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy; report it
        return {"ok": False, "error": str(exc)}


def check_cache_redis() -> dict[str, Any]:
    try:
        get_redis_connection("default").ping()
        return {"ok": True}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": str(exc)}


def check_buffer_redis() -> dict[str, Any]:
    try:
        problems = buffer_durability_problems()
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": str(exc)}
    return {"ok": not problems, "durable": not problems, "problems": problems}


def check_broker() -> dict[str, Any]:
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
        return {"ok": True}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": str(exc)}


def healthz(request):
    checks = {
        "database": check_database(),
        "cache_redis": check_cache_redis(),
        "buffer_redis": check_buffer_redis(),
        "broker": check_broker(),
    }
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unhealthy", "checks": checks},
        status=200 if healthy else 503,
    )
