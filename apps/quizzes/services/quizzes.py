"""Building quizzes from the bank and publishing them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import transaction

from apps.core.errors import ApplicationError
from apps.core.idempotency import existing_for_client_id
from apps.events.services import event_publish
from apps.events.types import Event, EventType
from apps.quizzes.models import Question, Quiz, QuizSlot, QuizStatus
from apps.quizzes.selectors import questions_tagged
from apps.quizzes.snapshots import quiz_snapshots_forget
from apps.users.models import SchoolClass, Subject, User

SETTINGS_FIELDS = (
    "title", "instructions", "opens_at", "closes_at", "time_limit_seconds", "attempts_allowed",
    "grading_method", "shuffle_questions", "shuffle_options", "review_marks", "review_answers",
)  # fmt: skip


def _check_window(opens_at: datetime, closes_at: datetime) -> None:
    if closes_at <= opens_at:
        raise ApplicationError(
            "A quiz must close after it opens.", fields={"closes_at": ["Must be after opens_at."]}
        )


def _slots(*, quiz: Quiz, slots: list[dict[str, Any]]) -> list[QuizSlot]:
    """Slots from ``[{"question": id} | {"draw_tag": tag, "draw_count": n}]``; questions must be
    in the quiz's school (another school's id reads as not found)."""
    if not slots:
        raise ApplicationError("A quiz needs at least one question.", fields={"slots": ["Empty."]})
    wanted = {str(s["question"]) for s in slots if s.get("question")}
    known = {
        str(pk)
        for pk in Question.objects.filter(school_id=quiz.school_id, pk__in=wanted).values_list(
            "pk", flat=True
        )
    }
    errors: dict[str, list[str]] = {}
    built = []
    for position, slot in enumerate(slots, start=1):
        question, tag = slot.get("question"), (slot.get("draw_tag") or "").strip()
        if bool(question) == bool(tag):
            errors[f"slots.{position - 1}"] = ["Give either a question or a draw_tag."]
        elif question and str(question) not in known:
            errors[f"slots.{position - 1}.question"] = ["Not found."]
        built.append(
            QuizSlot(
                quiz=quiz,
                position=position,
                question_id=question or None,
                draw_tag=tag,
                draw_count=slot.get("draw_count") or 1,
            )  # fmt: skip
        )
    if errors:
        raise ApplicationError("Some slots are not valid.", fields=errors)
    return built


def quiz_create(
    *,
    created_by: User,
    subject: Subject,
    classes: list[SchoolClass],
    slots: list[dict[str, Any]],
    quiz_id: uuid.UUID | None = None,
    **settings: Any,
) -> tuple[Quiz, bool]:
    """A draft quiz for one or more classes. Returns it and whether it is new."""
    existing = existing_for_client_id(
        Quiz, quiz_id, school_id=subject.school_id, owner_field="created_by",
        owner_id=created_by.pk,
    )  # fmt: skip
    if existing is not None:
        return existing, False
    if not classes:
        raise ApplicationError("Choose at least one class.", fields={"classes": ["Empty."]})
    quiz = Quiz(id=quiz_id or uuid.uuid4(), school_id=subject.school_id, subject=subject,
                created_by=created_by, **settings)  # fmt: skip
    _check_window(quiz.opens_at, quiz.closes_at)
    quiz.full_clean()
    built = _slots(quiz=quiz, slots=slots)
    with transaction.atomic():
        quiz.save(force_insert=True)
        quiz.classes.set(classes)
        QuizSlot.objects.bulk_create(built)
    return quiz, True


def quiz_update(*, quiz: Quiz, slots: list[dict[str, Any]] | None = None, **settings: Any) -> Quiz:
    """Change a quiz's settings (and, while it is a draft, its questions). Students see the
    change at their next request: the cached snapshot is dropped after commit."""
    unknown = set(settings) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"not quiz settings: {sorted(unknown)}")
    for name, value in settings.items():
        setattr(quiz, name, value)
    _check_window(quiz.opens_at, quiz.closes_at)
    quiz.full_clean()
    if slots is not None and quiz.status != QuizStatus.DRAFT:
        raise ApplicationError(
            "The questions of a published quiz cannot change; correct a question and regrade.",
            code="quiz_published",
            status_code=409,
        )
    with transaction.atomic():
        quiz.save(update_fields=[*settings, "updated_at"])
        if slots is not None:
            built = _slots(quiz=quiz, slots=slots)
            quiz.slots.all().delete()
            QuizSlot.objects.bulk_create(built)
        quiz_snapshots_forget([quiz.pk])
    return quiz


def quiz_publish(*, quiz: Quiz) -> Quiz:
    """Open a draft to its classes (from ``opens_at``). Every tag draw must have enough
    questions in the bank."""
    errors = {}
    for slot in quiz.slots.all():
        if slot.draw_tag:
            available = questions_tagged(
                Question.objects.filter(
                    school_id=quiz.school_id, subject_id=quiz.subject_id,
                    current_version__isnull=False,
                ),
                slot.draw_tag,
            ).count()  # fmt: skip
            if available < slot.draw_count:
                errors[f"slots.{slot.position - 1}.draw_tag"] = [
                    f"{available} questions tagged {slot.draw_tag!r}; {slot.draw_count} needed."
                ]
    if errors:
        raise ApplicationError("The bank cannot fill this quiz.", fields=errors)
    with transaction.atomic():
        quiz.status = QuizStatus.PUBLISHED
        quiz.save(update_fields=["status", "updated_at"])
        quiz_snapshots_forget([quiz.pk])
        event_publish(
            Event(
                type=EventType.QUIZ_OPENED,
                school_id=str(quiz.school_id),
                class_ids=tuple(str(pk) for pk in quiz.classes.values_list("pk", flat=True)),
                actor_id=str(quiz.created_by_id) if quiz.created_by_id else None,
                data={
                    "quiz_id": str(quiz.pk),
                    "title": quiz.title,
                    "opens_at": quiz.opens_at.isoformat(),
                    "closes_at": quiz.closes_at.isoformat(),
                },
            )  # fmt: skip
        )
    return quiz
