"""Notifications from real events, through the real event stream, PostgreSQL and Redis."""

from __future__ import annotations

import copy
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from apps.attendance.services import school_today
from apps.events.services import events_dispatch
from apps.grades.models import Assessment, Term
from apps.notifications.models import (
    Delivery,
    DeliveryStatus,
    Kind,
    Notification,
    Preference,
    RecordedMessage,
)
from apps.notifications.services import deliveries_due, delivery_send, digests_send, release_time
from apps.users.tests.factories import GuardianLinkFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("notifications_only"),
]


def mark(client, world, codes: dict, *, period=0):
    response = client.post(
        reverse("attendance-registers"),
        {
            "school_class": str(world.school_class.pk),
            "date": school_today(world.school).isoformat(),
            "period": period,
            "marks": [{"student": str(s.pk), "code": c} for s, c in codes.items()],
        },
        format="json",
    )
    assert response.status_code in (200, 201), response.json()
    return response.json()


def prefer(user, **values):
    return Preference.objects.update_or_create(
        user=user, defaults={"school": user.school, **values}
    )[0]


def send_everything_due() -> list[str]:
    return [delivery_send(delivery_id=pk) for pk in deliveries_due()]


def test_an_absence_notifies_each_guardian_once_on_their_channel(world, client_for, no_grace):
    student = world.students[0]
    second_guardian = GuardianLinkFactory(student=student).guardian
    prefer(world.guardian, channels={Kind.ABSENCE: ["sms"]}, sms_number="+15550001")
    prefer(second_guardian, channels={Kind.ABSENCE: ["email"]})

    mark(client_for(world.teacher), world, {student: "absent", world.students[1]: "present"})
    events_dispatch(budget_seconds=5)
    events_dispatch(budget_seconds=5)  # a second delivery of the same events adds nothing

    notes = Notification.objects.filter(kind=Kind.ABSENCE)
    assert sorted(n.recipient.username for n in notes) == sorted(
        [world.guardian.username, second_guardian.username]
    )
    assert {n.student_id for n in notes} == {student.pk}
    assert send_everything_due() == ["sent", "sent"]
    assert send_everything_due() == []
    sent = {(m.channel, m.to) for m in RecordedMessage.objects.all()}
    assert sent == {("sms", "+15550001")}
    assert [m.to for m in mail.outbox] == [[second_guardian.email]]
    assert "was marked absent" in mail.outbox[0].subject


def test_absence_alerts_wait_for_the_grace_period_and_a_remark_withdraws_them(world, client_for):
    student = world.students[0]
    prefer(world.guardian, channels={Kind.ABSENCE: ["sms"]}, sms_number="+15550002")
    client = client_for(world.teacher)
    mark(client, world, {student: "absent"})
    events_dispatch(budget_seconds=5)
    delivery = Delivery.objects.get()
    assert delivery.send_after > timezone.now() + timedelta(minutes=9)
    assert deliveries_due() == []

    mark(client, world, {student: "present"})
    events_dispatch(budget_seconds=5)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.CANCELLED
    assert Notification.objects.get().cancelled is True
    assert deliveries_due(now=timezone.now() + timedelta(hours=1)) == []
    assert RecordedMessage.objects.count() == 0


def test_a_remark_after_the_alert_went_out_sends_a_correction(world, client_for, no_grace):
    student = world.students[0]
    prefer(world.guardian, channels={Kind.ABSENCE: ["sms"]}, sms_number="+15550003")
    client = client_for(world.teacher)
    mark(client, world, {student: "absent"})
    events_dispatch(budget_seconds=5)
    assert send_everything_due() == ["sent"]
    mark(client, world, {student: "present"})
    events_dispatch(budget_seconds=5)
    assert send_everything_due() == ["sent"]
    subjects = list(RecordedMessage.objects.order_by("sent_at").values_list("subject", flat=True))
    assert len(subjects) == 2
    assert subjects[1].startswith("Correction:")
    assert "present" in subjects[1]


