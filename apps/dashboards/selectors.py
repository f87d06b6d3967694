"""Reads for dashboards and boards: whose dashboard depends on what, building it from the
domains' sections, the cache-first read, who may watch a board.

``dashboard_get`` is the cache-first read: a compressed copy per user, kept for
``DASHBOARD_CACHE_SECONDS`` and thrown away as soon as an event replaces a version token it
recorded (``versions.py``). Events are published in the request that made the write, before it
answers, so a caller's next read never sees a copy older than their own last write.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from redis.exceptions import RedisError

from apps.attendance.services import school_today
from apps.core.errors import ApplicationError
from apps.dashboards import registry
from apps.dashboards.models import Announcement, BoardDevice, BoardFocus
from apps.dashboards.versions import versions_read
from apps.events.groups import class_group, school_group, user_group
from apps.users.models import Enrolment, GuardianLink, Role, SchoolClass, User
from apps.users.selectors import classes_visible_to, teaches

logger = logging.getLogger(__name__)


def person(user: User) -> dict[str, Any]:
    return {"id": str(user.pk), "username": user.username, "full_name": user.get_full_name()}


def class_info(school_class: SchoolClass) -> dict[str, Any]:
    return {"id": str(school_class.pk), "name": str(school_class)}


def json_ready(value: Any) -> Any:
    """Decimals, dates and UUIDs as text: the cached and the freshly built copy read the same."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


# --- whose dashboard depends on what ----------------------------------------------------------
@dataclass
class DashboardScope:
    user: User
    role: str
    students: list[User] = field(default_factory=list)
    classes_of: dict[uuid.UUID, list[SchoolClass]] = field(default_factory=dict)
    classes: list[SchoolClass] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)

    def groups(self) -> list[str]:
        """The channel-layer groups whose hints may concern this dashboard."""
        groups = []
        for dependency in self.dependencies:
            kind, _, ident = dependency.partition(":")
            group = {
                "user": user_group,
                "class": class_group,
                "staff": class_group,
                "school": school_group,
            }[kind](ident)
            if group not in groups:
                groups.append(group)
        return groups


def dashboard_scope(*, user: User) -> DashboardScope:
    scope = DashboardScope(user=user, role=user.role or "operator")
    if user.role == Role.STUDENT:
        scope.students = [user]
    elif user.role == Role.GUARDIAN:
        links = GuardianLink.objects.filter(guardian=user).select_related("student")
        scope.students = sorted(
            (link.student for link in links), key=lambda s: (s.first_name, s.username)
        )
    if scope.students:
        for student in scope.students:
            scope.classes_of[student.pk] = []
        for enrolment in Enrolment.objects.filter(
            student__in=[s.pk for s in scope.students]
        ).select_related("school_class"):
            scope.classes_of[enrolment.student_id].append(enrolment.school_class)
        for student in scope.students:
            scope.dependencies.append(f"user:{student.pk}")
            scope.dependencies.extend(f"class:{c.pk}" for c in scope.classes_of[student.pk])
    elif user.role == Role.TEACHER:
        scope.classes = list(classes_visible_to(user).order_by("grade", "section"))
        for school_class in scope.classes:
            scope.dependencies += [f"class:{school_class.pk}", f"staff:{school_class.pk}"]
    elif user.role == Role.SCHOOL_ADMIN:
        scope.dependencies.append(f"school:{user.school_id}")
    scope.dependencies.append(f"user:{user.pk}")
    scope.dependencies = list(dict.fromkeys(scope.dependencies))
    return scope


# --- building -------------------------------------------------------------------------------
def _sections(scope_name: str, **context: Any) -> dict[str, Any]:
    return {s.name: s.build(**context) for s in registry.sections(scope_name)}


def dashboard_build(*, scope: DashboardScope) -> dict[str, Any]:
    """The dashboard straight from the database and the write buffer (no cache)."""
    user = scope.user
    school = user.school if user.school_id else None
    today = school_today(school)
    data: dict[str, Any] = {
        "role": scope.role,
        "today": today,
        "generated_at": timezone.now(),
    }
    if user.role == Role.STUDENT:
        data["student"] = person(user)
        data["sections"] = _sections(registry.STUDENT, student=user, today=today)
    elif user.role == Role.GUARDIAN:
        data["children"] = [
            {
                "student": person(child),
                "classes": [class_info(c) for c in scope.classes_of[child.pk]],
                "sections": _sections(registry.STUDENT, student=child, today=today),
            }
            for child in scope.students
        ]
    elif user.role == Role.TEACHER:
        data["classes"] = [
            {
                "class": class_info(school_class),
                "sections": _sections(registry.CLASS, school_class=school_class, today=today),
            }
            for school_class in scope.classes
        ]
    elif user.role == Role.SCHOOL_ADMIN and school is not None:
        data["school"] = {"id": str(school.pk), "name": school.name}
        data["sections"] = _sections(registry.SCHOOL, school=school, today=today)
    return json_ready(data)


