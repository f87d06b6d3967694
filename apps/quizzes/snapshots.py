"""Cache-first reads of what the hot path needs: a quiz with its questions, and an attempt.

Starting an attempt and saving an answer must not read PostgreSQL on every request while a
whole school does it at once. A quiz's snapshot (settings, classes, slots and every question
version it can hand out) is built once and kept compressed in the read cache; services forget it
after any change to the quiz or to a question it uses (after commit). An attempt is kept there
too, as the services last wrote it; when the cache lost it, it is read from the buffer and the
database again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.cache import caches
from django.db import transaction

from apps.quizzes.models import Attempt, Question, QuestionVersion, Quiz, QuizStatus

SNAPSHOT_SECONDS = 15 * 60  # bounds how long a missed invalidation could serve stale settings
ATTEMPT_SECONDS = 6 * 60 * 60


@dataclass(frozen=True)
class VersionSnapshot:
    id: str
    question: str
    type: str
    title: str
    body: dict[str, Any]
    points: Decimal


@dataclass(frozen=True)
class QuizSnapshot:
    id: str
    school_id: str
    subject_id: str
    title: str
    instructions: str
    status: str
    opens_at: datetime
    closes_at: datetime
    time_limit_seconds: int | None
    attempts_allowed: int
    grading_method: str
    shuffle_questions: bool
    shuffle_options: bool
    review_marks: str
    review_answers: str
    class_ids: frozenset[str]
    # (fixed question id or None, draw tag, draw count), in slot order.
    slots: tuple[tuple[str | None, str, int], ...]
    current: dict[str, str]  # question id -> its current version id
    pools: dict[str, tuple[str, ...]]  # draw tag -> question ids, sorted
    versions: dict[str, VersionSnapshot] = field(repr=False)

    @property
    def is_published(self) -> bool:
        return self.status == QuizStatus.PUBLISHED

    def is_open(self, now: datetime) -> bool:
        return self.is_published and self.opens_at <= now < self.closes_at


def _quiz_key(quiz_id: uuid.UUID | str) -> str:
    return f"quizzes:quiz:{quiz_id}"


def _attempt_key(attempt_id: uuid.UUID | str) -> str:
    return f"quizzes:attempt:{attempt_id}"


def _version_snapshot(version: QuestionVersion, question: Question) -> VersionSnapshot:
    return VersionSnapshot(
        id=str(version.pk), question=str(question.pk), type=version.type, title=question.title,
        body=version.body, points=version.points,
    )  # fmt: skip


def build_quiz_snapshot(quiz: Quiz) -> QuizSnapshot:
    slots = list(quiz.slots.order_by("position"))
    fixed = {str(slot.question_id) for slot in slots if slot.question_id}
    tags = sorted({slot.draw_tag for slot in slots if slot.draw_tag})
    questions = {
        str(q.pk): q
        for q in Question.objects.filter(school_id=quiz.school_id, pk__in=fixed).select_related(
            "current_version"
        )
    }
    pools: dict[str, tuple[str, ...]] = {}
    if tags:
        candidates = Question.objects.filter(
            school_id=quiz.school_id, subject_id=quiz.subject_id, current_version__isnull=False
        ).select_related("current_version")
        for question in candidates:
            questions[str(question.pk)] = question
        for tag in tags:
            pools[tag] = tuple(sorted(str(q.pk) for q in candidates if tag in (q.tags or [])))
    versions = {
        str(q.current_version_id): _version_snapshot(q.current_version, q)
        for q in questions.values()
        if q.current_version is not None
    }
    return QuizSnapshot(
        id=str(quiz.pk), school_id=str(quiz.school_id), subject_id=str(quiz.subject_id),
        title=quiz.title, instructions=quiz.instructions, status=quiz.status,
        opens_at=quiz.opens_at, closes_at=quiz.closes_at,
        time_limit_seconds=quiz.time_limit_seconds, attempts_allowed=quiz.attempts_allowed,
        grading_method=quiz.grading_method, shuffle_questions=quiz.shuffle_questions,
        shuffle_options=quiz.shuffle_options, review_marks=quiz.review_marks,
        review_answers=quiz.review_answers,
        class_ids=frozenset(str(pk) for pk in quiz.classes.values_list("pk", flat=True)),
        slots=tuple(
            (str(s.question_id) if s.question_id else None, s.draw_tag, s.draw_count)
            for s in slots
        ),
        current={pk: str(q.current_version_id) for pk, q in questions.items()
                 if q.current_version_id},
        pools=pools,
        versions=versions,
    )  # fmt: skip


def quiz_snapshot(quiz_id: uuid.UUID | str) -> QuizSnapshot | None:
    """The quiz's snapshot, from the cache or built (and cached); None if there is no such quiz."""
    cache = caches["default"]
    snapshot = cache.get(_quiz_key(quiz_id))
    if snapshot is not None:
        return snapshot
    quiz = Quiz.objects.filter(pk=quiz_id).first()
    if quiz is None:
        return None
    snapshot = build_quiz_snapshot(quiz)
    cache.set(_quiz_key(quiz_id), snapshot, timeout=SNAPSHOT_SECONDS)
    return snapshot


def quiz_snapshots_forget(quiz_ids: list[uuid.UUID] | list[str]) -> None:
    """Drop snapshots now and again once the change that made them stale is committed (a
    request between the two could cache what the database still showed)."""
    keys = [_quiz_key(quiz_id) for quiz_id in quiz_ids]
    if keys:
        caches["default"].delete_many(keys)
        transaction.on_commit(lambda: caches["default"].delete_many(keys))


def versions_by_id(
    snapshot: QuizSnapshot | None, version_ids: list[str]
) -> dict[str, VersionSnapshot]:
    """Question versions by id: from the snapshot, or from the database for versions the quiz
    no longer hands out (an attempt taken before a question was edited)."""
    found = {
        vid: snapshot.versions[vid] for vid in version_ids if snapshot and vid in snapshot.versions
    }
    missing = [vid for vid in version_ids if vid not in found]
    if missing:
        for version in QuestionVersion.objects.filter(pk__in=missing).select_related("question"):
            found[str(version.pk)] = _version_snapshot(version, version.question)
    return found


def attempt_remember(attempt: Attempt) -> None:
    caches["default"].set(_attempt_key(attempt.pk), attempt, timeout=ATTEMPT_SECONDS)


def attempt_cached(attempt_id: uuid.UUID | str) -> Attempt | None:
    return caches["default"].get(_attempt_key(attempt_id))
