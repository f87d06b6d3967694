"""Demo quizzes: a mathematics and science question bank with every question type, and per
class a quiz that has closed (with graded attempts) and one open now (10-A's has a time limit
and a random draw by tag).

Idempotent: questions are looked up by subject and title, quizzes by title; seeded attempts have
ids derived from quiz and student and are inserted with ``ignore_conflicts``. Past attempts are
historical, so they are written straight to the database and the leaderboards rebuilt from it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from tqdm import tqdm

from apps.quizzes.models import (
    Answer,
    Attempt,
    AttemptStatus,
    FinishedBy,
    Question,
    QuestionType,
    Quiz,
    ReviewWhen,
    answer_id,
)
from apps.quizzes.services.attempts import attempt_paper, grade_items
from apps.quizzes.services.questions import question_create
from apps.quizzes.services.quizzes import quiz_create, quiz_publish
from apps.quizzes.services.results import leaderboards_rebuild
from apps.quizzes.snapshots import build_quiz_snapshot, versions_by_id
from apps.users.models import Enrolment, TeacherAssignment

BANK: dict[str, list[tuple[str, str, list[str], dict[str, Any]]]] = {
    "MATH": [
        (QuestionType.SINGLE_CHOICE, "Square root of 81", ["arithmetic"], {
            "prompt": "What is the square root of 81?",
            "options": [{"id": "a", "text": "8"}, {"id": "b", "text": "9"},
                        {"id": "c", "text": "18"}],
            "correct": "b", "feedback": "9 x 9 = 81."}),
        (QuestionType.MULTIPLE_CHOICE, "Prime numbers", ["arithmetic"], {
            "prompt": "Which of these are prime?",
            "options": [{"id": "a", "text": "2"}, {"id": "b", "text": "9"},
                        {"id": "c", "text": "11"}, {"id": "d", "text": "15"}],
            "correct": ["a", "c"], "negative_marking": True}),
        (QuestionType.TRUE_FALSE, "Parallel lines", ["geometry"], {
            "prompt": "Parallel lines never meet on a flat plane.", "correct": True}),
        (QuestionType.NUMERIC, "Circle area", ["geometry"], {
            "prompt": "Area of a circle of radius 2 cm, to two decimals?", "answer": 12.57,
            "tolerance": 0.01, "units": ["cm2"]}),
        (QuestionType.SHORT_TEXT, "Triangle with equal sides", ["geometry"], {
            "prompt": "A triangle with three equal sides is called...",
            "accepted": ["equilateral", "an equilateral triangle"]}),
        (QuestionType.MATCHING, "Shapes and sides", ["geometry"], {
            "prompt": "Match each shape with its number of sides.",
            "items": [{"id": "tri", "text": "Triangle"}, {"id": "hex", "text": "Hexagon"},
                      {"id": "oct", "text": "Octagon"}],
            "choices": [{"id": "3", "text": "3"}, {"id": "6", "text": "6"},
                        {"id": "8", "text": "8"}, {"id": "5", "text": "5"}],
            "correct": {"tri": "3", "hex": "6", "oct": "8"}}),
        (QuestionType.SINGLE_CHOICE, "Angles of a triangle", ["geometry"], {
            "prompt": "The angles of a triangle add up to...",
            "options": [{"id": "a", "text": "90"}, {"id": "b", "text": "180"},
                        {"id": "c", "text": "360"}],
            "correct": "b"}),
    ],
    "SCI": [
        (QuestionType.TRUE_FALSE, "Sound in a vacuum", ["physics"], {
            "prompt": "Sound travels through a vacuum.", "correct": False}),
        (QuestionType.NUMERIC, "Gravity", ["physics"], {
            "prompt": "Acceleration due to gravity on Earth (m/s2)?", "answer": 9.81,
            "tolerance": 0.05, "units": ["m/s2"]}),
        (QuestionType.SHORT_TEXT, "Water formula", ["chemistry"], {
            "prompt": "The chemical formula of water?", "accepted": ["H2O"],
            "case_sensitive": True}),
    ],
}  # fmt: skip

RIGHT: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {  # a right answer per type
    QuestionType.SINGLE_CHOICE: lambda body: {"choice": body["correct"]},
    QuestionType.MULTIPLE_CHOICE: lambda body: {"choices": body["correct"]},
    QuestionType.TRUE_FALSE: lambda body: {"value": body["correct"]},
    QuestionType.NUMERIC: lambda body: {"value": body["answer"]},
    QuestionType.SHORT_TEXT: lambda body: {"text": body["accepted"][0]},
    QuestionType.MATCHING: lambda body: {"matches": body["correct"]},
}


def _bank(context, subject, teacher) -> list[Question]:
    questions = []
    for kind, title, tags, body in BANK.get(subject.code, []):
        question = Question.objects.filter(school=context.school, subject=subject,
                                           title=title).first()  # fmt: skip
        if question is None:
            question, _ = question_create(subject=subject, created_by=teacher, type=kind,
                                          title=title, body=body, tags=tags)  # fmt: skip
        questions.append(question)
    return questions


def _quiz(*, school_class, subject, teacher, title, slots, **settings) -> Quiz:
    quiz = Quiz.objects.filter(school=school_class.school, title=title).first()
    if quiz is None:
        quiz, _ = quiz_create(created_by=teacher, subject=subject, classes=[school_class],
                              title=title, slots=slots, **settings)  # fmt: skip
        quiz_publish(quiz=quiz)
    return quiz


def _past_attempts(context, quiz: Quiz, class_id, students) -> None:
    snapshot = build_quiz_snapshot(quiz)
    attempts, answers = [], []
    for student in students:
        attempt_pk = uuid.uuid5(quiz.pk, str(student.pk))
        items = attempt_paper(snapshot, attempt_pk)
        versions = versions_by_id(snapshot, [item["version"] for item in items])
        started = quiz.opens_at + timedelta(minutes=context.rng.randint(0, 60))
        given = {}
        for item in items:
            version = versions[item["version"]]
            if context.rng.random() < 0.7:  # most students get most answers right
                response = RIGHT[version.type](version.body)
                answers.append(Answer(
                    id=answer_id(attempt_pk, item["question"]), school=context.school,
                    attempt_id=attempt_pk, question_id=item["question"], response=response,
                    saved_at=started + timedelta(minutes=3),
                ))  # fmt: skip
                given[item["question"]] = answers[-1]
        marks, score = grade_items(items=items, versions=versions, answers=given)
        attempts.append(Attempt(
            id=attempt_pk, school=context.school, quiz=quiz, student=student,
            school_class_id=class_id, number=1, status=AttemptStatus.FINISHED,
            finished_by=FinishedBy.STUDENT, started_at=started,
            deadline=started + timedelta(seconds=quiz.time_limit_seconds or 3600),
            finished_at=started + timedelta(minutes=context.rng.randint(5, 14)), items=items,
            marks=marks, score=score,
            max_score=sum((Decimal(i["points"]) for i in items), Decimal(0)),
            graded_at=started + timedelta(minutes=15), version=1,
        ))  # fmt: skip
    Attempt.objects.bulk_create(attempts, ignore_conflicts=True)
    Answer.objects.bulk_create(answers, ignore_conflicts=True)


def seed(context, *, progress: bool) -> None:
    now = timezone.now().replace(second=0, microsecond=0)
    subjects = [s for s in context.subjects if s.code in BANK]
    pairs = [(c, s) for c in context.classes for s in subjects]
    for school_class, subject in tqdm(pairs, desc="quizzes", disable=not progress, unit="class"):
        assignment = TeacherAssignment.objects.filter(
            school_class=school_class, subject=subject
        ).select_related("teacher").first()  # fmt: skip
        if assignment is None:
            continue
        teacher = assignment.teacher
        questions = _bank(context, subject, teacher)
        label = f"{school_class.grade}-{school_class.section}"
        past = _quiz(
            school_class=school_class, subject=subject, teacher=teacher,
            title=f"{subject.name} check-in ({label}, last week)",
            slots=[{"question": q.pk} for q in questions[:4]],
            opens_at=now - timedelta(days=8), closes_at=now - timedelta(days=6),
            time_limit_seconds=900, review_answers=ReviewWhen.AFTER_CLOSE,
        )  # fmt: skip
        students = [
            e.student
            for e in Enrolment.objects.filter(school_class=school_class).select_related("student")
        ]
        _past_attempts(context, past, school_class.pk, students)
        leaderboards_rebuild(quiz=past)
        open_slots: list[dict[str, Any]] = [{"question": q.pk} for q in questions[:3]]
        if subject.code == "MATH":
            open_slots.append({"draw_tag": "geometry", "draw_count": 2})
        _quiz(
            school_class=school_class, subject=subject, teacher=teacher,
            title=f"{subject.name} quiz ({label}, this week)", slots=open_slots,
            opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=2),
            time_limit_seconds=1200 if label == "10-A" else None, attempts_allowed=2,
            shuffle_questions=True, shuffle_options=True,
        )  # fmt: skip
