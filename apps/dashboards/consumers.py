"""Websocket consumers: authenticate, join groups, send the current state, then forward changes.

Every message either way is ``{"type": "<name>", "data": {...}}`` (the types are listed in the
README). Domain events reach the consumers as live hints of ``apps.events`` on the school, class
and user groups; a hint may be lost, so a client that reconnects is sent the current state again.
While idle, every socket sends a heartbeat, so clients and proxies alike see a live connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from apps.dashboards.registry import board_live_types
from apps.dashboards.selectors import (
    board_class_for_socket,
    board_state,
    dashboard_get,
    dashboard_scope,
)
from apps.dashboards.services import device_group
from apps.dashboards.versions import event_concerns
from apps.events.groups import class_group
from apps.events.types import Event

UNAUTHENTICATED = 4401
FORBIDDEN = 4403


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """What both sockets share: groups, heartbeats, ping/pong, one hint handled once."""

    joined: list[str]
    heartbeat_task: asyncio.Task | None = None

    async def join_and_accept(self, groups: list[str]) -> None:
        self.joined = groups
        self.seen_events: deque[str] = deque(maxlen=64)
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        self.heartbeat_task = asyncio.create_task(self._heartbeat())

    async def send_message(self, type_: str, data: Any) -> None:
        await self.send_json({"type": type_, "data": data})

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(settings.WEBSOCKET_HEARTBEAT_SECONDS)
            await self.send_message("heartbeat", {"at": timezone.now().isoformat()})

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # A client's bad frame gets an error message, never a crash of the connection.
        try:
            content = json.loads(text_data or bytes_data or b"")
        except ValueError:
            content = None
        if not isinstance(content, dict):
            await self.send_message("error", {"code": "invalid", "message": "Send JSON objects."})
            return
        if content.get("type") == "ping":
            await self.send_message("pong", content.get("data") or {})
            return
        await self.send_message(
            "error", {"code": "unknown_type", "message": "Clients may send only ping."}
        )

    async def event_hint(self, message: dict[str, Any]) -> None:
        event = message["event"]
        if event["id"] in self.seen_events:
            return  # the same event through another of our groups
        self.seen_events.append(event["id"])
        await self.on_event(event)

    async def on_event(self, event: dict[str, Any]) -> None:
        raise NotImplementedError

    async def disconnect(self, code):
        if self.heartbeat_task is not None:
            self.heartbeat_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.heartbeat_task
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)


class DashboardConsumer(LiveConsumer):
    """The caller's dashboard: the whole of it on connect, an invalidation on each change."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=UNAUTHENTICATED)
            return
        scope = await database_sync_to_async(dashboard_scope)(user=user)
        self.dependencies = set(scope.dependencies)
        # Join before reading, so a change made while the state is built is not missed.
        await self.join_and_accept(scope.groups())
        dashboard = await database_sync_to_async(dashboard_get)(user=user, scope=scope)
        await self.send_message("dashboard", dashboard)

    async def on_event(self, event: dict[str, Any]) -> None:
        if not event_concerns(Event(**event), self.dependencies):
            return
        await self.send_message(
            "dashboard.invalidated",
            {"event": event["type"], "event_id": event["id"], "occurred_at": event["occurred_at"]},
        )


class BoardConsumer(LiveConsumer):
    """A classroom's smart board: its state on connect, then each change it shows."""

    async def connect(self):
        user = self.scope.get("user")
        device = self.scope.get("board_device")
        # The route's <uuid:> converter gives a UUID; groups and JSON need its text.
        class_id = str(self.scope["url_route"]["kwargs"]["class_id"])
        groups = [class_group(class_id)]
        if device is not None:
            if str(device.school_class_id) != class_id:
                await self.close(code=FORBIDDEN)
                return
            school_class = device.school_class
            groups.append(device_group(device.pk))
        elif user is None or not user.is_authenticated:
            await self.close(code=UNAUTHENTICATED)
            return
        else:
            school_class = await database_sync_to_async(board_class_for_socket)(
                user=user, class_id=class_id
            )
            if school_class is None:
                await self.close(code=FORBIDDEN)
                return
        self.live_types = board_live_types()
        await self.join_and_accept(groups)
        state = await database_sync_to_async(board_state)(school_class=school_class)
        await self.send_message("board.state", state)

    async def on_event(self, event: dict[str, Any]) -> None:
        if event["type"] in self.live_types:
            await self.send_message(event["type"], event["data"])

    async def device_revoked(self, message: dict[str, Any]) -> None:
        await self.close(code=FORBIDDEN)
