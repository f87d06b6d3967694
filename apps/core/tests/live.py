"""A real server process and a database link a test can cut: what fault tests over HTTP need.

``TcpProxy`` sits between the server and PostgreSQL, so a test can make the database
unreachable (and reachable again) without touching the machine's PostgreSQL. ``LiveServer``
runs ``scripts/serve.sh web`` (the production web server) on a free port against this test
run's database and Redis keys.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from apps.writebuffer.tests.conftest import free_port, stop_process, subprocess_env, wait_for

# Straight to the server, whatever proxy the machine's environment names.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target. ``cut()`` closes every open connection and
    refuses new ones (connection refused, as when PostgreSQL is down); ``restore()`` listens
    again on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        if self._listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would not (Linux).
            self._close(self._listener)
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            self._close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        self._close(source)
        self._close(sink)

    @staticmethod
    def _close(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class LiveServer:
    log_dir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        log = self.log_dir / f"server-{self.port}.log"
        self.log = log
        self.process = process = subprocess.Popen(
            ["bash", "scripts/serve.sh", "web"],
            cwd=settings.BASE_DIR,
            env={
                **subprocess_env(**self.env),
                "HOST": "127.0.0.1",
                "PORT": str(self.port),
                "VIRTUAL_ENV": str(Path(sys.executable).parent.parent),
            },
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def answers() -> bool:
            assert process.poll() is None, log.read_text()
            try:
                reply = self.request("GET", "/api/v1/no-such-path/", timeout=2)
            except OSError:
                return False
            # The router answers 503 "unavailable" until the web backend listens behind it.
            starting = isinstance(reply.body, dict) and reply.body.get("error", {}).get("code")
            return not (reply.status == 503 and starting == "unavailable")

        wait_for(answers, timeout=60, what="the web server to answer")
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: dict | None = None,
        timeout: float = 30,
    ) -> Response:
        """One HTTP request; the timeout bounds a hang (a test fails rather than waits)."""
        headers = {"Content-Type": "application/json", "Host": "127.0.0.1"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(  # noqa: S310 - always our own http:// URL
            self.url + path,
            data=json.dumps(body).encode() if body is not None else None,
            headers=headers,
            method=method,
        )
        try:
            with _opener.open(request, timeout=timeout) as reply:
                status, raw, reply_headers = reply.status, reply.read(), dict(reply.headers)
        except urllib.error.HTTPError as error:
            status, raw, reply_headers = error.code, error.read(), dict(error.headers)
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return Response(status, parsed, reply_headers)


def database_host_port() -> tuple[str, int]:
    from django.db import connection

    params = connection.settings_dict
    return params.get("HOST") or "127.0.0.1", int(params.get("PORT") or 5432)


def proxied_database_url(proxy: TcpProxy) -> str:
    from django.db import connection

    params = connection.settings_dict
    user = params.get("USER") or "postgres"
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    return f"postgres://{user}{password}@127.0.0.1:{proxy.port}/{params['NAME']}"
