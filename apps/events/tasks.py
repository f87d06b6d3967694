"""Celery tasks of the domain events: deliver the stream to the registered handlers."""

from __future__ import annotations

from celery import shared_task

from apps.events.services import events_dispatch


@shared_task(acks_late=True, ignore_result=True)
def dispatch_events() -> dict[str, int]:
    return events_dispatch()
