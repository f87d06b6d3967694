"""Demo registers: a whole-day register for each class on each of the last ten school days, all
marked, and today's registers marked for half of the classes (so the missing-register report
has something to show).

Idempotent: registers are looked up by class, date and period; marks have ids derived from their
register and student (as the service does) and are inserted with ``ignore_conflicts``. Historical
marks go straight to the database; ``register_mark`` always marks "now".
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from tqdm import tqdm

from apps.attendance.models import (
    WHOLE_DAY,
    AttendanceCode,
    AttendanceMark,
    AttendanceMarkChange,
    Register,
    mark_id,
)
from apps.users.models import Enrolment

SCHOOL_DAYS = 10
NOTES = {
    AttendanceCode.ABSENT: ["", "No message from home", "Ill (parent phoned)"],
    AttendanceCode.LATE: ["Bus delayed", "", "Dentist appointment"],
    AttendanceCode.EXCUSED: ["School trip", "Music exam"],
    AttendanceCode.PRESENT: [""],
}


def _school_days(today, count: int) -> list:
    days: list = []
    day = today
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return days


def seed(context, *, progress: bool) -> None:
    zone = ZoneInfo(context.school.timezone)
    today = timezone.localdate(timezone=zone)
    rng = context.rng
    days = _school_days(today - timedelta(days=1), SCHOOL_DAYS)
    jobs = [(c, d) for c in context.classes for d in days]
    jobs += [(c, today) for c in context.classes[: len(context.classes) // 2]]
    codes = [AttendanceCode.PRESENT] * 90 + [AttendanceCode.ABSENT] * 4
    codes += [AttendanceCode.LATE] * 4 + [AttendanceCode.EXCUSED] * 2
    for school_class, day in tqdm(jobs, desc="registers", disable=not progress, unit="register"):
        teacher = school_class.class_teacher
        marked_at = datetime.combine(day, time(8, 45), tzinfo=zone)
        register, _ = Register.objects.get_or_create(
            school_class=school_class,
            date=day,
            period=WHOLE_DAY,
            defaults={
                "school": context.school,
                "created_by": teacher,
                "last_marked_at": marked_at,
                "last_marked_by": teacher,
            },
        )
        marks, changes = [], []
        for enrolment in Enrolment.objects.filter(school_class=school_class):
            code = rng.choice(codes)
            note = rng.choice(NOTES[code])
            common = {"school": context.school, "register": register, "code": code, "note": note}
            marks.append(
                AttendanceMark(
                    id=mark_id(register.pk, enrolment.student_id),
                    student_id=enrolment.student_id,
                    marked_by=teacher,
                    marked_at=marked_at,
                    version=1,
                    **common,
                )
            )
            changes.append(
                AttendanceMarkChange(
                    id=uuid.uuid5(register.pk, f"seed-change:{enrolment.student_id}"),
                    mark_id=mark_id(register.pk, enrolment.student_id),
                    student_id=enrolment.student_id,
                    changed_by=teacher,
                    changed_at=marked_at,
                    version=1,
                    **common,
                )
            )
        AttendanceMark.objects.bulk_create(marks, ignore_conflicts=True)
        AttendanceMarkChange.objects.bulk_create(changes, ignore_conflicts=True)
        # bulk_create stamps auto_now fields with "now"; seeded rows (version 1) keep the time the
        # register was taken. update() leaves auto_now alone.
        AttendanceMark.objects.filter(register=register, version=1).update(marked_at=marked_at)
        AttendanceMarkChange.objects.filter(register=register, version=1).update(
            changed_at=marked_at
        )
