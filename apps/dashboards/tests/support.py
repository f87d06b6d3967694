"""Helpers for websocket tests: communicators through the real ASGI stack and channel layer."""

from __future__ import annotations

from channels.testing import WebsocketCommunicator

from apps.users.tests.conftest import access_token_for
from schools24.asgi import application

SAME_ORIGIN = (b"origin", b"http://testserver")


def communicator_for(path, *, user=None, token=None, board_token=None, headers=(SAME_ORIGIN,)):
    query = []
    if user is not None:
        token = access_token_for(user)
    if token is not None:
        query.append(f"token={token}")
    if board_token is not None:
        query.append(f"board_token={board_token}")
    if query:
        path = f"{path}?{'&'.join(query)}"
    return WebsocketCommunicator(application, path, headers=list(headers))


async def connect_for_state(communicator):
    """(accepted, the first message or the close code); leaves an accepted socket open."""
    accepted, code = await communicator.connect()
    if not accepted:
        return False, code
    return True, await communicator.receive_json_from(timeout=5)
