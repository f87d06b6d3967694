"""``manage.py seed_demo``: the demo school, its four promised logins, and idempotence."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.users.models import (
    Enrolment,
    GuardianLink,
    Role,
    School,
    SchoolClass,
    Subject,
    TeacherAssignment,
    User,
)
from apps.users.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

EXPECTED_OUTPUT = """\
Demo school ready: Greenwood High School
Logins (password: schools24):
  admin      school admin and operator (superuser)
  teacher1   teacher (class teacher of 10-A)
  student1   student in 10-A
  parent1    guardian of student1
"""


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", students=8, verbosity=0, stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model._default_manager.count()
        for model in [
            School,
            User,
            SchoolClass,
            Subject,
            Enrolment,
            TeacherAssignment,
            GuardianLink,
        ]
    }


EXPECTED_COUNTS = {
    "School": 1,
    "User": 1 + 6 + 8 + 8,  # admin, six teachers, eight students, eight parents
    "SchoolClass": 4,
    "Subject": 5,
    "Enrolment": 8,
    "TeacherAssignment": 4 * 5,
    "GuardianLink": 8,
}


def test_creates_the_demo_school_and_prints_its_logins():
    output = seed()

    assert output == EXPECTED_OUTPUT
    assert counts() == EXPECTED_COUNTS


def test_the_four_promised_logins_exist_and_are_linked():
    seed()
    school = School.objects.get(slug="greenwood")
    admin, teacher1, student1, parent1 = (
        User.objects.get(username=name) for name in ["admin", "teacher1", "student1", "parent1"]
    )

    assert (admin.school, admin.role, admin.is_staff, admin.is_superuser) == (
        school,
        Role.SCHOOL_ADMIN,
        True,
        True,
    )
    assert (teacher1.school, teacher1.role, teacher1.is_staff) == (school, Role.TEACHER, False)
    assert (student1.school, student1.role) == (school, Role.STUDENT)
    assert (parent1.school, parent1.role) == (school, Role.GUARDIAN)
    assert list(
        GuardianLink.objects.filter(guardian=parent1).values_list("student", flat=True)
    ) == [student1.pk]
    ten_a = SchoolClass.objects.get(school=school, grade=10, section="A")
    assert ten_a.class_teacher == teacher1
    assert list(
        Enrolment.objects.filter(student=student1).values_list("school_class", flat=True)
    ) == [ten_a.pk]
    for user in [admin, teacher1, student1, parent1]:
        assert user.check_password("schools24")
        user.full_clean()


def test_every_link_stays_inside_the_school():
    seed()

    for model in [Enrolment, TeacherAssignment, GuardianLink]:
        for row in model.objects.all():
            row.full_clean()


def test_running_twice_creates_nothing_more_and_changes_no_password():
    seed()
    first_hashes = dict(User.objects.values_list("username", "password"))

    output = seed(password="another-password")

    assert counts() == EXPECTED_COUNTS
    assert dict(User.objects.values_list("username", "password")) == first_hashes
    assert "Logins (password: another-password):" in output
    assert "  parent1    guardian of student1\n" in output


def test_more_students_later_only_adds_the_new_ones():
    seed()

    call_command("seed_demo", students=10, verbosity=0, stdout=StringIO())

    assert User.objects.filter(role=Role.STUDENT).count() == 10
    assert User.objects.filter(role=Role.GUARDIAN).count() == 10
    assert Enrolment.objects.count() == 10
    assert counts()["TeacherAssignment"] == 20


def test_custom_password():
    seed(password="s3cret-demo")

    assert User.objects.get(username="student1").check_password("s3cret-demo")


def test_needs_at_least_one_student():
    with pytest.raises(CommandError, match="--students must be at least 1"):
        call_command("seed_demo", students=0, stdout=StringIO())

    assert User.objects.count() == 0


def test_if_empty_does_nothing_when_a_school_exists():
    SchoolFactory()
    out = StringIO()

    call_command("seed_demo", students=3, if_empty=True, stdout=out)

    assert out.getvalue() == "The database already has a school; not seeding the demo.\n"
    assert not User.objects.filter(username="admin").exists()
