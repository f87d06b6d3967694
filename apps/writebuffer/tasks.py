"""Celery tasks of the write buffer: the scheduled sync, the threshold check, tombstone pruning.

All are scheduled by django-celery-beat's DatabaseScheduler (rows created by migrations 0002 and
0004, editable in the admin under "Periodic tasks"): the sync hourly, the threshold check every
minute, pruning daily.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone
from redis.exceptions import RedisError

from apps.writebuffer.cache import buffer_client
from apps.writebuffer.connection import buffer_settings, global_key, log_key
from apps.writebuffer.entries import Entry, version_of
from apps.writebuffer.models import Tombstone
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


TOMBSTONE_KEEP_DAYS = 30


def oldest_pending_version(label: str) -> int | None:
    """The lowest version any write of this model still waiting somewhere (its log or its dead
    letters) could carry; None when nothing waits."""
    client = buffer_client()
    versions = []
    first = client.xrange(log_key(label), count=1)
    if first:
        versions.append(Entry(first[0][0].decode(), b"", None).version)
    for letter in client.dead_letters(label, count=10_000):
        payload = letter["payload"]
        if payload is None:
            continue  # undecodable: it can only be discarded, never written
        versions.append(int(payload.get("v") or version_of(letter["entry"])))
    return min(versions, default=None)


def tombstones_prune(*, keep_days: int = TOMBSTONE_KEEP_DAYS) -> int:
    """Forget tombstones no waiting write could still be older than, past a grace period."""
    cutoff = timezone.now() - timedelta(days=keep_days)
    pruned = 0
    for registration in registrations():
        tombstones = Tombstone.objects.filter(model=registration.label, deleted_at__lt=cutoff)
        floor = oldest_pending_version(registration.label)
        if floor is not None:
            tombstones = tombstones.filter(version__lt=floor)
        pruned += tombstones.delete()[0]
    return pruned


@shared_task
def prune_tombstones() -> int:
    return tombstones_prune()
