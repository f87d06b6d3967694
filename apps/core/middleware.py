"""Request middleware: the client's address behind proxies, request size, browser policies."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from apps.core.errors import error_body


def client_address_behind_proxies(
    remote_addr: str, forwarded_for: str | None, trusted_proxies: int
) -> str:
    """The address of whoever connected to the first of ``trusted_proxies`` proxies.

    Each proxy appends the address it received the request from to ``X-Forwarded-For``, so only
    the last ``trusted_proxies`` entries were written by proxies we run; anything to the left of
    them came from the client and may be made up. With no trusted proxies the header is ignored.
    """
    if trusted_proxies <= 0 or not forwarded_for:
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if len(hops) < trusted_proxies:
        return remote_addr  # the request did not come through all our proxies
    return hops[-trusted_proxies]


class TrustedProxyMiddleware:
    """Sets ``REMOTE_ADDR`` to the real client's address, as far as our proxies vouch for it.

    Everything that keys on the client (login throttling, DRF's throttles, logs) then reads the
    one ``REMOTE_ADDR``, never the raw header.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META["REMOTE_ADDR"] = client_address_behind_proxies(
            request.META.get("REMOTE_ADDR", ""),
            request.META.get("HTTP_X_FORWARDED_FOR"),
            settings.TRUSTED_PROXY_COUNT,
        )
        return self.get_response(request)


def body_too_large_error() -> dict:
    limit = settings.REQUEST_MAX_BODY_BYTES
    return error_body("request_too_large", f"The request body is over the limit of {limit} bytes.")


def body_too_large_response() -> JsonResponse:
    return JsonResponse(body_too_large_error(), status=413)


class BodySizeLimitMiddleware:
    """Refuses a request whose declared length is over the limit, before its body is read.

    Under ASGI ``apps.core.asgi.BodySizeLimit`` does the same before Django reads the body
    (Django's ASGI handler reads it all before any middleware runs); this covers WSGI.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_MAX_BODY_BYTES:
            return body_too_large_response()
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Pages may not use the camera, microphone, location and the like (nothing here needs them),
    so a script that got in through some hole cannot either."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
