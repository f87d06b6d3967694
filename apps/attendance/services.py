"""Taking registers: open a register and mark a whole class (or some of it) in one call.

Marks go through the write buffer in one round trip per model. A student's mark has one id per
register (``models.mark_id``), so marking again updates it in place: reopening a register changes
the marks sent and leaves every other mark as it was. Each change of code or note is recorded
with who made it.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.attendance.models import (
    AttendanceCode,
    AttendanceMark,
    AttendanceMarkChange,
    Register,
    mark_id,
)
from apps.attendance.selectors import register_marks
from apps.core.errors import ApplicationError
from apps.events.services import event_publish
from apps.events.types import Event, EventType
from apps.users.models import Enrolment, School, SchoolClass, User
from apps.writebuffer.cache import read_cache
from apps.writebuffer.services import buffered_save_many

MAX_PERIOD = 12


@dataclass(frozen=True)
class MarkInput:
    student_id: uuid.UUID
    code: str
    note: str = ""


def school_today(school: School | None) -> date:
    """Today where the school is (an operator without a school gets the server's today)."""
    if school is None:
        return timezone.localdate()
    return timezone.localdate(timezone=ZoneInfo(school.timezone))


def register_open(
    *, school_class: SchoolClass, on: date, period: int, opened_by: User
) -> tuple[Register, bool]:
    """The register of a class for a date and period, created if it does not exist yet."""
    if on > school_today(school_class.school):
        raise ApplicationError(
            "A register cannot be taken for a future date.",
            fields={"date": ["Must not be in the future."]},
        )
    if not 0 <= period <= MAX_PERIOD:
        raise ApplicationError(
            f"The period must be between 0 (whole day) and {MAX_PERIOD}.",
            fields={"period": [f"Must be between 0 and {MAX_PERIOD}."]},
        )
    lookup = {"school_class": school_class, "date": on, "period": period}
    register = Register.objects.select_related("school").filter(**lookup).first()
    if register is not None:
        return register, False
    register = Register(school=school_class.school, created_by=opened_by, **lookup)
    # The class and the user are loaded and checked already; uniqueness is the database's to
    # enforce (see the IntegrityError below).
    register.full_clean(
        exclude=["school", "school_class", "created_by"],
        validate_unique=False,
        validate_constraints=False,
    )
    try:
        with transaction.atomic():
            register.save(force_insert=True)
    except IntegrityError:
        # Two teachers opened the same register at once; both get the one that was stored.
        return Register.objects.select_related("school").get(**lookup), False
    return register, True


def _check_marks(*, school_class_id: uuid.UUID, marks: list[MarkInput]) -> dict[uuid.UUID, User]:
    """Every student named once and enrolled in the class; errors by list index."""
    if not marks:
        raise ApplicationError("Send at least one mark.", fields={"marks": ["Required."]})
    enrolled = {
        enrolment.student_id: enrolment.student
        for enrolment in Enrolment.objects.filter(school_class_id=school_class_id).select_related(
            "student"
        )
    }
    errors: dict[str, dict[str, list[str]]] = {}
    seen: set[uuid.UUID] = set()
    for index, mark in enumerate(marks):
        if mark.student_id not in enrolled:
            errors[str(index)] = {"student": ["Not a student of this class."]}
        elif mark.student_id in seen:
            errors[str(index)] = {"student": ["Listed more than once."]}
        seen.add(mark.student_id)
    if errors:
        raise ApplicationError(
            "Some marks are not valid; nothing was saved.", fields={"marks": errors}
        )
    return enrolled


@dataclass
class MarkingResult:
    register: Register
    changed: int
    unchanged: int


def register_take(
    *, school_class: SchoolClass, on: date, period: int, marks: list[MarkInput], marked_by: User
) -> tuple[MarkingResult, bool]:
    """Open (or reopen) a class's register and mark it. The marks are checked before the
    register is created, so a refused request leaves nothing behind. Returns the result and
    whether the register is new."""
    students = _check_marks(school_class_id=school_class.pk, marks=marks)
    register, created = register_open(
        school_class=school_class, on=on, period=period, opened_by=marked_by
    )
    return _write_marks(register=register, marks=marks, students=students, marked_by=marked_by), (
        created
    )


def register_mark(*, register: Register, marks: list[MarkInput], marked_by: User) -> MarkingResult:
    """Set the given students' marks; marks not sent are left as they are."""
    students = _check_marks(school_class_id=register.school_class_id, marks=marks)
    return _write_marks(register=register, marks=marks, students=students, marked_by=marked_by)


def _write_marks(
    *,
    register: Register,
    marks: list[MarkInput],
    students: dict[uuid.UUID, User],
    marked_by: User,
) -> MarkingResult:
    # One marking of a register at a time, so each change records the code it really replaced.
    with read_cache().lock(f"attendance:register:{register.pk}", timeout=30):
        current = {mark.student_id: mark for mark in register_marks(register=register)}
        new_marks: list[AttendanceMark] = []
        changes: list[AttendanceMarkChange] = []
        for item in marks:
            previous = current.get(item.student_id)
            if previous is not None and (previous.code, previous.note) == (item.code, item.note):
                continue
            mark = AttendanceMark(
                id=mark_id(register.pk, item.student_id),
                school=register.school,
                register=register,
                student=students[item.student_id],
                code=item.code,
                note=item.note,
                marked_by=marked_by,
            )
            mark._state.adding = previous is None
            new_marks.append(mark)
            changes.append(
                AttendanceMarkChange(
                    school=register.school,
                    register=register,
                    mark_id=mark.pk,
                    student=mark.student,
                    previous_code=previous.code if previous else "",
                    code=item.code,
                    previous_note=previous.note if previous else "",
                    note=item.note,
                    changed_by=marked_by,
                )
            )
        if new_marks:
            # The parent is written first, then the buffered leaves (never inside its transaction).
            register.last_marked_at = timezone.now()
            register.last_marked_by = marked_by
            register.save(update_fields=["last_marked_at", "last_marked_by"])
            buffered_save_many(new_marks)
            buffered_save_many(changes)
            codes = {student_id: mark.code for student_id, mark in current.items()}
            codes.update({mark.student_id: mark.code for mark in new_marks})
            event_publish(
                _marking_event(
                    register=register,
                    first_marking=not current,
                    changed_students=[mark.student_id for mark in new_marks],
                    codes=list(codes.values()),
                    marked_by=marked_by,
                    changes=changes,
                )
            )
    return MarkingResult(
        register=register, changed=len(new_marks), unchanged=len(marks) - len(new_marks)
    )


def _marking_event(
    *,
    register: Register,
    first_marking: bool,
    changed_students: list[uuid.UUID],
    codes: list[str],
    marked_by: User,
    changes: list[AttendanceMarkChange],
) -> Event:
    """A register's first marking concerns the whole class; a later change, the students whose
    marks changed. The data carries the register's counts, never names (boards show it)."""
    counts = Counter(codes)
    return Event(
        type=EventType.REGISTER_TAKEN if first_marking else EventType.MARK_CHANGED,
        school_id=str(register.school_id),
        class_ids=(str(register.school_class_id),),
        user_ids=() if first_marking else tuple(str(s) for s in changed_students),
        actor_id=str(marked_by.pk),
        data={
            "register_id": str(register.pk),
            "date": register.date.isoformat(),
            "period": register.period,
            "counts": {code: counts.get(code, 0) for code in AttendanceCode.values},
            # For absence alerts: who changed from what to what (ids and codes, no names).
            "class_id": str(register.school_class_id),
            "class_name": str(register.school_class),
            "period_name": "whole day" if register.period == 0 else f"period {register.period}",
            "changes": [
                {
                    "student_id": str(change.student_id),
                    "code": change.code,
                    "previous_code": change.previous_code,
                }
                for change in changes
            ],
        },
    )
