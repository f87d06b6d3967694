"""Celery tasks of the write buffer: the scheduled sync and the threshold check.

Both are scheduled by django-celery-beat's DatabaseScheduler (rows created by migration 0002,
editable in the admin under "Periodic tasks"): the sync hourly, the threshold check every minute.
"""

from __future__ import annotations

import logging

from celery import shared_task
from redis.exceptions import RedisError

from apps.writebuffer.cache import buffer_client
from apps.writebuffer.connection import buffer_settings, global_key
from apps.writebuffer.registry import registrations
from apps.writebuffer.sync import DatabaseUnavailable, sync_all

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=12, acks_late=True)
def sync_write_buffer(self, trigger: str = "schedule") -> dict:
    try:
        result = sync_all(trigger=trigger)
    except DatabaseUnavailable as exc:
        # PostgreSQL is down: the buffer keeps accepting writes; retry with backoff.
        countdown = min(600, 15 * 2**self.request.retries)
        logger.warning("sync postponed %ss: %s", countdown, exc)
        raise self.retry(exc=exc, countdown=countdown) from exc
    return {
        "ran": result.ran,
        "synced": result.synced,
        "failed": result.failed,
        "dead_lettered": result.dead_lettered,
    }


def request_sync(*, trigger: str) -> bool:
    """Queue an early sync unless one was requested in the last 30 seconds. Never raises:
    a write must not fail because the broker is down (the hourly run still comes)."""
    try:
        if not buffer_client().redis.set(global_key("sync:requested"), trigger, nx=True, ex=30):
            return False
        sync_write_buffer.delay(trigger=trigger)
        return True
    except Exception as exc:  # noqa: BLE001
        logger.warning("could not request an early sync (%s)", exc)
        return False


def thresholds_exceeded() -> list[str]:
    settings = buffer_settings()
    reasons = []
    client = buffer_client()
    for registration in registrations():
        status = client.model_status(registration.label)
        if status["pending"] >= settings["FLUSH_AT_PENDING"]:
            reasons.append(f"pending:{registration.label}")
        if status["pending"] and status["bytes"] >= settings["FLUSH_AT_BYTES"]:
            reasons.append(f"bytes:{registration.label}")
        if status["pending"] and status["oldest_age_seconds"] >= settings["FLUSH_AT_AGE_SECONDS"]:
            reasons.append(f"age:{registration.label}")
    return reasons


@shared_task
def check_thresholds() -> list[str]:
    try:
        reasons = thresholds_exceeded()
    except RedisError as exc:
        logger.warning("cannot check write-buffer thresholds: %s", exc)
        return []
    if reasons:
        request_sync(trigger="threshold:" + ",".join(reasons)[:30])
    return reasons
