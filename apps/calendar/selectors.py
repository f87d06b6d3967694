"""Reads of a school's calendar: is a date a school day for a class, and the year's bounds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from apps.calendar.models import AcademicYear, Holiday, SchoolWeek
from apps.core.errors import ApplicationError
from apps.users.models import SchoolClass

_YEAR_NAME = re.compile(r"^(\d{4})(?:[-/](\d{2}|\d{4}))?$")


@dataclass(frozen=True)
class YearBounds:
    starts_on: date
    ends_on: date
    defined: bool  # False: taken from the year's name, the school has not entered its dates


def year_bounds(*, school_id, name: str) -> YearBounds | None:
    """The dates of an academic year: as the school entered them, or else the calendar years
    its name spans ("2026-27": 1 January 2026 to 31 December 2027). None for a name that says
    nothing about dates."""
    year = AcademicYear.objects.filter(school_id=school_id, name=name).first()
    if year is not None:
        return YearBounds(year.starts_on, year.ends_on, defined=True)
    match = _YEAR_NAME.match(name.strip())
    if match is None:
        return None
    first = int(match.group(1))
    last = first + 1 if match.group(2) else first
    return YearBounds(date(first, 1, 1), date(last, 12, 31), defined=False)


def holiday_on(*, school_id, on: date) -> Holiday | None:
    return (
        Holiday.objects.filter(school_id=school_id, starts_on__lte=on, ends_on__gte=on)
        .order_by("starts_on")
        .first()
    )


def check_school_day(*, school_class: SchoolClass, on: date) -> None:
    """Refuse a date a class has no school: outside its academic year, a day of the week the
    school does not teach, or a holiday. Raises ``ApplicationError`` (400, field ``date``)."""

    def refuse(message: str) -> ApplicationError:
        return ApplicationError(message, code="not_a_school_day", fields={"date": [message]})

    bounds = year_bounds(school_id=school_class.school_id, name=school_class.academic_year)
    if bounds is not None and not bounds.starts_on <= on <= bounds.ends_on:
        raise refuse(
            f"{on:%d %b %Y} is outside the class's academic year {school_class.academic_year} "
            f"({bounds.starts_on:%d %b %Y} to {bounds.ends_on:%d %b %Y})."
        )
    week = SchoolWeek.objects.filter(school_id=school_class.school_id).first()
    if week is not None and not week.teaches_on(on.weekday()):
        raise refuse(f"{on:%A %d %b %Y} is not a school day (the school week is {week}).")
    holiday = holiday_on(school_id=school_class.school_id, on=on)
    if holiday is not None:
        raise refuse(f"{on:%d %b %Y} is a holiday: {holiday}.")


def academic_year_name_for(day: date) -> str:
    """The usual name of the academic year a day falls in, for years running June to May
    ("2026-27" from June 2026 to May 2027): what new classes and the demo school are given."""
    first = day.year if day.month >= 6 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"
