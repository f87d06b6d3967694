"""Reads of the activity log and early warnings, scoped to what the caller may see."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.analytics.models import EarlyWarning
from apps.users.models import Enrolment, Role, SchoolClass, TeacherAssignment, User


def warnings_visible_to(user: User) -> QuerySet[EarlyWarning]:
    """Open early warnings: school admins see their school's, teachers those of the students of
    the classes they teach or lead; nobody else any."""
    open_warnings = EarlyWarning.objects.for_user(user).filter(resolved_at__isnull=True)
    if user.is_superuser or user.role == Role.SCHOOL_ADMIN:
        return open_warnings.select_related("student")
    if user.role != Role.TEACHER:
        return open_warnings.none()
    class_ids = set(
        TeacherAssignment.objects.filter(teacher=user).values_list("school_class_id", flat=True)
    ) | set(SchoolClass.objects.filter(class_teacher=user).values_list("pk", flat=True))
    students = Enrolment.objects.filter(school_class_id__in=class_ids).values("student_id")
    return open_warnings.filter(student_id__in=students).select_related("student")
