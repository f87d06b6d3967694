"""The front door on one port: websockets (``/ws/``) to the ASGI server, all other HTTP to WSGI.

Django's synchronous views run far faster under sync WSGI workers than under an ASGI server (which
hands every request to a thread and back), but websockets need ASGI. This process reads each
connection's request head, picks the backend by path and then only copies bytes both ways.
It routes per connection, which here is per request: gunicorn's sync workers close the connection
after every response (they keep nothing alive), and a websocket owns its connection for its life.

To WSGI it speaks the PROXY protocol (v1) first, so gunicorn sees the real client address (the
login throttle counts failures per address); gunicorn accepts that line only from the router.
The head is read whole before a backend is chosen, so a client that trickles its headers holds
only a coroutine here, never a sync worker.

On SIGTERM it stops accepting and waits for the connections it has (``--grace``, default
``SHUTDOWN_GRACE_SECONDS`` or 25 s), so a deploy does not cut requests in flight.

Standard library only (uvloop when installed; python-json-logger for LOG_FORMAT=json), no
Django: it starts in milliseconds and spends little of the CPU that the workers need.

    python -m schools24.router --bind 127.0.0.1:8000 --http unix:var/run/http.sock \\
        --ws unix:var/run/ws.sock
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket

logger = logging.getLogger("schools24.router")

HEAD_LIMIT = 64 * 1024  # larger request heads are refused (431), as gunicorn would
HEAD_TIMEOUT_SECONDS = 30.0
CHUNK = 64 * 1024
_UNAVAILABLE_BODY = (
    b'{"error": {"code": "unavailable", "message": "The server is starting; retry shortly.", '
    b'"fields": {}}}'
)
UNAVAILABLE = (
    b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n"
    b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(_UNAVAILABLE_BODY)
) + _UNAVAILABLE_BODY


def parse_address(address: str) -> tuple[str, str | tuple[str, int]]:
    """``unix:PATH`` or ``HOST:PORT`` (``[::1]:PORT`` for IPv6) as (kind, address)."""
    if address.startswith("unix:"):
        return "unix", address.removeprefix("unix:")
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"not unix:PATH or HOST:PORT: {address!r}")
    return "tcp", (host.strip("[]"), int(port))


async def _connect(address: tuple[str, str | tuple[str, int]]):
    kind, where = address
    if kind == "unix":
        assert isinstance(where, str)
        return await asyncio.open_unix_connection(where, limit=CHUNK)
    assert isinstance(where, tuple)
    return await asyncio.open_connection(*where, limit=CHUNK)


def proxy_protocol_line(writer: asyncio.StreamWriter) -> bytes:
    peer, local = writer.get_extra_info("peername"), writer.get_extra_info("sockname")
    if not isinstance(peer, tuple) or not isinstance(local, tuple):
        return b"PROXY UNKNOWN\r\n"
    family = "TCP6" if ":" in peer[0] else "TCP4"
    return f"PROXY {family} {peer[0]} {local[0]} {peer[1]} {local[1]}\r\n".encode()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(CHUNK):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        pass


def _close(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        writer.close()


class Router:
    def __init__(self, *, http: str, ws: str, ws_prefix: bytes = b"/ws/") -> None:
        self.http = parse_address(http)
        self.ws = parse_address(ws)
        self.ws_prefix = ws_prefix

    async def handle(self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter):
        try:
            head = await asyncio.wait_for(
                client_reader.readuntil(b"\r\n\r\n"), timeout=HEAD_TIMEOUT_SECONDS
            )
        except asyncio.LimitOverrunError:
            client.write(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n"
                b"Content-Length: 0\r\n\r\n"
            )
            _close(client)
            return
        except (asyncio.IncompleteReadError, TimeoutError, ConnectionError, OSError):
            _close(client)
            return
        request_line = head.split(b"\r\n", 1)[0].split(b" ")
        path = request_line[1] if len(request_line) == 3 else b""
        to_ws = path.startswith(self.ws_prefix)
        try:
            upstream_reader, upstream = await _connect(self.ws if to_ws else self.http)
        except OSError as error:
            logger.warning("backend %s unreachable: %s", "ws" if to_ws else "http", error)
            client.write(UNAVAILABLE)
            _close(client)
            return
        with contextlib.suppress(OSError):
            upstream.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        upstream.write((b"" if to_ws else proxy_protocol_line(client)) + head)
        to_backend = asyncio.ensure_future(_pipe(client_reader, upstream))
        try:
            # The backend's answer ends the exchange: gunicorn closes after one response, and a
            # websocket closes when either side does (daphne sees the client's EOF and closes).
            await _pipe(upstream_reader, client)
        finally:
            to_backend.cancel()
            _close(upstream)
            _close(client)


async def serve(
    *, bind: str, http: str, ws: str, backlog: int = 2048, grace_seconds: float = 25.0
) -> None:
    """Routes until SIGTERM or SIGINT; then stops accepting, lets the connections already
    taken finish (at most ``grace_seconds``: HTTP requests end with their response, websockets
    when daphne, stopping too, closes them) and returns."""
    router = Router(http=http, ws=ws)
    connections: set[asyncio.Task] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        connections.add(task)
        try:
            await router.handle(reader, writer)
        finally:
            connections.discard(task)

    kind, where = parse_address(bind)
    if kind == "unix":
        assert isinstance(where, str)
        server = await asyncio.start_unix_server(handle, where, limit=HEAD_LIMIT)
    else:
        assert isinstance(where, tuple)
        server = await asyncio.start_server(
            handle, *where, limit=HEAD_LIMIT, backlog=backlog, reuse_address=True
        )
    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def request_stop() -> None:
        if not stop.done():
            stop.set_result(None)

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, request_stop)
    logger.info("routing %s: /ws/ to %s, everything else to %s", bind, ws, http)
    await stop
    server.close()
    pending = set(connections)
    logger.info(
        "stopping: %d connection(s) in flight, waiting up to %.0f s", len(pending), grace_seconds
    )
    if pending:
        _done, unfinished = await asyncio.wait(pending, timeout=grace_seconds)
        for task in unfinished:
            task.cancel()
        if unfinished:
            logger.warning("%d connection(s) cut after the grace period", len(unfinished))
            await asyncio.wait(unfinished, timeout=1)
    logger.info("stopped")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bind", required=True, help="HOST:PORT or unix:PATH to listen on")
    parser.add_argument("--http", required=True, help="the WSGI server (HOST:PORT or unix:PATH)")
    parser.add_argument("--ws", required=True, help="the ASGI server for /ws/")
    parser.add_argument(
        "--grace",
        type=float,
        default=float(os.environ.get("SHUTDOWN_GRACE_SECONDS", "25")),
        help="seconds connections in flight may take to finish after SIGTERM",
    )
    args = parser.parse_args(argv)
    _configure_logging(os.environ.get("LOG_FORMAT", "plain"))
    try:
        import uvloop
    except ImportError:
        runner = asyncio.run
    else:
        runner = uvloop.run
    runner(serve(bind=args.bind, http=args.http, ws=args.ws, grace_seconds=args.grace))


def _configure_logging(log_format: str) -> None:
    handler = logging.StreamHandler()
    if log_format == "json":
        # The same fields as Django's JSON lines (schools24/logconfig.py); no request id here:
        # the router does not parse requests beyond their path.
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter(
                "%(levelname)s %(name)s %(message)s",
                rename_fields={"levelname": "level", "name": "logger"},
                timestamp=True,
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])


if __name__ == "__main__":
    main()
