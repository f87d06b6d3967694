"""Timing rules: the server sets the deadline, late answers are refused, and an attempt whose
time ran out is submitted and graded without anyone reading it again (by a real Celery worker)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from apps.quizzes.models import Attempt, AttemptStatus, FinishedBy, QuestionType
from apps.quizzes.selectors import attempt_find
from apps.quizzes.services.attempts import attempts_finish_overdue
from apps.quizzes.tests.factories import QuizFactory
from apps.quizzes.tests.support import answer, start, submit
from apps.writebuffer.sync import sync_all

# A real worker is a separate process: it must see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def short_quiz(world, bank, settings):
    settings.QUIZ_ANSWER_GRACE_SECONDS = 0.5
    return QuizFactory(
        subject=world.subject, classes=[world.school_class], questions=list(bank.values()),
        time_limit_seconds=1,
    )  # fmt: skip


def wait_past(deadline_text: str, extra: float) -> None:
    deadline = datetime.fromisoformat(deadline_text)
    time.sleep(max(0.0, (deadline - timezone.now()).total_seconds()) + extra)


def test_the_deadline_is_the_time_limit_or_the_close_whichever_comes_first(world, bank, client_for):
    closes_soon = QuizFactory(subject=world.subject, classes=[world.school_class],
                              questions=[bank["true_false"]], time_limit_seconds=3600,
                              closes_at=timezone.now() + timedelta(minutes=10))  # fmt: skip
    attempt = start(client_for(world.student), closes_soon.pk)
    assert datetime.fromisoformat(attempt["deadline"]) == closes_soon.closes_at


def test_answers_within_the_grace_count_and_later_ones_are_refused(world, bank, short_quiz,
                                                                   client_for):  # fmt: skip
    client = client_for(world.student)
    attempt = start(client, short_quiz.pk)
    question = bank[QuestionType.TRUE_FALSE].pk
    deadline = datetime.fromisoformat(attempt["deadline"])
    time.sleep(max(0.0, (deadline - timezone.now()).total_seconds()) + 0.1)
    assert answer(client, attempt["id"], question, {"value": True}).status_code == 200  # grace
    time.sleep(0.6)
    late = answer(client, attempt["id"], question, {"value": False})
    assert (late.status_code, late.json()["error"]["code"]) == (409, "deadline_passed")
    result = submit(client, attempt["id"]).json()
    # Too late to be the student's submit: it is the deadline's, graded with the answer in time.
    assert (result["finished_by"], result["score"]) == (FinishedBy.DEADLINE, "1.00")
    assert datetime.fromisoformat(result["finished_at"]) == deadline


def test_the_sweep_finishes_overdue_attempts_in_the_buffer_and_in_the_database(
    world, bank, short_quiz, client_for
):
    short_quiz.time_limit_seconds = 6  # room for three students to start on a busy machine
    short_quiz.save(update_fields=["time_limit_seconds"])
    right = {
        str(bank[QuestionType.TRUE_FALSE].pk): {"value": True},
        str(bank[QuestionType.SINGLE_CHOICE].pk): {"choice": "b"},
    }
    ids = []
    for student in world.students:
        client = client_for(student)
        attempt = start(client, short_quiz.pk)
        for question_id, response in right.items():
            assert answer(client, attempt["id"], question_id, response).status_code == 200
        ids.append(attempt)
    sync_all(trigger="test")  # the first attempt reaches the database; the others stay pending
    assert Attempt.objects.filter(status=AttemptStatus.IN_PROGRESS).count() == 3
    assert attempts_finish_overdue() == 0  # not overdue yet
    wait_past(ids[-1]["deadline"], 0.6)
    assert attempts_finish_overdue() == 3
    assert attempts_finish_overdue() == 0  # idempotent
    for started in ids:
        attempt = attempt_find(attempt_id=started["id"])
        assert (attempt.status, attempt.finished_by, attempt.score) == ("finished", "deadline", 2)


def test_a_celery_worker_submits_an_attempt_no_one_reads_again(
    world, bank, short_quiz, client_for, celery_workers
):
    client = client_for(world.student)
    attempt = start(client, short_quiz.pk)
    assert (
        answer(client, attempt["id"], bank["short_text"].pk, {"text": " PARIS "}).status_code == 200
    )
    worker = celery_workers.start(QUIZ_ANSWER_GRACE_SECONDS="0.5")
    celery_workers.wait_ready(worker)
    wait_past(attempt["deadline"], 0.6)  # past the grace; nobody touches the attempt again
    celery_workers.send_task("apps.quizzes.tasks.finish_overdue_attempts")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        sync_all(trigger="test")
        stored = Attempt.objects.filter(pk=attempt["id"]).first()
        if stored is not None and stored.status == AttemptStatus.FINISHED:
            break
        time.sleep(0.2)
    stored = Attempt.objects.get(pk=attempt["id"])
    assert (stored.status, stored.finished_by, stored.score) == ("finished", "deadline", 1)
    # The worker logs the task's success just after the task returns, which can be after the
    # attempt it stored has reached the database.
    logged = time.monotonic() + 10
    while "succeeded" not in worker.log.read_text() and time.monotonic() < logged:
        time.sleep(0.1)
    assert "succeeded" in worker.log.read_text()
