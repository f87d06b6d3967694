"""Websockets through the real ASGI stack: origin check, session/JWT auth, Redis channel layer."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.test import Client

from apps.dashboards.tests.support import SAME_ORIGIN, communicator_for
from apps.events.groups import class_group, user_group
from apps.events.types import Event, EventType
from apps.users.tests.conftest import access_token_for
from apps.users.tests.factories import (
    EnrolmentFactory,
    GuardianLinkFactory,
    SchoolAdminFactory,
    SchoolClassFactory,
    StudentFactory,
    TeacherAssignmentFactory,
    TeacherFactory,
)

# The consumers read the database from worker threads, so the rows must really be committed.
pytestmark = pytest.mark.django_db(transaction=True)


@async_to_sync
async def connect(communicator):
    """(accepted, close code or the type of the first message)"""
    accepted, code = await communicator.connect()
    if not accepted:
        return False, code
    first = await communicator.receive_json_from(timeout=5)
    await communicator.disconnect()
    return True, first["type"]


def hint(event: Event) -> dict:
    from dataclasses import asdict

    return {"type": "event.hint", "event": asdict(event)}


@async_to_sync
async def connect_and_receive_hint(communicator, group, event):
    accepted, _ = await communicator.connect()
    assert accepted
    first = await communicator.receive_json_from(timeout=5)
    await get_channel_layer().group_send(group, hint(event))
    pushed = await communicator.receive_json_from(timeout=5)
    nothing_more = await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()
    return first, pushed, nothing_more


def test_the_channel_layer_is_the_real_redis_one():
    assert (
        settings.CHANNEL_LAYERS["default"]["BACKEND"]
        == "channels_redis.pubsub.RedisPubSubChannelLayer"
    )
    assert type(get_channel_layer()).__name__ == "RedisPubSubChannelLayer"


class TestDashboard:
    def test_anonymous_is_refused(self):
        assert connect(communicator_for("/ws/dashboard/")) == (False, 4401)

    def test_invalid_token_is_refused(self):
        assert connect(communicator_for("/ws/dashboard/", token="not.a.jwt")) == (False, 4401)

    def test_token_of_a_deactivated_user_is_refused(self):
        teacher = TeacherFactory()
        token = access_token_for(teacher)
        teacher.is_active = False
        teacher.save(update_fields=["is_active"])

        assert connect(communicator_for("/ws/dashboard/", token=token)) == (False, 4401)

    def test_jwt_in_the_query_string_is_accepted(self):
        teacher = TeacherFactory()

        assert connect(communicator_for("/ws/dashboard/", user=teacher)) == (
            True,
            "dashboard",
        )

    def test_session_cookie_is_accepted(self):
        student = StudentFactory()
        browser = Client()
        browser.force_login(student)
        cookie = f"{settings.SESSION_COOKIE_NAME}={browser.session.session_key}".encode()

        communicator = communicator_for(
            "/ws/dashboard/", headers=[SAME_ORIGIN, (b"cookie", cookie)]
        )

        assert connect(communicator) == (True, "dashboard")

    def test_foreign_origin_is_refused_even_with_a_valid_token(self):
        teacher = TeacherFactory()
        communicator = communicator_for(
            "/ws/dashboard/", user=teacher, headers=[(b"origin", b"http://evil.example")]
        )

        accepted, _code = connect(communicator)

        assert accepted is False

    def test_a_native_client_without_origin_connects_with_a_token(self):
        teacher = TeacherFactory()
        communicator = communicator_for("/ws/dashboard/", user=teacher, headers=())

        assert connect(communicator) == (True, "dashboard")

    def test_no_origin_and_no_token_is_refused_even_with_a_session_cookie(self):
        student = StudentFactory()
        browser = Client()
        browser.force_login(student)
        cookie = f"{settings.SESSION_COOKIE_NAME}={browser.session.session_key}".encode()
        communicator = communicator_for("/ws/dashboard/", headers=[(b"cookie", cookie)])

        accepted, _code = connect(communicator)

        assert accepted is False

    def test_receives_an_invalidation_for_an_event_naming_it(self):
        teacher = TeacherFactory()
        event = Event(
            type=EventType.NOTIFICATION_CREATED,
            school_id=teacher.school_id,
            user_ids=(teacher.pk,),
            data={},
        )

        first, pushed, nothing_more = connect_and_receive_hint(
            communicator_for("/ws/dashboard/", user=teacher), user_group(teacher.pk), event
        )

        assert first["type"] == "dashboard"
        assert pushed == {
            "type": "dashboard.invalidated",
            "data": {
                "event": "notifications.created",
                "event_id": event.id,
                "occurred_at": event.occurred_at,
            },
        }
        assert nothing_more is True

    def test_does_not_receive_another_users_pushes(self):
        teacher, other = TeacherFactory(), TeacherFactory()

        @async_to_sync
        async def scenario():
            communicator = communicator_for("/ws/dashboard/", user=teacher)
            await communicator.connect()
            await communicator.receive_json_from()
            event = Event(
                type=EventType.NOTIFICATION_CREATED,
                school_id=other.school_id,
                user_ids=(other.pk,),
                data={"secret": True},
            )
            await get_channel_layer().group_send(user_group(other.pk), hint(event))
            nothing = await communicator.receive_nothing(timeout=0.3)
            await communicator.disconnect()
            return nothing

        assert scenario() is True


class TestBoard:
    @pytest.fixture
    def assignment(self):
        return TeacherAssignmentFactory()

    def board(self, school_class, user):
        return communicator_for(f"/ws/boards/{school_class.pk}/", user=user)

    def test_teacher_of_the_class_is_accepted(self, assignment):
        school_class = assignment.school_class

        assert connect(self.board(school_class, assignment.teacher)) == (True, "board.state")

    def test_class_teacher_is_accepted(self):
        teacher = TeacherFactory()
        school_class = SchoolClassFactory(class_teacher=teacher)

        assert connect(self.board(school_class, teacher))[0] is True

    def test_enrolled_student_is_accepted_and_their_guardian_refused(self, assignment):
        # A board is the classroom's screen: its teachers, students and the school's admins.
        enrolment = EnrolmentFactory(school_class=assignment.school_class)
        guardian = GuardianLinkFactory(student=enrolment.student).guardian

        assert connect(self.board(assignment.school_class, enrolment.student))[0] is True
        assert connect(self.board(assignment.school_class, guardian)) == (False, 4403)

    def test_student_not_in_the_class_is_refused(self, assignment):
        other_class = SchoolClassFactory(school=assignment.school)
        outsider = EnrolmentFactory(school_class=other_class).student

        assert connect(self.board(assignment.school_class, outsider)) == (False, 4403)

    def test_teacher_of_another_class_is_refused(self, assignment):
        other = TeacherAssignmentFactory(school=assignment.school).teacher

        assert connect(self.board(assignment.school_class, other)) == (False, 4403)

    def test_users_of_another_school_are_refused(self, assignment):
        elsewhere = TeacherAssignmentFactory()
        for user in [elsewhere.teacher, SchoolAdminFactory(school=elsewhere.school)]:
            assert connect(self.board(assignment.school_class, user)) == (False, 4403)

    def test_school_admin_of_the_school_is_accepted(self, assignment):
        admin = SchoolAdminFactory(school=assignment.school)

        assert connect(self.board(assignment.school_class, admin))[0] is True

    def test_anonymous_is_refused(self, assignment):
        path = f"/ws/boards/{assignment.school_class.pk}/"

        assert connect(communicator_for(path)) == (False, 4401)

    def test_unknown_class_is_refused(self, assignment):
        path = "/ws/boards/00000000-0000-0000-0000-000000000000/"

        assert connect(communicator_for(path, user=assignment.teacher)) == (False, 4403)

    def test_forwards_board_events_of_its_class(self, assignment):
        event = Event(
            type=EventType.BOARD_ANNOUNCEMENT,
            school_id=assignment.school_id,
            class_ids=(assignment.school_class.pk,),
            data={"text": "Bring your atlas"},
        )

        first, pushed, nothing_more = connect_and_receive_hint(
            self.board(assignment.school_class, assignment.teacher),
            class_group(assignment.school_class.pk),
            event,
        )

        assert first["type"] == "board.state"
        assert pushed == {"type": "boards.announcement", "data": {"text": "Bring your atlas"}}
        assert nothing_more is True

    def test_does_not_forward_events_a_board_does_not_show(self, assignment):
        @async_to_sync
        async def scenario():
            communicator = self.board(assignment.school_class, assignment.teacher)
            await communicator.connect()
            await communicator.receive_json_from()
            event = Event(
                type=EventType.SUBMISSION_RECEIVED,
                school_id=assignment.school_id,
                class_ids=(assignment.school_class.pk,),
                user_ids=("someone",),
                data={"student_id": "someone"},
            )
            await get_channel_layer().group_send(
                class_group(assignment.school_class.pk), hint(event)
            )
            nothing = await communicator.receive_nothing(timeout=0.3)
            await communicator.disconnect()
            return nothing

        assert scenario() is True
