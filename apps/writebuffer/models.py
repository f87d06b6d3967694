"""What the write buffer keeps in PostgreSQL: the base of buffered models, dictionaries, sync runs.

The buffered writes themselves live in Redis (see ``buffer.py``); only what must survive Redis or
be edited by people is here.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class BufferedModel(models.Model):
    """Base of every model that may be written through the buffer.

    ``id`` is a UUID the client may choose, so a retried write lands on the same row. ``version``
    orders writes to one row: the sync's upsert only replaces a row with a higher version, so
    replays and reordering change nothing.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.BigIntegerField(default=0, editable=False)

    class Meta:
        abstract = True


class CompressionDictionary(models.Model):
    """A zstd dictionary trained on buffered records. Never deleted: old entries may need it."""

    id = models.SmallAutoField(primary_key=True)
    data = models.BinaryField()
    size_bytes = models.PositiveIntegerField()
    sample_count = models.PositiveIntegerField()
    sample_bytes = models.PositiveBigIntegerField()
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "compression dictionaries"

    def __str__(self) -> str:
        return (
            f"dictionary {self.id} ({self.size_bytes} bytes{', active' if self.is_active else ''})"
        )


class SyncRun(models.Model):
    """One run of the sync from Redis to PostgreSQL, for the admin page and for operators."""

    class Status(models.TextChoices):
        RUNNING = "running"
        OK = "ok"
        PARTIAL = "partial", "Finished with failures"
        FAILED = "failed"
        SKIPPED = "skipped", "Skipped (another sync was running)"

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(max_length=40, default="schedule")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    records_synced = models.PositiveIntegerField(default=0)
    records_failed = models.PositiveIntegerField(default=0)
    dead_lettered = models.PositiveIntegerField(default=0)
    # Payload bytes of the entries this run stored and removed from the buffer.
    bytes_freed = models.PositiveBigIntegerField(default=0)
    duration_seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "write buffer sync run"

    def __str__(self) -> str:
        return f"sync {self.started_at:%Y-%m-%d %H:%M:%S} {self.status}"


class Tombstone(models.Model):
    """The version at which a buffered row was deleted.

    Deleting the row leaves nothing to compare a replayed older write against (a redelivered
    entry, a retried dead letter, a create still pending when a delete fell back to the
    database), so the sink refuses any write of a row whose tombstone is as new or newer.
    """

    model = models.CharField(max_length=100)
    row_id = models.UUIDField()
    version = models.BigIntegerField()
    deleted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["model", "row_id"], name="unique_tombstone")]

    def __str__(self) -> str:
        return f"{self.model} {self.row_id} deleted at version {self.version}"
