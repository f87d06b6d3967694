"""Reads about people and classes, each already scoped to what the caller may see."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from apps.core.cachefirst import cache_first, invalidate
from apps.core.errors import ApplicationError, not_found
from apps.core.replicas import lag_tolerant
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
from apps.users.services import CSV_COLUMNS


def _enrolled_key(student_id: uuid.UUID) -> str:
    return f"enrolled:{student_id}"


def invalidate_enrolments(student_id: uuid.UUID) -> None:
    invalidate([_enrolled_key(student_id)])


def enrolled_class_ids(*, student_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """The classes a student is enrolled in, cache-first (invalidated on every enrolment
    change), for what a student may touch while PostgreSQL is away."""
    return cache_first(
        _enrolled_key(student_id),
        lambda: frozenset(
            Enrolment.objects.filter(student_id=student_id).values_list(
                "school_class_id", flat=True
            )
        ),
    )


def user_get_me(*, user: User) -> User:
    return User.objects.select_related("school").get(pk=user.pk)


def classes_visible_to(user: User) -> QuerySet[SchoolClass]:
    """Classes a user may see: all of their school for admins, taught ones for teachers,
    enrolled ones for students, their children's for guardians."""
    classes = SchoolClass.objects.for_user(user)
    if user.is_superuser or user.role == Role.SCHOOL_ADMIN:
        return classes
    if user.role == Role.TEACHER:
        return classes.filter(
            pk__in=TeacherAssignment.objects.filter(teacher=user).values("school_class_id")
        ) | classes.filter(class_teacher=user)
    if user.role == Role.STUDENT:
        return classes.filter(pk__in=Enrolment.objects.filter(student=user).values("school_class"))
    if user.role == Role.GUARDIAN:
        children = GuardianLink.objects.filter(guardian=user).values("student_id")
        return classes.filter(
            pk__in=Enrolment.objects.filter(student_id__in=children).values("school_class")
        )
    return classes.none()


def students_visible_to(user: User) -> QuerySet[User]:
    """Students whose records a user may see: themselves, their children, their classes'
    students, or the whole school for its admins."""
    students = User.objects.for_user(user).filter(role=Role.STUDENT)
    if user.is_superuser or user.role == Role.SCHOOL_ADMIN:
        return students
    if user.role == Role.STUDENT:
        return students.filter(pk=user.pk)
    if user.role == Role.GUARDIAN:
        return students.filter(guardian_links__guardian=user)
    if user.role == Role.TEACHER:
        return students.filter(
            enrolments__school_class__in=classes_visible_to(user).values("pk")
        ).distinct()
    return students.none()


def teaches(*, teacher: User, school_class_id, subject_id=None) -> bool:
    """Whether a teacher teaches a class (and, if given, that subject in it)."""
    if teacher.role != Role.TEACHER:
        return False
    assignments = TeacherAssignment.objects.filter(teacher=teacher, school_class_id=school_class_id)
    if subject_id is not None:
        assignments = assignments.filter(subject_id=subject_id)
    if assignments.exists():
        return True
    return (
        subject_id is None
        and SchoolClass.objects.filter(pk=school_class_id, class_teacher=teacher).exists()
    )


# --- The directory: classes, class lists, subjects, the caller's own classes and children ---


def class_list(*, user: User) -> QuerySet[SchoolClass]:
    return (
        classes_visible_to(user)
        .select_related("class_teacher")
        .order_by("academic_year", "grade", "section")
    )


def access_class(*, user: User, class_id: uuid.UUID) -> SchoolClass:
    """A class the caller may see, with its class teacher; another school's id is a 404."""
    school_class = class_list(user=user).filter(pk=class_id).first()
    if school_class is None:
        raise not_found("Class")
    return school_class


@dataclass(frozen=True)
class ClassDetail:
    school_class: SchoolClass
    student_count: int
    teaching: list[TeacherAssignment]


def class_detail(*, user: User, class_id: uuid.UUID) -> ClassDetail:
    """A class the caller may see, its size, and who teaches what in it (by subject name)."""
    school_class = access_class(user=user, class_id=class_id)
    teaching = list(
        TeacherAssignment.objects.filter(school_class=school_class)
        .select_related("teacher", "subject")
        .order_by("subject__name", "teacher__last_name", "teacher__username")
    )
    return ClassDetail(
        school_class=school_class,
        student_count=Enrolment.objects.filter(school_class=school_class).count(),
        teaching=teaching,
    )


