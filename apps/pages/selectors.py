"""Reads the web pages need beyond the domain selectors: a class's page, a guardian's children."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils.translation import gettext as _

from apps.attendance.models import Register
from apps.attendance.selectors import access_class, class_attendance_rate
from apps.attendance.services import school_today
from apps.core.errors import ApplicationError
from apps.homework.models import Homework
from apps.homework.selectors import homework_list, submission_list
from apps.users.models import Enrolment, Role, SchoolClass, Subject, TeacherAssignment, User
from apps.users.selectors import students_visible_to

ATTENDANCE_WINDOW_DAYS = 30


@dataclass
class HomeworkRow:
    homework: Homework
    submitted: int
    to_grade: int


@dataclass
class ClassPage:
    school_class: SchoolClass
    roster: list[User]
    rate: Decimal | None
    register_taken_today: bool
    homework: list[HomeworkRow]
    subjects: list[Subject]


def class_page(*, user: User, class_id: uuid.UUID) -> ClassPage:
    """Everything a teacher's class page shows, for a class the user may see."""
    school_class = access_class(user=user, school_class_id=class_id)
    today = school_today(school_class.school)
    roster = class_roster(school_class=school_class)
    rate = class_attendance_rate(
        school_class=school_class,
        date_from=today - timedelta(days=ATTENDANCE_WINDOW_DAYS),
        date_to=today,
    ).rate
    taken = Register.objects.filter(
        school_class=school_class, date=today, last_marked_at__isnull=False
    ).exists()
    rows = []
    for homework in homework_list(user=user, school_class_id=school_class.pk)[:20]:
        submissions = submission_list(user=user, homework=homework)
        rows.append(
            HomeworkRow(
                homework=homework,
                submitted=len(submissions),
                to_grade=sum(1 for submission in submissions if submission.graded_at is None),
            )
        )
    return ClassPage(
        school_class=school_class,
        roster=roster,
        rate=rate,
        register_taken_today=taken,
        homework=rows,
        subjects=subjects_taught(user=user, school_class=school_class),
    )


def class_roster(*, school_class: SchoolClass) -> list[User]:
    """The class's students in roll-call order (roll number, then name)."""
    enrolments = (
        Enrolment.objects.filter(school_class=school_class)
        .select_related("student")
        .order_by("roll_number", "student__last_name", "student__first_name")
    )
    return [enrolment.student for enrolment in enrolments]


def subjects_taught(*, user: User, school_class: SchoolClass) -> list[Subject]:
    """Subjects the user may set homework in for this class (all of the school's for admins)."""
    subjects = Subject.objects.filter(school=school_class.school).order_by("name")
    if user.is_superuser or user.role == Role.SCHOOL_ADMIN:
        return list(subjects)
    taught = TeacherAssignment.objects.filter(teacher=user, school_class=school_class)
    return list(subjects.filter(pk__in=taught.values("subject_id")))


def children_of(*, user: User) -> list[User]:
    """The students whose pages a user sees: themselves, or a guardian's children by name."""
    return list(students_visible_to(user).order_by("first_name", "last_name", "username"))


def access_child(*, user: User, student_id: uuid.UUID | None) -> tuple[User, list[User]]:
    """The student a student or guardian is looking at (a guardian's first child by default)."""
    children = children_of(user=user)
    if not children:
        raise ApplicationError(
            _("No student is linked to this account yet: ask the school office to link one."),
            code="no_students",
            status_code=404,
        )
    if student_id is None:
        return children[0], children
    for child in children:
        if child.pk == student_id:
            return child, children
    raise ApplicationError(_("Student not found."), code="not_found", status_code=404)
