"""``manage.py bench_quiz_storm [--students N] [--json]``: a whole school starts the same quiz.

Runs the production web server and a Celery worker in their own processes (``scripts/serve.sh``)
against this database and a private Redis, with the load generator in another process; the quiz
models buffered, then written through, in the same run. See ``apps/benchmarks/quiz_storm.py``.
"""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from apps.benchmarks.quiz_storm import ANSWERS_PER_ATTEMPT, storm
from apps.benchmarks.redis_server import private_redis


class Command(BaseCommand):
    help = "The quiz storm: N students start, answer and submit one quiz over real HTTP."

    def add_arguments(self, parser):
        parser.add_argument("--students", type=int, default=3000)
        parser.add_argument("--arrival-seconds", type=float, default=60.0)
        parser.add_argument("--connections", type=int, default=32, help="client connections")
        parser.add_argument("--redis-url", help="an empty Redis to use instead of a private one")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        # Internal: run by the storm in a process configured like the servers.
        parser.add_argument("--verify", metavar="QUIZ_ID", help="(internal) sync and check")

    def log(self, message: str) -> None:
        (self.stderr if self.as_json else self.stdout).write(message)

    def handle(self, *args, students: int, **options):
        self.as_json = options["json"]
        if options["verify"]:
            self.stdout.write(json.dumps(verify_quiz(options["verify"], students)))
            return
        if connection.vendor != "postgresql":
            raise CommandError(
                "bench_quiz_storm measures PostgreSQL: run it with "
                "DATABASE_URL=postgres://USER@HOST:5432/NAME (after `manage.py migrate`)."
            )
        if students < 1:
            raise CommandError("--students must be at least 1")
        with private_redis(options.get("redis_url")) as redis_url:
            results = storm(
                students=students, arrival_seconds=options["arrival_seconds"],
                connections=options["connections"], redis_url=redis_url, log=self.log,
            )  # fmt: skip
        self.stdout.write(json.dumps(results) if self.as_json else json.dumps(results, indent=2))


def verify_quiz(quiz_id: str, students: int, timeout: float = 600) -> dict:
    """Have the Celery worker sync the buffer, then compare PostgreSQL and the leaderboard with
    what the storm must have left: one finished attempt and one row per question per student."""
    from apps.quizzes.leaderboard import _member, leaderboard_top
    from apps.quizzes.models import Answer, Attempt, AttemptStatus
    from apps.writebuffer.status import buffer_status
    from apps.writebuffer.tasks import sync_write_buffer

    started = time.monotonic()
    while True:
        pending = buffer_status()["pending"]
        if pending == 0:
            break
        if time.monotonic() - started > timeout:
            raise CommandError(f"{pending} records still pending after {timeout} s")
        sync_write_buffer.delay(trigger="bench:storm")
        time.sleep(2)
    sync_seconds = time.monotonic() - started
    attempts = list(Attempt.objects.filter(quiz_id=quiz_id))
    finished = [a for a in attempts if a.status == AttemptStatus.FINISHED and a.finished_at]
    # The ranking computed from PostgreSQL's rows, by the documented rule: grade, then earlier
    # finish (to the millisecond), then student id.
    expected = sorted(
        ((a.score, _member(a.student_id, a.finished_at)) for a in finished),
        key=lambda row: (-row[0], row[1]),
    )
    board = [
        (s.score, f"{s.finished_at_ms:015d}|{s.student_id}")
        for s in leaderboard_top(quiz_id=quiz_id, limit=0)
    ]
    return {
        "attempts_in_db": len(attempts),
        "attempts_finished": len(finished),
        "answers_in_db": Answer.objects.filter(attempt_id__in=[a.pk for a in attempts]).count(),
        "answers_expected": students * ANSWERS_PER_ATTEMPT,
        "leaderboard_exact": board == expected and len(board) == students,
        "leaderboard_size": len(board),
        "sync_wait_seconds": round(sync_seconds, 2),
    }
