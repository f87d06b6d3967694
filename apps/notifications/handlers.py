"""Notifications react to domain events (see apps/events)."""

from __future__ import annotations

from apps.events.registry import handler
from apps.events.types import Event
from apps.notifications.services import HANDLED_TYPES, notifications_for_event


@handler("notifications", types=HANDLED_TYPES)
def notify(event: Event) -> None:
    notifications_for_event(event=event)
