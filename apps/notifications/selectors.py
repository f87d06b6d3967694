"""Reads of notifications: preferences with their defaults, the inbox, who hears about a student."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import time

from django.db.models import QuerySet

from apps.core.errors import ApplicationError
from apps.notifications.models import Channel, Kind, Notification, Preference
from apps.users.models import GuardianLink, Role, User

# What a person hears when they have not said otherwise. None: not subscribed (guardians hear of
# homework only when they ask to); []: the in-app inbox only.
DEFAULT_CHANNELS: dict[str, dict[str, list[str] | None]] = {
    Role.STUDENT: {
        Kind.HOMEWORK_ASSIGNED: [Channel.PUSH],
        Kind.GRADE_PUBLISHED: [Channel.PUSH],
        Kind.QUIZ_RESULT: [Channel.PUSH],
        Kind.ABSENCE: None,
        Kind.FEE_DUE: None,
        Kind.EARLY_WARNING: None,
    },
    Role.GUARDIAN: {
        Kind.HOMEWORK_ASSIGNED: None,
        Kind.ABSENCE: [Channel.SMS, Channel.EMAIL],
        Kind.GRADE_PUBLISHED: [Channel.EMAIL],
        Kind.QUIZ_RESULT: [],
        Kind.FEE_DUE: [Channel.EMAIL],
        Kind.EARLY_WARNING: None,
    },
}


@dataclass(frozen=True)
class Wishes:
    """One person's effective preferences for one kind of notification."""

    channels: list[str] | None
    digest: bool
    quiet_start: time | None
    quiet_end: time | None
    language: str


def wishes_of(*, user: User, kind: str, preference: Preference | None) -> Wishes:
    defaults = DEFAULT_CHANNELS.get(user.role, {})
    if preference is not None and kind in preference.channels:
        channels = preference.channels[kind]
    else:
        channels = defaults.get(kind)
    return Wishes(
        channels=list(channels) if channels is not None else None,
        digest=bool(preference and kind in preference.digest_kinds),
        quiet_start=preference.quiet_start if preference else None,
        quiet_end=preference.quiet_end if preference else None,
        language=preference.language if preference else "en",
    )


def preferences_of(user_ids: set[uuid.UUID]) -> dict[uuid.UUID, Preference]:
    return {p.user_id: p for p in Preference.objects.filter(user_id__in=user_ids)}


def guardians_of(student_ids: set[uuid.UUID]) -> dict[uuid.UUID, list[User]]:
    """Each student's guardians (active accounts only)."""
    found: dict[uuid.UUID, list[User]] = {sid: [] for sid in student_ids}
    links = GuardianLink.objects.filter(
        student_id__in=student_ids, guardian__is_active=True
    ).select_related("guardian")
    for link in links:
        found[link.student_id].append(link.guardian)
    return found


def inbox_of(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, cancelled=False).select_related("student")


def unread_count(*, user: User) -> int:
    return inbox_of(user=user).filter(read_at__isnull=True).count()


def access_notification(*, user: User, notification_id: uuid.UUID) -> Notification:
    found = inbox_of(user=user).filter(pk=notification_id).first()
    if found is None:
        raise ApplicationError("Notification not found.", status_code=404, code="not_found")
    return found
