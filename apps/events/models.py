"""What the event stream could not hold or deliver, kept in PostgreSQL for people to see."""

from __future__ import annotations

import uuid

from django.db import models


class OutboxEvent(models.Model):
    """An event published while the buffer's Redis could not take it; moved to the stream by the
    next dispatch run."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.payload.get('type')} {self.id}"


class FailedEvent(models.Model):
    """An event a handler failed on ``EVENTS["MAX_DELIVERIES"]`` times, taken off the stream so it
    does not block the handler; an operator can see why and re-run it."""

    handler = models.CharField(max_length=100)
    event_id = models.UUIDField()
    payload = models.JSONField()
    error = models.TextField()
    deliveries = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["handler", "event_id"], name="failed_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.handler}: {self.payload.get('type')} {self.event_id}"
