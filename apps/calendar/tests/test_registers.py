"""Registers follow the school calendar: none on a holiday, on a day the school does not
teach, or outside the class's academic year; the refusal is a 400 that changes nothing."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.attendance.models import AttendanceMark, Register
from apps.attendance.services import school_today
from apps.calendar.models import AcademicYear, Holiday, SchoolWeek
from apps.calendar.selectors import academic_year_name_for, year_bounds
from apps.users.tests.factories import ClassWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> ClassWorld:
    return ClassWorld(students=2)


def take(world, on: date):
    client = APIClient()
    client.force_authenticate(world.teacher)
    return client.post(
        reverse("attendance-registers"),
        {
            "school_class": str(world.school_class.pk),
            "date": on.isoformat(),
            "marks": [{"student": str(s.pk), "code": "present"} for s in world.students],
        },
        format="json",
    )


def assert_refused(response, message: str) -> None:
    assert response.status_code == 400, response.json()
    assert response.json() == {
        "error": {"code": "not_a_school_day", "message": message, "fields": {"date": [message]}}
    }
    assert not Register.objects.exists()
    assert not AttendanceMark.objects.exists()


def test_a_register_on_a_holiday_is_refused(world):
    today = school_today(world.school)
    Holiday.objects.create(
        school=world.school, name="Founders' Day", starts_on=today, ends_on=today
    )
    assert_refused(
        take(world, today),
        f"{today:%d %b %Y} is a holiday: Founders' Day ({today:%d %b %Y}).",
    )


def test_a_register_on_a_day_the_school_does_not_teach_is_refused(world):
    today = school_today(world.school)
    week = SchoolWeek(school=world.school)
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"):
        setattr(week, day, day != today.strftime("%A").lower())
    week.save()
    assert_refused(
        take(world, today), f"{today:%A %d %b %Y} is not a school day (the school week is {week})."
    )


def test_a_register_years_before_the_class_existed_is_refused(world):
    bounds = year_bounds(school_id=world.school.pk, name=world.school_class.academic_year)
    assert_refused(
        take(world, date(1990, 3, 3)),
        f"03 Mar 1990 is outside the class's academic year {world.school_class.academic_year} "
        f"({bounds.starts_on:%d %b %Y} to {bounds.ends_on:%d %b %Y}).",
    )


def test_the_schools_own_year_dates_decide(world):
    today = school_today(world.school)
    AcademicYear.objects.create(
        school=world.school,
        name=world.school_class.academic_year,
        starts_on=today + timedelta(days=1),
        ends_on=today + timedelta(days=300),
    )
    response = take(world, today)
    assert response.status_code == 400
    assert "outside the class's academic year" in response.json()["error"]["message"]


def test_a_school_day_inside_the_year_is_taken(world):
    today = school_today(world.school)
    Holiday.objects.create(
        school=world.school,
        name="Yesterday",
        starts_on=today - timedelta(days=1),
        ends_on=today - timedelta(days=1),
    )
    response = take(world, today)
    assert response.status_code == 201, response.json()


def test_a_register_taken_before_a_holiday_was_entered_can_still_be_remarked(world):
    today = school_today(world.school)
    assert take(world, today).status_code == 201
    Holiday.objects.create(school=world.school, name="Snow day", starts_on=today, ends_on=today)
    assert take(world, today).status_code == 200


@pytest.mark.parametrize(
    ("day", "name"),
    [(date(2026, 6, 1), "2026-27"), (date(2027, 5, 31), "2026-27"), (date(2026, 1, 5), "2025-26")],
)
def test_the_academic_year_a_day_falls_in(day, name):
    assert academic_year_name_for(day) == name
