"""Attendance's part of dashboards and boards: rates, today's registers."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from apps.attendance.models import ATTENDED_CODES, AttendanceCode, AttendanceMark, Register
from apps.attendance.selectors import marks_of_registers
from apps.dashboards.registry import BOARD, CLASS, SCHOOL, STUDENT, section
from apps.events.types import EventType
from apps.users.models import School, SchoolClass, User

RATE_DAYS = 30


def _summary(marks: list[AttendanceMark], registers: int) -> dict[str, Any]:
    counts = Counter(mark.code for mark in marks)
    attended = sum(counts[code] for code in ATTENDED_CODES)
    rate = (Decimal(attended) * 100 / len(marks)).quantize(Decimal("0.1")) if marks else None
    return {
        "registers": registers,
        "marks": len(marks),
        "counts": {code: counts.get(code, 0) for code in AttendanceCode.values},
        "rate": rate,
    }


def _marks(registers: list[Register], student_id: uuid.UUID | None = None) -> list[AttendanceMark]:
    return marks_of_registers({register.pk for register in registers}, student_id=student_id)


def _window(today: date) -> tuple[date, date]:
    return today - timedelta(days=RATE_DAYS - 1), today


@section("attendance", scope=STUDENT)
def student_attendance(*, student: User, today: date) -> dict[str, Any]:
    """The student's attendance over the last 30 days."""
    registers = list(
        Register.objects.filter(
            school_class__enrolments__student=student, date__range=_window(today)
        )
    )
    return {"days": RATE_DAYS} | _summary(_marks(registers, student_id=student.pk), len(registers))


@section("attendance", scope=CLASS)
def class_attendance(*, school_class: SchoolClass, today: date) -> dict[str, Any]:
    registers = list(Register.objects.filter(school_class=school_class, date__range=_window(today)))
    marked_today = any(r.date == today and r.last_marked_at is not None for r in registers)
    return {"days": RATE_DAYS, "register_missing_today": not marked_today} | _summary(
        _marks(registers), len(registers)
    )


@section("attendance", scope=SCHOOL)
def school_attendance(*, school: School, today: date) -> dict[str, Any]:
    # Today is the window's last day: its registers and marks are read once, with the window's.
    window_registers = list(Register.objects.filter(school=school, date__range=_window(today)))
    window_marks = _marks(window_registers)
    today_registers = [r for r in window_registers if r.date == today]
    today_ids = {r.pk for r in today_registers}
    today_marks = [mark for mark in window_marks if mark.register_id in today_ids]
    marked = {r.school_class_id for r in today_registers if r.last_marked_at is not None}
    classes = SchoolClass.objects.filter(school=school).count()
    return {
        "today": _summary(today_marks, len(today_registers)),
        "last_30_days": _summary(window_marks, len(window_registers)),
        "classes": classes,
        "registers_missing_today": classes - len(marked),
    }


@section(
    "attendance_today",
    scope=BOARD,
    live_types=[EventType.REGISTER_TAKEN, EventType.MARK_CHANGED],
)
def board_attendance(*, school_class: SchoolClass, today: date) -> dict[str, Any]:
    """Counts only: a board hangs in a classroom, so it names no one."""
    registers = list(Register.objects.filter(school_class=school_class, date=today))
    return _summary(_marks(registers), len(registers))
