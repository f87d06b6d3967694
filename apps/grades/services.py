"""Changes to grades: set an assessment, enter a class's marks in one call.

Callers check access first (``selectors.access_*``); these functions check the rules that belong
to the data. Marks go through the write buffer in one round trip; a mark's id is derived from its
assessment and student, so entering it again updates it in place.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from apps.core.errors import ApplicationError
from apps.core.idempotency import existing_for_client_id
from apps.events.services import event_publish
from apps.events.types import Event, EventType
from apps.grades.models import Assessment, GradeMark, Term, grade_mark_id
from apps.users.models import Enrolment, SchoolClass, Subject, User
from apps.writebuffer.services import buffered_save_many


def assessment_create(
    *,
    created_by: User,
    school_class: SchoolClass,
    subject: Subject,
    term: Term,
    kind: str,
    title: str,
    on: date,
    max_score: Decimal = Decimal(100),
    weight: Decimal = Decimal(1),
    assessment_id: uuid.UUID | None = None,
) -> tuple[Assessment, bool]:
    """Set an assessment. Returns it and whether it is new (a retried id returns the first)."""
    existing = existing_for_client_id(
        Assessment, assessment_id, school_id=school_class.school_id, owner_field="created_by",
        owner_id=created_by.pk,
    )  # fmt: skip
    if existing is not None:
        return existing, False
    if not term.starts_on <= on <= term.ends_on:
        raise ApplicationError(
            "The assessment's date must fall within its term.",
            fields={"date": [f"Must be between {term.starts_on} and {term.ends_on}."]},
        )
    assessment = Assessment(
        id=assessment_id or uuid.uuid4(),
        school=school_class.school,
        school_class=school_class,
        subject=subject,
        term=term,
        kind=kind,
        title=title,
        date=on,
        max_score=max_score,
        weight=weight,
        created_by=created_by,
    )
    assessment.full_clean()
    with transaction.atomic():
        assessment.save(force_insert=True)
    return assessment, True


@dataclass(frozen=True)
class ScoreInput:
    student_id: uuid.UUID
    score: Decimal
    comment: str = ""


def grade_marks_set(
    *, assessment: Assessment, marks: list[ScoreInput], marked_by: User
) -> list[GradeMark]:
    """Enter or correct marks; all are checked first, so either every mark is saved or none."""
    if not marks:
        raise ApplicationError("Send at least one mark.", fields={"marks": ["Required."]})
    enrolled = {
        enrolment.student_id: enrolment.student
        for enrolment in Enrolment.objects.filter(
            school_class_id=assessment.school_class_id
        ).select_related("student")
    }
    errors: dict[str, dict[str, list[str]]] = {}
    seen: set[uuid.UUID] = set()
    for index, mark in enumerate(marks):
        if mark.student_id not in enrolled:
            errors[str(index)] = {"student": ["Not a student of this class."]}
        elif mark.student_id in seen:
            errors[str(index)] = {"student": ["Listed more than once."]}
        elif not Decimal(0) <= mark.score <= assessment.max_score:
            errors[str(index)] = {"score": [f"Must be between 0 and {assessment.max_score}."]}
        seen.add(mark.student_id)
    if errors:
        raise ApplicationError(
            "Some marks are not valid; nothing was saved.", fields={"marks": errors}
        )
    rows = [
        GradeMark(
            id=grade_mark_id(assessment.pk, mark.student_id),
            school=assessment.school,
            assessment=assessment,
            student=enrolled[mark.student_id],
            score=mark.score,
            comment=mark.comment,
            marked_by=marked_by,
        )
        for mark in marks
    ]
    saved = buffered_save_many(rows)
    event_publish(
        Event(
            type=EventType.ASSESSMENT_MARKED,
            school_id=str(assessment.school_id),
            class_ids=(str(assessment.school_class_id),),
            user_ids=tuple(str(row.student_id) for row in rows),
            actor_id=str(marked_by.pk),
            data={
                "assessment_id": str(assessment.pk),
                "title": assessment.title,
                "subject_id": str(assessment.subject_id),
                "marks": len(rows),
                "class_id": str(assessment.school_class_id),
                "scores": [
                    {
                        "student_id": str(row.student_id),
                        "score": f"{row.score}/{assessment.max_score}",
                    }
                    for row in rows
                ],
            },
        )
    )
    return saved
