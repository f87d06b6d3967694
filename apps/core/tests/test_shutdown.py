"""``scripts/serve.sh web`` over real HTTP: JSON log lines carrying the request's id, and a
SIGTERM that lets the request in flight finish, closes websockets with 1001 and exits 0."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from apps.core.tests.pgpair import free_port
from apps.users.tests.factories import PASSWORD, StudentFactory
from apps.writebuffer.tests.conftest import subprocess_env, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

GRACE_SECONDS = 20


@dataclass
class Served:
    process: subprocess.Popen
    port: int
    log: Path

    def log_lines(self) -> list[str]:
        return self.log.read_text().splitlines()


@pytest.fixture
def served(tmp_path) -> Iterator[Served]:
    port = free_port(7340, 7399)
    log = tmp_path / "server.log"
    process = subprocess.Popen(
        ["bash", "scripts/serve.sh", "web"],
        cwd=settings.BASE_DIR,
        env={
            **subprocess_env(),
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "RUN_DIR": str(tmp_path),
            "WEB_CONCURRENCY": "2",
            "LOG_FORMAT": "json",
            "SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
            "VIRTUAL_ENV": str(Path(sys.executable).parent.parent),
        },
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(
            lambda: (tmp_path / "ws.sock").exists() and _answers(port, process, log),
            timeout=60,
            what="serve.sh web to answer (gunicorn and daphne both listening)",
        )
        yield Served(process, port, log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _answers(port: int, process: subprocess.Popen, log: Path) -> bool:
    assert process.poll() is None, log.read_text()
    try:
        status, _, _ = http(port, "GET", "/livez/")
    except OSError:
        return False
    return status == 200


def http(
    port: int, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(_head(port, method, path, headers or {}, len(body)) + body)
        return _response(sock)


def _head(port: int, method: str, path: str, headers: dict[str, str], length: int) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if length:
        lines += ["Content-Type: application/json", f"Content-Length: {length}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.strip().lower(): value.strip()
        for name, value in (line.split(":", 1) for line in header_lines)
    }
    return int(status_line.split()[1]), headers, body


def _json_lines(served: Served) -> list[dict]:
    objects = []
    for line in served.log_lines():
        if line.startswith("{"):
            objects.append(json.loads(line))
    return objects


def test_log_lines_are_json_with_the_request_id_of_the_response(served: Served) -> None:
    sent = str(uuid.uuid4())
    status, headers, _ = http(
        served.port, "GET", "/api/v1/no-such-path/", headers={"X-Request-ID": sent}
    )
    assert (status, headers["x-request-id"]) == (404, sent)
    # Not a UUID: not trusted (a client must not choose what lands in our logs); one is made.
    status, headers, _ = http(
        served.port, "GET", "/api/v1/other-missing/", headers={"X-Request-ID": "x'; DROP"}
    )
    made = headers["x-request-id"]
    assert status == 404
    assert str(uuid.UUID(made)) == made

    def lines_for(path: str) -> list[dict]:
        return [o for o in _json_lines(served) if o.get("message") == f"Not Found: {path}"]

    wait_for(lambda: lines_for("/api/v1/other-missing/"), what="the request's log line")
    [first] = lines_for("/api/v1/no-such-path/")
    assert {key: first[key] for key in ("level", "logger", "request_id")} == {
        "level": "WARNING",
        "logger": "django.request",
        "request_id": sent,
    }
    assert first["timestamp"].endswith("+00:00")
    [second] = lines_for("/api/v1/other-missing/")
    assert second["request_id"] == made
    # Every line the server wrote is one JSON object: Django's, gunicorn's, the router's and
    # daphne's alike.
    lines = [line for line in served.log_lines() if line.strip()]
    assert lines and all(isinstance(json.loads(line), dict) for line in lines), lines


class WebSocket:
    """A websocket client by hand (RFC 6455): enough to read frames and answer a close."""

    def __init__(self, port: int, path: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://127.0.0.1:{port}\r\n\r\n".encode()
        )
        received = b""
        while b"\r\n\r\n" not in received:
            received += self.sock.recv(4096)
        assert received.startswith(b"HTTP/1.1 101"), received
        self.buffer = received.split(b"\r\n\r\n", 1)[1]

    def _need(self, count: int) -> None:
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed without a close frame")
            self.buffer += chunk

    def frame(self) -> tuple[int, bytes]:
        """(opcode, payload) of the server's next frame (server frames are unmasked)."""
        self._need(2)
        opcode, length, offset = self.buffer[0] & 0x0F, self.buffer[1] & 0x7F, 2
        if length == 126:
            self._need(4)
            length, offset = struct.unpack(">H", self.buffer[2:4])[0], 4
        elif length == 127:
            self._need(10)
            length, offset = struct.unpack(">Q", self.buffer[2:10])[0], 10
        self._need(offset + length)
        payload = self.buffer[offset : offset + length]
        self.buffer = self.buffer[offset + length :]
        return opcode, payload

    def close_code(self) -> int:
        """Reads until the server's close frame, answers it, returns its code."""
        while True:
            opcode, payload = self.frame()
            if opcode == 0x8:
                mask = os.urandom(4)
                masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                self.sock.sendall(bytes([0x88, 0x80 | len(payload)]) + mask + masked)
                return struct.unpack(">H", payload[:2])[0]


def test_sigterm_finishes_the_request_in_flight_closes_websockets_and_exits_0(
    served: Served,
) -> None:
    StudentFactory(username="ada")
    status, _, body = http(
        served.port,
        "POST",
        "/api/v1/auth/token/",
        body=json.dumps({"username": "ada", "password": PASSWORD}).encode(),
    )
    assert status == 200
    access = json.loads(body)["access"]
    board = WebSocket(served.port, f"/ws/dashboard/?token={access}")
    opcode, first = board.frame()
    assert (opcode, json.loads(first)["type"]) == (0x1, "dashboard")

    # A login whose body is still arriving when the server is told to stop.
    body = json.dumps({"username": "ada", "password": PASSWORD}).encode()
    slow = socket.create_connection(("127.0.0.1", served.port), timeout=60)
    slow.sendall(_head(served.port, "POST", "/api/v1/auth/token/", {}, len(body)) + body[:10])
    time.sleep(1)  # the router has read the head and handed the request to gunicorn

    started = time.monotonic()
    served.process.send_signal(signal.SIGTERM)  # to serve.sh alone, as a supervisor does

    assert board.close_code() == 1001  # going away: clients reconnect elsewhere or later
    board.sock.close()

    def refused() -> bool:
        try:
            socket.create_connection(("127.0.0.1", served.port), timeout=1).close()
        except ConnectionRefusedError:
            return True
        return False

    wait_for(refused, timeout=10, what="the router to stop accepting")
    time.sleep(1)  # well into the stop, the request is still being sent
    slow.sendall(body[10:])
    status, _, reply = _response(slow)
    slow.close()
    assert status == 200
    assert set(json.loads(reply)) >= {"access", "refresh"}

    assert served.process.wait(timeout=GRACE_SECONDS + 10) == 0
    assert time.monotonic() - started < GRACE_SECONDS
    messages = [o.get("message", "") for o in _json_lines(served)]
    # The login and the websocket were both in flight when the router was told to stop.
    assert any("stopping: 2 connection(s) in flight" in m for m in messages), messages
    assert any("closing 1 websocket(s) with 1001" in m for m in messages), messages
