"""Reads of the question bank, quizzes, attempts and answers, each scoped to the caller.

``access_*`` functions fetch one object and check the caller may see (or change) it; anything
outside the caller's scope, another school's ids included, is a 404 so existence never leaks.
Attempt and answer reads include writes still waiting in the write buffer (read-your-writes),
and the hot path (a student starting and answering) reads quizzes and attempts cache-first.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.core.errors import ApplicationError, not_found
from apps.quizzes import leaderboard
from apps.quizzes.models import Answer, Attempt, AttemptStatus, Question, Quiz, QuizStatus
from apps.quizzes.snapshots import QuizSnapshot, attempt_cached, quiz_snapshot
from apps.users.models import Enrolment, GuardianLink, Role, User
from apps.users.selectors import classes_visible_to
from apps.writebuffer.selectors import get_with_pending, list_with_pending


def is_school_staff(user: User) -> bool:
    return user.is_superuser or user.role in (Role.TEACHER, Role.SCHOOL_ADMIN)


# --- the bank -------------------------------------------------------------------------------
def questions_tagged(questions: QuerySet[Question], tag: str) -> QuerySet[Question]:
    """Questions whose tags include ``tag``: a JSONB containment on PostgreSQL (GIN-indexed);
    SQLite (``make run``'s embedded default) has no JSON ``contains``, so there the tags are
    compared here."""
    if connection.vendor == "postgresql":
        return questions.filter(tags__contains=[tag])
    ids = [pk for pk, tags in questions.values_list("pk", "tags") if tag in (tags or [])]
    return questions.filter(pk__in=ids)


def question_list(
    *, user: User, subject_id: uuid.UUID | None = None, tag: str | None = None
) -> QuerySet[Question]:
    questions: QuerySet[Question] = Question.objects.for_user(user).select_related(
        "subject", "current_version"
    )
    if subject_id is not None:
        questions = questions.filter(subject_id=subject_id)
    if tag:
        questions = questions_tagged(questions, tag)
    return questions.order_by("subject__name", "title", "id")


def access_question(*, user: User, question_id: uuid.UUID) -> Question:
    question = (
        Question.objects.for_user(user)
        .select_related("subject", "current_version")
        .filter(pk=question_id)
        .first()
    )
    if question is None or not is_school_staff(user):
        raise not_found("Question")
    return question


# --- quizzes --------------------------------------------------------------------------------
def quizzes_visible_to(user: User) -> QuerySet[Quiz]:
    """Admins: the school's quizzes. Teachers: quizzes of classes they teach and their own
    drafts. Students and guardians: published quizzes of their (children's) classes that have
    opened."""
    quizzes = Quiz.objects.for_user(user)
    if user.is_superuser or user.role == Role.SCHOOL_ADMIN:
        return quizzes
    classes = classes_visible_to(user).values("pk")
    if user.role == Role.TEACHER:
        return quizzes.filter(Q(classes__in=classes) | Q(created_by=user)).distinct()
    return quizzes.filter(
        status=QuizStatus.PUBLISHED, opens_at__lte=timezone.now(), classes__in=classes
    ).distinct()


def quiz_list(*, user: User, state: str | None = None) -> QuerySet[Quiz]:
    quizzes = quizzes_visible_to(user).select_related("subject").prefetch_related("classes")
    now = timezone.now()
    if state == "open":
        quizzes = quizzes.filter(status=QuizStatus.PUBLISHED, opens_at__lte=now, closes_at__gt=now)
    elif state == "past":
        quizzes = quizzes.filter(closes_at__lte=now)
    return quizzes.order_by("-opens_at", "title", "id")


def access_quiz(*, user: User, quiz_id: uuid.UUID) -> Quiz:
    quiz = (
        quizzes_visible_to(user)
        .select_related("subject")
        .prefetch_related("classes")
        .filter(pk=quiz_id)
        .first()
    )
    if quiz is None:
        raise not_found("Quiz")
    return quiz


def can_manage_quiz(*, user: User, quiz: Quiz) -> bool:
    if user.is_superuser or user.role == Role.SCHOOL_ADMIN:
        return user.is_superuser or user.school_id == quiz.school_id
    return user.role == Role.TEACHER and (
        quiz.created_by_id == user.pk
        or quiz.classes.filter(
            Q(teacher_assignments__teacher=user, teacher_assignments__subject_id=quiz.subject_id)
            | Q(class_teacher=user)
        ).exists()
    )


def access_quiz_to_manage(*, user: User, quiz_id: uuid.UUID) -> Quiz:
    quiz = access_quiz(user=user, quiz_id=quiz_id)
    if not can_manage_quiz(user=user, quiz=quiz):
        raise ApplicationError(
            "Only this quiz's teachers and the school's admins may do this.",
            code="permission_denied",
            status_code=403,
        )
    return quiz


def student_class_ids(*, student: User) -> set[str]:
    return {
        str(pk)
        for pk in Enrolment.objects.filter(student=student).values_list(
            "school_class_id", flat=True
        )
    }


def access_quiz_for_student(*, user: User, quiz_id: uuid.UUID) -> tuple[QuizSnapshot, str]:
    """A published quiz of one of the student's classes (cache-first) and that class's id."""
    snapshot = quiz_snapshot(quiz_id)
    if snapshot is None or not snapshot.is_published or str(user.school_id) != snapshot.school_id:
        raise not_found("Quiz")
    shared = sorted(student_class_ids(student=user) & snapshot.class_ids)
    if not shared or user.role != Role.STUDENT:
        raise not_found("Quiz")
    return snapshot, shared[0]


# --- attempts -------------------------------------------------------------------------------
def student_attempts(*, student_id: uuid.UUID, quiz_id: uuid.UUID | str) -> list[Attempt]:
    """One student's attempts at one quiz, pending ones included, in order. For services."""
    quiz_id = str(quiz_id)
    return list_with_pending(
        Attempt.objects.filter(quiz_id=quiz_id, student_id=student_id),
        partitions=[student_id],
        visible=lambda a: str(a.quiz_id) == quiz_id and a.student_id == student_id,
        sort_key=lambda a: a.number,
        match={"quiz_id": quiz_id},
    )


def quiz_attempts(*, quiz: Quiz) -> list[Attempt]:
    """Every attempt at a quiz, pending ones included (the pending ones of the quiz's classes'
    students), ordered by student and number."""
    stored = list(Attempt.objects.filter(quiz=quiz))
    students = set(
        Enrolment.objects.filter(school_class__in=quiz.classes.all()).values_list(
            "student_id", flat=True
        )
    ) | {attempt.student_id for attempt in stored}
    quiz_id = str(quiz.pk)
    merged = list_with_pending(
        Attempt.objects.filter(pk__in=[a.pk for a in stored]),
        partitions=sorted(str(s) for s in students),
        visible=lambda a: str(a.quiz_id) == quiz_id,
        match={"quiz_id": quiz_id},
    )
    return sorted(merged, key=lambda a: (str(a.student_id), a.number))


def attempt_find(*, attempt_id: uuid.UUID, student_id: uuid.UUID | None = None) -> Attempt | None:
    """An attempt by id: the cached copy the services last wrote, else the buffer and the
    database. Not scoped: callers check access."""
    attempt = attempt_cached(attempt_id)
    if attempt is not None:
        return attempt
    return get_with_pending(
        Attempt.objects.all(),
        attempt_id,
        visible=lambda a: True,
        partition=str(student_id) if student_id else None,
    )


def access_attempt(*, user: User, attempt_id: uuid.UUID) -> Attempt:
    """An attempt its student, their guardians, the quiz's teachers or the school's admins may
    see."""
    own = user.role == Role.STUDENT
    attempt = attempt_find(attempt_id=attempt_id, student_id=user.pk if own else None)
    if attempt is None or (not user.is_superuser and attempt.school_id != user.school_id):
        raise not_found("Attempt")
    if attempt.student_id == user.pk:
        return attempt
    if (
        user.role == Role.GUARDIAN
        and GuardianLink.objects.filter(guardian=user, student_id=attempt.student_id).exists()
    ):
        return attempt
    if is_school_staff(user):
        quiz = Quiz.objects.filter(pk=attempt.quiz_id).first()
        if quiz is not None and can_manage_quiz(user=user, quiz=quiz):
            return attempt
    raise not_found("Attempt")


def attempt_answers(*, attempt: Attempt) -> dict[str, Answer]:
    """The attempt's answers by question id, pending ones included."""
    answers = list_with_pending(
        Answer.objects.filter(attempt_id=attempt.pk),
        partitions=[attempt.pk],
        visible=lambda a: a.attempt_id == attempt.pk,
    )
    return {str(answer.question_id): answer for answer in answers}


def attempt_is_over(attempt: Attempt, now: datetime, grace_seconds: float) -> bool:
    return attempt.status == AttemptStatus.IN_PROGRESS and (
        (now - attempt.deadline).total_seconds() > grace_seconds
    )


def review_allows(*, snapshot: QuizSnapshot, when: str, now: datetime) -> bool:
    from apps.quizzes.models import ReviewWhen

    if when == ReviewWhen.IMMEDIATELY:
        return True
    if when == ReviewWhen.AFTER_CLOSE:
        return now >= snapshot.closes_at
    return False


def leaderboard_view(
    *, quiz_id: uuid.UUID | str, class_id: uuid.UUID | str | None = None, limit: int = 50
) -> dict[str, Any]:
    """A quiz's board (or one class's) as the API shows it, ready for a dashboard or a smart
    board to render: rank, student, score and finish, best first. Not scoped: callers check
    that the reader may see the quiz and its marks."""
    standings = leaderboard.leaderboard_top(quiz_id=quiz_id, class_id=class_id, limit=limit)
    people = {u.pk: u for u in User.objects.filter(pk__in=[s.student_id for s in standings])}
    return {
        "quiz": str(quiz_id),
        "class": str(class_id) if class_id else None,
        "entries": [
            {
                "rank": s.rank,
                "student": {
                    "id": str(s.student_id),
                    "username": people[s.student_id].username if s.student_id in people else "",
                    "full_name": (
                        people[s.student_id].get_full_name() if s.student_id in people else ""
                    ),
                },
                "score": str(s.score),
                "finished_at": datetime.fromtimestamp(s.finished_at_ms / 1000, tz=UTC).isoformat(),
            }
            for s in standings
        ],
    }
