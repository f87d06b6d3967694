"""JWT requests take their user from the read cache, and every change of a user reaches it."""

from __future__ import annotations

import copy

import pytest
from django.core.cache import cache, caches
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.utils import get_md5_hash_password

from apps.users import user_cache
from apps.users.models import Role, User
from apps.users.tests.factories import PASSWORD, StudentFactory, TeacherFactory

ME_URL = "/api/v1/me/"

pytestmark = pytest.mark.django_db(transaction=True)


def user_queries(queries) -> list[str]:
    """Queries that load a user by id alone: authentication's (``/me/`` then reads the caller
    again with the school joined, which is the view's own business)."""
    return [q["sql"] for q in queries if 'FROM "users_user"' in q["sql"] and "JOIN" not in q["sql"]]


def get_me(jwt_client, user, token_client=None):
    client = token_client or jwt_client(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ME_URL)
    return response, user_queries(queries.captured_queries)


class TestCacheFirst:
    def test_the_second_request_reads_no_user_from_the_database(self, jwt_client):
        teacher = TeacherFactory(username="asha")
        client = jwt_client(teacher)

        first, first_queries = get_me(jwt_client, teacher, client)
        second, second_queries = get_me(jwt_client, teacher, client)

        assert first.status_code == second.status_code == 200
        assert second.json() == first.json()
        assert second.json()["username"] == "asha"
        assert len(first_queries) == 1
        assert second_queries == []

    def test_the_password_hash_never_goes_to_redis_and_a_cached_user_saves_safely(self):
        teacher = TeacherFactory()
        user_cache.user_get_cached(user_id=teacher.pk)

        entry = cache.get(f"user:{teacher.pk}")
        assert teacher.password not in repr(entry)
        cached = user_cache.user_get_cached(user_id=teacher.pk)
        assert cached.get_deferred_fields() == {"password"}
        cached.first_name = "Renamed"
        cached.save()

        teacher.refresh_from_db()
        assert teacher.first_name == "Renamed"
        assert teacher.check_password(PASSWORD)

    def test_an_unknown_user_is_none_and_a_malformed_id_too(self):
        assert user_cache.user_get_cached(user_id="00000000-0000-0000-0000-000000000000") is None
        assert user_cache.user_get_cached(user_id="not-a-uuid") is None


class TestInvalidation:
    def test_deactivation_refuses_the_next_request(self, jwt_client):
        student = StudentFactory()
        client = jwt_client(student)
        assert client.get(ME_URL).status_code == 200

        student.is_active = False
        student.save(update_fields=["is_active"])

        response = client.get(ME_URL)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "user_inactive"

    def test_a_role_change_shows_in_the_next_request(self, jwt_client):
        user = StudentFactory()
        client = jwt_client(user)
        assert client.get(ME_URL).json()["role"] == "student"

        user.role = Role.TEACHER
        user.save()

        assert client.get(ME_URL).json()["role"] == "teacher"

    def test_a_password_change_invalidates(self, jwt_client):
        user = TeacherFactory()
        client = jwt_client(user)
        client.get(ME_URL)

        user.set_password("a-new-password-1")
        user.save()

        response, queries = get_me(jwt_client, user, client)
        # Read again from PostgreSQL, and the token is refused: a password change revokes
        # every token of the user (apps/users/tokens.py).
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "token_revoked"
        assert len(queries) == 1

    def test_a_bulk_update_invalidates(self, jwt_client):
        user = TeacherFactory()
        client = jwt_client(user)
        assert client.get(ME_URL).status_code == 200

        assert User.objects.filter(pk=user.pk).update(is_active=False) == 1

        assert client.get(ME_URL).status_code == 401

    def test_a_deleted_user_with_their_school_is_refused(self, jwt_client):
        user = TeacherFactory()
        client = jwt_client(user)
        assert client.get(ME_URL).status_code == 200

        user.school.delete()  # the user goes by cascade, without User.delete()

        response = client.get(ME_URL)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "user_not_found"

    def test_an_entry_stored_after_a_change_with_the_old_stamp_is_not_used(self):
        """A request that read the user before a change and stores it after cannot bring the
        old user back: its entry carries the stamp the change replaced."""
        user = TeacherFactory(first_name="Before")
        user_cache.user_get_cached(user_id=user.pk)
        stale_entry = cache.get(f"user:{user.pk}")

        user.first_name = "After"
        user.save()
        cache.set(f"user:{user.pk}", stale_entry)  # the slow request's late write

        assert user_cache.user_get_cached(user_id=user.pk).first_name == "After"

    def test_inside_a_transaction_it_invalidates_on_commit(self):
        user = TeacherFactory(first_name="Before")
        user_cache.user_get_cached(user_id=user.pk)

        with transaction.atomic():
            user.first_name = "After"
            user.save()
            # Not yet: other requests still see the committed row, so the entry stays right.
            assert user_cache.user_get_cached(user_id=user.pk).first_name == "Before"

        assert user_cache.user_get_cached(user_id=user.pk).first_name == "After"


def test_with_the_read_cache_unreachable_requests_still_authenticate(jwt_client, settings):
    user = TeacherFactory(username="offline")
    unreachable = copy.deepcopy(settings.CACHES)
    unreachable["default"]["LOCATION"] = "redis://127.0.0.1:1/0"
    unreachable["default"]["OPTIONS"]["SOCKET_CONNECT_TIMEOUT"] = 0.5
    settings.CACHES = unreachable
    caches["default"].close()

    assert user_cache.user_get_cached(user_id=user.pk).username == "offline"


def test_a_cached_user_carries_what_token_revocation_compares_without_the_password():
    """simplejwt's CHECK_REVOKE_TOKEN compares a digest of the password hash; a cached user has
    it (from the entry), so turning revocation on needs no database read either."""
    user = TeacherFactory()
    user_cache.user_get_cached(user_id=user.pk)

    cached = user_cache.user_get_cached(user_id=user.pk)

    assert cached.get_deferred_fields() == {"password"}
    assert cached._password_digest == get_md5_hash_password(user.password)
