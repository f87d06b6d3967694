"""The inbox and preferences API: one's own notifications only, unread counts, read marks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.notifications.models import Kind, Notification
from apps.notifications.services import Intent, notify_directly
from apps.users.tests.factories import ClassWorld

pytestmark = pytest.mark.django_db


def notify(user, title_suffix: str, key: str) -> Notification:
    found = notify_directly(
        intent=Intent(
            recipient=user,
            student=user,
            kind=Kind.GRADE_PUBLISHED,
            context={"title": f"Test {title_suffix}", "score": "9/10", "student": "Asha"},
        ),
        source_key=key,
        school_id=user.school_id,
    )
    assert found is not None
    return found


def test_inbox_lists_ones_own_notifications_with_unread_count(world, client_for):
    first = notify(world.student, "one", "k1")
    notify(world.student, "two", "k2")
    notify(world.students[1], "other", "k3")
    client = client_for(world.student)

    body = client.get(reverse("notification-inbox")).json()
    assert body["unread"] == 2
    assert [n["title"] for n in body["results"]] == ["New grade: Test two", "New grade: Test one"]

    read = client.post(reverse("notification-read", args=[first.pk]))
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    body = client.get(reverse("notification-inbox"), {"unread": "true"}).json()
    assert (body["unread"], [n["title"] for n in body["results"]]) == (1, ["New grade: Test two"])
    assert client.post(reverse("notification-read-all")).json() == {"marked": 1}
    assert client.get(reverse("notification-inbox")).json()["unread"] == 0


def test_someone_elses_notification_is_a_404_and_changes_nothing(world, client_for):
    theirs = notify(world.students[1], "theirs", "k4")
    other_school = ClassWorld(students=1)
    for user in (world.student, other_school.student, world.teacher):
        response = client_for(user).post(reverse("notification-read", args=[theirs.pk]))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_preferences_are_validated_and_saved(world, client_for):
    client = client_for(world.guardian)
    bad = client.patch(
        reverse("notification-preferences"),
        {"channels": {"absence": ["pigeon"]}, "language": "xx"},
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"channels", "language"}
    assert client.get(reverse("notification-preferences")).json()["channels"] == {}

    good = client.patch(
        reverse("notification-preferences"),
        {"channels": {"absence": ["sms"], "homework_assigned": []}, "quiet_start": "21:00",
         "quiet_end": "07:00", "sms_number": "+15550100"},
        format="json",
    )  # fmt: skip
    assert good.status_code == 200, good.json()
    assert good.json()["channels"] == {"absence": ["sms"], "homework_assigned": []}
    assert client.get(reverse("notification-preferences")).json()["quiet_start"] == "21:00:00"


def test_the_inbox_needs_a_login(client):
    assert client.get(reverse("notification-inbox")).status_code == 401
