"""A Redis Cluster master SIGKILLed while a real Celery worker syncs its model's log.

Writes are acknowledged only after a replica confirmed them (``MIN_REPLICAS=1``), so the replica
that takes over holds every one of them. The sync in the worker meets the dead master, its
cluster client re-reads the slot map and goes on against the new master; whatever it committed
but could not acknowledge is delivered again and the versioned upsert makes that a no-op. Writes
that go on during the failover are either acknowledged (and then stored) or refused with
``BufferUnavailable`` (the API's 503 with Retry-After), never acknowledged and lost.
"""

from __future__ import annotations

import threading
import time

import pytest

from apps.attendance.models import AttendanceMark
from apps.homework.models import Submission
from apps.homework.tests.conftest import make_homework
from apps.homework.tests.test_faults import (  # noqa: F401 - live_server_for is a fixture
    assert_attempts_chain,
    live_server_for,
    resubmit_concurrently,
    submissions_path,
    sync_submissions,
    token,
)
from apps.users.tests.factories import ClassWorld
from apps.writebuffer.cache import buffer_client
from apps.writebuffer.connection import log_key
from apps.writebuffer.errors import BufferUnavailable
from apps.writebuffer.models import SyncRun
from apps.writebuffer.services import buffered_save, buffered_save_many
from apps.writebuffer.tests.conftest import (
    LABEL,
    buffer_is_empty,
    db_values,
    dead_letters,
    make_note,
    note_values,
    present_marks,
    set_buffer_option,
    sync_until_empty,
    wait_for,
)
from apps.writebuffer.tests.sample.models import Note

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MARKS = "attendance.attendancemark"


