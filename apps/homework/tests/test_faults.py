"""Submissions over real HTTP, against the production web server in its own process, while
PostgreSQL is cut off, under concurrent resubmission, and while the buffer's Redis dies.

PostgreSQL goes away through a TCP proxy this test owns (the machine's PostgreSQL is never
touched); the buffer's Redis is a redis-server of the test's own.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter, defaultdict

import pytest

from apps.core.tests.live import (
    LiveServer,
    TcpProxy,
    database_host_port,
    proxied_database_url,
)
from apps.homework.models import Submission
from apps.homework.tests.conftest import make_homework
from apps.users.tests.factories import ClassWorld
from apps.users.tokens import access_token_for
from apps.writebuffer.cache import buffer_client
from apps.writebuffer.sync import sync_all
from apps.writebuffer.tests.conftest import (  # noqa: F401 - redis_server is a fixture
    redis_server,
    use_buffer_redis,
    wait_for,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def token(user) -> str:
    return access_token_for(user)


def submissions_path(homework) -> str:
    return f"/api/v1/homework/{homework.pk}/submissions/"


def sync_submissions() -> None:
    """Sync until no submission is pending (what ``writebuffer flush`` does)."""

    def drained() -> bool:
        sync_all(trigger="test:drain")
        return buffer_client().model_status("homework.submission")["pending_writes"] == 0

    wait_for(drained, timeout=30, what="every pending submission to sync")


def assert_attempts_chain(
    homework, acknowledged: dict[str, uuid.UUID], *, exact: bool = True
) -> None:
    """Every acknowledged submission is stored (and, ``exact``, nothing else); per student,
    attempts are 1..n without repeats and exactly the newest one is current."""
    rows = list(Submission.objects.filter(homework=homework))
    stored = {str(row.pk): row for row in rows}
    if exact:
        assert set(stored) == set(acknowledged)
    assert set(acknowledged) <= set(stored)
    by_student = defaultdict(list)
    for row in rows:
        assert str(row.pk) not in acknowledged or acknowledged[str(row.pk)] == row.student_id
        by_student[row.student_id].append(row)
    for versions in by_student.values():
        versions.sort(key=lambda row: row.attempt)
        assert [row.attempt for row in versions] == list(range(1, len(versions) + 1))
        assert [row.is_current for row in versions] == [False] * (len(versions) - 1) + [True]


@pytest.fixture
def buffer_redis(redis_server, settings):  # noqa: F811 - the imported fixture
    server = redis_server()
    use_buffer_redis(settings, server.url)
    return server


@pytest.fixture
def live_server_for(tmp_path):
    servers: list[LiveServer] = []

    def start(**env: str) -> LiveServer:
        server = LiveServer(log_dir=tmp_path, env={"DATABASE_POOL": "1", **env}).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_buffered_submissions_land_while_postgresql_is_down(buffer_redis, live_server_for):
    world = ClassWorld(students=4)
    homework = make_homework(world)
    proxy = TcpProxy(*database_host_port())
    proxy.restore()
    server = live_server_for(DATABASE_URL=proxied_database_url(proxy))
    tokens = {student.pk: token(student) for student in world.students}
    path = submissions_path(homework)
    acknowledged: dict[str, uuid.UUID] = {}

    def submit_all(text: str) -> None:
        for student in world.students:
            reply = server.request("POST", path, token=tokens[student.pk], body={"text": text})
            assert reply.status == 201, reply.body
            acknowledged[reply.body["id"]] = student.pk

    submit_all("before the outage")
    assert server.request("GET", "/healthz/").status == 200

    proxy.cut()
    try:
        health = server.request("GET", "/healthz/")
        assert (health.status, health.body["checks"]["database"]["ok"]) == (503, False)
        for round_number in range(3):
            submit_all(f"during the outage, round {round_number}")
        # Anything that needs the database answers 503 with Retry-After (not a 500, no hang).
        listing = server.request("GET", "/api/v1/homework/", token=token(world.teacher))
        assert (listing.status, listing.body["error"]["code"]) == (503, "database_unavailable")
        assert listing.headers["Retry-After"] == "5"
        creating = server.request(
            "POST",
            "/api/v1/homework/",
            token=token(world.teacher),
            body={"title": "x", "school_class": str(world.school_class.pk)},
        )
        assert creating.status == 503
        assert creating.headers["Retry-After"] == "5"
    finally:
        proxy.restore()

    # Healed by itself, within seconds, without a restart.
    wait_for(
        lambda: server.request("GET", "/healthz/").status == 200,
        timeout=20,
        what="/healthz/ to answer 200 after PostgreSQL came back",
    )
    # Each web worker has its own pool, which reconnects on its own backoff: every worker, not
    # only the one that answered /healthz/, is back within seconds.
    wait_for(
        lambda: all(
            server.request("GET", "/api/v1/homework/", token=token(world.teacher)).status == 200
            for _ in range(8)
        ),
        timeout=30,
        what="every web worker to reach PostgreSQL again",
    )
    listing = server.request("GET", "/api/v1/homework/", token=token(world.teacher))
    assert (listing.status, listing.body["count"]) == (200, 1)

    assert len(acknowledged) == 16
    sync_submissions()
    assert_attempts_chain(homework, acknowledged)
    assert Counter(
        Submission.objects.filter(homework=homework).values_list("attempt", flat=True)
    ) == {1: 4, 2: 4, 3: 4, 4: 4}


def resubmit_concurrently(
    server: LiveServer, homework, students, *, threads_per_student: int, rounds: int, during=None
) -> tuple[dict[str, uuid.UUID], Counter]:
    """Every student's threads resubmit at once; returns the acknowledged submissions (201)
    and a count of the answers' statuses. ``during(acknowledged)`` runs in this thread while
    the others keep sending."""
    acknowledged: dict[str, uuid.UUID] = {}
    statuses: Counter = Counter()
    lock = threading.Lock()
    path = submissions_path(homework)

    def work(student, number: int) -> None:
        access = token(student)
        for round_number in range(rounds):
            try:
                reply = server.request(
                    "POST", path, token=access, body={"text": f"{number}/{round_number}"}
                )
            except OSError as exc:  # counted, so the assertion names it
                with lock:
                    statuses[type(exc).__name__] += 1
                continue
            with lock:
                statuses[reply.status] += 1
                if reply.status == 201:
                    acknowledged[reply.body["id"]] = student.pk
                else:
                    assert reply.status == 503, reply.body
                    assert reply.headers["Retry-After"] == "5"

    workers = [
        threading.Thread(target=work, args=(student, number))
        for student in students
        for number in range(threads_per_student)
    ]
    for worker in workers:
        worker.start()
    if during is not None:
        during(acknowledged)
    for worker in workers:
        worker.join(timeout=300)
    return acknowledged, statuses


def test_concurrent_resubmissions_keep_one_current_version_and_attempts_1_to_n(
    buffer_redis, live_server_for
):
    world = ClassWorld(students=3)
    homework = make_homework(world)
    server = live_server_for()

    acknowledged, statuses = resubmit_concurrently(
        server, homework, world.students, threads_per_student=4, rounds=4
    )

    assert statuses == {201: 48}
    sync_submissions()
    assert_attempts_chain(homework, acknowledged)
    assert Submission.objects.filter(homework=homework, is_current=True).count() == 3


def test_resubmissions_keep_their_invariants_when_the_buffer_redis_dies(
    buffer_redis, live_server_for
):
    world = ClassWorld(students=3)
    homework = make_homework(world)
    server = live_server_for()
    outage_answers: list[int] = []

    def kill_and_restart(acknowledged: dict) -> None:
        wait_for(lambda: len(acknowledged) >= 10, timeout=120, what="resubmissions to flow")
        buffer_redis.kill()  # SIGKILL, with requests in flight
        # Stopped: a resubmission cannot be decided without the pending versions and the lock.
        reply = server.request(
            "POST", submissions_path(homework), token=token(world.student), body={"text": "?"}
        )
        outage_answers.append(reply.status)
        assert reply.body["error"]["code"] == "buffer_unavailable"
        buffer_redis.start()  # same port and directory: the append-only file is replayed

    acknowledged, statuses = resubmit_concurrently(
        server, homework, world.students, threads_per_student=3, rounds=8, during=kill_and_restart
    )

    assert outage_answers == [503]
    assert statuses[201] + statuses[503] == 72, statuses
    assert statuses[201] >= 10
    sync_submissions()
    # A write Redis took just before dying may have lost only its reply (the client saw 503
    # and would retry): every acknowledged write is stored, and the chain holds over all rows.
    assert_attempts_chain(homework, acknowledged, exact=False)
