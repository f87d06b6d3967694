"""The quiz storm: a whole school starting the same quiz in the same minute, over real HTTP.

``bench_quiz_storm`` creates a school of N students with a question bank and two identical
quizzes, starts a private Redis, then for each write policy (the quiz models buffered, then
written through) starts the production web server (``scripts/serve.sh web``) and a Celery worker
(``scripts/serve.sh worker``) in their own processes and runs the load generator
(``storm_load.py``) in another. After each storm the worker syncs the buffer and a separate
process, configured like the servers, checks PostgreSQL and the leaderboard.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from apps.benchmarks.http_server import free_port, stop_server, wait_until_serving
from apps.core.database import database_url
from apps.quizzes.models import QuestionType, Quiz
from apps.quizzes.services.questions import question_create
from apps.quizzes.services.quizzes import quiz_create, quiz_publish
from apps.users.models import Enrolment, Role, School, SchoolClass, Subject, TeacherAssignment, User
from apps.users.tokens import access_token_for

CLASS_SIZE = 40
QUESTIONS: list[tuple[str, dict[str, Any]]] = [
    (QuestionType.SINGLE_CHOICE, {
        "prompt": "Which is a prime number?",
        "options": [{"id": "a", "text": "4"}, {"id": "b", "text": "7"}, {"id": "c", "text": "9"},
                    {"id": "d", "text": "15"}],
        "correct": "b"}),
    (QuestionType.MULTIPLE_CHOICE, {
        "prompt": "Which are even?",
        "options": [{"id": "a", "text": "2"}, {"id": "b", "text": "3"}, {"id": "c", "text": "8"},
                    {"id": "d", "text": "11"}],
        "correct": ["a", "c"], "negative_marking": True}),
    (QuestionType.TRUE_FALSE, {"prompt": "Water boils at 100 C at sea level.", "correct": True}),
    (QuestionType.NUMERIC, {"prompt": "The speed of sound in air, m/s?", "answer": 9.81,
                            "tolerance": 0.1, "units": ["m/s2"]}),
    (QuestionType.SHORT_TEXT, {"prompt": "Capital of France?", "accepted": ["Paris"]}),
    (QuestionType.MATCHING, {
        "prompt": "Match the countries and capitals.",
        "items": [{"id": "fr", "text": "France"}, {"id": "it", "text": "Italy"}],
        "choices": [{"id": "p", "text": "Paris"}, {"id": "r", "text": "Rome"},
                    {"id": "m", "text": "Madrid"}],
        "correct": {"fr": "p", "it": "r"}}),
    (QuestionType.SINGLE_CHOICE, {
        "prompt": "The largest planet?",
        "options": [{"id": "a", "text": "Mars"}, {"id": "b", "text": "Jupiter"},
                    {"id": "c", "text": "Venus"}],
        "correct": "b"}),
    (QuestionType.MULTIPLE_CHOICE, {
        "prompt": "Which are mammals?",
        "options": [{"id": "a", "text": "Whale"}, {"id": "b", "text": "Shark"},
                    {"id": "c", "text": "Bat"}],
        "correct": ["a", "c"]}),
    (QuestionType.TRUE_FALSE, {"prompt": "The moon is a planet.", "correct": False}),
    (QuestionType.NUMERIC, {"prompt": "g on Earth, m/s2?", "answer": 9.8, "tolerance": 0.05}),
]  # fmt: skip
ANSWERS_PER_ATTEMPT = len(QUESTIONS)
BASE_DIR = Path(settings.BASE_DIR)


@dataclass
class StormSchool:
    school: School
    students: list[User]
    quizzes: dict[str, Quiz]


def create_school(*, students: int, modes: list[str]) -> StormSchool:
    suffix = uuid.uuid4().hex[:8]
    school = School.objects.create(name=f"Quiz storm {suffix}", slug=f"storm-{suffix}")
    password = make_password(None)
    teacher = User.objects.create(
        username=f"storm-{suffix}-teacher", school=school, role=Role.TEACHER, password=password
    )
    subject = Subject.objects.create(school=school, name="General knowledge", code="GK")
    classes = []
    people: list[User] = []
    for index in range(math.ceil(students / CLASS_SIZE)):
        school_class = SchoolClass.objects.create(
            school=school, grade=1 + index // 26, section=f"S{index}", academic_year="2026-27",
            class_teacher=teacher,
        )  # fmt: skip
        TeacherAssignment.objects.create(
            school=school, teacher=teacher, school_class=school_class, subject=subject
        )
        size = min(CLASS_SIZE, students - len(people))
        batch = User.objects.bulk_create(
            User(username=f"storm-{suffix}-{index}-{n}", school=school, role=Role.STUDENT,
                 password=password, first_name="Student", last_name=f"{index}-{n}")
            for n in range(size)
        )  # fmt: skip
        Enrolment.objects.bulk_create(
            Enrolment(school=school, student=s, school_class=school_class, roll_number=n + 1)
            for n, s in enumerate(batch)
        )
        classes.append(school_class)
        people.extend(batch)
    questions = [
        question_create(subject=subject, created_by=teacher, type=kind, title=body["prompt"],
                        body=body)[0]
        for kind, body in QUESTIONS
    ]  # fmt: skip
    quizzes = {}
    now = timezone.now()
    for mode in modes:
        quiz, _ = quiz_create(
            created_by=teacher, subject=subject, classes=classes, title=f"Storm ({mode})",
            slots=[{"question": q.pk} for q in questions], opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(hours=3), time_limit_seconds=3600, attempts_allowed=1,
            shuffle_questions=True, shuffle_options=True,
        )  # fmt: skip
        quizzes[mode] = quiz_publish(quiz=quiz)
    return StormSchool(school=school, students=people, quizzes=quizzes)


def delete_school(storm: StormSchool) -> None:
    from apps.quizzes.models import Answer, Attempt

    Answer.objects.filter(school=storm.school).delete()
    Attempt.objects.filter(school=storm.school).delete()
    Quiz.objects.filter(school=storm.school).delete()
    storm.school.delete()


def server_env(*, redis_url: str, port: int, direct: bool) -> dict[str, str]:
    """Production settings for the server processes, pointed at this run's database and Redis."""
    base = redis_url.rsplit("/", 1)[0]
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "WRITE_BUFFER_", "SCHOOLS24_", "PYTEST"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="schools24.settings.production",
        # The tokens the load generator sends were signed here, with this key.
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        # Plain HTTP on loopback: no TLS proxy in front to redirect to.
        DJANGO_SECURE_SSL_REDIRECT="false",
        DATABASE_URL=database_url(),
        REDIS_URL=f"{base}/0",
        WRITE_BUFFER_REDIS_URL=f"{base}/1",
        CELERY_BROKER_URL=f"{base}/2",
        HOST="127.0.0.1",
        PORT=str(port),
    )
    if sys.prefix != sys.base_prefix:  # serve.sh takes its programs from this virtualenv
        env["VIRTUAL_ENV"] = sys.prefix
    if direct:
        env["WRITE_BUFFER_POLICY_OVERRIDES"] = (
            "quizzes.attempt=write_through,quizzes.answer=write_through"
        )
    return env


