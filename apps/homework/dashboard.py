"""Homework's part of dashboards and boards: what is due, what waits for a grade."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apps.dashboards.registry import BOARD, CLASS, SCHOOL, STUDENT, section, showable
from apps.events.types import EventType
from apps.homework.models import Homework, Submission
from apps.users.models import School, SchoolClass, User
from apps.writebuffer.selectors import list_with_pending

UPCOMING_DAYS = 7
# Homework whose work a teacher may still be grading.
GRADING_WINDOW_DAYS = 30


def _day_start(school: School | None, day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(school.timezone if school else "UTC"))


def _homework_item(homework: Homework) -> dict[str, Any]:
    return {
        "id": homework.pk,
        "title": homework.title,
        "subject": homework.subject.name,
        "due_at": homework.due_at,
    }


def _current_submissions(homework_ids: list[uuid.UUID], **match: Any) -> list[Submission]:
    """Current versions (pending ones included) of work on the given homework."""
    wanted = set(homework_ids)
    student_id = match.get("student_id")
    rows = Submission.objects.filter(homework_id__in=wanted, is_current=True, **match)
    return [
        s
        for s in list_with_pending(
            rows,
            partitions=wanted,
            visible=lambda s: (
                s.homework_id in wanted and (student_id is None or s.student_id == student_id)
            ),
            match=match or None,
        )
        if s.is_current
    ]


@section("homework_due", scope=STUDENT)
def homework_due(*, student: User, today: date) -> list[dict[str, Any]]:
    """Homework due from today for a week, with where the student's work stands."""
    start = _day_start(student.school, today)
    homework = list(
        Homework.objects.filter(
            school_class__enrolments__student=student,
            due_at__gte=start,
            due_at__lt=start + timedelta(days=UPCOMING_DAYS),
        )
        .select_related("subject")
        .order_by("due_at", "title")
    )
    work = {
        s.homework_id: s
        for s in _current_submissions([h.pk for h in homework], student_id=student.pk)
    }
    items = []
    for item in homework:
        submission = work.get(item.pk)
        state = "not_submitted"
        if submission is not None:
            state = "graded" if submission.graded_at else "submitted"
        items.append(
            _homework_item(item)
            | {
                "state": state,
                "final_score": submission.final_score if submission else None,
                "max_score": item.max_score,
            }
        )
    return items


def _ungraded_count(homework_ids: list[uuid.UUID]) -> int:
    return sum(1 for s in _current_submissions(homework_ids) if s.graded_at is None)


@section("submissions_to_grade", scope=CLASS)
def class_submissions_to_grade(*, school_class: SchoolClass, today: date) -> int:
    since = _day_start(school_class.school, today - timedelta(days=GRADING_WINDOW_DAYS))
    homework_ids = list(
        Homework.objects.filter(school_class=school_class, due_at__gte=since).values_list(
            "pk", flat=True
        )
    )
    return _ungraded_count(homework_ids)


@section("submissions_to_grade", scope=SCHOOL)
def school_submissions_to_grade(*, school: School, today: date) -> int:
    since = _day_start(school, today - timedelta(days=GRADING_WINDOW_DAYS))
    homework_ids = list(
        Homework.objects.filter(school=school, due_at__gte=since).values_list("pk", flat=True)
    )
    return _ungraded_count(homework_ids)


@section("homework_today", scope=BOARD, live_types=[EventType.HOMEWORK_ASSIGNED])
def board_homework(*, school_class: SchoolClass, today: date) -> list[dict[str, Any]]:
    """Homework due today or set today."""
    start = _day_start(school_class.school, today)
    end = start + timedelta(days=1)
    homework = (
        Homework.objects.filter(school_class=school_class)
        .filter(due_at__gte=start)
        .select_related("subject")
        .order_by("due_at", "title")
    )
    return [
        _homework_item(item)
        for item in homework
        if item.due_at < end or start <= item.created_at < end
    ]


@showable("homework")
def show_homework(*, school_class: SchoolClass, object_id: uuid.UUID) -> dict[str, Any] | None:
    homework = (
        Homework.objects.filter(school_class=school_class, pk=object_id)
        .select_related("subject")
        .first()
    )
    if homework is None:
        return None
    return {
        "title": homework.title,
        "subject": homework.subject.name,
        "due_at": homework.due_at.isoformat(),
        "instructions": homework.instructions,
    }
