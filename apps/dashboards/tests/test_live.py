"""The live school end to end: API writes, domain events, real Redis channel layer, sockets."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.utils import timezone
from rest_framework.test import APIClient

from apps.dashboards.services import board_device_create
from apps.dashboards.tests.support import communicator_for, connect_for_state
from apps.homework.models import Homework
from apps.users.tests.conftest import access_token_for
from apps.users.tests.factories import ClassWorld, SchoolClassFactory

pytestmark = pytest.mark.django_db(transaction=True)


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
    return client


@pytest.fixture
def world():
    return ClassWorld(students=2)


def assign_homework(world, title="Volcano poster"):
    response = api(world.teacher).post(
        "/api/v1/homework/",
        {
            "school_class": str(world.school_class.pk),
            "subject": str(world.subject.pk),
            "title": title,
            "due_at": (timezone.now() + timedelta(hours=3)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def homework_states(dashboard):
    return {item["title"]: item["state"] for item in dashboard["sections"]["homework_due"]}


@pytest.mark.slow
def test_a_socket_idle_for_20_seconds_still_receives_the_next_event(world, settings):
    """Before the channel layer's Redis timeout was raised, this socket died after ~5 s (1011)."""
    settings.WEBSOCKET_HEARTBEAT_SECONDS = 8

    @async_to_sync
    async def scenario():
        board = communicator_for(f"/ws/boards/{world.school_class.pk}/", user=world.teacher)
        accepted, state = await connect_for_state(board)
        assert accepted and state["type"] == "board.state"
        idle_until = time.monotonic() + 20
        heartbeats = []
        while time.monotonic() < idle_until:
            message = await board.receive_json_from(timeout=idle_until - time.monotonic() + 5)
            assert message["type"] == "heartbeat"
            heartbeats.append(message)
            if len(heartbeats) == 2:
                break
        remaining = idle_until - time.monotonic()
        if remaining > 0:
            assert await board.receive_nothing(timeout=remaining) is True
        homework = await sync_to_async(assign_homework)(world)
        pushed = await board.receive_json_from(timeout=5)
        await board.disconnect()
        return len(heartbeats), homework, pushed

    heartbeats, homework, pushed = scenario()

    assert heartbeats == 2
    assert pushed == {
        "type": "homework.assigned",
        "data": {
            "homework_id": homework["id"],
            "class_id": str(world.school_class.pk),
            "title": "Volcano poster",
            "subject": world.subject.name,
            "due_at": Homework.objects.get(pk=homework["id"]).due_at.isoformat(),
        },
    }


def test_a_board_receives_a_homework_assignment_within_a_second(world):
    device, token = board_device_create(
        school_class=world.school_class, name="Front wall", created_by=world.admin
    )

    @async_to_sync
    async def scenario():
        board = communicator_for(f"/ws/boards/{world.school_class.pk}/", board_token=token)
        accepted, state = await connect_for_state(board)
        assert accepted
        homework = await sync_to_async(assign_homework)(world)
        answered = time.monotonic()
        pushed = await board.receive_json_from(timeout=1)
        waited = time.monotonic() - answered
        await board.disconnect()
        return state, homework, pushed, waited

    state, homework, pushed, waited = scenario()

    assert state["data"]["sections"]["homework_today"] == []
    assert pushed["type"] == "homework.assigned"
    assert pushed["data"]["homework_id"] == homework["id"]
    assert waited < 1


def test_a_dashboard_socket_is_invalidated_by_a_submission_and_the_next_get_shows_it(world):
    homework = assign_homework(world)
    student = world.student
    before = api(student).get("/api/v1/dashboard/").json()
    assert homework_states(before) == {"Volcano poster": "not_submitted"}

    @async_to_sync
    async def scenario():
        mine = communicator_for("/ws/dashboard/", user=student)
        classmate = communicator_for("/ws/dashboard/", user=world.students[1])
        teacher = communicator_for("/ws/dashboard/", user=world.teacher)
        firsts = [(await connect_for_state(c))[1] for c in (mine, classmate, teacher)]
        response = await sync_to_async(
            lambda: api(student).post(
                f"/api/v1/homework/{homework['id']}/submissions/",
                {"text": "My poster"},
                format="multipart",
            )
        )()
        assert response.status_code == 201, response.content
        mine_pushed = await mine.receive_json_from(timeout=1)
        teacher_pushed = await teacher.receive_json_from(timeout=1)
        classmate_quiet = await classmate.receive_nothing(timeout=0.3)
        for communicator in (mine, classmate, teacher):
            await communicator.disconnect()
        return firsts, mine_pushed, teacher_pushed, classmate_quiet

    firsts, mine_pushed, teacher_pushed, classmate_quiet = scenario()

    assert firsts[0] == {"type": "dashboard", "data": before}
    assert mine_pushed["type"] == "dashboard.invalidated"
    assert mine_pushed["data"]["event"] == "homework.submission_received"
    assert teacher_pushed["data"]["event"] == "homework.submission_received"
    assert classmate_quiet is True
    after = api(student).get("/api/v1/dashboard/").json()
    assert homework_states(after) == {"Volcano poster": "submitted"}
    teacher_view = api(world.teacher).get("/api/v1/dashboard/").json()
    assert teacher_view["classes"][0]["sections"]["submissions_to_grade"] == 1


