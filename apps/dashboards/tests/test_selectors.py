"""Dashboards' content per role, the cache-first read and read-your-writes with the buffer."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.attendance.services import MarkInput, register_take, school_today
from apps.dashboards.selectors import dashboard_get
from apps.grades.models import Term
from apps.grades.services import ScoreInput, assessment_create, grade_marks_set
from apps.homework.services import homework_create, submission_create, submission_grade
from apps.users.tests.factories import ClassWorld

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    return ClassWorld(students=2)


def set_homework(world, title="Essay"):
    homework, _ = homework_create(
        assigned_by=world.teacher,
        school_class=world.school_class,
        subject=world.subject,
        title=title,
        due_at=timezone.now() + timedelta(hours=5),
    )
    return homework


def test_a_cached_dashboard_is_served_without_the_database(world, django_assert_num_queries):
    set_homework(world)
    first = dashboard_get(user=world.student)

    with django_assert_num_queries(0):
        again = dashboard_get(user=world.student)

    assert again == first


def test_a_students_own_submission_shows_at_once_though_it_is_only_in_the_buffer(world):
    homework = set_homework(world)
    assert dashboard_get(user=world.student)["sections"]["homework_due"][0]["state"] == (
        "not_submitted"
    )

    submission, _ = submission_create(homework=homework, student=world.student, text="Done")

    assert dashboard_get(user=world.student)["sections"]["homework_due"][0]["state"] == (
        "submitted"
    )
    submission_grade(
        homework=homework, submission=submission, grader=world.teacher, score=Decimal("80")
    )
    item = dashboard_get(user=world.student)["sections"]["homework_due"][0]
    assert (item["state"], item["final_score"]) == ("graded", "80.00")


def test_a_classmates_submission_does_not_rebuild_a_students_dashboard(
    world, django_assert_num_queries
):
    homework = set_homework(world)
    dashboard_get(user=world.student)

    submission_create(homework=homework, student=world.students[1], text="Mine")

    with django_assert_num_queries(0):
        dashboard_get(user=world.student)


def test_teacher_sees_per_class_attendance_submissions_and_averages(world):
    homework = set_homework(world)
    today = school_today(world.school)
    before = dashboard_get(user=world.teacher)["classes"][0]
    register_take(
        school_class=world.school_class,
        on=today,
        period=0,
        marks=[
            MarkInput(world.students[0].pk, "present"),
            MarkInput(world.students[1].pk, "absent"),
        ],
        marked_by=world.teacher,
    )
    submission_create(homework=homework, student=world.student, text="Done")
    term = Term.objects.create(
        school=world.school,
        name="Term",
        academic_year="2026-27",
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=30),
    )
    assessment, _ = assessment_create(
        created_by=world.teacher,
        school_class=world.school_class,
        subject=world.subject,
        term=term,
        kind="test",
        title="Quiz 1",
        on=today,
    )
    grade_marks_set(
        assessment=assessment,
        marks=[
            ScoreInput(world.students[0].pk, Decimal(90)),
            ScoreInput(world.students[1].pk, Decimal(70)),
        ],
        marked_by=world.teacher,
    )

    after = dashboard_get(user=world.teacher)["classes"][0]

    assert before["sections"]["attendance"]["register_missing_today"] is True
    assert before["sections"]["submissions_to_grade"] == 0
    assert after["class"] == {"id": str(world.school_class.pk), "name": str(world.school_class)}
    sections = after["sections"]
    assert sections["attendance"]["register_missing_today"] is False
    assert sections["attendance"]["rate"] == "50.0"
    assert sections["submissions_to_grade"] == 1
    assert sections["averages"] == [
        {"subject": world.subject.name, "average_percent": "80.00", "marks": 2}
    ]
    student_view = dashboard_get(user=world.student)["sections"]
    assert student_view["attendance"]["counts"]["present"] == 1
    assert student_view["recent_grades"][0]["score"] == "90"


def test_guardian_sees_each_child_and_admin_the_school(world):
    set_homework(world)
    register_take(
        school_class=world.school_class,
        on=school_today(world.school),
        period=0,
        marks=[MarkInput(s.pk, "present") for s in world.students],
        marked_by=world.teacher,
    )

    guardian_view = dashboard_get(user=world.guardian)
    admin_view = dashboard_get(user=world.admin)

    assert [c["student"]["id"] for c in guardian_view["children"]] == [str(world.student.pk)]
    assert guardian_view["children"][0]["sections"]["homework_due"][0]["title"] == "Essay"
    assert admin_view["school"]["id"] == str(world.school.pk)
    attendance = admin_view["sections"]["attendance"]
    assert (attendance["today"]["rate"], attendance["registers_missing_today"]) == ("100.0", 0)


def test_another_schools_events_do_not_touch_a_dashboard(world, django_assert_num_queries):
    elsewhere = ClassWorld(students=1)
    dashboard_get(user=world.admin)

    set_homework(elsewhere)

    with django_assert_num_queries(0):
        dashboard_get(user=world.admin)
