"""JWT login and refresh and ``/api/v1/me/`` (throttling: test_throttling.py; revocation:
test_tokens.py)."""

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from apps.users.tests.factories import PASSWORD, SuperuserFactory, TeacherFactory

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
ME_URL = "/api/v1/me/"

BAD_CREDENTIALS_BODY = {
    "error": {
        "code": "no_active_account",
        "message": "No active account found with the given credentials",
        "fields": {},
    }
}

pytestmark = pytest.mark.django_db


def obtain(api_client, username, password, address="10.0.0.1"):
    return api_client.post(
        TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


class TestTokenObtain:
    def test_right_password_gives_access_and_refresh_tokens_for_that_user(self, api_client):
        teacher = TeacherFactory(username="asha")

        response = obtain(api_client, "asha", PASSWORD)

        assert response.status_code == 200
        assert set(response.json()) == {"access", "refresh"}
        assert AccessToken(response.json()["access"])["user_id"] == str(teacher.pk)

    def test_wrong_password_is_401_in_the_error_shape(self, api_client):
        TeacherFactory(username="asha")

        response = obtain(api_client, "asha", "not-the-password")

        assert response.status_code == 401
        assert response["Content-Type"] == "application/json"
        assert response.json() == BAD_CREDENTIALS_BODY

    def test_unknown_username_is_401_not_500(self, api_client):
        response = obtain(api_client, "nobody", "whatever")

        assert response.status_code == 401
        assert response.json() == BAD_CREDENTIALS_BODY

    def test_inactive_user_cannot_log_in(self, api_client):
        TeacherFactory(username="gone", is_active=False)

        response = obtain(api_client, "gone", PASSWORD)

        assert response.status_code == 401
        assert response.json() == BAD_CREDENTIALS_BODY

    def test_missing_fields_are_400_with_per_field_messages(self, api_client):
        response = api_client.post(TOKEN_URL, {}, format="json")

        assert response.status_code == 400
        assert response.json() == {
            "error": {
                "code": "invalid",
                "message": "Some fields are not valid.",
                "fields": {
                    "username": ["This field is required."],
                    "password": ["This field is required."],
                },
            }
        }

    def test_malformed_json_body_is_400_in_the_error_shape(self, api_client):
        response = api_client.post(
            TOKEN_URL, data='{"username": "asha", "password": ', content_type="application/json"
        )

        assert response.status_code == 400
        body = response.json()
        assert set(body) == {"error"}
        assert body["error"]["code"] == "parse_error"
        assert body["error"]["message"].startswith("JSON parse error - ")
        assert body["error"]["fields"] == {}

    def test_json_array_body_is_400_not_500(self, api_client):
        response = api_client.post(TOKEN_URL, data="[1, 2]", content_type="application/json")

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid"

    def test_unsupported_content_type_is_415_in_the_error_shape(self, api_client):
        response = api_client.post(TOKEN_URL, data="username=asha", content_type="text/plain")

        assert response.status_code == 415
        assert response.json() == {
            "error": {
                "code": "unsupported_media_type",
                "message": 'Unsupported media type "text/plain" in request.',
                "fields": {},
            }
        }


class TestTokenRefresh:
    def test_refresh_token_gives_a_new_access_token_for_the_same_user(self, api_client):
        teacher = TeacherFactory(username="asha")
        refresh = obtain(api_client, "asha", PASSWORD).json()["refresh"]

        response = api_client.post(REFRESH_URL, {"refresh": refresh}, format="json")

        assert response.status_code == 200
        assert set(response.json()) == {"access", "refresh"}  # rotated: a new refresh token
        assert response.json()["refresh"] != refresh
        assert AccessToken(response.json()["access"])["user_id"] == str(teacher.pk)

    def test_garbage_refresh_token_is_401_in_the_error_shape(self, api_client):
        response = api_client.post(REFRESH_URL, {"refresh": "not-a-token"}, format="json")

        assert response.status_code == 401
        assert response.json() == {
            "error": {"code": "token_not_valid", "message": "Token is invalid", "fields": {}}
        }

    def test_access_token_is_not_accepted_as_a_refresh_token(self, api_client):
        TeacherFactory(username="asha")
        access = obtain(api_client, "asha", PASSWORD).json()["access"]

        response = api_client.post(REFRESH_URL, {"refresh": access}, format="json")

        assert response.status_code == 401
        assert response.json()["error"]["code"] == "token_not_valid"


class TestMe:
    def test_describes_the_caller_from_their_bearer_token(self, api_client):
        teacher = TeacherFactory(username="asha", first_name="Asha", last_name="Rao")
        access = obtain(api_client, "asha", PASSWORD).json()["access"]
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

        response = api_client.get(ME_URL)

        assert response.status_code == 200
        assert response.json() == {
            "id": str(teacher.pk),
            "username": "asha",
            "first_name": "Asha",
            "last_name": "Rao",
            "email": "asha@example.com",
            "role": "teacher",
            "is_superuser": False,
            "school": {
                "id": str(teacher.school.pk),
                "name": teacher.school.name,
                "slug": teacher.school.slug,
            },
            "classes": [],
            "children": [],
        }

    def test_operator_has_no_school(self, jwt_client):
        operator = SuperuserFactory(username="root")

        response = jwt_client(operator).get(ME_URL)

        assert response.status_code == 200
        body = response.json()
        assert (body["username"], body["role"], body["is_superuser"], body["school"]) == (
            "root",
            "",
            True,
            None,
        )

    def test_session_login_works_too(self, client):
        TeacherFactory(username="asha")
        assert client.login(username="asha", password=PASSWORD)

        response = client.get(ME_URL)

        assert response.status_code == 200
        assert response.json()["username"] == "asha"

    def test_anonymous_is_401_in_the_error_shape(self, api_client):
        response = api_client.get(ME_URL)

        assert response.status_code == 401
        assert response.json() == {
            "error": {
                "code": "not_authenticated",
                "message": "Authentication credentials were not provided.",
                "fields": {},
            }
        }

    def test_bad_bearer_token_is_401_in_the_error_shape(self, api_client):
        api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")

        response = api_client.get(ME_URL)

        assert response.status_code == 401
        assert response.json() == {
            "error": {
                "code": "token_not_valid",
                "message": "Given token not valid for any token type",
                "fields": {},
            }
        }

    def test_token_of_a_deactivated_user_is_refused(self, jwt_client):
        teacher = TeacherFactory()
        client = jwt_client(teacher)
        teacher.is_active = False
        teacher.save(update_fields=["is_active"])

        response = client.get(ME_URL)

        assert response.status_code == 401
        assert response.json()["error"]["code"] == "user_inactive"