def test_users_of_another_school_or_class_are_refused(world):
    elsewhere = ClassWorld(students=1)
    other_class = SchoolClassFactory(school=world.school)
    _device, other_class_token = board_device_create(
        school_class=other_class, name="Other room", created_by=world.admin
    )
    path = f"/ws/boards/{world.school_class.pk}/"

    @async_to_sync
    async def scenario():
        results = []
        for kwargs in (
            {"user": elsewhere.teacher},
            {"user": elsewhere.admin},
            {"user": elsewhere.student},
            {"board_token": other_class_token},
            {"board_token": "made-up"},
        ):
            results.append(await communicator_for(path, **kwargs).connect())
        return results

    assert scenario() == [(False, 4403), (False, 4403), (False, 4403), (False, 4403), (False, 4401)]


def test_a_reconnecting_board_gets_the_current_state(world):
    @async_to_sync
    async def scenario():
        path = f"/ws/boards/{world.school_class.pk}/"
        first = communicator_for(path, user=world.student)
        _accepted, before = await connect_for_state(first)
        await first.disconnect()
        # While the board is away: an announcement and homework it never heard of.
        await sync_to_async(
            lambda: api(world.teacher).post(
                f"/api/v1/boards/{world.school_class.pk}/announcements/",
                {"text": "Trip forms by Friday"},
                format="json",
            )
        )()
        homework = await sync_to_async(assign_homework)(world)
        second = communicator_for(path, user=world.student)
        _accepted, after = await connect_for_state(second)
        await second.disconnect()
        return before, after, homework

    before, after, homework = scenario()

    assert before["data"]["sections"]["announcements"] == []
    assert [a["text"] for a in after["data"]["sections"]["announcements"]] == [
        "Trip forms by Friday"
    ]
    assert [h["id"] for h in after["data"]["sections"]["homework_today"]] == [homework["id"]]


def test_a_revoked_board_device_is_disconnected_and_refused(world):
    device, token = board_device_create(
        school_class=world.school_class, name="Front wall", created_by=world.admin
    )

    @async_to_sync
    async def scenario():
        path = f"/ws/boards/{world.school_class.pk}/"
        board = communicator_for(path, board_token=token)
        await connect_for_state(board)
        response = await sync_to_async(
            lambda: api(world.admin).post(f"/api/v1/boards/devices/{device.pk}/revoke/")
        )()
        closed = await board.receive_output(timeout=2)
        again = await communicator_for(path, board_token=token).connect()
        return response.status_code, closed, again

    status, closed, again = scenario()

    assert status == 200
    assert closed == {"type": "websocket.close", "code": 4403}
    assert again == (False, 4401)


def test_ping_is_answered_and_bad_frames_get_an_error(world):
    @async_to_sync
    async def scenario():
        socket = communicator_for("/ws/dashboard/", user=world.student)
        await connect_for_state(socket)
        await socket.send_json_to({"type": "ping", "data": {"n": 1}})
        pong = await socket.receive_json_from()
        await socket.send_to(text_data="not json")
        bad = await socket.receive_json_from()
        await socket.send_json_to({"type": "subscribe"})
        unknown = await socket.receive_json_from()
        await socket.disconnect()
        return pong, bad, unknown

    pong, bad, unknown = scenario()

    assert pong == {"type": "pong", "data": {"n": 1}}
    assert bad == {"type": "error", "data": {"code": "invalid", "message": "Send JSON objects."}}
    assert unknown["data"]["code"] == "unknown_type"
