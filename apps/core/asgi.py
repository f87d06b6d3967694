"""ASGI guard that refuses an oversized request body before Django reads any of it.

Django's ASGI handler reads the whole body into a temporary file before the first middleware
runs, so a 60 MiB upload would be received in full only to be refused. This wrapper answers 413
from the ``Content-Length`` header alone, and for a body without one (chunked) counts the bytes
as they arrive and stops at the limit.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings

from apps.core.middleware import body_too_large_error


async def _send_413(send: Any) -> None:
    body = json.dumps(body_too_large_error()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = settings.REQUEST_MAX_BODY_BYTES
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    return await _send_413(send)

        received = 0
        refused = False

        async def counting_receive() -> dict:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    await _send_413(send)
                    # Django sees the client gone, stops reading and sends nothing itself.
                    return {"type": "http.disconnect"}
            return message

        return await self.app(scope, counting_receive, send)


def refuse_oversized_bodies_in_daphne() -> None:
    """Daphne (Twisted) receives a request's whole body before it calls the application, so the
    guard above would only see a 60 MiB upload after it had arrived. Twisted tells the request
    its declared length as soon as the headers are in (``gotLength``); answering 413 there and
    closing the connection stops the upload at the first bytes. Installed from ``asgi.py``,
    which only the ASGI server imports."""
    try:
        from daphne.http_protocol import WebRequest  # type: ignore[import-untyped]
    except ImportError:  # another ASGI server: the guard above is what applies
        return
    if getattr(WebRequest, "_schools24_body_limit", False):
        return
    original_got_length = WebRequest.gotLength

    def got_length(self: Any, length: int | None) -> None:
        limit = settings.REQUEST_MAX_BODY_BYTES
        if length is not None and length > limit:
            body = json.dumps(body_too_large_error()).encode()
            self.channel.transport.write(
                b"HTTP/1.1 413 Request Entity Too Large\r\n"
                b"Content-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n".encode()
                + b"Connection: close\r\n\r\n"
                + body
            )
            self.channel.transport.loseConnection()
            length = 0  # nothing of the body is kept
        original_got_length(self, length)

    WebRequest.gotLength = got_length
    WebRequest._schools24_body_limit = True
