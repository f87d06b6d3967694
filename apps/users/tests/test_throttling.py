"""Login throttling: it stops guessing without letting anyone lock an owner out.

Counts are per (username, address), per username and per address; the last two never refuse a
username at an address where it has logged in before. The address is REMOTE_ADDR as set by the
trusted-proxy middleware, never a client's X-Forwarded-For.
"""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from rest_framework.settings import api_settings

from apps.users.apis import LoginRateThrottle
from apps.users.tests.factories import PASSWORD, SuperuserFactory, TeacherFactory

TOKEN_URL = "/api/v1/auth/token/"
pytestmark = pytest.mark.django_db


def obtain(api_client, username, password, address="10.0.0.1", **headers):
    return api_client.post(
        TOKEN_URL,
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=address,
        **headers,
    )


def assert_throttled(response):
    assert response.status_code == 429
    body = response.json()
    assert body["error"]["code"] == "throttled"
    assert re.fullmatch(
        r"Too many failed logins; try again in \d+ minutes?\.", body["error"]["message"]
    )
    assert 0 < int(response["Retry-After"]) <= 15 * 60


@pytest.fixture(autouse=True)
def low_limits(settings):
    settings.LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS = 3
    settings.LOGIN_FAILURES_PER_USERNAME = 6
    settings.LOGIN_FAILURES_PER_ADDRESS = 50


class TestPerUsernameAndAddress:
    def test_guessing_from_one_place_is_refused_even_with_the_right_password(self, api_client):
        TeacherFactory(username="asha")

        statuses = [obtain(api_client, "asha", "wrong").status_code for _ in range(3)]
        refused = obtain(api_client, "asha", PASSWORD)

        assert statuses == [401, 401, 401]
        assert_throttled(refused)

    def test_the_owner_elsewhere_is_not_locked_out_by_guessing_from_one_place(self, api_client):
        TeacherFactory(username="asha")
        for _ in range(3):
            obtain(api_client, "asha", "wrong", address="10.6.6.6")

        assert obtain(api_client, "asha", PASSWORD, address="10.1.1.1").status_code == 200

    def test_letter_case_does_not_make_a_new_username(self, api_client):
        TeacherFactory(username="asha")
        for _ in range(3):
            obtain(api_client, "asha", "wrong")

        assert_throttled(obtain(api_client, "ASHA", PASSWORD))

    def test_a_success_clears_the_failures_of_that_place(self, api_client):
        TeacherFactory(username="asha")
        for _ in range(2):
            obtain(api_client, "asha", "wrong")
        assert obtain(api_client, "asha", PASSWORD).status_code == 200

        statuses = [obtain(api_client, "asha", "wrong").status_code for _ in range(2)]

        assert statuses == [401, 401]
        assert obtain(api_client, "asha", PASSWORD).status_code == 200


class TestLockoutCannotBeTurnedAgainstTheOwner:
    def test_sixty_failures_from_a_school_address_do_not_stop_a_user_who_knows_the_password(
        self, api_client, settings
    ):
        settings.LOGIN_FAILURES_PER_ADDRESS = 50
        TeacherFactory(username="asha")
        school = "203.0.113.10"  # one NAT address for the whole school
        assert obtain(api_client, "asha", PASSWORD, address=school).status_code == 200

        failures = [
            obtain(api_client, f"pupil{n % 20}", "wrong", address=school).status_code
            for n in range(60)
        ]

        assert failures.count(401) == 50 and failures.count(429) == 10
        assert obtain(api_client, "asha", PASSWORD, address=school).status_code == 200

    def test_an_address_over_its_limit_refuses_usernames_never_seen_there(self, api_client):
        TeacherFactory(username="asha")
        for n in range(50):
            obtain(api_client, f"u{n}", "wrong", address="10.6.6.6")

        assert_throttled(obtain(api_client, "asha", PASSWORD, address="10.6.6.6"))
        assert obtain(api_client, "asha", PASSWORD, address="10.7.7.7").status_code == 200

    def test_guessing_one_name_from_many_places_does_not_lock_the_owner_at_home(self, api_client):
        TeacherFactory(username="asha")
        assert obtain(api_client, "asha", PASSWORD, address="198.51.100.7").status_code == 200

        for n in range(6):
            obtain(api_client, "asha", "wrong", address=f"10.9.0.{n}")

        assert_throttled(obtain(api_client, "asha", PASSWORD, address="10.9.9.9"))
        assert obtain(api_client, "asha", PASSWORD, address="198.51.100.7").status_code == 200


