"""Early warnings: a student crossing a school's threshold is flagged for their teachers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.analytics.models import EarlyWarning, WarningKind, WarningRule
from apps.attendance.services import school_today
from apps.events import registry
from apps.events.services import events_dispatch
from apps.users.tests.factories import TeacherFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def warnings_only(monkeypatch):
    monkeypatch.setattr(
        registry, "_handlers", {"early-warnings": registry._handlers["early-warnings"]}
    )


def school_days(world, count: int):
    """The last ``count`` weekdays up to today, oldest first."""
    day, days = school_today(world.school), list[date]()
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return list(reversed(days))


def take(client, world, on, code):
    response = client.post(
        reverse("attendance-registers"),
        {
            "school_class": str(world.school_class.pk),
            "date": on.isoformat(),
            "period": 0,
            "marks": [{"student": str(world.student.pk), "code": code}]
            + [{"student": str(s.pk), "code": "present"} for s in world.students[1:]],
        },
        format="json",
    )
    assert response.status_code in (200, 201), response.json()


def test_crossing_the_absence_threshold_raises_a_warning_for_the_teacher(
    world, other_world, client_for
):
    WarningRule.objects.create(
        school=world.school, kind=WarningKind.ABSENCES, threshold=Decimal(2), window_days=30
    )
    teacher = client_for(world.teacher)
    first, second = school_days(world, 2)
    take(teacher, world, first, "absent")
    events_dispatch(budget_seconds=5)
    assert EarlyWarning.objects.count() == 0  # one day: under the threshold

    take(teacher, world, second, "late")
    events_dispatch(budget_seconds=5)
    warning = EarlyWarning.objects.get()
    assert (warning.student_id, warning.kind, warning.value) == (
        world.student.pk,
        WarningKind.ABSENCES,
        Decimal(2),
    )
    assert warning.reason == "1 day(s) absent and 1 late in the last 30 days"

    listed = teacher.get(reverse("early-warnings")).json()["results"]
    assert [(w["student"]["id"], w["kind"]) for w in listed] == [
        (str(world.student.pk), "absences")
    ]
    assert client_for(world.admin).get(reverse("early-warnings")).json()["count"] == 1
    # ... and on the teacher's dashboard, in the class's view.
    dashboard = teacher.get(reverse("dashboard")).json()
    [class_view] = [
        c for c in dashboard["classes"] if c["class"]["id"] == str(world.school_class.pk)
    ]
    assert [
        (w["student"]["id"], w["kind"], w["value"])
        for w in class_view["sections"]["early_warnings"]
    ] == [(str(world.student.pk), "absences", "2.00")]
    # A teacher of another class or school, the student and the guardian see none of it.
    unrelated = TeacherFactory(school=world.school)
    assert client_for(unrelated).get(reverse("early-warnings")).json()["count"] == 0
    assert client_for(other_world.teacher).get(reverse("early-warnings")).json()["count"] == 0
    assert client_for(world.student).get(reverse("early-warnings")).status_code == 403
    assert client_for(world.guardian).get(reverse("early-warnings")).status_code == 403

    # Re-marked present on both days: back under the threshold, the warning is resolved.
    take(teacher, world, first, "present")
    take(teacher, world, second, "present")
    events_dispatch(budget_seconds=5)
    warning.refresh_from_db()
    assert warning.resolved_at is not None
    assert teacher.get(reverse("early-warnings")).json()["count"] == 0
    dashboard = teacher.get(reverse("dashboard")).json()
    [class_view] = [
        c for c in dashboard["classes"] if c["class"]["id"] == str(world.school_class.pk)
    ]
    assert class_view["sections"]["early_warnings"] == []


def test_the_window_ends_on_the_schools_today_not_the_servers(world, client_for, monkeypatch):
    """A school east of the server is on tomorrow already: its today's absence counts."""
    world.school.timezone = "Pacific/Kiritimati"  # UTC+14
    world.school.save(update_fields=["timezone"])
    wednesday = timezone.now().date() - timedelta(days=(timezone.now().weekday() - 2) % 7)
    server_now = datetime.combine(wednesday, time(20), tzinfo=UTC)  # Thursday 10:00 there
    monkeypatch.setattr(timezone, "now", lambda: server_now)
    thursday = wednesday + timedelta(days=1)
    assert school_today(world.school) == thursday
    WarningRule.objects.create(
        school=world.school, kind=WarningKind.ABSENCES, threshold=Decimal(2), window_days=30
    )
    teacher = client_for(world.teacher)

    take(teacher, world, wednesday, "absent")
    take(teacher, world, thursday, "absent")
    events_dispatch(budget_seconds=5)

    warning = EarlyWarning.objects.get()
    assert (warning.student_id, warning.value) == (world.student.pk, Decimal(2))
    assert warning.reason == "2 day(s) absent and 0 late in the last 30 days"
