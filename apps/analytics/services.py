"""The activity log and early warnings.

``activity_record`` turns a domain event into a log entry through the write buffer: a busy school
writes thousands of these an hour and nobody waits for them. ``warnings_evaluate`` checks one
student against the school's rules (on every relevant event, and nightly for everyone), raising
a warning when a threshold is crossed and resolving it when the student is back under.
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.analytics.models import ActivityEntry, EarlyWarning, WarningKind, WarningRule
from apps.attendance.selectors import student_daily_summary
from apps.attendance.services import school_today
from apps.events.services import event_publish
from apps.events.types import Event, EventType
from apps.grades.models import Assessment
from apps.grades.selectors import marks_of
from apps.homework.models import Homework
from apps.homework.selectors import student_submissions
from apps.users.models import Enrolment, User
from apps.writebuffer.services import buffered_save

MAX_DETAILS_KEYS = 50


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def activity_record(*, event: Event) -> ActivityEntry:
    """One log entry per event; its id comes from the event's, so a redelivered event rewrites
    the same row instead of adding a second one."""
    object_type, _, _verb = event.type.partition(".")
    object_id = next(
        (str(v) for k, v in event.data.items() if k.endswith("_id") and isinstance(v, str)), ""
    )
    details = dict(list(event.data.items())[:MAX_DETAILS_KEYS])
    entry = ActivityEntry(
        id=uuid.uuid5(uuid.UUID(event.id), "activity"),
        school_id=uuid.UUID(event.school_id),
        actor_id=uuid.UUID(event.actor_id) if event.actor_id else None,
        action=event.type,
        object_type=object_type,
        object_id=object_id[:64],
        details=details,
        address=_address(event.origin.get("address", "")),
        client=event.origin.get("client", "")[:200],
        occurred_at=datetime.fromisoformat(event.occurred_at),
        event_id=event.id,
    )
    return buffered_save(entry)


def activity_prune(*, now: datetime | None = None) -> int:
    """Delete stored entries older than ``ACTIVITY_RETENTION_DAYS``."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ACTIVITY_RETENTION_DAYS)
    deleted, _ = ActivityEntry.objects.filter(occurred_at__lt=cutoff).delete()
    return deleted


# --- early warnings ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Measure:
    value: Decimal
    reason: str


def _absences(student: User, since: date, today: date) -> Measure:
    days = student_daily_summary(student=student, date_from=since, date_to=today)
    absent = sum(1 for d in days if d.counts.get("absent", 0))
    late = sum(1 for d in days if d.counts.get("late", 0) and not d.counts.get("absent", 0))
    return Measure(
        Decimal(absent + late),
        f"{absent} day(s) absent and {late} late in the last {(today - since).days} days",
    )


def _falling_average(student: User, since: date, today: date) -> Measure:
    class_ids = Enrolment.objects.filter(student=student).values("school_class_id")
    assessments = {
        a.pk: a for a in Assessment.objects.filter(school_class_id__in=class_ids, date__lte=today)
    }
    marks = marks_of(assessment_ids=list(assessments), student_ids={student.pk})

    def percent(ms: list) -> Decimal | None:
        if not ms:
            return None
        total = sum(m.score * 100 / assessments[m.assessment_id].max_score for m in ms)
        return (total / len(ms)).quantize(Decimal("0.01"))

    recent = percent([m for m in marks if assessments[m.assessment_id].date >= since])
    before = percent([m for m in marks if assessments[m.assessment_id].date < since])
    if recent is None or before is None:
        return Measure(Decimal(0), "not enough marks to compare")
    drop = max(Decimal(0), before - recent)
    return Measure(drop, f"average fell from {before}% to {recent}%")


