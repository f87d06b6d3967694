"""Fixtures of the write-buffer engine's tests: real PostgreSQL, real Redis, real processes.

Besides the shared Redis (``settings.CACHES``) some tests start their own ``redis-server`` (to
restart it, or to give it AOF) and their own Celery workers (to SIGKILL them); everything started
here is stopped by the fixture that started it, even when the test fails.
"""

from __future__ import annotations

import copy
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from django.conf import settings

from apps.attendance.models import AttendanceMark, Register, mark_id
from apps.core.database import database_url
from apps.writebuffer import services
from apps.writebuffer.cache import buffer_client
from apps.writebuffer.connection import SYNC_GROUP, index_pattern, log_key
from apps.writebuffer.tests.cluster import (  # noqa: F401 (fixtures)
    RedisProcess,
    cluster_buffer,
    redis_cluster,
    wait_for,
)
from apps.writebuffer.tests.sample.models import Note

LABEL = "wbsample.note"


@pytest.fixture(autouse=True)
def fresh_memory_check(monkeypatch):
    """The memory-limit check is cached for a second per process; start each test uncached so a
    test that set a tiny limit cannot push the next one's writes through to the database."""
    monkeypatch.setattr(services, "_memory_check", (0.0, False))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_note(owner: str = "alice", **values) -> Note:
    values.setdefault("title", f"note {uuid.uuid4().hex[:8]}")
    values.setdefault("body", "")
    values.setdefault("amount", "1.00")
    values.setdefault("tags", [])
    return Note(owner=owner, **values)


def present_marks(world, *, period: int = 1, day: date = date(2026, 9, 1)) -> list[AttendanceMark]:
    """A new register of ``world``'s class on ``day`` at ``period`` and one unsaved "present"
    mark per student (ids as the attendance app makes them), for a second buffered model."""
    register = Register.objects.create(
        school=world.school, school_class=world.school_class, date=day, period=period
    )
    return [
        AttendanceMark(
            id=mark_id(register.pk, student.pk),
            school=world.school,
            register=register,
            student=student,
            code="present",
        )
        for student in world.students
    ]


def note_values(note: Note) -> tuple:
    """Everything a test compares between a written note and its row."""
    return (
        str(note.pk),
        note.owner,
        note.title,
        note.body,
        Decimal(note.amount),
        note.tags,
        note.written_at,
        note.version,
    )


def db_values() -> dict[str, tuple]:
    return {str(row.pk): note_values(row) for row in Note.objects.order_by("pk").iterator()}


def log_length() -> int:
    """Entries in the model's log (one per write request, not per row)."""
    return int(buffer_client().redis.xlen(log_key(LABEL)))


def pending_records() -> int:
    """Rows waiting to sync, as the buffer reports them (status page, metrics)."""
    return int(buffer_client().model_status(LABEL)["pending"])


def group_pending() -> int:
    """Entries delivered to a sync but not acknowledged."""
    client = buffer_client().redis
    if not client.exists(log_key(LABEL)):
        return 0
    try:
        return int(client.xpending(log_key(LABEL), SYNC_GROUP)["pending"])
    except redis.ResponseError:  # no group yet: nothing delivered
        return 0


def index_keys() -> int:
    """Read-your-writes index keys left (Redis drops an index key once it is empty)."""
    client = buffer_client().redis
    return len(list(client.scan_iter(match=index_pattern(LABEL))))


def buffer_is_empty() -> bool:
    return (log_length(), group_pending(), index_keys(), pending_records()) == (0, 0, 0, 0)


def dead_letters() -> list[dict]:
    return buffer_client().dead_letters(LABEL)


def dead_letter_pks(letter: dict) -> list[str]:
    payload = letter["payload"] or {}
    if "r" in payload:
        return [record["k"] for record in payload["r"]]
    return [payload["k"]] if "k" in payload else []


def sync_until_empty(*, timeout: float = 20.0):
    """Run the sync until the log is empty; returns the results of the runs that ran. Entries a
    vanished consumer held wait CLAIM_IDLE_SECONDS (1 s in tests) before a run takes them."""
    from apps.writebuffer.sync import sync_all

    results = []
    deadline = time.monotonic() + timeout
    while log_length():
        if time.monotonic() > deadline:
            raise AssertionError(f"the log still holds {log_length()} entries after {timeout}s")
        result = sync_all(trigger="test:drain")
        if result.ran:
            results.append(result)
        if not result.ran or not (result.synced or result.failed or result.dead_lettered):
            time.sleep(0.1)
    return results


