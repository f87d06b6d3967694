"""Robustness and hardening: OPTIONS, /metrics, request size, browser policies, deploy checks,
the client address behind proxies, pagination input."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from apps.core.middleware import client_address_behind_proxies
from apps.users.tests.factories import ClassWorld, SchoolAdminFactory

BASE_DIR = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.django_db


def _concrete(path: str) -> str:
    return re.sub(
        r"\{[^}]+\}", lambda match: "0" if "index" in match[0] else str(uuid.uuid4()), path
    )


def _writable_paths() -> list[str]:
    schema = SchemaGenerator().get_schema(public=True)
    return sorted(
        path
        for path, operations in schema["paths"].items()
        if {"post", "put", "patch"} & set(operations)
    )


class TestOptions:
    @pytest.mark.parametrize("role", ["admin", "teacher", "student", "guardian", None])
    def test_options_never_fails_and_answers_200_where_one_may_write(self, role):
        world = ClassWorld(students=1)
        client = APIClient()
        if role is not None:
            client.force_authenticate(getattr(world, role))
        paths = _writable_paths()
        assert len(paths) >= 10

        statuses = {path: client.options(_concrete(path)).status_code for path in paths}

        # 403: the role may not write there (students, guardians); never a 5xx.
        if role is None:
            assert set(statuses.values()) <= {200, 401}, statuses
        elif role in ("admin", "teacher"):
            # 403 only where the endpoint is another role's (a student's quiz attempt).
            assert set(statuses.values()) <= {200, 403}, statuses
            for path in ("/api/v1/homework/", "/api/v1/attendance/registers/"):
                assert statuses[path] == 200, (path, statuses)
        else:
            assert set(statuses.values()) <= {200, 403}, statuses


class TestMetrics:
    def test_refused_from_elsewhere_without_the_token(self, settings):
        settings.METRICS_TOKEN = "s3cret-metrics-token"

        response = Client(REMOTE_ADDR="203.0.113.9").get("/metrics")
        wrong = Client(REMOTE_ADDR="203.0.113.9").get(
            "/metrics", HTTP_AUTHORIZATION="Bearer not-it"
        )

        assert response.status_code == 403 and wrong.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
        assert b"django_http" not in response.content

    def test_allowed_with_the_token_or_from_an_allowed_network(self, settings):
        settings.METRICS_TOKEN = "s3cret-metrics-token"
        settings.METRICS_ALLOWED_NETWORKS = ["10.1.0.0/16"]

        with_token = Client(REMOTE_ADDR="203.0.113.9").get(
            "/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token"
        )
        from_network = Client(REMOTE_ADDR="10.1.2.3").get("/metrics")

        assert with_token.status_code == 200 and from_network.status_code == 200
        assert b"django_http_requests_total_by_method" in with_token.content

    def test_without_a_token_configured_only_the_allowed_networks_get_in(self, settings):
        settings.METRICS_TOKEN = ""

        assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200
        assert (
            Client(REMOTE_ADDR="203.0.113.9")
            .get("/metrics", HTTP_AUTHORIZATION="Bearer ")
            .status_code
            == 403
        )

    def test_made_up_methods_share_one_label(self):
        client = Client(REMOTE_ADDR="127.0.0.1")
        for method in ["FOO", "BAR", "X" * 40]:
            client.generic(method, "/healthz/")

        text = client.get("/metrics").content.decode()

        methods = set(re.findall(r'method="([^"]*)"', text))
        assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE",
                           "CONNECT", "<invalid method>"}  # fmt: skip
        assert "<invalid method>" in methods


class TestRequestSize:
    def test_declared_oversize_body_is_413_before_the_view(self):
        admin = SchoolAdminFactory()
        client = APIClient()
        client.force_authenticate(admin)

        response = client.post(
            "/api/v1/homework/",
            data=b"x",
            content_type="application/octet-stream",
            CONTENT_LENGTH=str(settings.REQUEST_MAX_BODY_BYTES + 1),
        )

        assert response.status_code == 413
        assert response.json()["error"]["code"] == "request_too_large"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def asgi_server():
    """The production ASGI server (daphne) on a free port, with this run's settings."""
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).with_name("daphne")), "-b", "127.0.0.1", "-p", str(port),
         "schools24.asgi:application"],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "schools24.settings.test"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.slow
