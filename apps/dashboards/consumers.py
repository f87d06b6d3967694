"""Websocket consumers: authenticate, join a group, forward what is published to it.

Publishers (domain services, after commit) send ``{"type": "push", "payload": {...}}`` to the
group names below; consumers hold no state of their own.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.users.selectors import classes_visible_to


def dashboard_group(user_id) -> str:
    return f"dashboard.{user_id}"


def board_group(class_id) -> str:
    return f"board.{class_id}"


class PushConsumer(AsyncJsonWebsocketConsumer):
    group_name: str = ""

    async def push(self, event):
        await self.send_json(event["payload"])

    async def disconnect(self, code):
        if self.group_name:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)


class DashboardConsumer(PushConsumer):
    """The caller's own dashboard: invalidations for what it shows."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group_name = dashboard_group(user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "dashboard": str(user.pk)})


@database_sync_to_async
def _may_see_class(user, class_id: str) -> bool:
    return classes_visible_to(user).filter(pk=class_id).exists()


class BoardConsumer(PushConsumer):
    """A classroom's smart board: only people of that class's school who may see the class."""

    async def connect(self):
        user = self.scope.get("user")
        # The route's <uuid:> converter gives a UUID; groups and JSON need its text.
        class_id = str(self.scope["url_route"]["kwargs"]["class_id"])
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        if not await _may_see_class(user, class_id):
            await self.close(code=4403)
            return
        self.group_name = board_group(class_id)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "board": class_id})