def use_buffer_redis(django_settings, url: str, **options) -> None:
    """Point the ``writebuffer`` cache at another Redis (restored after the test by the
    ``settings`` fixture, which also resets Django's cache handlers)."""
    caches = copy.deepcopy(django_settings.CACHES)
    caches["writebuffer"]["LOCATION"] = url
    caches["writebuffer"]["OPTIONS"].update(options)
    django_settings.CACHES = caches


def set_buffer_option(django_settings, **values) -> None:
    django_settings.WRITE_BUFFER = {**django_settings.WRITE_BUFFER, **values}


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment of a process that must see this test's database and buffer keys (the key
    prefix follows PYTEST_XDIST_WORKER, inherited with the rest of os.environ)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "schools24.settings.test",
        "DATABASE_URL": database_url(),
        "WRITE_BUFFER_REDIS_URL": settings.CACHES["writebuffer"]["LOCATION"],
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


SYNC_TASK = "apps.writebuffer.tasks.sync_write_buffer"


def send_task(broker_url: str, name: str, *, queue: str, **kwargs: object) -> None:
    """Queue task ``name`` on the broker at ``broker_url`` as the web app would."""
    from celery import Celery
    from kombu import Connection

    # An explicit connection: Celery prefers a CELERY_BROKER_URL in the environment (as
    # `make test` exports) over the broker given to the app.
    app = Celery("wbtest-sender")
    try:
        # The project's key prefix too, or the task lands where the workers do not look.
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        with Connection(broker_url, transport_options=options) as connection:
            app.send_task(name, kwargs=kwargs, queue=queue, connection=connection)
    finally:
        app.close()


def start_serve_worker(log: Path, **env: str) -> subprocess.Popen:
    """``scripts/serve.sh worker`` (prefork, as in production) on this test's database and
    keys (``env`` on top: CELERY_BROKER_URL at least), its output in ``log``; returns once it
    is ready. The caller stops it."""
    process = subprocess.Popen(
        ["bash", "scripts/serve.sh", "worker"],
        cwd=settings.BASE_DIR,
        env=subprocess_env(**env),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(lambda: process.poll() is None and "ready." in log.read_text(), what="the worker")
    except BaseException:
        stop_process(process)
        raise
    return process


# --- our own redis-server ---------------------------------------------------------------------
@dataclass
class RedisServer(RedisProcess):
    directory: Path
    port: int = field(default_factory=free_port)
    appendonly: bool = True
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def options(self) -> list[str]:
        return ["--appendonly", "yes" if self.appendonly else "no"]


@pytest.fixture
def redis_server(tmp_path) -> Iterator[Callable[..., RedisServer]]:
    """Start throwaway redis-servers (AOF on, noeviction, fsync always by default)."""
    started: list[RedisServer] = []

    def start(**options) -> RedisServer:
        directory = tmp_path / f"redis-{len(started)}"
        directory.mkdir()
        server = RedisServer(directory=directory, **options)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.kill()


# --- real Celery workers ----------------------------------------------------------------------
@dataclass
class CeleryWorkers:
    """Celery workers (``-P solo``: the task runs in the worker process itself) on a private
    broker and queue, so nothing of these tests reaches anyone else's queues."""

    broker_url: str
    log_dir: Path
    queue: str = field(default_factory=lambda: f"wbtest-{uuid.uuid4().hex[:8]}")
    processes: list[subprocess.Popen] = field(default_factory=list)

    def start(self, **extra_env: str) -> subprocess.Popen:
        name = f"w{len(self.processes)}-{self.queue}"
        log = self.log_dir / f"{name}.log"
        env = subprocess_env(CELERY_BROKER_URL=self.broker_url, **extra_env)
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "schools24", "worker",
                "-P", "solo", "-Q", self.queue, "-n", f"{name}@%h",
                "--without-heartbeat", "--without-mingle", "--without-gossip",
                "-l", "info",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        process.log = log  # type: ignore[attr-defined]
        self.processes.append(process)
        return process

    def wait_ready(self, process: subprocess.Popen) -> None:
        def ready() -> bool:
            log = process.log  # type: ignore[attr-defined]  # set by start_worker
            assert process.poll() is None, log.read_text()
            return "ready." in log.read_text()

        wait_for(ready, what="the Celery worker to be ready")

    def send_sync(self, trigger: str) -> None:
        self.send_task(SYNC_TASK, trigger=trigger)

    def send_task(self, name: str, **kwargs: object) -> None:
        send_task(self.broker_url, name, queue=self.queue, **kwargs)

    def stop_all(self) -> None:
        for process in self.processes:
            stop_process(process)


@pytest.fixture
def celery_workers(redis_server, tmp_path) -> Iterator[CeleryWorkers]:
    broker = redis_server(appendonly=False)
    workers = CeleryWorkers(broker_url=broker.url, log_dir=tmp_path)
    try:
        yield workers
    finally:
        workers.stop_all()
