"""After grading: leaderboard order and ties, rebuilding it, overrides, corrected questions and
the regrade report, and attempts keeping the question version they were taken against."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from apps.quizzes import leaderboard
from apps.quizzes.models import Attempt, GradingMethod, QuestionType
from apps.quizzes.selectors import attempt_find
from apps.quizzes.services.attempts import overall_grade
from apps.quizzes.tests.factories import BODIES, QuestionFactory, QuizFactory
from apps.quizzes.tests.support import answer, start, submit
from apps.writebuffer.sync import sync_all

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_ties_are_broken_by_earlier_finish_then_student_id(db):
    quiz_id = "q-ties"
    ids = [f"00000000-0000-0000-0000-00000000000{suffix}" for suffix in "bacd"]
    rows = [  # student, score, finished
        (ids[0], "8.00", T0 + timedelta(seconds=5)),
        (ids[1], "8.00", T0 + timedelta(seconds=5)),  # same score and finish: lower id first
        (ids[2], "8.00", T0 + timedelta(seconds=1)),  # same score, earlier finish
        (ids[3], "9.50", T0 + timedelta(seconds=30)),  # best score, finished last
    ]
    for student, score, finished in rows:
        leaderboard.leaderboard_set(quiz_id=quiz_id, class_id="c1", student_id=student,
                                    score=Decimal(score), finished_at=finished)  # fmt: skip
    board = leaderboard.leaderboard_top(quiz_id=quiz_id, limit=0)
    assert [(s.rank, str(s.student_id), str(s.score)) for s in board] == [
        (1, ids[3], "9.50"), (2, ids[2], "8.00"), (3, ids[1], "8.00"), (4, ids[0], "8.00"),
    ]  # fmt: skip
    # A new grade moves the student; it does not add a second entry.
    leaderboard.leaderboard_set(quiz_id=quiz_id, class_id="c1", student_id=ids[0],
                                score=Decimal("10"), finished_at=T0)  # fmt: skip
    board = leaderboard.leaderboard_top(quiz_id=quiz_id, limit=2)
    assert [(str(s.student_id), str(s.score)) for s in board] == [
        (ids[0], "10.00"), (ids[3], "9.50"),
    ]  # fmt: skip
    assert leaderboard.leaderboard_size(quiz_id=quiz_id) == 4
    assert leaderboard.leaderboard_size(quiz_id=quiz_id, class_id="c1") == 4


@pytest.mark.parametrize(
    ("method", "grade", "decider"),
    [(GradingMethod.HIGHEST, "7.00", 1), (GradingMethod.LAST, "4.00", 2),
     (GradingMethod.AVERAGE, "5.33", 2)],
)  # fmt: skip
def test_the_grading_method_picks_the_grade(method, grade, decider):
    attempts = [
        Attempt(pk=f"00000000-0000-0000-0000-00000000000{n}", status="finished",
                score=Decimal(score), finished_at=T0 + timedelta(minutes=n))
        for n, score in enumerate(["5.00", "7.00", "4.00"])
    ]  # fmt: skip
    score, finished_at, deciding = overall_grade(attempts, method)
    assert (str(score), deciding) == (grade, attempts[decider])


def test_the_class_board_and_the_quiz_board_follow_grading(world, quiz, bank, client_for):
    scores = {}
    for n, student in enumerate(world.students):
        client = client_for(student)
        attempt = start(client, quiz.pk)
        for question_type in list(bank)[: n + 1]:
            from apps.quizzes.tests.factories import RIGHT_ANSWERS

            answer(client, attempt["id"], bank[question_type].pk, RIGHT_ANSWERS[question_type])
        scores[student.pk] = submit(client, attempt["id"]).json()["score"]
    teacher = client_for(world.teacher)
    board = teacher.get(f"/api/v1/quizzes/{quiz.pk}/leaderboard/").json()["entries"]
    assert [(e["student"]["id"], e["score"]) for e in board] == [
        (str(s.pk), scores[s.pk]) for s in reversed(world.students)
    ]
    by_class = teacher.get(
        f"/api/v1/quizzes/{quiz.pk}/leaderboard/?class={world.school_class.pk}"
    ).json()["entries"]
    assert by_class == board
    assert teacher.get(f"/api/v1/quizzes/{quiz.pk}/leaderboard/?class=nope").status_code == 404

    # Redis lost the boards: the command rebuilds the same ranking from the attempts.
    leaderboard.leaderboard_clear(quiz.pk, [str(world.school_class.pk)])
    assert teacher.get(f"/api/v1/quizzes/{quiz.pk}/leaderboard/").json()["entries"] == []
    sync_all(trigger="test")
    call_command("quiz_leaderboards", "rebuild", "--quiz", str(quiz.pk))
    assert teacher.get(f"/api/v1/quizzes/{quiz.pk}/leaderboard/").json()["entries"] == board


def test_a_teacher_overrides_a_mark_with_a_reason(world, quiz, bank, client_for):
    client = client_for(world.student)
    attempt = start(client, quiz.pk)
    text = bank[QuestionType.SHORT_TEXT]
    answer(client, attempt["id"], text.pk, {"text": "Pariss"})
    assert submit(client, attempt["id"]).json()["score"] == "0.00"
    teacher = client_for(world.teacher)
    url = f"/api/v1/attempts/{attempt['id']}/overrides/"
    bad = teacher.post(url, {"question": str(text.pk), "marks": "2", "reason": "typo"},
                       format="json")  # fmt: skip
    assert (bad.status_code, list(bad.json()["error"]["fields"])) == (400, ["marks"])
    no_reason = teacher.post(url, {"question": str(text.pk), "marks": "1", "reason": " "},
                             format="json")  # fmt: skip
    assert no_reason.status_code == 400
    assert client.post(url, {"question": str(text.pk), "marks": "1", "reason": "x"},
                       format="json").status_code == 403  # fmt: skip
    reply = teacher.post(url, {"question": str(text.pk), "marks": "1", "reason": "A typo only."},
                         format="json")  # fmt: skip
    assert reply.status_code == 200
    marked = {q["id"]: q for q in reply.json()["questions"]}[str(text.pk)]
    assert (marked["marks"], marked["override"]["reason"]) == ("1.00", "A typo only.")
    assert reply.json()["score"] == "1.00"
    board = teacher.get(f"/api/v1/quizzes/{quiz.pk}/leaderboard/").json()["entries"]
    assert [e["score"] for e in board] == ["1.00"]
    sync_all(trigger="test")
    stored = Attempt.objects.get(pk=attempt["id"])
    assert (stored.score, stored.graded_by_id) == (Decimal("1.00"), world.teacher.pk)


def test_an_edit_keeps_the_attempts_version_until_the_regrade_reports_the_change(world, client_for):
    numeric = QuestionFactory(subject=world.subject, type=QuestionType.NUMERIC, title="g")
    single = QuestionFactory(subject=world.subject, type=QuestionType.SINGLE_CHOICE, title="sum")
    quiz = QuizFactory(subject=world.subject, classes=[world.school_class],
                       questions=[numeric, single])  # fmt: skip
    attempts = {}
    for student, value in zip(world.students[:2], (9.81, 10.0), strict=True):
        client = client_for(student)
        attempt = start(client, quiz.pk)
        answer(client, attempt["id"], numeric.pk, {"value": value})
        answer(client, attempt["id"], single.pk, {"choice": "b"})
        attempts[student.pk] = submit(client, attempt["id"]).json()
    assert [a["score"] for a in attempts.values()] == ["2.00", "1.00"]

    # The teacher corrects the question: the answer is 10 (and it is worth 2 points now).
    teacher = client_for(world.teacher)
    reply = teacher.patch(f"/api/v1/quizzes/questions/{numeric.pk}/", {
        "body": {**BODIES[QuestionType.NUMERIC], "answer": 10, "tolerance": 0}, "points": "2",
    }, format="json")  # fmt: skip
    assert (reply.status_code, reply.json()["version"]) == (200, 2)
    # Attempts already taken still hold version 1 and their marks.
    first = attempt_find(attempt_id=attempts[world.students[0].pk]["id"])
    assert first.items[0]["version"] == str(numeric.versions.get(number=1).pk)
    assert first.score == Decimal("2.00")

    dry = teacher.post(f"/api/v1/quizzes/{quiz.pk}/regrade/", {"dry_run": True}, format="json")
    report = teacher.post(f"/api/v1/quizzes/{quiz.pk}/regrade/", {}, format="json").json()
    assert dry.json()["changed"] == report["changed"] and dry.json()["dry_run"] is True
    assert report["attempts"] == 2
    changes = {c["student"]: c for c in report["changed"]}
    assert changes[str(world.students[0].pk)]["score_before"] == "2.00"
    assert changes[str(world.students[0].pk)]["score_after"] == "1.00"
    assert changes[str(world.students[0].pk)]["questions"] == [
        {"question": str(numeric.pk), "before": "1.00", "after": "0.00"}
    ]
    assert (changes[str(world.students[1].pk)]["score_before"],
            changes[str(world.students[1].pk)]["score_after"]) == ("1.00", "3.00")  # fmt: skip
    board = teacher.get(f"/api/v1/quizzes/{quiz.pk}/leaderboard/").json()["entries"]
    assert [(e["student"]["id"], e["score"]) for e in board] == [
        (str(world.students[1].pk), "3.00"), (str(world.students[0].pk), "1.00"),
    ]  # fmt: skip
    # A second regrade finds nothing to change.
    again = teacher.post(f"/api/v1/quizzes/{quiz.pk}/regrade/", {}, format="json").json()
    assert again["changed"] == []
    # New attempts get version 2.
    client = client_for(world.students[2])
    fresh = start(client, quiz.pk)
    assert {q["points"] for q in fresh["questions"]} == {"2.00", "1.00"}
