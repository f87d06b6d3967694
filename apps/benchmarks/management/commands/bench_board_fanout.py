"""Websocket fan-out: ``manage.py bench_board_fanout [--sockets 1000] [--json]``.

Starts the ASGI server (daphne, as ``scripts/serve.sh web`` runs it) on a free port, opens
``--sockets`` board websockets on one class with a board device token, waits until each has its
first state, then publishes one board announcement the way a service does (``event_publish``;
the server relays it)
and prints the time until the last socket has received it. Repeated ``--rounds`` times.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.benchmarks import workload
from apps.benchmarks.http_server import free_port
from apps.core.database import database_url
from apps.dashboards.services import board_device_create
from apps.events.services import event_publish
from apps.events.types import Event, EventType


class BoardSocket:
    """A minimal websocket client: text frames into a queue, pings answered at once (daphne
    drops a socket that leaves its pings unanswered), without a client library's overhead."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.messages: asyncio.Queue[dict] = asyncio.Queue()
        self.task = asyncio.ensure_future(self._read())

    @classmethod
    async def open(cls, port: int, path: str) -> BoardSocket:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        status = await reader.readuntil(b"\r\n\r\n")
        if b" 101 " not in status.split(b"\r\n", 1)[0]:
            raise RuntimeError(f"handshake refused: {status[:80]!r}")
        return cls(reader, writer)

    async def _read(self) -> None:
        while True:
            head = await self.reader.readexactly(2)
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
            payload = await self.reader.readexactly(length)
            if opcode == 0x1:
                self.messages.put_nowait(json.loads(payload))
            elif opcode == 0x9:  # ping: a client's frames are masked
                mask = os.urandom(4)
                masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                self.writer.write(bytes([0x8A, 0x80 | len(payload)]) + mask + masked)
            elif opcode == 0x8:
                return

    async def message(self) -> dict:
        return await self.messages.get()

    def close(self) -> None:
        self.task.cancel()
        self.writer.close()


class Command(BaseCommand):
    help = "Time until the last of N board sockets of one class has one event."

    def add_arguments(self, parser):
        parser.add_argument("--sockets", type=int, default=1000)
        parser.add_argument("--rounds", type=int, default=3)
        parser.add_argument("--port", type=int, help="for the server (default: a free one)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, sockets: int, rounds: int, **options):
        bench = workload.create_school(students_per_class=1, classes=1)
        school_class = bench.classes[0][0]
        _device, token = board_device_create(
            school_class=school_class, name="bench", created_by=bench.teacher
        )
        port = options.get("port") or free_port()
        server = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("daphne")), "-b", "127.0.0.1", "-p", str(port),
                # Connecting 1,000 boards at once on a busy 2-core machine takes longer than
                # daphne's default 5 s per handshake; the measure is the fan-out, not that.
                "--websocket_connect_timeout", "60", "schools24.asgi:application",
            ],
            env={**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get(
                "DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE),
                # The database this command created the school in (a test's own, under pytest).
                "DATABASE_URL": database_url()},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            results = asyncio.run(
                self.measure(port, f"/ws/boards/{school_class.pk}/?board_token={token}",
                             school_class, sockets, rounds)
            )  # fmt: skip
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:  # closing 1,000 sockets can outlast the wait
                server.kill()
                server.wait()
            workload.delete_school(bench)
        self.stdout.write(json.dumps(results, indent=None if options["json"] else 2))

    async def measure(self, port, path, school_class, count, rounds) -> dict:
        for _ in range(600):  # the server imports Django first: up to a minute when busy
            try:
                (await BoardSocket.open(port, path)).close()
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            raise CommandError(f"the server did not come up on port {port}")
        started = time.perf_counter()
        boards: list[BoardSocket] = []
        for start in range(0, count, 25):  # connect in waves: a listen backlog is finite
            wave = await asyncio.gather(
                *(BoardSocket.open(port, path) for _ in range(min(25, count - start)))
            )
            states = await asyncio.gather(*(board.message() for board in wave))
            assert all(state["type"] == "board.state" for state in states)
            boards += wave
        connect_seconds = time.perf_counter() - started
        await asyncio.sleep(1)  # every consumer has joined the group and is waiting
        times = []
        for round_number in range(rounds):
            text = f"fan-out round {round_number}"
            event = Event(
                type=EventType.BOARD_ANNOUNCEMENT,
                school_id=school_class.school_id,
                class_ids=(str(school_class.pk),),
                data={"text": text},
            )

            async def arrival(board: BoardSocket, text: str = text) -> float:
                while True:
                    message = await board.message()
                    if message["type"] == "boards.announcement" and message["data"]["text"] == text:
                        return time.perf_counter()

            waiting = [asyncio.ensure_future(arrival(board)) for board in boards]
            await asyncio.sleep(0.2)
            sent = time.perf_counter()
            await asyncio.to_thread(event_publish, event)
            arrivals = await asyncio.wait_for(asyncio.gather(*waiting), timeout=60)
            times.append(max(arrivals) - sent)
            await asyncio.sleep(0.5)
        for board in boards:
            board.close()
        return {
            "sockets": count,
            "received_by": count,
            "connect_seconds": round(connect_seconds, 2),
            "last_socket_seconds": [round(t, 3) for t in times],
            "last_socket_seconds_median": round(statistics.median(times), 3),
            "target_seconds": 1.0,
        }
