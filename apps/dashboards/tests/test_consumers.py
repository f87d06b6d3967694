"""Websockets through the real ASGI stack: origin check, session/JWT auth, Redis channel layer."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from apps.dashboards.consumers import board_group, dashboard_group
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
from schools24.asgi import application

# The consumers read the database from worker threads, so the rows must really be committed.
pytestmark = pytest.mark.django_db(transaction=True)

SAME_ORIGIN = (b"origin", b"http://testserver")


def communicator_for(path, *, user=None, token=None, headers=(SAME_ORIGIN,)):
    if user is not None:
        token = access_token_for(user)
    if token is not None:
        path = f"{path}?token={token}"
    return WebsocketCommunicator(application, path, headers=list(headers))


@async_to_sync
async def connect(communicator):
    """(accepted, close code or the first message)"""
    accepted, code = await communicator.connect()
    if not accepted:
        return False, code
    hello = await communicator.receive_json_from()
    await communicator.disconnect()
    return True, hello


@async_to_sync
async def connect_and_receive_push(communicator, group, payload):
    accepted, _ = await communicator.connect()
    assert accepted
    hello = await communicator.receive_json_from()
    await get_channel_layer().group_send(group, {"type": "push", "payload": payload})
    pushed = await communicator.receive_json_from(timeout=5)
    nothing_more = await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()
    return hello, pushed, nothing_more


def test_the_channel_layer_is_the_real_redis_one():
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert type(get_channel_layer()).__name__ == "RedisChannelLayer"


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
            {"type": "hello", "dashboard": str(teacher.pk)},
        )

    def test_session_cookie_is_accepted(self):
        student = StudentFactory()
        browser = Client()
        browser.force_login(student)
        cookie = f"{settings.SESSION_COOKIE_NAME}={browser.session.session_key}".encode()

        communicator = communicator_for(
            "/ws/dashboard/", headers=[SAME_ORIGIN, (b"cookie", cookie)]
        )

        assert connect(communicator) == (True, {"type": "hello", "dashboard": str(student.pk)})

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

        assert connect(communicator) == (True, {"type": "hello", "dashboard": str(teacher.pk)})

    def test_no_origin_and_no_token_is_refused_even_with_a_session_cookie(self):
        student = StudentFactory()
        browser = Client()
        browser.force_login(student)
        cookie = f"{settings.SESSION_COOKIE_NAME}={browser.session.session_key}".encode()
        communicator = communicator_for("/ws/dashboard/", headers=[(b"cookie", cookie)])

        accepted, _code = connect(communicator)

        assert accepted is False

    def test_receives_pushes_to_its_own_group_only(self):
        teacher = TeacherFactory()
        payload = {"type": "invalidate", "what": "homework"}

        hello, pushed, nothing_more = connect_and_receive_push(
            communicator_for("/ws/dashboard/", user=teacher), dashboard_group(teacher.pk), payload
        )

        assert hello == {"type": "hello", "dashboard": str(teacher.pk)}
        assert pushed == payload
        assert nothing_more is True

    def test_does_not_receive_another_users_pushes(self):
        teacher, other = TeacherFactory(), TeacherFactory()

        @async_to_sync
        async def scenario():
            communicator = communicator_for("/ws/dashboard/", user=teacher)
            await communicator.connect()
            await communicator.receive_json_from()
            await get_channel_layer().group_send(
                dashboard_group(other.pk), {"type": "push", "payload": {"secret": True}}
            )
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

        assert connect(self.board(school_class, assignment.teacher)) == (
            True,
            {"type": "hello", "board": str(school_class.pk)},
        )

    def test_class_teacher_is_accepted(self):
        teacher = TeacherFactory()
        school_class = SchoolClassFactory(class_teacher=teacher)

        assert connect(self.board(school_class, teacher))[0] is True

    def test_enrolled_student_and_their_guardian_are_accepted(self, assignment):
        enrolment = EnrolmentFactory(school_class=assignment.school_class)
        guardian = GuardianLinkFactory(student=enrolment.student).guardian

        assert connect(self.board(assignment.school_class, enrolment.student))[0] is True
        assert connect(self.board(assignment.school_class, guardian))[0] is True

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

    def test_receives_pushes_for_its_class(self, assignment):
        payload = {"type": "slide", "number": 3}

        hello, pushed, nothing_more = connect_and_receive_push(
            self.board(assignment.school_class, assignment.teacher),
            board_group(assignment.school_class.pk),
            payload,
        )

        assert hello == {"type": "hello", "board": str(assignment.school_class.pk)}
        assert pushed == payload
        assert nothing_more is True