def test_oversize_upload_is_refused_over_http_before_its_body_is_sent(asgi_server):
    declared = 60 * 1024 * 1024
    with socket.create_connection(("127.0.0.1", asgi_server), timeout=20) as connection:
        connection.sendall(
            (
                "POST /api/v1/homework/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: multipart/form-data; boundary=x\r\n"
                f"Content-Length: {declared}\r\n\r\n"
            ).encode()
            + b"--x\r\n" + b"a" * 65536
        )  # fmt: skip
        # Only 64 KiB of the declared 60 MiB were sent: an answer now means nobody waited for
        # (or read) the rest.
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert b'"code": "request_too_large"' in body


class TestBrowserPolicies:
    def test_pages_carry_a_csp_and_a_permissions_policy(self, client):
        response = client.get("/accounts/login/")

        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "camera=()" in response["Permissions-Policy"]

    def test_pages_pass_the_csp_no_inline_script_and_nothing_from_other_hosts(self, client):
        admin = SchoolAdminFactory()
        client.force_login(admin)
        for url in ["/accounts/login/", "/admin/", "/api/docs/", "/"]:
            response = client.get(url, follow=True)
            html = response.content.decode()
            assert response.status_code == 200, url
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", html), url
            assert not re.search(r"""(src|href)=["'](https?:)?//""", html), url


class TestDeployCheck:
    def test_production_settings_pass_check_deploy(self):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "schools24.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "school.example.org",
        }
        result = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues" in result.stdout

    @pytest.mark.parametrize(
        ("secret", "found", "absent"),
        [(None, ["fees.E001", "fees.W001"], []), ("own-secret", ["fees.W001"], ["fees.E001"])],
    )
    def test_the_test_payment_gateway_on_in_production_fails_check_deploy(
        self, secret, found, absent
    ):
        env = {key: value for key, value in os.environ.items() if key != "FEES_TEST_GATEWAY_SECRET"}
        env.update(
            DJANGO_SETTINGS_MODULE="schools24.settings.production",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS="school.example.org",
            FEES_TEST_GATEWAY_ENABLED="true",
        )
        if secret:
            env["FEES_TEST_GATEWAY_SECRET"] = secret
        result = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

        assert result.returncode == 1, result.stdout + result.stderr
        for check_id in found:
            assert check_id in result.stderr
        for check_id in absent:
            assert check_id not in result.stderr


class TestClientAddress:
    @pytest.mark.parametrize(
        ("remote", "forwarded", "proxies", "client"),
        [
            ("10.0.0.1", "6.6.6.6", 0, "10.0.0.1"),
            ("10.0.0.254", "6.6.6.6, 7.7.7.7", 1, "7.7.7.7"),
            ("10.0.0.254", "6.6.6.6, 7.7.7.7, 10.0.0.9", 2, "7.7.7.7"),
            ("10.0.0.254", "7.7.7.7", 2, "10.0.0.254"),
            ("10.0.0.254", None, 1, "10.0.0.254"),
        ],
    )
    def test_only_the_trusted_proxies_entries_count(self, remote, forwarded, proxies, client):
        assert client_address_behind_proxies(remote, forwarded, proxies) == client


class TestPagination:
    @pytest.mark.parametrize("page_size", ["0", "-1", "abc", "201", "1.5"])
    def test_invalid_page_size_is_400(self, page_size):
        admin = SchoolAdminFactory()
        client = APIClient()
        client.force_authenticate(admin)

        response = client.get("/api/v1/homework/", {"page_size": page_size})

        assert response.status_code == 400
        assert response.json()["error"]["fields"] == {
            "page_size": ["A whole number from 1 to 200."]
        }

    def test_valid_page_size_is_used(self):
        admin = SchoolAdminFactory()
        client = APIClient()
        client.force_authenticate(admin)

        assert client.get("/api/v1/homework/", {"page_size": "200"}).status_code == 200