def _missing_homework(student: User, since: date, today: date) -> Measure:
    class_ids = Enrolment.objects.filter(student=student).values("school_class_id")
    now = timezone.now()
    due = Homework.objects.filter(
        school_class_id__in=class_ids, due_at__date__gte=since, due_at__lte=now
    )
    missing = late = 0
    for homework in due:
        versions = student_submissions(homework=homework, student_id=student.pk)
        current = next((v for v in versions if v.is_current), None)
        if current is None:
            missing += 1
        elif current.days_late:
            late += 1
    return Measure(
        Decimal(missing + late), f"{missing} homework missing and {late} late since {since}"
    )


_MEASURES = {
    WarningKind.ABSENCES: _absences,
    WarningKind.FALLING_AVERAGE: _falling_average,
    WarningKind.MISSING_HOMEWORK: _missing_homework,
}


def _warning_changed_publish(warning: EarlyWarning) -> None:
    """Teachers' class views show open warnings: their cached dashboards must move on."""
    class_ids = tuple(
        str(c)
        for c in Enrolment.objects.filter(student_id=warning.student_id).values_list(
            "school_class_id", flat=True
        )
    )
    event_publish(
        Event(
            type=EventType.EARLY_WARNING_CHANGED,
            school_id=str(warning.school_id),
            class_ids=class_ids,
            data={
                "warning_id": str(warning.pk),
                "student_id": str(warning.student_id),
                "kind": warning.kind,
                "open": warning.resolved_at is None,
            },
        )
    )


def warnings_evaluate(*, student: User, kinds: set[str] | None = None) -> list[EarlyWarning]:
    """Check ``student`` against their school's enabled rules; returns newly raised warnings."""
    if student.school_id is None:
        return []
    rules = WarningRule.objects.filter(school_id=student.school_id, enabled=True)
    if kinds is not None:
        rules = rules.filter(kind__in=kinds)
    today = school_today(student.school)
    raised: list[EarlyWarning] = []
    for rule in rules:
        since = today - timedelta(days=rule.window_days)
        measure = _MEASURES[rule.kind](student, since, today)
        open_warning = EarlyWarning.objects.filter(
            student=student, kind=rule.kind, resolved_at__isnull=True
        ).first()
        if measure.value >= rule.threshold:
            if open_warning is not None:
                if open_warning.value != measure.value:
                    open_warning.value, open_warning.reason = measure.value, measure.reason
                    open_warning.save(update_fields=["value", "reason"])
                continue
            try:
                with transaction.atomic():
                    warning = EarlyWarning.objects.create(
                        school_id=student.school_id,
                        student=student,
                        kind=rule.kind,
                        value=measure.value,
                        threshold=rule.threshold,
                        reason=measure.reason[:300],
                    )
            except IntegrityError:
                continue  # raised by a concurrent evaluation
            raised.append(warning)
            _warning_changed_publish(warning)
            if rule.notify_guardians:
                _notify_guardians(warning)
        elif open_warning is not None:
            open_warning.resolved_at = timezone.now()
            open_warning.save(update_fields=["resolved_at"])
            _warning_changed_publish(open_warning)
    return raised


def _notify_guardians(warning: EarlyWarning) -> None:
    from apps.notifications.models import Kind
    from apps.notifications.selectors import guardians_of
    from apps.notifications.services import Intent, notify_directly

    student = warning.student
    for guardian in guardians_of({student.pk})[student.pk]:
        notify_directly(
            intent=Intent(
                recipient=guardian,
                student=student,
                kind=Kind.EARLY_WARNING,
                context={
                    "student": student.get_full_name() or student.username,
                    "reason": warning.reason,
                },
                data={"warning_id": str(warning.pk), "kind": warning.kind},
            ),
            source_key=f"warning:{warning.pk}",
            school_id=warning.school_id,
        )


def warnings_evaluate_school(*, school_id: uuid.UUID) -> int:
    """Nightly: every active student of a school. Returns warnings raised."""
    raised = 0
    # With their school: each evaluation measures up to the school's own today.
    students = User.objects.filter(
        school_id=school_id, role="student", is_active=True
    ).select_related("school")
    for student in students.iterator():
        raised += len(warnings_evaluate(student=student))
    return raised
