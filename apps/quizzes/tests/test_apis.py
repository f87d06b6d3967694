"""The quiz API as students and teachers meet it: the contract's endpoints, bad input, another
school's ids, review rules and idempotent answers."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from apps.quizzes.models import Answer, Attempt, AttemptStatus, QuestionType, ReviewWhen
from apps.quizzes.tests.factories import BODIES, RIGHT_ANSWERS, QuestionFactory, QuizFactory
from apps.quizzes.tests.support import answer, start, submit
from apps.writebuffer.sync import sync_all

pytestmark = pytest.mark.django_db

ANSWER_KEYS = {"correct", "accepted", "answer", "tolerance", "feedback"}


def answer_all_right(client, attempt, bank):
    by_id = {str(q.pk): t for t, q in bank.items()}
    for question in attempt["questions"]:
        response = answer(
            client, attempt["id"], question["id"], RIGHT_ANSWERS[by_id[question["id"]]]
        )
        assert response.status_code == 200, response.content


# --- the contract -----------------------------------------------------------------------------
def test_a_student_lists_starts_answers_and_submits(world, quiz, bank, client_for):
    client = client_for(world.student)
    listed = client.get("/api/v1/quizzes/").json()
    assert [q["id"] for q in listed["results"]] == [str(quiz.pk)]
    assert listed["results"][0]["is_open"] is True

    attempt = start(client, quiz.pk)
    deadline = datetime.fromisoformat(attempt["deadline"])
    assert abs((deadline - timezone.now()) - timedelta(seconds=1800)) < timedelta(seconds=5)
    assert {q["id"] for q in attempt["questions"]} == {str(q.pk) for q in bank.values()}
    for question in attempt["questions"]:
        assert not ANSWER_KEYS & set(question["body"]), question
        assert question["response"] is None and "marks" not in question
    assert attempt["score"] is None

    answer_all_right(client, attempt, bank)
    result = submit(client, attempt["id"])
    assert result.status_code == 200
    body = result.json()
    assert (body["status"], body["finished_by"], body["score"], body["max_score"]) == (
        "finished", "student", "6.00", "6.00",
    )  # fmt: skip
    assert all(q["marks"] == "1.00" for q in body["questions"])
    # Answers are shown after the quiz closes (the default), not yet.
    assert all("answer_key" not in q for q in body["questions"])

    board = client.get(f"/api/v1/quizzes/{quiz.pk}/leaderboard/").json()
    assert [(e["rank"], e["student"]["id"], e["score"]) for e in board["entries"]] == [
        (1, str(world.student.pk), "6.00")
    ]


def test_answers_are_visible_to_the_student_at_once_before_the_sync(world, quiz, bank, client_for):
    client = client_for(world.student)
    attempt = start(client, quiz.pk)
    question = bank[QuestionType.SHORT_TEXT]
    assert answer(client, attempt["id"], question.pk, {"text": "Lyon"}).status_code == 200
    again = client.get(f"/api/v1/attempts/{attempt['id']}/").json()
    shown = {q["id"]: q["response"] for q in again["questions"]}
    assert shown[str(question.pk)] == {"text": "Lyon"}
    assert Answer.objects.count() == 0  # still only in the buffer
    # Starting again returns the running attempt, not a new one.
    assert start(client, quiz.pk)["id"] == attempt["id"]


def test_a_resent_answer_does_not_double_and_the_last_one_wins(world, quiz, bank, client_for):
    client = client_for(world.student)
    attempt = start(client, quiz.pk)
    question = bank[QuestionType.SINGLE_CHOICE]
    for choice in ("a", "a", "b", "b"):  # resends, then a changed answer, resent
        assert answer(client, attempt["id"], question.pk, {"choice": choice}).status_code == 200
    sync_all(trigger="test")
    rows = list(Answer.objects.filter(attempt_id=attempt["id"]))
    assert [(str(r.question_id), r.response) for r in rows] == [(str(question.pk), {"choice": "b"})]
    assert submit(client, attempt["id"]).json()["score"] == "1.00"
    sync_all(trigger="test")
    stored = Attempt.objects.get(pk=attempt["id"])
    assert (stored.status, stored.score, stored.number) == (AttemptStatus.FINISHED, 1, 1)


def test_an_answer_synced_before_its_attempt_still_counts(world, quiz, bank, client_for):
    """The two models sync side by side in no fixed order. An answer already in PostgreSQL
    (no longer pending) whose attempt is still only in the buffer must be read and graded."""
    from apps.writebuffer.registry import registration_for
    from apps.writebuffer.sync import _ModelSync, consumer_name

    client = client_for(world.student)
    attempt = start(client, quiz.pk)
    question = bank[QuestionType.SHORT_TEXT]
    assert answer(client, attempt["id"], question.pk, {"text": " PARIS "}).status_code == 200
    assert _ModelSync(registration_for(Answer), consumer_name()).run(100).synced == 1
    assert (Answer.objects.count(), Attempt.objects.count()) == (1, 0)

    result = submit(client, attempt["id"]).json()

    assert result["score"] == "1.00"


def test_a_submit_sent_twice_grades_once(world, quiz, bank, client_for):
    client = client_for(world.student)
    attempt = start(client, quiz.pk)
    answer_all_right(client, attempt, bank)
    first, second = submit(client, attempt["id"]).json(), submit(client, attempt["id"]).json()
    assert first["finished_at"] == second["finished_at"] and first["score"] == second["score"]
    assert (
        answer(client, attempt["id"], bank[QuestionType.TRUE_FALSE].pk, {"value": False}).json()[
            "error"
        ]["code"]
        == "attempt_finished"
    )


# --- bad input changes nothing ------------------------------------------------------------------
def pending_answers(attempt_id) -> int:
    from apps.quizzes.selectors import attempt_answers

    return len(attempt_answers(attempt=Attempt(pk=attempt_id)))


@pytest.mark.parametrize(
    ("question_type", "response", "field"),
    [
        (QuestionType.SINGLE_CHOICE, {"choice": "zz"}, "response.choice"),
        (QuestionType.NUMERIC, {"value": "ten"}, "response.value"),
        (QuestionType.MATCHING, {"matches": {"fr": "nowhere"}}, "response.matches"),
        (QuestionType.TRUE_FALSE, [True], "response"),
    ],
)
def test_an_answer_of_the_wrong_shape_is_a_400(world, quiz, bank, client_for, question_type,
                                               response, field):  # fmt: skip
    client = client_for(world.student)
    attempt = start(client, quiz.pk)
    reply = answer(client, attempt["id"], bank[question_type].pk, response)
    assert reply.status_code == 400
    assert list(reply.json()["error"]["fields"]) == [field]
    assert pending_answers(attempt["id"]) == 0


def test_a_question_not_in_the_attempt_is_a_400(world, quiz, client_for):
    client = client_for(world.student)
    attempt = start(client, quiz.pk)
    stranger = QuestionFactory(subject=world.subject)
    reply = answer(client, attempt["id"], stranger.pk, {"choice": "b"})
    assert (reply.status_code, reply.json()["error"]["code"]) == (400, "question_not_in_attempt")
    reply = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers/not-a-uuid/", {"response": {}}, format="json"
    )
    assert reply.status_code == 404
    assert pending_answers(attempt["id"]) == 0


def test_someone_elses_attempt_is_a_404(world, quiz, bank, client_for):
    attempt = start(client_for(world.student), quiz.pk)
    other = client_for(world.students[1])
    question = bank[QuestionType.SINGLE_CHOICE].pk
    assert answer(other, attempt["id"], question, {"choice": "b"}).status_code == 404
    assert submit(other, attempt["id"]).status_code == 404
    assert other.get(f"/api/v1/attempts/{attempt['id']}/").status_code == 404
    assert pending_answers(attempt["id"]) == 0


def test_another_schools_quiz_and_attempt_are_404(world, other_world, quiz, bank, client_for):
    attempt = start(client_for(world.student), quiz.pk)
    outsider = client_for(other_world.student)
    outsider_teacher = client_for(other_world.teacher)
    assert outsider.get("/api/v1/quizzes/").json()["results"] == []
    assert outsider.post(f"/api/v1/quizzes/{quiz.pk}/attempts/", {}).status_code == 404
    assert outsider.get(f"/api/v1/quizzes/{quiz.pk}/leaderboard/").status_code == 404
    assert (
        answer(outsider, attempt["id"], bank["true_false"].pk, {"value": True}).status_code == 404
    )
    for path in (f"/api/v1/quizzes/{quiz.pk}/", f"/api/v1/quizzes/{quiz.pk}/results/",
                 f"/api/v1/attempts/{attempt['id']}/",
                 f"/api/v1/quizzes/questions/{bank['true_false'].pk}/"):  # fmt: skip
        assert outsider_teacher.get(path).status_code == 404, path
    reply = outsider_teacher.post(
        f"/api/v1/attempts/{attempt['id']}/overrides/",
        {"question": str(bank["true_false"].pk), "marks": "1", "reason": "x"}, format="json",
    )  # fmt: skip
    assert reply.status_code == 404


def test_a_closed_quiz_and_the_attempt_limit_are_409(world, bank, client_for):
    client = client_for(world.student)
    closed = QuizFactory(subject=world.subject, classes=[world.school_class],
                         questions=[bank["true_false"]],
                         closes_at=timezone.now() - timedelta(minutes=1))  # fmt: skip
    reply = client.post(f"/api/v1/quizzes/{closed.pk}/attempts/", {}, format="json")
    assert (reply.status_code, reply.json()["error"]["code"]) == (409, "quiz_closed")

    once = QuizFactory(subject=world.subject, classes=[world.school_class],
                       questions=[bank["true_false"]], attempts_allowed=1)  # fmt: skip
    attempt = start(client, once.pk)
    submit(client, attempt["id"])
    reply = client.post(f"/api/v1/quizzes/{once.pk}/attempts/", {}, format="json")
    assert (reply.status_code, reply.json()["error"]["code"]) == (409, "attempt_limit")
    assert (
        Attempt.objects.count() == 0
        and len(
            __import__("apps.quizzes.selectors", fromlist=["x"]).student_attempts(
                student_id=world.student.pk, quiz_id=once.pk
            )
        )
        == 1
    )


def test_a_student_of_another_class_does_not_see_the_quiz(world, quiz, client_for):
    from apps.users.tests.factories import EnrolmentFactory, SchoolClassFactory

    elsewhere = EnrolmentFactory(school_class=SchoolClassFactory(school=world.school)).student
    client = client_for(elsewhere)
    assert client.get("/api/v1/quizzes/").json()["results"] == []
    assert client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/", {}).status_code == 404


def test_students_cannot_use_the_bank_or_build_quizzes(world, client_for):
    client = client_for(world.student)
    assert client.get("/api/v1/quizzes/questions/").status_code == 403
    assert client.post("/api/v1/quizzes/", {}, format="json").status_code == 403


# --- review options ---------------------------------------------------------------------------
def test_answers_are_hidden_until_the_review_allows(world, bank, client_for):
    quiz = QuizFactory(subject=world.subject, classes=[world.school_class],
                       questions=list(bank.values()), review_marks=ReviewWhen.AFTER_CLOSE,
                       review_answers=ReviewWhen.AFTER_CLOSE)  # fmt: skip
    client = client_for(world.student)
    attempt = start(client, quiz.pk)
    answer_all_right(client, attempt, bank)
    result = submit(client, attempt["id"]).json()
    assert result["score"] is None and result["max_score"] is None
    assert all("marks" not in q and "answer_key" not in q for q in result["questions"])
    review = client.get(f"/api/v1/attempts/{attempt['id']}/").json()
    assert not any(ANSWER_KEYS & set(q["body"]) or "answer_key" in q for q in review["questions"])
    board = client.get(f"/api/v1/quizzes/{quiz.pk}/leaderboard/")
    assert (board.status_code, board.json()["error"]["code"]) == (403, "review_not_allowed")

    # The quiz's teacher sees everything at once.
    teacher_view = client_for(world.teacher).get(f"/api/v1/attempts/{attempt['id']}/").json()
    assert teacher_view["score"] == "6.00"
    keyed = {q["type"]: q["answer_key"] for q in teacher_view["questions"]}
    assert keyed["single_choice"] == {"correct": "b", "feedback": "Count on your fingers."}

    # Once the quiz has closed, the student sees marks and answers.
    quiz.closes_at = timezone.now() - timedelta(seconds=1)
    quiz.save(update_fields=["closes_at"])
    from apps.quizzes.snapshots import quiz_snapshots_forget

    quiz_snapshots_forget([quiz.pk])
    review = client.get(f"/api/v1/attempts/{attempt['id']}/").json()
    assert review["score"] == "6.00"
    assert {q["type"]: q["answer_key"] for q in review["questions"]} == keyed


def test_with_review_never_the_student_never_sees_the_score(world, bank, client_for):
    quiz = QuizFactory(subject=world.subject, classes=[world.school_class],
                       questions=[bank["true_false"]], review_marks=ReviewWhen.NEVER,
                       review_answers=ReviewWhen.NEVER,
                       closes_at=timezone.now() + timedelta(seconds=30))  # fmt: skip
    client = client_for(world.student)
    attempt = start(client, quiz.pk)
    assert submit(client, attempt["id"]).json()["score"] is None


# --- teachers ---------------------------------------------------------------------------------
def test_a_malformed_question_is_a_400_naming_the_field(world, client_for):
    client = client_for(world.teacher)
    reply = client.post("/api/v1/quizzes/questions/", {
        "subject": str(world.subject.pk), "type": "matching", "title": "Capitals",
        "body": {**BODIES["matching"], "correct": {"fr": "p"}},
    }, format="json")  # fmt: skip
    assert reply.status_code == 400
    assert reply.json()["error"]["fields"] == {
        "body.correct": ["An object mapping every item id to a choice id."]
    }
    assert (
        world.subject.school.pk
        and not __import__("apps.quizzes.models", fromlist=["Question"]).Question.objects.exists()
    )


def test_a_teacher_builds_publishes_and_exports(world, client_for):
    client = client_for(world.teacher)
    ids = []
    for kind in (QuestionType.TRUE_FALSE, QuestionType.NUMERIC, QuestionType.SHORT_TEXT):
        reply = client.post("/api/v1/quizzes/questions/", {
            "subject": str(world.subject.pk), "type": kind, "title": kind, "tags": ["week1"],
            "body": BODIES[kind], "points": "2.00",
        }, format="json")  # fmt: skip
        assert reply.status_code == 201, reply.content
        ids.append(reply.json()["id"])
    now = timezone.now()
    reply = client.post("/api/v1/quizzes/", {
        "subject": str(world.subject.pk), "classes": [str(world.school_class.pk)],
        "title": "Week 1", "opens_at": (now - timedelta(minutes=1)).isoformat(),
        "closes_at": (now + timedelta(hours=1)).isoformat(), "time_limit_seconds": 600,
        "slots": [{"question": ids[0]}, {"draw_tag": "week1", "draw_count": 2}],
    }, format="json")  # fmt: skip
    assert reply.status_code == 201, reply.content
    quiz_id = reply.json()["id"]
    student = client_for(world.student)
    assert student.post(f"/api/v1/quizzes/{quiz_id}/attempts/", {}).status_code == 404  # draft
    assert client.post(f"/api/v1/quizzes/{quiz_id}/publish/").status_code == 200
    attempt = start(student, quiz_id)
    # The fixed question, and the two others drawn by tag (never the fixed one twice).
    assert sorted(q["id"] for q in attempt["questions"]) == sorted(ids)
    submit(student, attempt["id"])

    export = client.get(f"/api/v1/quizzes/{quiz_id}/results.csv")
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert [(r["username"], r["status"], r["score"], r["max_score"]) for r in rows] == [
        (world.student.username, "finished", "0.00", "6.00")
    ]


def test_the_random_draw_is_fixed_per_attempt(world, client_for):
    for n in range(6):
        QuestionFactory(subject=world.subject, type="true_false", tags=["pool"], title=f"q{n}")
    quiz = QuizFactory(subject=world.subject, classes=[world.school_class])
    quiz.slots.create(position=1, draw_tag="pool", draw_count=3)
    papers = {}
    for student in world.students:
        client = client_for(student)
        attempt = start(client, quiz.pk)
        again = client.get(f"/api/v1/attempts/{attempt['id']}/").json()
        assert [q["id"] for q in again["questions"]] == [q["id"] for q in attempt["questions"]]
        assert len({q["id"] for q in attempt["questions"]}) == 3
        papers[student.pk] = tuple(q["id"] for q in attempt["questions"])
    assert len(set(papers.values())) > 1  # 20 possible draws: three students differ


def test_list_endpoints_query_count_does_not_grow(
    world, bank, client_for, django_assert_num_queries
):
    for n in range(4):
        QuizFactory(subject=world.subject, classes=[world.school_class],
                    questions=[bank["true_false"]], title=f"q{n}")  # fmt: skip
    student, teacher = client_for(world.student), client_for(world.teacher)
    # count, page of quizzes (subject joined), their classes
    with django_assert_num_queries(3):
        assert len(student.get("/api/v1/quizzes/").json()["results"]) == 4
    with django_assert_num_queries(3):
        assert len(teacher.get("/api/v1/quizzes/").json()["results"]) == 4
    with django_assert_num_queries(2):  # count, page (subject and current version joined)
        assert len(teacher.get("/api/v1/quizzes/questions/").json()["results"]) == 6
