"""Reads about people and classes, each already scoped to what the caller may see."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from apps.core.cachefirst import cache_first, invalidate
from apps.users.models import Enrolment, GuardianLink, Role, SchoolClass, TeacherAssignment, User


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
