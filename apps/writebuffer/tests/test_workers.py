"""The sync in real Celery worker processes: killed between commit and ack, run twice at once,
and run while PostgreSQL is unreachable."""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.db import connection

from apps.writebuffer.models import SyncRun
from apps.writebuffer.services import buffered_save, buffered_save_many
from apps.writebuffer.sync import PAUSE_AFTER_COMMIT_ENV, sync_all
from apps.writebuffer.tests.conftest import (
    buffer_is_empty,
    db_values,
    dead_letters,
    free_port,
    group_pending,
    log_length,
    make_note,
    note_values,
    pending_records,
    wait_for,
)
from apps.writebuffer.tests.sample.models import Note

pytestmark = pytest.mark.django_db(transaction=True)


def finished_runs(prefix: str) -> list[SyncRun]:
    return list(
        SyncRun.objects.filter(trigger__startswith=prefix)
        .exclude(status=SyncRun.Status.RUNNING)
        .order_by("pk")
    )


def test_a_worker_killed_between_commit_and_ack_leaves_no_duplicate(celery_workers, tmp_path):
    notes = []
    for owner in ("alice", "bob", "carol"):
        notes += buffered_save_many([make_note(owner=owner, title=f"t{i}") for i in range(50)])
    notes += [buffered_save(make_note(owner="dave", title=f"single{i}")) for i in range(50)]
    assert pending_records() == 200
    marker = tmp_path / "committed"
    worker = celery_workers.start(**{PAUSE_AFTER_COMMIT_ENV: str(marker)})
    celery_workers.wait_ready(worker)

    celery_workers.send_sync("test:killed")
    wait_for(marker.exists, what="the worker to commit its batch")
    killed_at = time.monotonic()

    # Committed, not acknowledged: every row is in PostgreSQL and every entry still in the log.
    assert int(marker.read_text()) == worker.pid  # -P solo: the task runs in the worker itself
    assert db_values() == {str(n.pk): note_values(n) for n in notes}
    assert (log_length(), group_pending(), pending_records()) == (53, 53, 200)

    os.kill(worker.pid, signal.SIGKILL)
    assert worker.wait(timeout=10) == -signal.SIGKILL

    # The dead worker's entries become claimable after CLAIM_IDLE_SECONDS (1 s in tests); its
    # advisory lock went with its connection.
    time.sleep(max(0.0, 1.2 - (time.monotonic() - killed_at)))
    result = wait_for(
        lambda: (lambda r: r if r.ran else None)(sync_all(trigger="test:rerun")),
        timeout=20,
        what="the killed worker's advisory lock to be released",
    )

    assert (result.synced, result.failed, result.dead_lettered) == (200, 0, 0)
    assert Note.objects.count() == 200
    assert db_values() == {str(n.pk): note_values(n) for n in notes}
    assert buffer_is_empty()
    assert dead_letters() == []
    assert sync_all(trigger="test:again").synced == 0


def test_two_workers_syncing_at_once_store_every_write_once(celery_workers):
    notes = []
    for owner in range(20):
        notes += buffered_save_many(
            [make_note(owner=f"o{owner}", title=f"t{i}") for i in range(40)]
        )
    notes += [buffered_save(make_note(owner=f"o{i % 5}", title=f"s{i}")) for i in range(200)]
    assert pending_records() == 1000
    # Small batches, so the first run is still going when the second starts.
    workers = [celery_workers.start(WRITE_BUFFER_BATCH_SIZE="5") for _ in range(2)]
    for worker in workers:
        celery_workers.wait_ready(worker)

    celery_workers.send_sync("test:twin")
    celery_workers.send_sync("test:twin")
    runs = wait_for(
        lambda: (lambda done: done if len(done) == 2 else None)(finished_runs("test:twin")),
        what="both workers to finish their sync",
    )

    assert sorted(run.status for run in runs) in (["ok", "ok"], ["ok", "skipped"])
    assert sum(run.records_synced for run in runs) == 1000
    assert db_values() == {str(n.pk): note_values(n) for n in notes}
    assert buffer_is_empty()
    assert dead_letters() == []


def test_a_worker_that_cannot_reach_postgresql_retries_with_backoff(celery_workers):
    notes = [buffered_save(make_note(title=f"n{i}")) for i in range(30)]
    down = f"postgres://postgres@127.0.0.1:{free_port()}/{connection.settings_dict['NAME']}"
    worker = celery_workers.start(DATABASE_URL=down)
    celery_workers.wait_ready(worker)

    celery_workers.send_sync("test:down")
    wait_for(lambda: "Retry in 15s" in worker.log.read_text(), what="the task to be retried")

    log = worker.log.read_text()
    assert "sync postponed 15s" in log
    assert "DatabaseUnavailable" in log
    # The buffer kept every write and keeps accepting new ones meanwhile.
    notes += [buffered_save(make_note(title=f"m{i}")) for i in range(10)]
    assert (pending_records(), Note.objects.count()) == (40, 0)

    assert sync_all(trigger="test:healed").synced == 40
    assert db_values() == {str(n.pk): note_values(n) for n in notes}
    assert buffer_is_empty()