class Writer(threading.Thread):
    """Writes one note at a time until stopped, as web requests would during the failover:
    each is acknowledged (kept in ``acked``) or refused (``refused``: the API's 503)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.acked: list[Note] = []
        self.refused: list[Note] = []
        self.errors: list[BaseException] = []

    def run(self) -> None:
        from django.db import connections

        try:
            while not self.stop.is_set():
                note = make_note(owner="live", title=f"live {len(self.acked) + len(self.refused)}")
                try:
                    self.acked.append(buffered_save(note, fallback=False))
                except BufferUnavailable:
                    self.refused.append(note)
                    time.sleep(0.05)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(exc)
        finally:
            connections.close_all()


def test_a_master_killed_mid_sync_loses_no_acknowledged_write(
    cluster_buffer, settings, celery_workers
):
    set_buffer_option(settings, MIN_REPLICAS=1)
    master = cluster_buffer.master_port_for_key(log_key(LABEL))
    replica = cluster_buffer.replica_port_of(master)
    assert cluster_buffer.master_port_for_key(log_key(MARKS)) != master

    # Acknowledged writes: one entry per note (many small batches to sync), 30 partitions,
    # a second version of every tenth note, and two registers of marks on another master.
    notes: dict[str, Note] = {}
    for i in range(1500):
        note = buffered_save(make_note(owner=f"o{i % 30}", title=f"t{i}"))
        notes[str(note.pk)] = note
    for note in list(notes.values())[::10]:
        note.title += " (edited)"
        notes[str(note.pk)] = buffered_save(note)
    world = ClassWorld(students=25)
    marks = buffered_save_many(present_marks(world, period=1)) + buffered_save_many(
        present_marks(world, period=2)
    )
    total = len(notes)
    assert buffer_client().model_status(LABEL)["pending"] == 1650

    worker = celery_workers.start(WRITE_BUFFER_BATCH_SIZE="5", WRITE_BUFFER_MIN_REPLICAS="1")
    celery_workers.wait_ready(worker)
    writer = Writer()
    writer.start()
    celery_workers.send_sync("test:failover")

    # Mid-sync: some rows committed, most still in the log. Then the master dies.
    synced_at_kill = wait_for(
        lambda: (lambda n: n if n >= 100 else None)(Note.objects.count()),
        what="the worker's sync to commit its first batches",
    )
    cluster_buffer.node_at(master).kill()
    killed_at = time.monotonic()
    assert synced_at_kill < total, "the sync finished before the kill: nothing was tested"

    cluster_buffer.wait_promoted(replica)
    promoted_after = time.monotonic() - killed_at
    run = wait_for(
        lambda: (
            SyncRun.objects.filter(trigger="test:failover")
            .exclude(status=SyncRun.Status.RUNNING)
            .first()
        ),
        what="the worker's sync to finish",
    )
    # The killed node comes back as a replica of the new master: writes are confirmed again.
    refused_before_restart = len(writer.refused)
    cluster_buffer.restart(master)
    acked_before_restart = len(writer.acked)
    wait_for(lambda: len(writer.acked) >= acked_before_restart + 20, what="acks after restart")
    writer.stop.set()
    writer.join(timeout=30)
    assert writer.errors == []

    sync_until_empty(timeout=60)

    live_acked = {str(n.pk): n for n in writer.acked}
    live_refused = {str(n.pk) for n in writer.refused}
    stored = db_values()
    expected = {pk: note_values(n) for pk, n in {**notes, **live_acked}.items()}
    # Every acknowledged write is stored exactly once with its version; nothing else appears
    # but refused writes whose entry was written before its confirmation timed out.
    assert {pk: stored[pk] for pk in expected if pk in stored} == expected
    unexpected = set(stored) - set(expected)
    assert unexpected <= live_refused
    assert len(stored) == len(expected) + len(unexpected)
    assert dict(AttendanceMark.objects.values_list("id", "version")) == {
        m.pk: m.version for m in marks
    }
    assert buffer_is_empty()
    assert dead_letters() == []
    assert run.status == SyncRun.Status.OK, run.error
    print(
        f"\nfailover: {total} notes + {len(marks)} marks acknowledged before the kill; "
        f"killed master :{master} with {synced_at_kill} notes in PostgreSQL; replica "
        f":{replica} promoted after {promoted_after:.1f}s; the worker's run synced "
        f"{run.records_synced} ({run.status}); during the failover {len(live_acked)} writes "
        f"acknowledged, {len(writer.refused)} refused (503; {refused_before_restart} before "
        f"the restart; {len(unexpected)} of them stored anyway); PostgreSQL holds "
        f"{len(stored)} notes = {len(expected)} acknowledged + {len(unexpected)} refused-but-"
        f"written, each once"
    )


def test_resubmissions_over_http_get_201_or_503_while_their_master_fails_over(
    cluster_buffer,
    settings,
    live_server_for,  # noqa: F811 - the imported fixture
):
    """The homework fault test on the cluster: students resubmit at once through the real web
    server while the master holding the submissions' log is SIGKILLed. Every answer is a 201
    (and the submission is stored) or a 503 with Retry-After; attempts stay 1..n."""
    set_buffer_option(settings, MIN_REPLICAS=1)
    world = ClassWorld(students=3)
    homework = make_homework(world)
    server = live_server_for(WRITE_BUFFER_MIN_REPLICAS="1")
    master = cluster_buffer.master_port_for_key(log_key("homework.submission"))
    replica = cluster_buffer.replica_port_of(master)
    failover: dict[str, float] = {}

    def kill_master(acknowledged: dict) -> None:
        wait_for(lambda: len(acknowledged) >= 10, timeout=120, what="resubmissions to flow")
        cluster_buffer.node_at(master).kill()
        killed_at = time.monotonic()
        cluster_buffer.wait_promoted(replica)
        failover["promoted_after"] = time.monotonic() - killed_at
        cluster_buffer.restart(master)  # back as a replica: appends are confirmed again

    acknowledged, statuses = resubmit_concurrently(
        server, homework, world.students, threads_per_student=3, rounds=10, during=kill_master
    )

    assert set(statuses) <= {201, 503}, statuses
    assert statuses[201] + statuses[503] == 90
    sync_submissions()
    assert_attempts_chain(homework, acknowledged, exact=False)
    stored = Submission.objects.filter(homework=homework).count()
    print(
        f"\nhomework over HTTP: master :{master} killed, replica :{replica} promoted after "
        f"{failover['promoted_after']:.1f}s; answers {dict(statuses)}; "
        f"{len(acknowledged)} acknowledged, {stored} stored"
    )
