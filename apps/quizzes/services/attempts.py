"""A student's attempt: start it, save answers as they are given, finish it (by submitting or
at the deadline), grade it and place it on the leaderboards.

Attempts and answers go through the write buffer. Every change to one attempt (an answer, the
submit, the automatic finish) runs under the attempt's lock in Redis, so an answer saved while
the attempt is being submitted is either graded or refused, never stored and ignored.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone
from redis.exceptions import RedisError

from apps.core.errors import ApplicationError
from apps.events.services import event_publish
from apps.events.types import Event, EventType
from apps.quizzes import leaderboard
from apps.quizzes.models import (
    Answer,
    Attempt,
    AttemptStatus,
    FinishedBy,
    GradingMethod,
    answer_id,
)
from apps.quizzes.question_types import grade, response_errors, shuffled_keys
from apps.quizzes.selectors import attempt_answers, attempt_find, student_attempts
from apps.quizzes.snapshots import (
    QuizSnapshot,
    VersionSnapshot,
    attempt_remember,
    quiz_snapshot,
    versions_by_id,
)
from apps.users.models import User
from apps.writebuffer.cache import read_cache
from apps.writebuffer.connection import global_key, redis_client
from apps.writebuffer.services import buffered_save

logger = logging.getLogger(__name__)
TWO_PLACES = Decimal("0.01")
LOCK_SECONDS = 30


def _lock(name: str) -> Any:
    return read_cache().lock(f"quizzes:lock:{name}", timeout=LOCK_SECONDS, blocking_timeout=10)


def grace() -> timedelta:
    return timedelta(seconds=settings.QUIZ_ANSWER_GRACE_SECONDS)


# --- open attempts by deadline ---------------------------------------------------------------
# Kept in the buffer's Redis (persistent, never evicted), next to the attempts themselves, so
# the sweep finds attempts that the database has not seen yet.
def _deadlines_key() -> str:
    return global_key("quizzes:deadlines")


def _deadline_track(attempt: Attempt) -> None:
    try:
        redis_client().zadd(_deadlines_key(), {str(attempt.pk): attempt.deadline.timestamp()})
    except RedisError as exc:  # the database sweep still finds it once it is stored
        logger.warning("could not track the deadline of attempt %s: %s", attempt.pk, exc)


def _deadline_untrack(attempt_ids: Iterable[str]) -> None:
    ids = list(attempt_ids)
    if ids:
        redis_client().zrem(_deadlines_key(), *ids)


def overdue_attempt_ids(*, now: datetime) -> list[str]:
    """Ids of tracked attempts whose deadline and grace have passed."""
    cutoff = (now - grace()).timestamp()
    members = cast(list[bytes], redis_client().zrangebyscore(_deadlines_key(), 0, cutoff))
    return [member.decode() for member in members]


# --- the paper --------------------------------------------------------------------------------
def attempt_paper(snapshot: QuizSnapshot, seed: uuid.UUID) -> list[dict[str, Any]]:
    """The attempt's questions: fixed ones, then draws per tag, shuffled if the quiz says so.
    Deterministic for the attempt id, so the same attempt always gets the same paper."""
    rng = random.Random(seed.int)
    chosen: list[str] = []
    fixed = {question for question, _, _ in snapshot.slots if question}
    for question, tag, count in snapshot.slots:
        if question:
            chosen.append(question)
            continue
        pool = [q for q in snapshot.pools.get(tag, ()) if q not in fixed and q not in chosen]
        chosen.extend(rng.sample(pool, min(count, len(pool))))
    if snapshot.shuffle_questions:
        rng.shuffle(chosen)
    items = []
    for question in chosen:
        version = snapshot.versions[snapshot.current[question]]
        order = {}
        if snapshot.shuffle_options:
            for key in shuffled_keys(version.type):
                ids = [option["id"] for option in version.body[key]]
                rng.shuffle(ids)
                order[key] = ids
        items.append(
            {"question": question, "version": version.id, "points": str(version.points),
             "order": order}
        )  # fmt: skip
    return items


def attempt_start(
    *,
    snapshot: QuizSnapshot,
    student: User,
    class_id: str,
    attempt_id: uuid.UUID | None = None,
) -> tuple[Attempt, bool]:
    """Start an attempt (the server sets its deadline), or return the student's attempt that is
    still running. Returns the attempt and whether it is new. Retrying with the same
    ``attempt_id`` returns the first result."""
    now = timezone.now()
    with _lock(f"start:{snapshot.id}:{student.pk}"):
        attempts = student_attempts(student_id=student.pk, quiz_id=snapshot.id)
        if attempt_id is not None:
            mine = next((a for a in attempts if a.pk == attempt_id), None)
            if mine is not None:
                return mine, False
            if Attempt.objects.filter(pk=attempt_id).exists() or attempt_find(
                attempt_id=attempt_id
            ):
                raise ApplicationError(
                    "This id is already taken.", code="id_taken", status_code=409
                )
        for attempt in attempts:
            if attempt.status == AttemptStatus.IN_PROGRESS:
                if now <= attempt.deadline + grace():
                    return attempt, False
                attempt_finish(attempt=attempt, finished_by=FinishedBy.DEADLINE, snapshot=snapshot)
        if not snapshot.is_open(now):
            raise ApplicationError(
                "This quiz is not open.", code="quiz_closed", status_code=409,
                fields={"opens_at": [snapshot.opens_at.isoformat()],
                        "closes_at": [snapshot.closes_at.isoformat()]},
            )  # fmt: skip
        if len(attempts) >= snapshot.attempts_allowed:
            raise ApplicationError(
                f"No attempts left: {snapshot.attempts_allowed} allowed.",
                code="attempt_limit", status_code=409,
            )  # fmt: skip
        attempt_id = attempt_id or uuid.uuid4()
        deadline = snapshot.closes_at
        if snapshot.time_limit_seconds:
            deadline = min(deadline, now + timedelta(seconds=snapshot.time_limit_seconds))
        items = attempt_paper(snapshot, attempt_id)
        attempt = Attempt(
            id=attempt_id, school_id=uuid.UUID(snapshot.school_id),
            quiz_id=uuid.UUID(snapshot.id), student=student,
            school_class_id=uuid.UUID(class_id), number=len(attempts) + 1, started_at=now,
            deadline=deadline, items=items,
            max_score=sum((Decimal(item["points"]) for item in items), Decimal(0)),
        )  # fmt: skip
        buffered_save(attempt)
        attempt_remember(attempt)
        _deadline_track(attempt)
    return attempt, True


# --- answers ----------------------------------------------------------------------------------
def attempt_item(attempt: Attempt, question_id: uuid.UUID | str) -> dict[str, Any]:
    for item in attempt.items:
        if item["question"] == str(question_id):
            return item
    raise ApplicationError(
        "This question is not part of the attempt.", code="question_not_in_attempt",
        fields={"question": [str(question_id)]},
    )  # fmt: skip


def _check_open_for(attempt: Attempt, now: datetime) -> None:
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise ApplicationError(
            "This attempt is finished.", code="attempt_finished", status_code=409
        )
    if now > attempt.deadline + grace():
        raise ApplicationError(
            "The time for this attempt is over.", code="deadline_passed", status_code=409,
            fields={"deadline": [attempt.deadline.isoformat()]},
        )  # fmt: skip


def answer_save(
    *, attempt: Attempt, student: User, question_id: uuid.UUID, response: Any
) -> Answer:
    """Save the student's answer to one question (replacing their earlier one). The same answer
    sent twice is one row; of two different ones the later write wins."""
    now = timezone.now()
    if attempt.student_id != student.pk:
        raise ApplicationError(
            "Only the student who started an attempt may answer in it.",
            code="permission_denied", status_code=403,
        )  # fmt: skip
    item = attempt_item(attempt, question_id)
    version = versions_by_id(quiz_snapshot(attempt.quiz_id), [item["version"]])[item["version"]]
    errors = response_errors(version.type, version.body, response)
    if errors:
        raise ApplicationError("The answer does not fit the question.", fields=errors)
    _check_open_for(attempt, now)
    with _lock(f"attempt:{attempt.pk}"):
        current = attempt_find(attempt_id=attempt.pk, student_id=student.pk) or attempt
        _check_open_for(current, now)
        answer = Answer(
            id=answer_id(attempt.pk, question_id), school_id=attempt.school_id,
            attempt_id=attempt.pk, question_id=question_id, response=response, saved_at=now,
        )  # fmt: skip
        buffered_save(answer)
    if _answer_event_due(attempt):
        answer_saved_publish(attempt=attempt, question_id=question_id)
    return answer


def _answer_event_due(attempt: Attempt) -> bool:
    """At most one "answer saved" event per attempt every QUIZ_ANSWER_EVENT_SECONDS.

    Dashboards need a live sign of progress, not every answer: a school answering a quiz sends
    tens of thousands of answers a minute, and each event is a stream entry plus a hint to
    several channel groups, costing more than the answer's own write. The answers themselves
    are durable in the buffer whatever happens here."""
    seconds = settings.QUIZ_ANSWER_EVENT_SECONDS
    if seconds <= 0:
        return True
    try:
        return bool(caches["default"].add(f"quizzes:answer-event:{attempt.pk}", 1, timeout=seconds))
    except RedisError:
        return False


def answer_saved_publish(*, attempt: Attempt, question_id: uuid.UUID) -> None:
    event_publish(
        Event(
            type=EventType.QUIZ_ANSWER_SAVED,
            school_id=str(attempt.school_id),
            actor_id=str(attempt.student_id),
            class_ids=_class_ids(attempt),
            user_ids=(str(attempt.student_id),),
            data={
                "quiz_id": str(attempt.quiz_id),
                "attempt_id": str(attempt.pk),
                "question_id": str(question_id),
            },
        )
    )


# --- finishing and grading --------------------------------------------------------------------
def grade_items(
    *,
    items: list[dict[str, Any]],
    versions: dict[str, VersionSnapshot],
    answers: dict[str, Answer],
    previous: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], Decimal]:
    """Marks per question and the total (never below 0). A teacher's override, kept from
    ``previous``, replaces the automatic mark."""
    marks: dict[str, Any] = {}
    total = Decimal(0)
    for item in items:
        question = item["question"]
        version = versions[item["version"]]
        answer = answers.get(question)
        fraction = grade(version.type, version.body, answer.response if answer else None)
        points = Decimal(item["points"])
        entry: dict[str, Any] = {
            "fraction": str(fraction),
            "marks": str((fraction * points).quantize(TWO_PLACES)),
        }
        override = (previous or {}).get(question, {}).get("override")
        if override:
            entry["override"] = override
        total += Decimal(override["marks"] if override else entry["marks"])
        marks[question] = entry
    return marks, max(total, Decimal(0)).quantize(TWO_PLACES)


def attempt_finish(
    *, attempt: Attempt, finished_by: str, snapshot: QuizSnapshot | None = None
) -> Attempt:
    """Submit an attempt and grade it. Finishing a finished attempt changes nothing."""
    with _lock(f"attempt:{attempt.pk}"):
        current = attempt_find(attempt_id=attempt.pk, student_id=attempt.student_id) or attempt
        if current.status == AttemptStatus.FINISHED:
            return current
        now = timezone.now()
        if finished_by == FinishedBy.STUDENT and now > current.deadline + grace():
            # Too late to count as the student's own submit: it is the deadline's.
            finished_by = FinishedBy.DEADLINE
        snapshot = snapshot or quiz_snapshot(current.quiz_id)
        versions = versions_by_id(snapshot, [item["version"] for item in current.items])
        answers = attempt_answers(attempt=current)
        current.marks, current.score = grade_items(
            items=current.items, versions=versions, answers=answers, previous=current.marks
        )
        current.status = AttemptStatus.FINISHED
        current.finished_by = finished_by
        current.finished_at = (
            min(now, current.deadline) if finished_by == FinishedBy.DEADLINE else now
        )
        current.graded_at = now
        buffered_save(current)
        attempt_remember(current)
        _deadline_untrack([str(current.pk)])
    leaderboard_place(attempt=current, grading_method=snapshot.grading_method if snapshot else None)
    attempt_graded_publish(current)
    return current


def attempt_graded_publish(attempt: Attempt, actor_id: Any = None) -> None:
    """Tell the student's dashboards and their class's board (the leaderboard moved)."""
    event_publish(
        Event(
            type=EventType.QUIZ_ATTEMPT_GRADED,
            school_id=str(attempt.school_id),
            actor_id=str(actor_id if actor_id is not None else attempt.student_id),
            class_ids=_class_ids(attempt),
            user_ids=(str(attempt.student_id),),
            data={
                "quiz_id": str(attempt.quiz_id),
                "attempt_id": str(attempt.pk),
                "student_id": str(attempt.student_id),
                "finished_by": attempt.finished_by,
            },
        )  # fmt: skip
    )


def overall_grade(
    attempts: list[Attempt], grading_method: str
) -> tuple[Decimal, datetime, Attempt] | None:
    """A student's grade on a quiz from their finished attempts: (grade, the finish time that
    breaks ties, the attempt that decided it)."""
    graded = [
        (a.score, a.finished_at, a)
        for a in attempts
        if a.status == AttemptStatus.FINISHED and a.score is not None and a.finished_at
    ]
    finished = sorted(graded, key=lambda row: (row[1], str(row[2].pk)))
    if not finished:
        return None
    if grading_method == GradingMethod.LAST:
        return finished[-1]
    if grading_method == GradingMethod.AVERAGE:
        total = sum((score for score, _, _ in finished), Decimal(0))
        average = (total / len(finished)).quantize(TWO_PLACES)
        return average, finished[-1][1], finished[-1][2]
    return max(finished, key=lambda row: (row[0], -row[1].timestamp()))


def _class_ids(attempt: Attempt) -> tuple[str, ...]:
    return (str(attempt.school_class_id),) if attempt.school_class_id else ()


def leaderboard_place(*, attempt: Attempt, grading_method: str | None) -> None:
    """Put the attempt's student on the boards with their grade over all their attempts."""
    attempts = {
        a.pk: a for a in student_attempts(student_id=attempt.student_id, quiz_id=attempt.quiz_id)
    }
    attempts[attempt.pk] = attempt  # read-your-writes, even if the buffer fell back meanwhile
    student_place(
        quiz_id=attempt.quiz_id, attempts=list(attempts.values()),
        grading_method=grading_method or GradingMethod.HIGHEST,
    )  # fmt: skip


