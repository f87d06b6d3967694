"""Celery tasks of notifications: send one delivery, sweep what is due, send the daily digests."""

from __future__ import annotations

import uuid
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from apps.notifications.services import deliveries_due, delivery_send, digests_send


@shared_task(acks_late=True, ignore_result=True)
def deliver_notification(delivery_id: str) -> str:
    return delivery_send(delivery_id=uuid.UUID(delivery_id))


@shared_task(ignore_result=True)
def send_due_notifications() -> int:
    """Every minute: deliveries whose time came (quiet hours over, retry backoff over) and those
    a dead worker left half-sent."""
    due = deliveries_due()
    for delivery_id in due:
        deliver_notification.delay(str(delivery_id))
    return len(due)


@shared_task(acks_late=True, ignore_result=True)
def send_daily_digests() -> int:
    return digests_send(day=timezone.now().date() - timedelta(days=1))