@contextmanager
def servers(env: dict[str, str], log_dir: Path) -> Iterator[None]:
    """The web server and a Celery worker, as production runs them, until the block ends."""
    started = []
    try:
        for role in ("web", "worker"):
            log = (log_dir / f"{role}-{env['PORT']}.log").open("w")
            started.append(
                subprocess.Popen(
                    ["bash", str(BASE_DIR / "scripts" / "serve.sh"), role],
                    cwd=BASE_DIR,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
            )
        wait_until_serving(
            f"http://127.0.0.1:{env['PORT']}",
            started,
            lambda: "\n".join(p.read_text()[-2000:] for p in log_dir.glob("*.log")),
        )
        yield
    finally:
        for process in started:
            stop_server(process)


def run_load(*, port: int, quiz: Quiz, tokens: list[str], arrival_seconds: float,
             connections: int, work_dir: Path) -> dict[str, Any]:  # fmt: skip
    plan = work_dir / f"plan-{quiz.pk}.json"
    plan.write_text(json.dumps({
        "host": "127.0.0.1", "port": port, "quiz": str(quiz.pk), "tokens": tokens,
        "arrival_seconds": arrival_seconds, "connections": connections,
    }))  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "apps.benchmarks.storm_load", str(plan)],
        cwd=BASE_DIR, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def verify(env: dict[str, str], quiz: Quiz, students: int) -> dict[str, Any]:
    """Sync through the worker and check PostgreSQL and the leaderboard, in a process
    configured like the servers."""
    result = subprocess.run(
        [sys.executable, "manage.py", "bench_quiz_storm", "--verify", str(quiz.pk),
         "--students", str(students)],
        cwd=BASE_DIR, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"verification failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def storm(
    *, students: int, arrival_seconds: float, connections: int, redis_url: str,
    log: Callable[[str], None],
) -> dict[str, Any]:  # fmt: skip
    modes = ["buffered", "direct"]
    log(f"Creating a school of {students} students and two quizzes of {ANSWERS_PER_ATTEMPT}...")
    school = create_school(students=students, modes=modes)
    results: dict[str, Any] = {}
    try:
        tokens = [access_token_for(student) for student in school.students]
        with tempfile.TemporaryDirectory(prefix="schools24-storm-") as tmp:
            work_dir = Path(tmp)
            for mode in modes:
                port = free_port()
                env = server_env(redis_url=redis_url, port=port, direct=mode == "direct")
                log(f"{mode}: serving on port {port}; {students} students arrive over "
                    f"{arrival_seconds:.0f} s on {connections} connections...")  # fmt: skip
                with servers(env, work_dir):
                    load = run_load(
                        port=port, quiz=school.quizzes[mode], tokens=tokens,
                        arrival_seconds=arrival_seconds, connections=connections,
                        work_dir=work_dir,
                    )  # fmt: skip
                    log(
                        f"  {load['requests']} requests in {load['storm_seconds']} s "
                        f"({load['rps']}/s), {load['errors']} errors; syncing and checking..."
                    )
                    for sample in load["error_samples"]:
                        log(f"  error: {sample}")
                    load["check"] = verify(env, school.quizzes[mode], students)
                results[mode] = load
    finally:
        log("Cleaning up the storm school...")
        delete_school(school)
    buffered, direct = results["buffered"], results["direct"]
    return {
        "students": students,
        "answers_per_attempt": ANSWERS_PER_ATTEMPT,
        "arrival_seconds": arrival_seconds,
        "connections": connections,
        "requests": buffered["requests"],
        "errors": buffered["errors"] + direct["errors"],
        "attempts_in_db": buffered["check"]["attempts_in_db"],
        "answers_in_db": buffered["check"]["answers_in_db"],
        "leaderboard_exact": buffered["check"]["leaderboard_exact"]
        and direct["check"]["leaderboard_exact"],
        "rps_buffered": buffered["rps"],
        "rps_direct": direct["rps"],
        "buffered_to_direct": round(buffered["rps"] / direct["rps"], 2),
        "p99_ms_answer": buffered["latency_ms"]["answer"]["p99"],
        "p99_ms_answer_direct": direct["latency_ms"]["answer"]["p99"],
        "storm_seconds_buffered": buffered["storm_seconds"],
        "storm_seconds_direct": direct["storm_seconds"],
        "buffered": buffered,
        "direct": direct,
        "cpus": os.cpu_count(),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
