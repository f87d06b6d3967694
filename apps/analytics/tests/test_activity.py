"""The activity log: a submission recorded with its actor, address and client, through the
event stream and the write buffer; each school's admins see only their own school's."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.analytics.models import ActivityEntry
from apps.analytics.services import activity_prune
from apps.events import registry
from apps.events.services import events_dispatch
from apps.homework.tests.conftest import make_homework
from apps.writebuffer.sync import sync_all

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def activity_log_only(monkeypatch):
    monkeypatch.setattr(registry, "_handlers", {"activity-log": registry._handlers["activity-log"]})


def submit(world, client_for, *, address: str, client_name: str):
    homework = make_homework(world)
    response = client_for(world.student).post(
        reverse("homework-submissions", args=[homework.pk]),
        {"text": "My essay"},
        format="json",
        REMOTE_ADDR=address,
        HTTP_USER_AGENT=client_name,
    )
    assert response.status_code == 201, response.json()
    return homework, response.json()


def test_a_submission_is_logged_with_actor_address_and_client(world, client_for):
    homework, submission = submit(
        world, client_for, address="198.51.100.7", client_name="Schools24-iOS/2.0"
    )
    assert events_dispatch(budget_seconds=5)["activity-log"] >= 1
    assert ActivityEntry.objects.count() == 0  # buffered: nobody waits for the log
    sync_all(trigger="test")
    entry = ActivityEntry.objects.get(action="homework.submission_received")
    assert (entry.actor_id, entry.school_id) == (world.student.pk, world.school.pk)
    assert (entry.address, entry.client) == ("198.51.100.7", "Schools24-iOS/2.0")
    assert entry.object_type == "homework"
    assert entry.details["submission_id"] == submission["id"]
    assert entry.details["homework_id"] == str(homework.pk)
    # The details are JSONB: searchable by content.
    assert ActivityEntry.objects.filter(details__submission_id=submission["id"]).count() == 1

    # A redelivered event rewrites the same entry, never a second one.
    events_dispatch(budget_seconds=1)
    sync_all(trigger="test")
    assert ActivityEntry.objects.filter(action="homework.submission_received").count() == 1


def test_each_school_admin_sees_only_their_own_schools_log(world, other_world, client_for, client):
    submit(world, client_for, address="198.51.100.8", client_name="web")
    events_dispatch(budget_seconds=5)
    sync_all(trigger="test")
    entry = ActivityEntry.objects.get(action="homework.submission_received")
    changelist = reverse("admin:analytics_activityentry_changelist")
    detail = reverse("admin:analytics_activityentry_change", args=[entry.pk])

    client.force_login(other_world.admin)
    response = client.get(changelist)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    assert client.get(detail).status_code in (302, 404)
    assert client.get(changelist, {"q": "198.51.100.8"}).context["cl"].result_count == 0

    client.force_login(world.admin)
    response = client.get(changelist, {"q": "198.51.100.8"})
    assert [e.pk for e in response.context["cl"].result_list] == [entry.pk]
    assert client.get(detail).status_code == 200


def test_entries_older_than_the_retention_are_pruned(world, settings):
    settings.ACTIVITY_RETENTION_DAYS = 30
    now = timezone.now()
    for days, action in [(31, "old"), (29, "recent")]:
        ActivityEntry.objects.create(
            id=uuid.uuid4(),
            school=world.school,
            action=action,
            occurred_at=now - timezone.timedelta(days=days),
        )
    assert activity_prune(now=now) == 1
    assert list(ActivityEntry.objects.values_list("action", flat=True)) == ["recent"]
