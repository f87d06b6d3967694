"""Celery tasks of the domain events: deliver the stream to the registered handlers."""

from __future__ import annotations

import time

from celery import shared_task

from apps.events.services import events_dispatch


@shared_task(acks_late=True, ignore_result=True)
def dispatch_events() -> dict[str, int]:
    handled = events_dispatch()
    # Publishers ask for a dispatch at most once a second: events of the rest of that second
    # are picked up by this second pass rather than waiting for the periodic run.
    time.sleep(1.1)
    for name, count in events_dispatch(budget_seconds=5).items():
        handled[name] = handled.get(name, 0) + count
    return handled
