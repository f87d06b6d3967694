"""Request middleware: JSON errors under ``/api/`` (whatever ``DEBUG`` says), the client's
address behind proxies, request size, browser policies.

JSON errors:

Django's URL resolver and request parsing answer before DRF's exception handler is reached: an
unknown path or a malformed id (a ``<uuid:...>`` that is not one) is Django's 404, a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a ``RequestDataTooBig``. With ``DEBUG`` on those become
Django's HTML debug pages (the 404 one lists every URL pattern), which a mobile client cannot
read; ``handler404`` and friends only apply with ``DEBUG`` off.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse

from apps.core.errors import error_body

_MESSAGES = {
    400: ("bad_request", "The request is malformed."),
    403: ("permission_denied", "Forbidden."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "Method not allowed."),
    413: ("request_too_large", "The request body is too large."),
    500: ("server_error", "Internal error."),
}


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _too_large() -> JsonResponse:
    code, message = _MESSAGES[413]
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return JsonResponse(error_body(code, f"{message} The limit is {limit} bytes."), status=413)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class ApiJsonErrorsMiddleware:
    """Outermost middleware: answers an oversized non-upload body with 413 before anything reads
    it, and turns any non-JSON error response under ``/api/`` into the error shape."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _is_api(request):
            return self.get_response(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        content_type = request.META.get("CONTENT_TYPE", "")
        # Multipart bodies carry files, which are limited by the upload rules, not this one.
        if (
            limit is not None
            and not content_type.startswith("multipart/")
            and _declared_length(request) > limit
        ):
            return _too_large()
        response = self.get_response(request)
        if response.status_code < 400 or response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return response
        code, message = _MESSAGES.get(
            response.status_code, ("error", response.reason_phrase or "Error.")
        )
        json_response = JsonResponse(error_body(code, message), status=response.status_code)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                json_response[header] = response[header]
        return json_response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # A body with no (or a lying) Content-Length still hits Django's limit when it is read.
        if _is_api(request) and isinstance(exception, RequestDataTooBig):
            return _too_large()
        return None


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
        if _declared_length(request) > settings.REQUEST_MAX_BODY_BYTES:
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
