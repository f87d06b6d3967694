"""One JSON error shape for the whole API: ``{"error": {"code", "message", "fields"}}``.

DRF's exception handler produces the status code and detail; this module only reshapes it, so
every 4xx a client sees reads the same way, whether it came from a serializer, a permission
check, a parser or a service.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from apps.writebuffer.errors import BufferUnavailable, IdTaken


class ApplicationError(Exception):
    """A business rule said no. Services raise it; the API turns it into a 4xx."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        status_code: int = status.HTTP_400_BAD_REQUEST,
        fields: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status_code = status_code
        self.fields = fields or {}


def not_found(what: str) -> ApplicationError:
    """The 404 a selector raises for a row that is missing or not the caller's to see."""
    return ApplicationError(f"{what} not found.", code="not_found", status_code=404)


logger = logging.getLogger(__name__)

# Seconds a client is asked to wait before retrying while a backing service is away.
RETRY_AFTER_SECONDS = 5


def service_unavailable(message: str, code: str = "service_unavailable") -> JsonResponse:
    response = JsonResponse(error_body(code, message), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _unavailable_reason(exc: BaseException) -> tuple[str, str] | None:
    """(code, message) when ``exc`` means a backing service is away rather than a bug."""
    if isinstance(exc, BufferUnavailable):
        return "buffer_unavailable", "The write buffer is unavailable; retry shortly."
    if isinstance(exc, (OperationalError, InterfaceError)) or type(exc).__name__ == "PoolTimeout":
        return "database_unavailable", "The database is unavailable; retry shortly."
    return None


class ServiceUnavailableMiddleware:
    """Database or buffer outages answer 503 with ``Retry-After`` on every path, not a 500: the
    client did nothing wrong and should simply try again (DRF views get the same from
    ``api_exception_handler``; this covers pages, the admin and middleware)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        reason = _unavailable_reason(exception)
        if reason is None:
            return None
        code, message = reason
        logger.warning("%s: %s", code, exception)
        return service_unavailable(message, code)


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten_fields(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {key: _flatten_fields(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [str(item) for item in detail]  # type: ignore[return-value]
        return [_flatten_fields(item) for item in detail]  # type: ignore[return-value]
    return str(detail)  # type: ignore[return-value]


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, IdTaken):
        return Response(error_body("id_taken", "This id is already taken."), status=409)
    reason = _unavailable_reason(exc)
    if reason is not None:
        logger.warning("%s: %s", reason[0], exc, exc_info=exc)
        return Response(
            error_body(*reason), status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let it be a 500 and reach the logs

    if isinstance(exc, exceptions.ValidationError):
        detail: Any = exc.detail
        if isinstance(detail, dict):
            non_field = detail.get("non_field_errors")
            fields = {k: v for k, v in detail.items() if k != "non_field_errors"}
            message = str(non_field[0]) if non_field else "Some fields are not valid."
            response.data = error_body("invalid", message, _flatten_fields(fields))
        else:
            items = detail if isinstance(detail, list) else [detail]
            response.data = error_body("invalid", "; ".join(str(item) for item in items))
        return response

    detail = getattr(exc, "detail", None)
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    if isinstance(detail, dict) and "detail" in detail:
        # simplejwt's errors carry {"detail", "code", "messages"}; without this the message
        # would be the repr of that dict and the specific code (user_inactive...) would be lost.
        code = detail.get("code") or code
        detail = detail["detail"]
    response.data = error_body(str(code), str(detail) if detail is not None else str(exc))
    return response


# Django-level handlers, so that /api/ paths outside DRF views (unknown URLs, CSRF failures)
# still answer JSON rather than an HTML page.
def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def json_or_default(default_view, status_code: int, code: str, message: str):
    def view(request, exception=None, **kwargs):
        if _wants_json(request):
            return JsonResponse(error_body(code, message), status=status_code)
        if exception is not None:
            return default_view(request, exception, **kwargs)
        return default_view(request, **kwargs)

    return view
