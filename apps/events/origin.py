"""Where the current request came from, for events published while handling it.

A middleware sets it per request; ``event_publish`` copies it into each event, so the activity log
knows the address and client of a change without every service passing the request down.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

_origin: ContextVar[dict[str, str] | None] = ContextVar("request_origin", default=None)

MAX_CLIENT_LENGTH = 200


def current_origin() -> dict[str, str]:
    return dict(_origin.get() or {})


def origin_of(request: HttpRequest) -> dict[str, str]:
    return {
        "address": request.META.get("REMOTE_ADDR", ""),
        "client": request.META.get("HTTP_USER_AGENT", "")[:MAX_CLIENT_LENGTH],
    }


class RequestOriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _origin.set(origin_of(request))
        try:
            return self.get_response(request)
        finally:
            _origin.reset(token)
