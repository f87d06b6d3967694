"""The request id's scope: it ends with the request.

django-guid's middleware (next in ``MIDDLEWARE``) sets the id for the request, answers it in
``X-Request-ID`` and leaves it set afterwards. In a long-lived worker thread that would let work
done after the request (a management command in the same process, a test's next step, events
published outside any request) carry a stale id; this restores whatever was set before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django_guid.context import guid


class RequestIdScope:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: Any) -> Any:
        if iscoroutinefunction(self):
            return self._acall(request)
        token = guid.set(None)
        try:
            return self.get_response(request)
        finally:
            guid.reset(token)

    async def _acall(self, request: Any) -> Any:
        token = guid.set(None)
        try:
            response: Awaitable[Any] = self.get_response(request)
            return await response
        finally:
            guid.reset(token)