def test_quiet_hours_hold_a_message_until_they_end(world, client_for, no_grace):
    tz = ZoneInfo(world.school.timezone)
    local_now = timezone.now().astimezone(tz)
    start = (local_now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local_now + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    prefer(
        world.guardian,
        channels={Kind.ABSENCE: ["sms"]},
        sms_number="+15550004",
        quiet_start=start,
        quiet_end=end,
    )
    mark(client_for(world.teacher), world, {world.students[0]: "absent"})
    events_dispatch(budget_seconds=5)
    delivery = Delivery.objects.get()
    assert delivery.send_after.astimezone(tz).time() == end
    assert deliveries_due() == []
    assert RecordedMessage.objects.count() == 0
    later = delivery.send_after + timedelta(seconds=1)
    assert deliveries_due(now=later) == [delivery.pk]


@pytest.mark.parametrize(
    ("at", "start", "end", "released"),
    [
        ("12:00", "21:00", "07:00", "12:00"),  # outside hours that wrap past midnight
        ("22:30", "21:00", "07:00", "next 07:00"),
        ("06:00", "21:00", "07:00", "07:00"),
        ("13:00", "12:00", "14:00", "14:00"),
        ("14:00", "12:00", "14:00", "14:00"),  # the end itself is outside
    ],
)
def test_release_time_rules(at, start, end, released):
    tz = ZoneInfo("Asia/Kolkata")
    day = datetime(2026, 11, 27, tzinfo=tz)
    moment = datetime.combine(day.date(), time.fromisoformat(at), tzinfo=tz)
    result = release_time(
        at=moment, quiet_start=time.fromisoformat(start), quiet_end=time.fromisoformat(end), tz=tz
    )
    if released.startswith("next "):
        expected = datetime.combine(
            day.date() + timedelta(days=1), time.fromisoformat(released[5:]), tzinfo=tz
        )
    else:
        expected = datetime.combine(day.date(), time.fromisoformat(released), tzinfo=tz)
    assert result == expected


def test_a_digest_collects_a_days_notifications_into_one_message(world, client_for):
    student = world.students[0]
    prefer(student, channels={Kind.GRADE_PUBLISHED: ["push"]}, digest_kinds=[Kind.GRADE_PUBLISHED])
    prefer(world.guardian, channels={Kind.GRADE_PUBLISHED: None})  # muted: hears nothing
    client = client_for(world.teacher)
    today = timezone.localdate()
    term = Term.objects.create(
        school=world.school,
        name="Term 1",
        academic_year="2026-27",
        starts_on=today - timedelta(days=60),
        ends_on=today + timedelta(days=30),
    )
    for title in ["Algebra quiz", "Essay"]:
        assessment = Assessment.objects.create(
            school=world.school,
            school_class=world.school_class,
            subject=world.subject,
            term=term,
            kind="test",
            title=title,
            date=today,
            max_score=10,
        )
        response = client.post(
            reverse("grades-assessment-marks", args=[assessment.pk]),
            {"marks": [{"student": str(student.pk), "score": "8"}]},
            format="json",
        )
        assert response.status_code == 200, response.json()
    events_dispatch(budget_seconds=5)
    waiting = Delivery.objects.filter(notification__recipient=student)
    assert [d.status for d in waiting] == [DeliveryStatus.DIGEST] * 2
    assert deliveries_due() == []

    today = timezone.now().date()
    assert digests_send(day=today) == 1
    assert digests_send(day=today) == 0
    message = RecordedMessage.objects.get()
    assert (message.channel, message.to) == ("push", str(student.pk))
    assert message.subject == "Your daily summary (2 updates)"
    assert message.body == "- New grade: Algebra quiz\n- New grade: Essay"
    assert set(waiting.values_list("status", flat=True)) == {DeliveryStatus.DIGESTED}


def test_a_failing_provider_is_retried_with_backoff(world, client_for, no_grace, settings):
    settings.NOTIFICATION_PROVIDERS = {
        **copy.deepcopy(settings.NOTIFICATION_PROVIDERS),
        "sms": "apps.notifications.tests.support.FailingProvider",
    }
    prefer(world.guardian, channels={Kind.ABSENCE: ["sms"]}, sms_number="+15550005")
    mark(client_for(world.teacher), world, {world.students[0]: "absent"})
    events_dispatch(budget_seconds=5)
    assert send_everything_due() == ["pending"]
    delivery = Delivery.objects.get()
    assert (delivery.attempts, delivery.last_error) == (1, "gateway unavailable")
    assert delivery.send_after > timezone.now() + timedelta(seconds=25)
    settings.NOTIFICATION_PROVIDERS = {
        **settings.NOTIFICATION_PROVIDERS,
        "sms": "apps.notifications.providers.RecordingProvider",
    }
    assert [delivery_send(delivery_id=pk) for pk in deliveries_due(now=delivery.send_after)] == [
        "skipped"  # not due yet by the real clock: the sweep's own check agrees with the send
    ]
    Delivery.objects.filter(pk=delivery.pk).update(send_after=timezone.now())
    assert send_everything_due() == ["sent"]
    assert RecordedMessage.objects.count() == 1
