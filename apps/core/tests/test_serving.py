"""``scripts/serve.sh web`` over real HTTP: one port, the API and pages from gunicorn's sync
workers, websockets from daphne, the real client address reaching Django, and a stop that
stops every part."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from apps.benchmarks.http_server import free_port, production_server
from apps.users.auth import _address_key, _pair_key
from apps.users.tests.factories import PASSWORD, StudentFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory):
    """One server for the module's tests (starting one takes seconds on a busy machine)."""
    with production_server(
        redis_url=settings.CACHES["writebuffer"]["LOCATION"],
        cache_url=settings.CACHES["default"]["LOCATION"],
        log_path=tmp_path_factory.mktemp("web") / "server.log",
        # The test settings' password hasher made the factories' passwords.
        settings_module="schools24.settings.test",
        WEB_CONCURRENCY="2",
    ) as url:
        yield url


def request(url: str, *, data: dict | None = None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(data).encode() if data is not None else None
    try:
        with urllib.request.urlopen(  # noqa: S310
            urllib.request.Request(url, data=body, headers=headers),  # noqa: S310
            timeout=30,
        ) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def websocket_first_message(url: str, path: str) -> tuple[bytes, dict]:
    """Open a websocket by hand (RFC 6455 handshake), return the status line and first text
    message (the server's frames are unmasked)."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://127.0.0.1:{port}\r\n\r\n".encode()
        )
        received = b""
        while b"\r\n\r\n" not in received:
            received += sock.recv(4096)
        head, rest = received.split(b"\r\n\r\n", 1)
        while len(rest) < 2:
            rest += sock.recv(4096)
        length, offset = rest[1] & 0x7F, 2
        if length == 126:
            while len(rest) < 4:
                rest += sock.recv(4096)
            length, offset = int.from_bytes(rest[2:4], "big"), 4
        while len(rest) < offset + length:
            rest += sock.recv(4096)
        return head.split(b"\r\n")[0], json.loads(rest[offset : offset + length])


def test_one_port_serves_the_api_from_wsgi_and_websockets_from_asgi(server):
    student = StudentFactory(username="ada")

    status, headers, body = request(f"{server}/livez/")
    assert (status, body, headers["Server"]) == (200, {"status": "ok"}, "gunicorn")

    status, _, tokens = request(
        f"{server}/api/v1/auth/token/", data={"username": "ada", "password": PASSWORD}
    )
    assert status == 200
    status, headers, me = request(f"{server}/api/v1/me/", token=tokens["access"])
    assert (status, me["id"], me["role"]) == (200, str(student.pk), "student")
    assert headers["Server"] == "gunicorn"

    status_line, message = websocket_first_message(
        server, f"/ws/dashboard/?token={tokens['access']}"
    )
    assert status_line == b"HTTP/1.1 101 Switching Protocols"
    assert message["type"] == "dashboard"  # the current state comes first


def test_django_sees_the_clients_address_not_the_routers(server):
    """The login throttle counts failures per client address; behind the router that address
    arrives by the PROXY protocol (without it every client would share one count)."""
    StudentFactory(username="ada")

    status, _, body = request(
        f"{server}/api/v1/auth/token/", data={"username": "ada", "password": "wrong"}
    )

    assert (status, body["error"]["code"]) == (401, "no_active_account")
    assert cache.get(_address_key("127.0.0.1")) == 1
    assert cache.get(_pair_key("ada", "127.0.0.1")) == 1


def test_bad_input_through_the_router_is_the_json_error_shape(server):
    status, _, body = request(f"{server}/api/v1/no-such-endpoint/")
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_ctrl_c_stops_every_part(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "schools24.settings.test",
        "PORT": str(port),
        "RUN_DIR": str(tmp_path),
        "WEB_CONCURRENCY": "1",
    }
    process = subprocess.Popen(
        ["bash", "scripts/serve.sh", "web"], cwd=settings.BASE_DIR, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "http.sock").exists() or not _answers(port):
            assert time.monotonic() < deadline, "serve.sh web did not come up"
            time.sleep(0.2)
        members = _group_members(process.pid)
        assert len(members) >= 5  # serve.sh, router, gunicorn arbiter + worker, daphne

        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does

        process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _group_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _group_members(process.pid) == []
        assert not _answers(port)
    finally:
        if _group_members(process.pid):
            os.killpg(process.pid, signal.SIGKILL)


def test_the_router_answers_503_json_while_a_backend_is_down(tmp_path):
    port = free_port()
    router = subprocess.Popen(
        [sys.executable, "-m", "schools24.router", "--bind", f"127.0.0.1:{port}",
         "--http", f"unix:{tmp_path}/absent-http.sock", "--ws", f"unix:{tmp_path}/absent.sock"],
        cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while not _answers(port):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        status, headers, body = request(f"http://127.0.0.1:{port}/api/v1/me/")
        assert (status, headers["Retry-After"]) == (503, "1")
        assert body["error"]["code"] == "unavailable"

    finally:
        router.terminate()
        assert router.wait(timeout=10) == 0


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members
