"""No older write wins: deletes stay deleted, and direct writes do not outrank later ones."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

from apps.writebuffer import services
from apps.writebuffer.client import WriteBufferClient
from apps.writebuffer.models import Tombstone
from apps.writebuffer.services import buffered_delete, buffered_save, buffered_save_many
from apps.writebuffer.sync import sync_all
from apps.writebuffer.tasks import tombstones_prune
from apps.writebuffer.tests.conftest import make_note, set_buffer_option
from apps.writebuffer.tests.sample.models import Note

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_memory_check(monkeypatch):
    monkeypatch.setattr(services, "_memory_check", (0.0, False))


def test_a_deleted_row_stays_deleted_when_an_older_entry_is_redelivered():
    good = make_note(owner="bob", title="good")
    poison = make_note(owner="bob", title="poison", amount=Decimal("-5.00"))
    buffered_save_many([good, poison])  # one entry holding both rows
    sync_all(trigger="test")  # good stored; the entry is released for the poison row
    assert Note.objects.filter(pk=good.pk).count() == 1

    buffered_delete(good)
    for _ in range(3):  # the delete syncs, then the older entry comes back twice
        sync_all(trigger="test")

    assert Note.objects.filter(pk=good.pk).count() == 0
    tombstone = Tombstone.objects.get(row_id=good.pk)
    assert (tombstone.model, tombstone.version > good.version) == ("wbsample.note", True)


def test_a_delete_that_fell_back_to_the_database_is_not_undone_by_a_pending_create(
    monkeypatch,
):
    note = buffered_save(make_note(title="created"))  # pending in Redis
    real_append = WriteBufferClient.append

    def redis_blip(self, **kwargs):
        raise RedisConnectionError("blip")

    monkeypatch.setattr(WriteBufferClient, "append", redis_blip)
    buffered_delete(note)  # straight to PostgreSQL
    monkeypatch.setattr(WriteBufferClient, "append", real_append)
    sync_all(trigger="test")

    assert Note.objects.filter(pk=note.pk).count() == 0


def test_a_write_after_the_delete_still_wins():
    note = buffered_save(make_note(title="first"))
    sync_all(trigger="test")
    buffered_delete(note)
    sync_all(trigger="test")

    again = buffered_save(make_note(id=note.pk, title="back again"))
    sync_all(trigger="test")

    assert Note.objects.get(pk=note.pk).title == "back again"
    assert again.version > Tombstone.objects.get(row_id=note.pk).version


def test_a_direct_write_from_a_fast_web_clock_does_not_beat_a_later_buffered_write(
    settings, monkeypatch
):
    note = make_note(title="v1")
    set_buffer_option(settings, MAX_PENDING_PER_MODEL=0)  # buffer full: write-through
    real_ns = time.time_ns
    monkeypatch.setattr(services.time, "time_ns", lambda: real_ns() + 5_000_000_000)
    buffered_save(note)
    monkeypatch.setattr(services.time, "time_ns", real_ns)
    set_buffer_option(settings, MAX_PENDING_PER_MODEL=500_000)

    note.title = "v2"
    buffered_save(note)  # buffered: its version comes from Redis's clock
    sync_all(trigger="test")

    assert Note.objects.get(pk=note.pk).title == "v2"


def _age_tombstones(days: int) -> None:
    Tombstone.objects.update(deleted_at=timezone.now() - timedelta(days=days))


def test_a_tombstone_is_kept_while_an_older_dead_letter_waits():
    poison = buffered_save(make_note(title="poison", amount="-1.00"))
    for _ in range(3):
        sync_all(trigger="test")  # now a dead letter, older than what follows
    note = buffered_save(make_note(title="deleted later"))
    sync_all(trigger="test")
    buffered_delete(note)
    sync_all(trigger="test")
    _age_tombstones(days=31)

    assert tombstones_prune() == 0
    assert Tombstone.objects.get().version > poison.version


def test_a_tombstone_is_pruned_once_old_and_nothing_waiting_predates_it():
    note = buffered_save(make_note(title="deleted"))
    sync_all(trigger="test")
    buffered_delete(note)
    sync_all(trigger="test")
    buffered_save(make_note(title="still pending, newer"))

    _age_tombstones(days=29)
    assert tombstones_prune() == 0  # within the grace period
    _age_tombstones(days=31)
    assert tombstones_prune() == 1
    assert Tombstone.objects.count() == 0
