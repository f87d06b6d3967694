"""Demo data: the demo school's academic year (June to May), a Monday-to-Friday week and the
year's holidays still ahead (past days already have registers, so none is made a holiday)."""

from __future__ import annotations

from datetime import date, timedelta

from apps.attendance.services import school_today
from apps.calendar.models import AcademicYear, Holiday, SchoolWeek


def seed(context, *, progress: bool) -> None:
    school = context.school
    first = int(context.classes[0].academic_year[:4])
    year, _ = AcademicYear.objects.get_or_create(
        school=school,
        name=context.classes[0].academic_year,
        defaults={"starts_on": date(first, 6, 1), "ends_on": date(first + 1, 5, 31)},
    )
    SchoolWeek.objects.get_or_create(school=school)
    today = school_today(school)
    holidays = [
        ("Autumn half-term", date(first, 10, 26), date(first, 10, 30)),
        ("Winter break", date(first, 12, 21), date(first + 1, 1, 1)),
        ("Spring half-term", date(first + 1, 2, 15), date(first + 1, 2, 19)),
        ("Spring break", date(first + 1, 4, 5), date(first + 1, 4, 16)),
    ]
    for name, starts_on, ends_on in holidays:
        if starts_on > today + timedelta(days=1) and ends_on <= year.ends_on:
            Holiday.objects.get_or_create(
                school=school, name=name, defaults={"starts_on": starts_on, "ends_on": ends_on}
            )