def student_place(*, quiz_id: Any, attempts: list[Attempt], grading_method: str) -> bool:
    """Place one student on the quiz's boards from their attempts (the class is that of the
    attempt that decided the grade); False when none is graded yet."""
    result = overall_grade(attempts, grading_method)
    if result is None:
        return False
    score, finished_at, deciding = result
    leaderboard.leaderboard_set(
        quiz_id=quiz_id, class_id=deciding.school_class_id, student_id=deciding.student_id,
        score=score, finished_at=finished_at,
    )  # fmt: skip
    return True


def attempts_finish_overdue(*, now: datetime | None = None) -> int:
    """Finish every attempt whose deadline (and grace) has passed, whether or not anyone looks
    at it again: those tracked in Redis and those already in the database."""
    from apps.quizzes.models import Attempt as AttemptModel

    now = now or timezone.now()
    ids = set(overdue_attempt_ids(now=now))
    ids |= {
        str(pk)
        for pk in AttemptModel.objects.filter(
            status=AttemptStatus.IN_PROGRESS, deadline__lt=now - grace()
        ).values_list("pk", flat=True)
    }
    finished = 0
    for attempt_id in sorted(ids):
        attempt = attempt_find(attempt_id=uuid.UUID(attempt_id))
        if attempt is None:
            _deadline_untrack([attempt_id])
            continue
        if attempt.status == AttemptStatus.IN_PROGRESS and now > attempt.deadline + grace():
            attempt_finish(attempt=attempt, finished_by=FinishedBy.DEADLINE)
            finished += 1
        elif attempt.status == AttemptStatus.FINISHED:
            _deadline_untrack([attempt_id])
    return finished
