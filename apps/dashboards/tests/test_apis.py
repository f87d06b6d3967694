"""Board endpoints: role checks, another school's ids, bad input, and what they change."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.dashboards.models import Announcement, BoardDevice, BoardFocus
from apps.homework.tests.conftest import make_homework
from apps.users.tests.factories import ClassWorld, SchoolClassFactory

pytestmark = pytest.mark.django_db


def client(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def world():
    return ClassWorld(students=1)


@pytest.fixture
def elsewhere():
    return ClassWorld(students=1)


def announce(user, school_class, **body):
    return client(user).post(
        f"/api/v1/boards/{school_class.pk}/announcements/",
        {"text": "Assembly at 10", **body},
        format="json",
    )


class TestAnnouncements:
    def test_a_teacher_of_the_class_announces(self, world):
        response = announce(world.teacher, world.school_class)

        assert response.status_code == 201
        assert response.json()["text"] == "Assembly at 10"
        listed = client(world.student).get(f"/api/v1/boards/{world.school_class.pk}/announcements/")
        assert [a["text"] for a in listed.json()] == ["Assembly at 10"]

    def test_a_client_id_makes_a_retry_safe(self, world):
        announcement_id = str(uuid.uuid4())

        first = announce(world.teacher, world.school_class, id=announcement_id)
        again = announce(world.teacher, world.school_class, id=announcement_id)

        assert (first.status_code, again.status_code) == (201, 200)
        assert Announcement.objects.count() == 1

    @pytest.mark.parametrize("who", ["student", "guardian"])
    def test_students_and_guardians_may_not(self, world, who):
        response = announce(getattr(world, who), world.school_class)

        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
        assert Announcement.objects.count() == 0

    def test_a_teacher_of_another_class_may_not(self, world):
        other_class = SchoolClassFactory(school=world.school)

        response = announce(world.teacher, other_class)

        assert response.status_code == 403
        assert Announcement.objects.count() == 0

    def test_another_schools_class_is_not_found(self, world, elsewhere):
        response = announce(world.teacher, elsewhere.school_class)

        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"text": ""}, "text"),
            ({"text": "x" * 501}, "text"),
            ({"expires_at": "yesterday"}, "expires_at"),
            ({"expires_at": (timezone.now() - timedelta(hours=1)).isoformat()}, "expires_at"),
            ({"expires_at": (timezone.now() + timedelta(days=30)).isoformat()}, "expires_at"),
        ],
    )
    def test_bad_input_is_a_400_naming_the_field(self, world, body, field):
        response = announce(world.teacher, world.school_class, **body)

        assert response.status_code == 400
        assert field in response.json()["error"]["fields"]
        assert Announcement.objects.count() == 0


class TestShow:
    def show(self, user, school_class, **body):
        return client(user).post(f"/api/v1/boards/{school_class.pk}/show/", body, format="json")

    def test_a_teacher_shows_homework_of_the_class(self, world):
        homework = make_homework(world, title="Rivers")

        response = self.show(
            world.teacher, world.school_class, kind="homework", id=str(homework.pk)
        )

        assert response.status_code == 200
        assert response.json()["summary"]["title"] == "Rivers"
        state = client(world.student).get(f"/api/v1/boards/{world.school_class.pk}/").json()
        assert state["sections"]["showing"]["id"] == str(homework.pk)

    def test_homework_of_another_class_or_school_is_refused(self, world, elsewhere):
        foreign = make_homework(elsewhere)

        response = self.show(world.teacher, world.school_class, kind="homework", id=str(foreign.pk))

        assert response.status_code == 400
        assert response.json()["error"]["fields"] == {"id": ["Not found in this class."]}
        assert BoardFocus.objects.count() == 0

    def test_an_unknown_kind_is_refused(self, world):
        response = self.show(world.teacher, world.school_class, kind="film", id=str(uuid.uuid4()))

        assert response.status_code == 400
        assert "kind" in response.json()["error"]["fields"]

    def test_a_student_may_not(self, world):
        homework = make_homework(world)

        response = self.show(
            world.student, world.school_class, kind="homework", id=str(homework.pk)
        )

        assert response.status_code == 403


class TestDevices:
    def test_an_admin_issues_a_token_once_and_revokes_it(self, world):
        response = client(world.admin).post(
            "/api/v1/boards/devices/",
            {"name": "Front wall", "school_class": str(world.school_class.pk)},
            format="json",
        )

        assert response.status_code == 201
        body = response.json()
        assert len(body["token"]) >= 40
        device = BoardDevice.objects.get()
        assert body["token"] not in device.token_hash
        listed = client(world.admin).get("/api/v1/boards/devices/").json()
        assert "token" not in listed[0]
        revoked = client(world.admin).post(f"/api/v1/boards/devices/{device.pk}/revoke/")
        assert revoked.status_code == 200
        assert revoked.json()["revoked_at"] is not None

    def test_teachers_may_not_issue_devices(self, world):
        response = client(world.teacher).post(
            "/api/v1/boards/devices/",
            {"name": "Front wall", "school_class": str(world.school_class.pk)},
            format="json",
        )

        assert response.status_code == 403
        assert BoardDevice.objects.count() == 0

    def test_another_schools_class_and_device_are_not_found(self, world, elsewhere):
        response = client(world.admin).post(
            "/api/v1/boards/devices/",
            {"name": "x", "school_class": str(elsewhere.school_class.pk)},
            format="json",
        )
        client(elsewhere.admin).post(
            "/api/v1/boards/devices/",
            {"name": "theirs", "school_class": str(elsewhere.school_class.pk)},
            format="json",
        )
        theirs = BoardDevice.objects.get()

        revoke = client(world.admin).post(f"/api/v1/boards/devices/{theirs.pk}/revoke/")

        assert (response.status_code, revoke.status_code) == (404, 404)
        theirs.refresh_from_db()
        assert theirs.revoked_at is None


def test_board_state_is_for_the_class_only(world, elsewhere):
    ok = client(world.student).get(f"/api/v1/boards/{world.school_class.pk}/")
    foreign = client(world.student).get(f"/api/v1/boards/{elsewhere.school_class.pk}/")
    guardian = client(world.guardian).get(f"/api/v1/boards/{world.school_class.pk}/")

    assert ok.status_code == 200
    assert set(ok.json()["sections"]) == {
        "announcements",
        "attendance_today",
        "homework_today",
        "showing",
    }
    assert (foreign.status_code, guardian.status_code) == (404, 403)


def test_the_dashboard_needs_a_login():
    response = APIClient().get("/api/v1/dashboard/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
