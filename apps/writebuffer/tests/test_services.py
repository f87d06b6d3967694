"""buffered_save / buffered_delete and read-your-writes, against real Redis and PostgreSQL."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from apps.writebuffer import registry
from apps.writebuffer.registry import Policy
from apps.writebuffer.selectors import get_with_pending, list_with_pending
from apps.writebuffer.services import buffered_delete, buffered_save, buffered_save_many
from apps.writebuffer.sync import sync_all
from apps.writebuffer.tests.conftest import (
    buffer_is_empty,
    db_values,
    index_keys,
    log_length,
    make_note,
    note_values,
    pending_records,
)
from apps.writebuffer.tests.sample.models import Note

pytestmark = pytest.mark.django_db


def owned_by(owner: str):
    return lambda note: note.owner == owner


def read(pk, owner: str = "alice") -> Note | None:
    return get_with_pending(
        Note.objects.filter(owner=owner), pk, visible=owned_by(owner), partition=owner
    )


def read_list(owner: str = "alice") -> list[Note]:
    return list_with_pending(
        Note.objects.filter(owner=owner),
        partitions=[owner],
        visible=owned_by(owner),
        sort_key=lambda note: note.title,
    )


@pytest.fixture
def write_through():
    registry.set_policy(Note, Policy.WRITE_THROUGH)
    try:
        yield
    finally:
        registry.set_policy(Note, Policy.WRITE_BEHIND)


def test_buffered_save_is_acknowledged_in_redis_and_synced_once(django_assert_num_queries):
    note = make_note(title="homework 1", body="two pages", amount="12.50", tags=["maths", "y7"])

    with django_assert_num_queries(0):
        returned = buffered_save(note)

    assert returned is note
    assert isinstance(note.pk, uuid.UUID)
    assert note.version > 0
    assert Note.objects.count() == 0
    assert (log_length(), pending_records(), index_keys()) == (1, 1, 1)

    # Read-your-writes, by pk (with and without the partition) and in the list.
    pending = read(note.pk)
    assert note_values(pending) == note_values(note)
    assert note_values(get_with_pending(Note.objects.all(), str(note.pk), visible=bool)) == (
        note_values(note)
    )
    assert [note_values(n) for n in read_list()] == [note_values(note)]
    assert read_list("bob") == []
    assert read(note.pk, owner="bob") is None

    result = sync_all(trigger="test")

    assert result.ran is True
    assert (result.synced, result.failed, result.dead_lettered) == (1, 0, 0)
    assert db_values() == {str(note.pk): note_values(note)}
    row = Note.objects.get()
    assert (row.amount, row.tags) == (Decimal("12.50"), ["maths", "y7"])
    assert buffer_is_empty()
    assert note_values(read(note.pk)) == note_values(note)

    again = sync_all(trigger="test")
    assert (again.ran, again.synced) == (True, 0)
    assert db_values() == {str(note.pk): note_values(note)}


def test_repeating_a_write_with_the_same_id_leaves_one_row_with_the_newest_values():
    note = buffered_save(make_note(title="first"))
    first_version = note.version
    buffered_save(note)  # a client retry of the same write
    note.title = "second"
    buffered_save(note)

    assert note.version > first_version
    assert (log_length(), pending_records(), index_keys()) == (3, 3, 1)
    assert [n.title for n in read_list()] == ["second"]
    assert read(note.pk).title == "second"

    result = sync_all(trigger="test")

    assert result.synced == 3
    assert db_values() == {str(note.pk): note_values(note)}

    # The sync's replay (a rerun after a crash between commit and ack) is test_workers.py's.


def test_update_of_a_synced_row_is_visible_before_the_sync_and_stored_after():
    note = buffered_save(make_note(title="draft"))
    sync_all(trigger="test")
    note.title = "final"
    note.amount = Decimal("3.25")
    buffered_save(note)

    assert Note.objects.get().title == "draft"
    assert note_values(read(note.pk)) == note_values(note)
    assert [n.title for n in read_list()] == ["final"]

    assert sync_all(trigger="test").synced == 1
    assert db_values() == {str(note.pk): note_values(note)}


def test_buffered_save_many_buffers_every_row_in_its_partition():
    notes = [make_note(owner="alice" if i % 3 else "bob", title=f"n{i:03d}") for i in range(30)]

    buffered_save_many(notes)

    assert Note.objects.count() == 0
    assert pending_records() == 30
    assert len(read_list("alice")) == 20
    assert len(read_list("bob")) == 10

    assert sync_all(trigger="test").synced == 30
    assert db_values() == {str(n.pk): note_values(n) for n in notes}


def test_write_through_policy_writes_the_row_before_returning(write_through):
    note = buffered_save(make_note(title="paid"))

    assert log_length() == 0
    assert db_values() == {str(note.pk): note_values(note)}
    assert sync_all(trigger="test").synced == 0

    buffered_delete(note)
    assert Note.objects.count() == 0
    assert log_length() == 0


def test_an_older_buffered_write_never_overwrites_a_newer_write_through():
    note = buffered_save(make_note(title="old"))
    registry.set_policy(Note, Policy.WRITE_THROUGH)
    try:
        note.title = "new"
        buffered_save(note)
    finally:
        registry.set_policy(Note, Policy.WRITE_BEHIND)
    assert Note.objects.get().title == "new"
    # The database's newer version wins over the pending older one for readers, too.
    assert read(note.pk).title == "new"

    assert sync_all(trigger="test").synced == 1

    assert db_values() == {str(note.pk): note_values(note)}
    assert buffer_is_empty()


def test_validation_runs_before_anything_is_buffered():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        buffered_save(make_note(title="x" * 201))
    assert (log_length(), Note.objects.count()) == (0, 0)


# --- stale reads and tombstones ---------------------------------------------------------------
def test_a_pending_delete_of_a_pending_create_reads_as_absent_and_syncs_to_nothing():
    note = buffered_save(make_note(title="oops"))
    kept = buffered_save(make_note(title="kept"))
    buffered_delete(note)

    assert read(note.pk) is None
    assert get_with_pending(Note.objects.all(), note.pk, visible=bool) is None
    assert [n.title for n in read_list()] == ["kept"]
    assert log_length() == 3

    result = sync_all(trigger="test")

    assert result.synced == 3
    assert db_values() == {str(kept.pk): note_values(kept)}
    assert Note.objects.filter(pk=note.pk).count() == 0
    assert read(note.pk) is None
    assert buffer_is_empty()


def test_a_pending_delete_hides_a_synced_row_until_the_sync_deletes_it():
    notes = buffered_save_many([make_note(title=f"t{i}") for i in range(3)])
    sync_all(trigger="test")
    buffered_delete(notes[1])

    assert Note.objects.count() == 3  # still in the database ...
    assert read(notes[1].pk) is None  # ... but nobody sees it
    assert [n.title for n in read_list()] == ["t0", "t2"]

    assert sync_all(trigger="test").synced == 1

    assert db_values() == {str(n.pk): note_values(n) for n in (notes[0], notes[2])}
    assert read(notes[1].pk) is None


def test_a_write_after_a_delete_of_the_same_row_wins():
    note = buffered_save(make_note(title="v1"))
    buffered_delete(note)
    note.title = "v2"
    buffered_save(note)

    assert read(note.pk).title == "v2"
    assert sync_all(trigger="test").synced == 3
    assert db_values() == {str(note.pk): note_values(note)}