def access_class_students(*, user: User, class_id: uuid.UUID) -> QuerySet[Enrolment]:
    """A class list (enrolments with their students) for the class's teachers and the school's
    admins. Students and guardians see the class but not everyone in it: a class list holds
    other families' children."""
    school_class = access_class(user=user, class_id=class_id)
    if not (user.is_superuser or user.role in (Role.SCHOOL_ADMIN, Role.TEACHER)):
        raise ApplicationError(
            "Only the class's teachers and the school's admins see its class list.",
            code="permission_denied",
            status_code=403,
        )
    return (
        Enrolment.objects.filter(school_class=school_class)
        .select_related("student")
        .order_by("roll_number", "student__last_name", "student__username")
    )


def subject_list(*, user: User) -> QuerySet[Subject]:
    """Subjects of the caller's school for its admins; otherwise those taught in the classes
    the caller teaches, attends or whose children attend."""
    subjects = Subject.objects.for_user(user).order_by("name")
    if user.is_superuser or user.role == Role.SCHOOL_ADMIN:
        return subjects
    assignments = TeacherAssignment.objects.filter(
        school_class__in=classes_visible_to(user).values("pk")
    )
    if user.role == Role.TEACHER:
        # A class teacher sees the class's subjects; a subject teacher only what they teach.
        assignments = assignments.filter(Q(teacher=user) | Q(school_class__class_teacher=user))
    return subjects.filter(pk__in=assignments.values("subject_id"))


@dataclass(frozen=True)
class Child:
    student: User
    relationship: str
    classes: list[SchoolClass]


@dataclass(frozen=True)
class Me:
    user: User
    classes: list[SchoolClass]
    children: list[Child]


def me_get(*, user: User) -> Me:
    """The caller with their classes (teachers, students) or children (guardians)."""
    me = user_get_me(user=user)
    classes: list[SchoolClass] = []
    children: list[Child] = []
    if user.role in (Role.TEACHER, Role.STUDENT):
        classes = list(class_list(user=user))
    elif user.role == Role.GUARDIAN:
        links = list(
            GuardianLink.objects.for_user(user)
            .filter(guardian=user)
            .select_related("student")
            .prefetch_related(
                Prefetch(
                    "student__enrolments",
                    queryset=Enrolment.objects.select_related(
                        "school_class__class_teacher"
                    ).order_by("school_class__academic_year", "school_class__grade"),
                )
            )
            .order_by("student__first_name", "student__username")
        )
        children = [
            Child(
                student=link.student,
                relationship=link.relationship,
                classes=[enrolment.school_class for enrolment in link.student.enrolments.all()],
            )
            for link in links
        ]
    return Me(user=me, classes=classes, children=children)


@lag_tolerant
def directory_export(*, school: School, kind: str) -> str:
    """One kind of the school's directory as CSV, in the columns the import reads (from a read
    replica when one is usable: people, classes and links are never buffered)."""

    def class_columns(school_class: SchoolClass) -> list[Any]:
        return [school_class.grade, school_class.section, school_class.academic_year]

    rows: Iterable[list[Any]]
    if kind == "people":
        people = User.objects.filter(school=school).order_by("role", "username")
        rows = ([u.username, u.first_name, u.last_name, u.email, u.role] for u in people)
    elif kind == "classes":
        classes = SchoolClass.objects.filter(school=school).select_related("class_teacher")
        rows = (
            [*class_columns(c), c.class_teacher.username if c.class_teacher else ""]
            for c in classes.order_by("academic_year", "grade", "section")
        )
    elif kind == "subjects":
        rows = ([s.code, s.name] for s in Subject.objects.filter(school=school).order_by("code"))
    elif kind == "enrolments":
        enrolments = Enrolment.objects.filter(school=school).select_related(
            "student", "school_class"
        )
        rows = (
            [e.student.username, *class_columns(e.school_class), e.roll_number or ""]
            for e in enrolments.order_by("school_class", "roll_number", "student__username")
        )
    elif kind == "guardian_links":
        links = GuardianLink.objects.filter(school=school).select_related("guardian", "student")
        rows = (
            [link.guardian.username, link.student.username, link.relationship]
            for link in links.order_by("guardian__username", "student__username")
        )
    elif kind == "teacher_assignments":
        assignments = TeacherAssignment.objects.filter(school=school).select_related(
            "teacher", "school_class", "subject"
        )
        rows = (
            [a.teacher.username, *class_columns(a.school_class), a.subject.code]
            for a in assignments.order_by("teacher__username", "school_class", "subject__code")
        )
    else:
        raise ValueError(f"unknown kind {kind!r}")
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(CSV_COLUMNS[kind])
    writer.writerows(rows)
    return output.getvalue()
