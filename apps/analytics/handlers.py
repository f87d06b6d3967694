"""The activity log records every event; early warnings re-check the students an event touched."""

from __future__ import annotations

import uuid

from apps.analytics.models import WarningKind
from apps.analytics.services import activity_record, warnings_evaluate
from apps.events.registry import handler
from apps.events.types import Event, EventType
from apps.users.models import User


@handler("activity-log")
def record(event: Event) -> None:
    if event.type in (EventType.NOTIFICATION_CREATED, EventType.EARLY_WARNING_CHANGED):
        return  # not changes anyone made
    activity_record(event=event)


_KINDS_BY_EVENT = {
    EventType.REGISTER_TAKEN: {WarningKind.ABSENCES},
    EventType.MARK_CHANGED: {WarningKind.ABSENCES},
    EventType.ASSESSMENT_MARKED: {WarningKind.FALLING_AVERAGE},
    EventType.SUBMISSION_GRADED: {WarningKind.MISSING_HOMEWORK},
    EventType.SUBMISSION_RECEIVED: {WarningKind.MISSING_HOMEWORK},
}


def _students_of(event: Event) -> set[uuid.UUID]:
    data = event.data
    ids = {c["student_id"] for c in data.get("changes", [])}
    ids |= {m["student_id"] for m in data.get("scores", [])}
    if "student_id" in data:
        ids.add(data["student_id"])
    return {uuid.UUID(str(i)) for i in ids}


@handler("early-warnings", types=_KINDS_BY_EVENT)
def reevaluate(event: Event) -> None:
    kinds = {str(k) for k in _KINDS_BY_EVENT[event.type]}
    students = User.objects.filter(pk__in=_students_of(event), is_active=True)
    for student in students.select_related("school"):
        warnings_evaluate(student=student, kinds=kinds)
