"""Token revocation: logout, rotation with reuse detection, password change, deactivation and
"sign out everywhere" (the admin action) each end the tokens they should, and no others."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.users.models import User
from apps.users.services import user_sign_out_everywhere
from apps.users.tests.factories import PASSWORD, SchoolAdminFactory, TeacherFactory

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/me/"

pytestmark = pytest.mark.django_db


def login(api_client, username="asha", password=PASSWORD):
    response = api_client.post(
        TOKEN_URL, {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200
    return response.json()


def refresh(api_client, token):
    return api_client.post(REFRESH_URL, {"refresh": token}, format="json")


def me(api_client, access):
    return api_client.get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {access}")


def assert_revoked(response, code="token_revoked"):
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code


class TestLogout:
    def test_refresh_token_is_refused_after_logout(self, api_client):
        TeacherFactory(username="asha")
        tokens = login(api_client)

        response = api_client.post(LOGOUT_URL, {"refresh": tokens["refresh"]}, format="json")

        assert response.status_code == 204
        refused = refresh(api_client, tokens["refresh"])
        assert refused.status_code == 401
        assert refused.json()["error"] == {
            "code": "token_not_valid",
            "message": "Token is blacklisted",
            "fields": {},
        }

    def test_logging_out_twice_is_fine_and_other_devices_stay_logged_in(self, api_client):
        TeacherFactory(username="asha")
        phone, tablet = login(api_client), login(api_client)

        first = api_client.post(LOGOUT_URL, {"refresh": phone["refresh"]}, format="json")
        second = api_client.post(LOGOUT_URL, {"refresh": phone["refresh"]}, format="json")

        assert (first.status_code, second.status_code) == (204, 204)
        assert refresh(api_client, tablet["refresh"]).status_code == 200

    def test_garbage_and_access_tokens_are_401_and_missing_field_400(self, api_client):
        TeacherFactory(username="asha")
        tokens = login(api_client)

        garbage = api_client.post(LOGOUT_URL, {"refresh": "nope"}, format="json")
        access = api_client.post(LOGOUT_URL, {"refresh": tokens["access"]}, format="json")
        missing = api_client.post(LOGOUT_URL, {}, format="json")

        assert garbage.status_code == 401 and access.status_code == 401
        assert garbage.json()["error"]["code"] == "token_not_valid"
        assert missing.status_code == 400
        assert missing.json()["error"]["fields"] == {"refresh": ["This field is required."]}


class TestRotation:
    def test_each_refresh_token_works_once_and_the_new_one_works(self, api_client):
        TeacherFactory(username="asha")
        first = login(api_client)["refresh"]

        second = refresh(api_client, first).json()["refresh"]
        third = refresh(api_client, second)

        assert third.status_code == 200
        assert me(api_client, third.json()["access"]).status_code == 200

    def test_reusing_a_used_refresh_token_signs_the_user_out_everywhere(self, api_client):
        TeacherFactory(username="asha")
        stolen = login(api_client)["refresh"]
        owner = refresh(api_client, stolen).json()  # the owner's app rotates it
        other_device = login(api_client)

        reuse = refresh(api_client, stolen)  # the thief tries the copy

        assert reuse.status_code == 401
        assert_revoked(refresh(api_client, owner["refresh"]))
        assert_revoked(me(api_client, owner["access"]))
        assert_revoked(me(api_client, other_device["access"]))
        assert me(api_client, login(api_client)["access"]).status_code == 200


class TestPasswordChangeAndDeactivation:
    def test_password_change_ends_every_access_and_refresh_token(self, api_client):
        teacher = TeacherFactory(username="asha")
        tokens = login(api_client)

        teacher.set_password("a-new-long-password")
        teacher.save(update_fields=["password"])

        assert_revoked(me(api_client, tokens["access"]))
        assert_revoked(refresh(api_client, tokens["refresh"]))
        fresh = login(api_client, password="a-new-long-password")
        assert me(api_client, fresh["access"]).status_code == 200

    def test_password_change_ends_web_sessions_too(self, client):
        teacher = TeacherFactory(username="asha")
        assert client.login(username="asha", password=PASSWORD)

        teacher.set_password("a-new-long-password")
        teacher.save(update_fields=["password"])

        assert client.get(ME_URL).status_code in (401, 403)

    def test_deactivated_user_can_no_longer_refresh(self, api_client):
        teacher = TeacherFactory(username="asha")
        tokens = login(api_client)

        teacher.is_active = False
        teacher.save(update_fields=["is_active"])

        response = refresh(api_client, tokens["refresh"])
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "no_active_account"
        assert me(api_client, tokens["access"]).json()["error"]["code"] == "user_inactive"

    def test_refresh_token_of_a_deleted_user_is_401_not_500(self, api_client):
        teacher = TeacherFactory(username="asha")
        tokens = login(api_client)
        teacher.delete()

        response = refresh(api_client, tokens["refresh"])

        assert response.status_code == 401


class TestSignOutEverywhere:
    def test_service_ends_tokens_and_sessions_of_that_user_only(self, api_client, client):
        asha = TeacherFactory(username="asha")
        TeacherFactory(username="ben")
        asha_tokens, ben_tokens = login(api_client), login(api_client, "ben")
        assert client.login(username="asha", password=PASSWORD)

        user_sign_out_everywhere(user=asha)

        assert_revoked(me(api_client, asha_tokens["access"]))
        assert_revoked(refresh(api_client, asha_tokens["refresh"]))
        assert client.get(ME_URL).status_code in (401, 403)
        assert me(api_client, ben_tokens["access"]).status_code == 200
        assert asha.token_generation == 1

    def test_admin_action_signs_out_people_of_the_admins_school_only(self, api_client):
        admin = SchoolAdminFactory()
        asha = TeacherFactory(username="asha", school=admin.school)
        stranger = TeacherFactory(username="stranger")  # another school
        tokens = login(api_client)
        browser = Client()
        browser.force_login(admin)

        response = browser.post(
            reverse("admin:users_user_changelist"),
            {"action": "sign_out_everywhere", "_selected_action": [asha.pk, stranger.pk]},
        )

        assert response.status_code == 302
        assert_revoked(me(api_client, tokens["access"]))
        assert User.objects.get(pk=stranger.pk).token_generation == 0
        assert User.objects.get(pk=asha.pk).token_generation == 1

    @pytest.mark.django_db(transaction=True)
    def test_websocket_token_check_uses_the_stamp_too(self, api_client):
        from asgiref.sync import async_to_sync

        from apps.dashboards.auth import _user_from_token

        asha = TeacherFactory(username="asha")
        access = login(api_client)["access"]
        assert async_to_sync(_user_from_token)(access) == asha

        user_sign_out_everywhere(user=asha)

        assert async_to_sync(_user_from_token)(access).is_anonymous
