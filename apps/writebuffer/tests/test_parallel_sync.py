"""Models sync side by side on their own connections when no transaction is open."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.attendance.models import AttendanceMark
from apps.users.tests.factories import ClassWorld
from apps.writebuffer.services import buffered_save_many
from apps.writebuffer.sync import sync_all
from apps.writebuffer.tests.conftest import (
    buffer_is_empty,
    db_values,
    make_note,
    note_values,
    present_marks,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_models_sync_at_once_exactly():
    assert not connection.in_atomic_block  # else the run would go model by model
    world = ClassWorld(students=30)
    marks = present_marks(world)
    buffered_save_many(marks)
    notes = buffered_save_many([make_note(title=f"n{i}") for i in range(25)])

    result = sync_all(trigger="test")

    assert (result.synced, result.failed, result.dead_lettered) == (55, 0, 0)
    assert {label: r.synced for label, r in result.models.items()} == {
        "attendance.attendancemark": 30,
        "wbsample.note": 25,
    }
    assert set(AttendanceMark.objects.values_list("id", flat=True)) == {m.pk for m in marks}
    assert db_values() == {str(n.pk): note_values(n) for n in notes}
    assert buffer_is_empty()


def test_a_run_stopped_by_one_model_still_counts_what_the_others_committed(monkeypatch):
    """One model's batch finds the database gone; the other model's rows were committed.
    The run is recorded as failed with exactly those rows synced (it used to say 0)."""
    from django.db import OperationalError

    from apps.writebuffer import sink
    from apps.writebuffer.models import SyncRun
    from apps.writebuffer.sync import DatabaseUnavailable

    world = ClassWorld(students=3)
    buffered_save_many(present_marks(world))
    buffered_save_many([make_note(title=f"n{i}") for i in range(4)])
    real_upsert = sink.upsert

    def upsert(model, rows, **options):
        if model is AttendanceMark:
            raise OperationalError("server closed the connection unexpectedly")
        return real_upsert(model, rows, **options)

    monkeypatch.setattr(sink, "upsert", upsert)

    with pytest.raises(DatabaseUnavailable):
        sync_all(trigger="test")

    run = SyncRun.objects.get(trigger="test")
    assert (run.status, run.records_synced, run.records_failed) == ("failed", 4, 0)
    assert len(db_values()) == 4
    assert not AttendanceMark.objects.exists()
