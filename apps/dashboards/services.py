"""Changes to boards: announcements, what a board shows, board devices; and the dashboards'
reaction to events (their cached copies' version tokens).

Callers check access first (``selectors.access_*``). Every change is published as a domain
event after commit, which is how open boards hear of it.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.core.idempotency import existing_for_client_id
from apps.dashboards import registry
from apps.dashboards.models import Announcement, BoardDevice, BoardFocus
from apps.dashboards.selectors import token_digest
from apps.dashboards.versions import dependencies_of_event, versions_bump
from apps.events.services import event_publish
from apps.events.types import Event, EventType
from apps.users.models import SchoolClass, User

MAX_ANNOUNCEMENT_HOURS = 24 * 14


def device_group(device_id: object) -> str:
    return f"board-device.{device_id}"


def dashboards_invalidate(event: Event) -> None:
    """Replace the version tokens an event touches, so cached dashboards showing it rebuild."""
    versions_bump(dependencies_of_event(event))


def _end_of_school_day(school_class: SchoolClass) -> datetime:
    zone = ZoneInfo(school_class.school.timezone)
    today = timezone.localdate(timezone=zone)
    return datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)


def announcement_create(
    *,
    school_class: SchoolClass,
    text: str,
    created_by: User,
    expires_at: datetime | None = None,
    announcement_id: uuid.UUID | None = None,
) -> tuple[Announcement, bool]:
    """Put an announcement on a class's board (until ``expires_at``, or the end of the school
    day). Returns it and whether it is new; a retried id returns the first."""
    existing = existing_for_client_id(
        Announcement, announcement_id, school_id=school_class.school_id,
        owner_field="created_by", owner_id=created_by.pk,
    )  # fmt: skip
    if existing is not None:
        return existing, False
    now = timezone.now()
    expires_at = expires_at or _end_of_school_day(school_class)
    if not now < expires_at <= now + timedelta(hours=MAX_ANNOUNCEMENT_HOURS):
        raise ApplicationError(
            "An announcement must expire in the future, within two weeks.",
            fields={"expires_at": ["Must be in the future and within 14 days."]},
        )
    announcement = Announcement(
        id=announcement_id or uuid.uuid4(),
        school=school_class.school,
        school_class=school_class,
        text=text.strip(),
        created_by=created_by,
        expires_at=expires_at,
    )
    announcement.full_clean()
    with transaction.atomic():
        announcement.save(force_insert=True)
        event_publish(
            Event(
                type=EventType.BOARD_ANNOUNCEMENT,
                school_id=str(school_class.school_id),
                class_ids=(str(school_class.pk),),
                actor_id=str(created_by.pk),
                data=announcement_data(announcement),
            )
        )
    return announcement, True


def announcement_data(announcement: Announcement) -> dict:
    return {
        "id": str(announcement.pk),
        "text": announcement.text,
        "by": announcement.created_by.get_full_name() if announcement.created_by else "",
        "created_at": announcement.created_at.isoformat(),
        "expires_at": announcement.expires_at.isoformat(),
    }


def board_show(
    *, school_class: SchoolClass, kind: str, object_id: uuid.UUID, shown_by: User
) -> BoardFocus:
    """Show a homework, a quiz... of this class on its board, in place of what it showed."""
    resolve = registry.resolver_for(kind)
    if resolve is None:
        raise ApplicationError(
            f"A board can show: {', '.join(registry.showable_kinds())}.",
            fields={"kind": [f"Must be one of: {', '.join(registry.showable_kinds())}."]},
        )
    summary = resolve(school_class=school_class, object_id=object_id)
    if summary is None:
        raise ApplicationError(
            f"No {kind} with this id in this class.", fields={"id": ["Not found in this class."]}
        )
    with transaction.atomic():
        focus, _created = BoardFocus.objects.update_or_create(
            school_class=school_class,
            defaults={
                "school": school_class.school,
                "kind": kind,
                "object_id": object_id,
                "summary": summary,
                "shown_by": shown_by,
                "shown_at": timezone.now(),
            },
        )
        event_publish(
            Event(
                type=EventType.BOARD_SHOW,
                school_id=str(school_class.school_id),
                class_ids=(str(school_class.pk),),
                actor_id=str(shown_by.pk),
                data=focus_data(focus),
            )
        )
    return focus


def focus_data(focus: BoardFocus) -> dict:
    return {
        "kind": focus.kind,
        "id": str(focus.object_id),
        "summary": focus.summary,
        "shown_at": focus.shown_at.isoformat(),
    }


def board_device_create(
    *, school_class: SchoolClass, name: str, created_by: User
) -> tuple[BoardDevice, str]:
    """Issue a board device login for a class. Returns the device and its token, which is
    shown this once (only its digest is kept)."""
    raw_token = secrets.token_urlsafe(32)
    device = BoardDevice(
        school=school_class.school,
        school_class=school_class,
        name=name.strip(),
        token_hash=token_digest(raw_token),
        created_by=created_by,
    )
    device.full_clean()
    device.save(force_insert=True)
    return device, raw_token


def board_device_revoke(*, device: BoardDevice, revoked_by: User) -> BoardDevice:
    """Revoke a device's token and close the sockets it has open."""
    if device.revoked_at is not None:
        return device
    with transaction.atomic():
        device.revoked_at = timezone.now()
        device.revoked_by = revoked_by
        device.save(update_fields=["revoked_at", "revoked_by"])
        transaction.on_commit(lambda: _close_device_sockets(device.pk), robust=True)
    return device


def _close_device_sockets(device_id: uuid.UUID) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(device_group(device_id), {"type": "device.revoked"})
