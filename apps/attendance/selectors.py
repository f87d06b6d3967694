"""Reads of registers and marks, scoped to the caller, with marks not yet synced included.

``access_*`` functions fetch one object and check the caller may see it; anything outside their
scope, another school's ids included, is a 404 so existence never leaks.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet, prefetch_related_objects

from apps.attendance.models import (
    ATTENDED_CODES,
    AttendanceCode,
    AttendanceMark,
    AttendanceMarkChange,
    Register,
)
from apps.core.errors import ApplicationError, not_found
from apps.users.models import Role, SchoolClass, User
from apps.users.selectors import classes_visible_to, students_visible_to
from apps.writebuffer.selectors import list_with_pending

MAX_RANGE_DAYS = 366


def check_range(*, date_from: date, date_to: date) -> None:
    if date_from > date_to:
        raise ApplicationError(
            "The range ends before it starts.",
            fields={"date_to": ["Must not be before date_from."]},
        )
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise ApplicationError(
            f"A range covers at most {MAX_RANGE_DAYS} days.",
            fields={"date_to": [f"At most {MAX_RANGE_DAYS} days after date_from."]},
        )


# --- registers ------------------------------------------------------------------------------
def registers_visible_to(user: User) -> QuerySet[Register]:
    registers = Register.objects.for_user(user)
    if user.is_superuser or user.role == Role.SCHOOL_ADMIN:
        return registers
    return registers.filter(school_class__in=classes_visible_to(user).values("pk"))


def register_list(
    *,
    user: User,
    school_class_id: uuid.UUID | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Register]:
    registers = registers_visible_to(user).select_related(
        "school_class", "created_by", "last_marked_by"
    )
    if school_class_id is not None:
        registers = registers.filter(school_class_id=school_class_id)
    if date_from is not None:
        registers = registers.filter(date__gte=date_from)
    if date_to is not None:
        registers = registers.filter(date__lte=date_to)
    return registers.order_by("-date", "school_class__grade", "school_class__section", "period")


def access_register(*, user: User, register_id: uuid.UUID) -> Register:
    register = (
        registers_visible_to(user)
        .select_related("school", "school_class", "created_by", "last_marked_by")
        .filter(pk=register_id)
        .first()
    )
    if register is None:
        raise not_found("Register")
    return register


def class_to_mark(*, user: User, school_class_id: uuid.UUID) -> SchoolClass:
    """A class a user takes registers for: of their school (else a 400 that does not say whether
    it exists elsewhere) and taught by them, unless they are an admin (else a 403)."""
    school_class = (
        SchoolClass.objects.for_user(user).select_related("school").filter(pk=school_class_id)
    ).first()
    if school_class is None:
        raise ApplicationError(
            "Some fields are not valid.", fields={"school_class": ["Not found."]}
        )
    if not classes_visible_to(user).filter(pk=school_class.pk).exists():
        raise ApplicationError(
            "You do not teach this class.", code="permission_denied", status_code=403
        )
    return school_class


def register_marks(*, register: Register, strict: bool = False) -> list[AttendanceMark]:
    """Every mark of a register, pending ones included, in roll-call order (by name).
    ``strict``: for a service deciding from it (an unreadable buffer raises, see the engine)."""
    marks = list_with_pending(
        AttendanceMark.objects.filter(register=register).select_related("student", "marked_by"),
        partitions=[register.pk],
        visible=lambda mark: mark.register_id == register.pk,
        strict=strict,
    )
    prefetch_related_objects(marks, "student", "marked_by")
    marks.sort(key=lambda m: (m.student.last_name, m.student.first_name, m.student.username))
    return marks


def register_changes(*, register: Register) -> list[AttendanceMarkChange]:
    changes = list_with_pending(
        AttendanceMarkChange.objects.filter(register=register).select_related(
            "student", "changed_by"
        ),
        partitions=[register.pk],
        visible=lambda change: change.register_id == register.pk,
        sort_key=lambda change: (change.changed_at, change.version),
    )
    # Each change's previous code and note are the ones the change before it (of the same mark)
    # set: derived here, so the chain holds whatever happened between the writes of a marking.
    last: dict = {}
    for change in changes:
        change.previous_code, change.previous_note = last.get(change.mark_id, ("", ""))
        last[change.mark_id] = (change.code, change.note)
    changes.reverse()
    prefetch_related_objects(changes, "student", "changed_by")
    return changes


def classes_missing_register(*, user: User, on: date) -> QuerySet[SchoolClass]:
    """Classes (of those the user may see) with no register marked on a date."""
    marked = Register.objects.filter(date=on, last_marked_at__isnull=False)
    return (
        classes_visible_to(user)
        .exclude(pk__in=marked.values("school_class_id"))
        .select_related("class_teacher")
        .order_by("grade", "section")
    )


# --- summaries ------------------------------------------------------------------------------
def access_student(*, user: User, student_id: uuid.UUID) -> User:
    student = students_visible_to(user).select_related("school").filter(pk=student_id).first()
    if student is None:
        raise not_found("Student")
    return student


def access_class(*, user: User, school_class_id: uuid.UUID) -> SchoolClass:
    school_class = (
        classes_visible_to(user).select_related("school").filter(pk=school_class_id).first()
    )
    if school_class is None:
        raise not_found("Class")
    return school_class


def marks_of_registers(
    register_ids: Collection[uuid.UUID], *, student_id: uuid.UUID | None = None
) -> list[AttendanceMark]:
    """The marks (pending ones included) of the given registers, or of one student on them."""
    match = {"student_id": student_id} if student_id is not None else None
    return list_with_pending(
        AttendanceMark.objects.filter(register_id__in=list(register_ids), **(match or {})),
        partitions=list(register_ids),
        visible=lambda mark: (
            mark.register_id in register_ids
            and (student_id is None or mark.student_id == student_id)
        ),
        match=match,
    )


@dataclass
class DaySummary:
    date: date
    status: str  # the day's one code, or "mixed" when its periods differ
    counts: dict[str, int]
    marks: list[dict] = field(default_factory=list)


def student_daily_summary(*, student: User, date_from: date, date_to: date) -> list[DaySummary]:
    """One entry per day the student was marked, newest first, with each period's mark."""
    check_range(date_from=date_from, date_to=date_to)
    registers = {
        register.pk: register
        for register in Register.objects.filter(
            school_class__enrolments__student=student, date__range=(date_from, date_to)
        )
    }
    by_day: dict[date, list[tuple[Register, AttendanceMark]]] = defaultdict(list)
    for mark in marks_of_registers(registers, student_id=student.pk):
        register = registers[mark.register_id]
        by_day[register.date].append((register, mark))
    days = []
    for day in sorted(by_day, reverse=True):
        entries = sorted(by_day[day], key=lambda entry: entry[0].period)
        counts = Counter(mark.code for _, mark in entries)
        days.append(
            DaySummary(
                date=day,
                status=entries[0][1].code if len(counts) == 1 else "mixed",
                counts={code: counts.get(code, 0) for code in AttendanceCode.values},
                marks=[
                    {
                        "register": register.pk,
                        "period": register.period,
                        "code": mark.code,
                        "note": mark.note,
                    }
                    for register, mark in entries
                ],  # fmt: skip
            )
        )
    return days


