"""The question bank: create a question and edit it (an edit of its content is a new version)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction

from apps.core.errors import ApplicationError
from apps.core.idempotency import existing_for_client_id
from apps.quizzes.models import Question, QuestionVersion, Quiz
from apps.quizzes.question_types import body_errors
from apps.quizzes.snapshots import quiz_snapshots_forget
from apps.users.models import Subject, User


def check_tags(tags: Any) -> list[str]:
    if not isinstance(tags, list) or not all(
        isinstance(tag, str) and tag.strip() and len(tag) <= 50 for tag in tags
    ):
        raise ApplicationError(
            "Tags are a list of short labels.", fields={"tags": ["Up to 50 characters each."]}
        )
    return sorted({tag.strip() for tag in tags})


def check_question_body(*, question_type: str, body: Any) -> None:
    errors = body_errors(question_type, body)
    if errors:
        raise ApplicationError("The question is not valid for its type.", fields=errors)


def question_create(
    *,
    subject: Subject,
    created_by: User,
    type: str,  # noqa: A002 - the API's field name
    title: str,
    body: dict[str, Any],
    points: Decimal = Decimal(1),
    tags: list[str] | None = None,
    question_id: uuid.UUID | None = None,
) -> tuple[Question, bool]:
    """Add a question to the bank with its first version. Returns it and whether it is new."""
    existing = existing_for_client_id(
        Question, question_id, school_id=subject.school_id, owner_field="created_by",
        owner_id=created_by.pk,
    )  # fmt: skip
    if existing is not None:
        return existing, False
    check_question_body(question_type=type, body=body)
    question = Question(
        id=question_id or uuid.uuid4(), school_id=subject.school_id, subject=subject,
        tags=check_tags(tags or []), type=type, title=title, created_by=created_by,
    )  # fmt: skip
    question.full_clean(exclude=["current_version"])
    with transaction.atomic():
        question.save(force_insert=True)
        _new_version(question=question, body=body, points=points, created_by=created_by)
    return question, True


def _new_version(
    *, question: Question, body: dict[str, Any], points: Decimal, created_by: User
) -> QuestionVersion:
    last = question.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = QuestionVersion(
        question=question, number=last + 1, type=question.type, body=body, points=points,
        created_by=created_by,
    )  # fmt: skip
    version.full_clean(validate_unique=False)
    version.save(force_insert=True)
    question.current_version = version
    question.save(update_fields=["current_version", "updated_at"])
    return version


def question_update(
    *,
    question: Question,
    edited_by: User,
    title: str | None = None,
    tags: list[str] | None = None,
    body: dict[str, Any] | None = None,
    points: Decimal | None = None,
) -> Question:
    """Edit a question. A new body or new points make a new version that new attempts get;
    attempts already taken keep theirs until a regrade moves them to it."""
    fields = []
    if title is not None:
        question.title = title
        fields.append("title")
    if tags is not None:
        question.tags = check_tags(tags)
        fields.append("tags")
    current = question.current_version
    new_body: dict[str, Any] = body if body is not None else (current.body if current else {})
    new_points = points if points is not None else (current.points if current else Decimal(1))
    content_changed = current is None or new_body != current.body or new_points != current.points
    if content_changed:
        check_question_body(question_type=question.type, body=new_body)
    question.full_clean(exclude=["current_version"])
    with transaction.atomic():
        if fields:
            question.save(update_fields=[*fields, "updated_at"])
        if content_changed:
            _new_version(question=question, body=new_body, points=new_points, created_by=edited_by)
        # Any quiz of the subject may hand the question out (fixed or drawn by tag).
        quiz_snapshots_forget(
            list(
                Quiz.objects.filter(
                    school_id=question.school_id, subject_id=question.subject_id
                ).values_list("pk", flat=True)
            )
        )
    return question
