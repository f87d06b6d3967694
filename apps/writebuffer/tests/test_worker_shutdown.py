"""SIGTERM to a Celery worker (``scripts/serve.sh worker``, prefork as in production) in the
middle of a sync: the warm shutdown finishes the task, so every write is stored once and
acknowledged, and the worker exits 0."""

from __future__ import annotations

import signal
import time

import pytest
from django.conf import settings

from apps.core.tests.pgpair import free_port
from apps.writebuffer.models import SyncRun
from apps.writebuffer.services import buffered_save_many
from apps.writebuffer.sync import PAUSE_AFTER_COMMIT_ENV, PAUSE_SECONDS_ENV
from apps.writebuffer.tests.conftest import (
    SYNC_TASK,
    buffer_is_empty,
    db_values,
    dead_letters,
    make_note,
    note_values,
    pending_records,
    send_task,
    start_serve_worker,
    wait_for,
)
from apps.writebuffer.tests.sample.models import Note

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PAUSE_SECONDS = 3


def test_sigterm_mid_sync_finishes_the_task_and_exits_0(redis_server, tmp_path):
    broker = redis_server(appendonly=False, port=free_port(7340, 7399))
    notes = buffered_save_many([make_note(owner="alice", title=f"t{i}") for i in range(100)])
    assert pending_records() == 100
    marker = tmp_path / "committed"
    log = tmp_path / "worker.log"
    worker = start_serve_worker(
        log,
        CELERY_BROKER_URL=broker.url,
        CELERY_CONCURRENCY="1",
        **{PAUSE_AFTER_COMMIT_ENV: str(marker), PAUSE_SECONDS_ENV: str(PAUSE_SECONDS)},
    )
    try:
        send_task(
            broker.url, SYNC_TASK, queue=settings.CELERY_TASK_DEFAULT_QUEUE, trigger="test:sigterm"
        )
        # Committed to PostgreSQL, not yet acknowledged in Redis: the worst moment to stop.
        wait_for(marker.exists, what="the sync to commit its batch")
        assert int(marker.read_text()) != worker.pid  # prefork: a child runs the task
        assert pending_records() == 100

        stopped_at = time.monotonic()
        worker.send_signal(signal.SIGTERM)  # what docker stop / a supervisor sends
        assert worker.wait(timeout=60) == 0
        # It waited for the task (still paused when the signal came), then left.
        assert time.monotonic() - stopped_at >= PAUSE_SECONDS - 1
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)

    text = log.read_text()
    assert "Warm shutdown" in text, text
    assert "succeeded" in text, text
    [run] = SyncRun.objects.filter(trigger="test:sigterm")
    assert (run.status, run.records_synced) == ("ok", 100)
    assert Note.objects.count() == 100
    assert db_values() == {str(n.pk): note_values(n) for n in notes}
    assert buffer_is_empty()  # acknowledged: no second delivery will store anything again
    assert dead_letters() == []
