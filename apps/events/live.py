"""Live hints: events fanned out to the channel-layer groups of open websockets.

A web request only appends its event to the durable stream (one Redis round trip). The fan-out
to the groups (``school.<id>``, ``class.<id>``, ``user.<id>``) runs in the websocket server
itself: each ASGI process that holds sockets runs one relay task that reads the stream through
the consumer group ``live-hints`` (so each event is relayed by one process, and the Redis
channel layer carries it to every process's sockets) and sends ``{"type": "event.hint",
"event": {...}}`` to each group. Sending from the web request instead cost a new event loop and
channel-layer connection per request, far more than the write itself.

Hints are at most once (read with NOACK): a socket that missed one gets the current state when
it reconnects. A relay starts with the first websocket of its event loop
(``LiveRelayMiddleware`` in the ASGI stack) and reads only events published after its group was
created.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import weakref
from dataclasses import asdict
from typing import Any, cast

from channels.layers import get_channel_layer
from django.conf import settings
from redis import asyncio as aioredis
from redis.exceptions import ResponseError

from apps.events.groups import groups_for
from apps.events.types import Event
from apps.writebuffer.client import StreamRead
from apps.writebuffer.cluster import async_cluster_client, is_cluster_url

logger = logging.getLogger(__name__)

LIVE_GROUP = "live-hints"
# How long one read waits for new events. Short, so that a relay whose cancellation was lost
# (see ``_raise_if_cancelled``) ends within a second; an idle relay costs a round trip a second.
BLOCK_MS = 1000

_relays: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[None]] = (
    weakref.WeakKeyDictionary()
)


def hint_message(event: Event) -> dict[str, Any]:
    return {"type": "event.hint", "event": asdict(event)}


async def hint_fan_out(event: Event) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = hint_message(event)
    groups = groups_for(
        school_id=event.school_id, class_ids=event.class_ids, user_ids=event.user_ids
    )
    for group in groups:
        await layer.group_send(group, message)


def ensure_live_relay() -> asyncio.Task[None]:
    """Start this event loop's relay unless it runs already (call from async code)."""
    loop = asyncio.get_running_loop()
    task = _relays.get(loop)
    if task is None or task.done():
        task = loop.create_task(_relay(), name="schools24-live-hints")
        _relays[loop] = task
    return task


def _client() -> Any:
    options = settings.CACHES["writebuffer"].get("OPTIONS", {})
    location = settings.CACHES["writebuffer"]["LOCATION"]
    timeouts = {
        "socket_connect_timeout": options.get("SOCKET_CONNECT_TIMEOUT", 2),
        # Longer than the blocking read, or every idle read would time out.
        "socket_timeout": BLOCK_MS / 1000 + 5,
    }
    if is_cluster_url(location):
        return async_cluster_client(location, options, **timeouts)
    return aioredis.Redis.from_url(location, **timeouts)


async def _relay() -> None:
    from apps.events.services import stream_key

    key = stream_key()
    consumer = f"{socket.gethostname()}-{os.getpid()}-{id(asyncio.get_running_loop())}"
    client = _client()
    try:
        while True:
            _raise_if_cancelled()
            try:
                await _ensure_group(client, key)
                _raise_if_cancelled()
                # Replies are not decoded: [[stream, [(entry id, {field: value})]]].
                reply = cast(
                    StreamRead,
                    await client.xreadgroup(
                        LIVE_GROUP, consumer, {key: ">"}, count=200, block=BLOCK_MS, noack=True
                    ),
                )
                _raise_if_cancelled()
                for _stream, entries in reply or []:
                    for _entry_id, fields in entries:
                        if fields and b"e" in fields:
                            await hint_fan_out(Event.from_json(fields[b"e"]))
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - keep relaying after Redis comes back
                _raise_if_cancelled()
                logger.warning("live hint relay: retrying in 1 s", exc_info=True)
                await asyncio.sleep(1)
    finally:
        await client.aclose()


def _raise_if_cancelled() -> None:
    """End the relay if its task was cancelled, even where the cancellation got lost.

    On Python 3.11, ``asyncio.wait_for`` returns the awaited result and drops a cancellation
    that arrives as that result is ready (CPython gh-86296, fixed in 3.12), and redis-py sends
    every command through ``wait_for`` when a socket timeout is set. Measured here: about one
    cancellation in ten, at random moments of a starting relay, ended inside such a send. The
    task is still marked as cancelling, but the command goes on; without this check the relay
    would read for ever, and the event loop that owns it (daphne shutting down, ``asyncio.run``
    and so every ``async_to_sync``) would wait for it for ever. With it, the relay ends when
    the command returns: at once, or after one blocking read (``BLOCK_MS``).
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def _ensure_group(client: aioredis.Redis, key: str) -> None:
    try:
        # "$": hints are about now; a relay never replays what happened before it started.
        await client.xgroup_create(key, LIVE_GROUP, id="$", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


class LiveRelayMiddleware:
    """ASGI middleware for websockets: makes sure this process relays live hints."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        ensure_live_relay()
        return await self.inner(scope, receive, send)