class TestClientAddress:
    def test_a_spoofed_forwarded_for_changes_nothing_without_trusted_proxies(self, api_client):
        TeacherFactory(username="asha")
        for n in range(3):
            response = obtain(
                api_client, "asha", "wrong", address="10.0.0.1", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}"
            )
            assert response.status_code == 401

        assert_throttled(
            obtain(api_client, "asha", PASSWORD, address="10.0.0.1", HTTP_X_FORWARDED_FOR="9.9.9.9")
        )

    def test_behind_one_trusted_proxy_the_address_it_saw_counts(self, api_client, settings):
        settings.TRUSTED_PROXY_COUNT = 1
        TeacherFactory(username="asha")
        proxy = "10.0.0.254"
        for _ in range(3):
            obtain(
                api_client, "asha", "wrong", address=proxy, HTTP_X_FORWARDED_FOR="6.6.6.6, 7.7.7.7"
            )

        # The client's made-up first entry is not the address; the proxy's entry (7.7.7.7) is.
        assert_throttled(
            obtain(api_client, "asha", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="7.7.7.7")
        )
        assert (
            obtain(
                api_client, "asha", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="6.6.6.6, 8.8.8.8"
            ).status_code
            == 200
        )

    def test_drf_rate_throttle_ignores_a_rotating_forwarded_for(self, api_client):
        TeacherFactory(username="asha")
        original = LoginRateThrottle.THROTTLE_RATES
        LoginRateThrottle.THROTTLE_RATES = {**original, "login": "3/min"}
        try:
            statuses = [
                obtain(
                    api_client,
                    "asha",
                    PASSWORD,
                    address="10.3.3.3",
                    HTTP_X_FORWARDED_FOR=f"1.1.1.{n}",
                ).status_code
                for n in range(4)
            ]
        finally:
            LoginRateThrottle.THROTTLE_RATES = original
        assert api_settings.NUM_PROXIES == 0
        assert statuses == [200, 200, 200, 429]


class TestWebAndAdminLogins:
    def test_admin_login_answers_429_saying_when_to_try_again(self, client, api_client):
        SuperuserFactory(username="root")
        for _ in range(3):
            obtain(api_client, "root", "wrong", address="10.8.8.8")

        response = client.post(
            "/admin/login/?next=/admin/",
            {"username": "root", "password": PASSWORD},
            REMOTE_ADDR="10.8.8.8",
        )

        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert re.search(r"Too many failed logins; try again in \d+ minutes?\.", response.text)
        assert SESSION_KEY not in client.session

    def test_admin_login_failures_count_towards_the_api_throttle(self, client, api_client):
        SuperuserFactory(username="root")
        for _ in range(3):
            response = client.post(
                "/admin/login/", {"username": "root", "password": "wrong"}, REMOTE_ADDR="10.0.0.1"
            )
            assert response.status_code == 200

        assert_throttled(obtain(api_client, "root", PASSWORD))

    def test_web_login_answers_429_there_and_logs_in_elsewhere(self, client, api_client):
        TeacherFactory(username="asha")
        for _ in range(3):
            obtain(api_client, "asha", "wrong", address="10.6.6.6")

        refused = client.post(
            "/accounts/login/", {"username": "asha", "password": PASSWORD}, REMOTE_ADDR="10.6.6.6"
        )
        allowed = client.post(
            "/accounts/login/", {"username": "asha", "password": PASSWORD}, REMOTE_ADDR="10.7.7.7"
        )

        assert refused.status_code == 429
        assert "Too many failed logins; try again in" in refused.text
        assert allowed.status_code == 302
        assert allowed["Location"] == "/"

    def test_web_login_wrong_password_is_still_the_form_again(self, client):
        TeacherFactory(username="asha")

        response = client.post("/accounts/login/", {"username": "asha", "password": "wrong"})

        assert response.status_code == 200
        assert SESSION_KEY not in client.session
