"""After grading: a teacher's override of one mark, a regrade of a whole quiz after a question
was corrected, and rebuilding the leaderboards from what is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.quizzes import leaderboard
from apps.quizzes.models import Attempt, AttemptStatus, Quiz
from apps.quizzes.selectors import attempt_answers, attempt_find, quiz_attempts
from apps.quizzes.services.attempts import (
    TWO_PLACES,
    _lock,
    attempt_graded_publish,
    attempt_item,
    grade_items,
    leaderboard_place,
    student_place,
)
from apps.quizzes.snapshots import attempt_remember, build_quiz_snapshot, versions_by_id
from apps.users.models import User
from apps.writebuffer.services import buffered_save


def attempt_override_mark(
    *, attempt: Attempt, quiz: Quiz, question_id: str, marks: Decimal, reason: str, by: User
) -> Attempt:
    """Replace the automatic mark of one question with the teacher's, with a reason; the total
    and the leaderboards follow."""
    if attempt.status != AttemptStatus.FINISHED:
        raise ApplicationError(
            "Only a finished attempt's marks can be changed.", code="attempt_not_finished",
            status_code=409,
        )  # fmt: skip
    item = attempt_item(attempt, question_id)
    points = Decimal(item["points"])
    if not (Decimal(0) <= marks <= points):
        raise ApplicationError(
            f"The mark must be between 0 and {points}.",
            fields={"marks": [f"Between 0 and {points}."]},
        )
    if not reason.strip():
        raise ApplicationError("Say why the mark changes.", fields={"reason": ["Required."]})
    with _lock(f"attempt:{attempt.pk}"):
        attempt = attempt_find(attempt_id=attempt.pk, student_id=attempt.student_id) or attempt
        entry = dict(attempt.marks.get(str(question_id), {}))
        entry["override"] = {
            "marks": str(marks.quantize(TWO_PLACES)), "reason": reason.strip(),
            "by": str(by.pk), "at": timezone.now().isoformat(),
        }  # fmt: skip
        attempt.marks = {**attempt.marks, str(question_id): entry}
        total = sum(
            (Decimal(e["override"]["marks"] if e.get("override") else e["marks"])
             for e in attempt.marks.values()),
            Decimal(0),
        )  # fmt: skip
        attempt.score = max(total, Decimal(0)).quantize(TWO_PLACES)
        attempt.graded_by = by
        attempt.graded_at = timezone.now()
        buffered_save(attempt)
        attempt_remember(attempt)
    leaderboard_place(attempt=attempt, grading_method=quiz.grading_method)
    attempt_graded_publish(attempt, actor_id=by.pk)
    return attempt


@dataclass
class RegradeReport:
    attempts: int = 0
    changed: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False


def quiz_regrade(*, quiz: Quiz, by: User, dry_run: bool = False) -> RegradeReport:
    """Grade every finished attempt again against the questions' current versions (after a
    teacher corrected one) and report each attempt whose marks changed. Overrides stay."""
    snapshot = build_quiz_snapshot(quiz)
    report = RegradeReport(dry_run=dry_run)
    for attempt in quiz_attempts(quiz=quiz):
        if attempt.status != AttemptStatus.FINISHED:
            continue
        report.attempts += 1
        items = []
        for item in attempt.items:
            current = snapshot.current.get(item["question"]) or item["version"]
            version = versions_by_id(snapshot, [current])[current]
            items.append({**item, "version": current, "points": str(version.points)})
        versions = versions_by_id(snapshot, [item["version"] for item in items])
        marks, score = grade_items(
            items=items, versions=versions, answers=attempt_answers(attempt=attempt),
            previous=attempt.marks,
        )  # fmt: skip
        questions = [
            {"question": q, "before": attempt.marks.get(q, {}).get("marks"), "after": m["marks"]}
            for q, m in marks.items()
            if attempt.marks.get(q, {}).get("marks") != m["marks"]
        ]
        if score == attempt.score and not questions and items == attempt.items:
            continue
        report.changed.append(
            {"attempt": str(attempt.pk), "student": str(attempt.student_id),
             "score_before": str(attempt.score), "score_after": str(score),
             "questions": questions}
        )  # fmt: skip
        if dry_run:
            continue
        with _lock(f"attempt:{attempt.pk}"):
            attempt.items, attempt.marks, attempt.score = items, marks, score
            attempt.max_score = sum((Decimal(i["points"]) for i in items), Decimal(0))
            attempt.graded_by, attempt.graded_at = by, timezone.now()
            buffered_save(attempt)
            attempt_remember(attempt)
    if report.changed and not dry_run:
        leaderboards_rebuild(quiz=quiz)
    return report


def leaderboards_rebuild(*, quiz: Quiz) -> int:
    """Rebuild the quiz's boards from its attempts (stored and pending); returns the number of
    students placed."""
    attempts = quiz_attempts(quiz=quiz)
    class_ids = {str(a.school_class_id) for a in attempts if a.school_class_id}
    class_ids |= {str(pk) for pk in quiz.classes.values_list("pk", flat=True)}
    leaderboard.leaderboard_clear(quiz.pk, sorted(class_ids))
    by_student: dict[Any, list[Attempt]] = {}
    for attempt in attempts:
        by_student.setdefault(attempt.student_id, []).append(attempt)
    return sum(
        student_place(quiz_id=quiz.pk, attempts=attempts, grading_method=quiz.grading_method)
        for attempts in by_student.values()
    )