def dashboard_cache_key(user: User) -> str:
    return f"dashboard:{user.pk}"


def dashboard_get(*, user: User, scope: DashboardScope | None = None) -> dict[str, Any]:
    """The caller's dashboard, cache-first; ``scope`` is the caller's ``dashboard_scope`` when
    already at hand (it is only needed to build a copy)."""
    cache = caches["default"]
    try:
        cached = cache.get(dashboard_cache_key(user))
        if cached is not None and versions_read(cached["dependencies"]) == cached["versions"]:
            return cached["data"]
        scope = scope or dashboard_scope(user=user)
        # Read before building: a write landing while we build makes this copy stale at once.
        versions = versions_read(scope.dependencies)
    except RedisError as exc:
        logger.warning("dashboard cache unavailable (%s); building without it", exc)
        return dashboard_build(scope=scope or dashboard_scope(user=user))
    data = dashboard_build(scope=scope)
    try:
        cache.set(
            dashboard_cache_key(user),
            {"dependencies": scope.dependencies, "versions": versions, "data": data},
            timeout=settings.DASHBOARD_CACHE_SECONDS,
        )
    except RedisError as exc:
        logger.warning("dashboard not cached (%s)", exc)
    return data


# --- boards ---------------------------------------------------------------------------------
def board_state(*, school_class: SchoolClass) -> dict[str, Any]:
    today = school_today(school_class.school)
    return json_ready(
        {
            "class": class_info(school_class),
            "today": today,
            "sections": _sections(registry.BOARD, school_class=school_class, today=today),
        }
    )


def may_watch_board(*, user: User, school_class: SchoolClass) -> bool:
    """The class's teachers, its students and its school's admins (and operators)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    if user.school_id != school_class.school_id:
        return False
    if user.role == Role.SCHOOL_ADMIN:
        return True
    if user.role == Role.TEACHER:
        return teaches(teacher=user, school_class_id=school_class.pk)
    if user.role == Role.STUDENT:
        return Enrolment.objects.filter(student=user, school_class=school_class).exists()
    return False


def may_manage_board(*, user: User, school_class: SchoolClass) -> bool:
    if user.is_superuser or user.role == Role.SCHOOL_ADMIN:
        return user.is_superuser or user.school_id == school_class.school_id
    return user.role == Role.TEACHER and may_watch_board(user=user, school_class=school_class)


def _class_of_school(*, user: User, class_id: uuid.UUID) -> SchoolClass:
    school_class = (
        SchoolClass.objects.for_user(user).select_related("school").filter(pk=class_id).first()
    )
    if school_class is None:
        raise ApplicationError("Class not found.", code="not_found", status_code=404)
    return school_class


def access_board(*, user: User, class_id: uuid.UUID) -> SchoolClass:
    school_class = _class_of_school(user=user, class_id=class_id)
    if not may_watch_board(user=user, school_class=school_class):
        raise ApplicationError(
            "Only this class's teachers, students and the school's admins may see its board.",
            code="permission_denied",
            status_code=403,
        )
    return school_class


def access_board_to_manage(*, user: User, class_id: uuid.UUID) -> SchoolClass:
    school_class = _class_of_school(user=user, class_id=class_id)
    if not may_manage_board(user=user, school_class=school_class):
        raise ApplicationError(
            "Only this class's teachers and the school's admins may do this.",
            code="permission_denied",
            status_code=403,
        )
    return school_class


def board_class_for_socket(*, user: User, class_id: str) -> SchoolClass | None:
    school_class = SchoolClass.objects.select_related("school").filter(pk=class_id).first()
    if school_class is None or not may_watch_board(user=user, school_class=school_class):
        return None
    return school_class


# --- board devices, announcements, focus ------------------------------------------------------
def token_digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def board_device_for_token(*, raw_token: str) -> BoardDevice | None:
    """An active device by its token (revoked ones are refused)."""
    return (
        BoardDevice.objects.select_related("school_class__school")
        .filter(token_hash=token_digest(raw_token), revoked_at__isnull=True)
        .first()
    )


def board_device_list(*, user: User) -> list[BoardDevice]:
    return list(
        BoardDevice.objects.for_user(user).select_related("school_class").order_by("created_at")
    )


def access_board_device(*, user: User, device_id: uuid.UUID) -> BoardDevice:
    device = BoardDevice.objects.for_user(user).filter(pk=device_id).first()
    if device is None:
        raise ApplicationError("Board device not found.", code="not_found", status_code=404)
    return device


def active_announcements(*, school_class: SchoolClass) -> list[Announcement]:
    return list(
        Announcement.objects.filter(school_class=school_class, expires_at__gt=timezone.now())
        .select_related("created_by")
        .order_by("-created_at")[:10]
    )


def board_focus(*, school_class: SchoolClass) -> BoardFocus | None:
    return BoardFocus.objects.filter(school_class=school_class).first()