def _rate(attended: int, total: int) -> Decimal | None:
    if not total:
        return None
    return (Decimal(attended) * 100 / total).quantize(Decimal("0.1"))


@dataclass
class ClassRate:
    school_class: SchoolClass
    date_from: date
    date_to: date
    registers: int
    counts: dict[str, int]
    rate: Decimal | None
    students: list[dict]


def class_attendance_rate(
    *, school_class: SchoolClass, date_from: date, date_to: date
) -> ClassRate:
    """Share of marks that are present or late, for the class and for each of its students."""
    check_range(date_from=date_from, date_to=date_to)
    registers = {
        register.pk: register
        for register in Register.objects.filter(
            school_class=school_class, date__range=(date_from, date_to)
        )
    }
    marks = marks_of_registers(registers)
    counts = Counter(mark.code for mark in marks)
    per_student: dict[uuid.UUID, Counter] = defaultdict(Counter)
    for mark in marks:
        per_student[mark.student_id][mark.code] += 1
    students = (
        User.objects.filter(Q(pk__in=list(per_student)) | Q(enrolments__school_class=school_class))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
    attended = sum(counts[code] for code in ATTENDED_CODES)
    return ClassRate(
        school_class=school_class,
        date_from=date_from,
        date_to=date_to,
        registers=len(registers),
        counts={code: counts.get(code, 0) for code in AttendanceCode.values},
        rate=_rate(attended, len(marks)),
        students=[
            {
                "student": student,
                "marks": sum(per_student[student.pk].values()),
                "rate": _rate(
                    sum(per_student[student.pk][code] for code in ATTENDED_CODES),
                    sum(per_student[student.pk].values()),
                ),
            }
            for student in students
        ],
    )
