"""The OpenAPI schema as the API really answers: every operation's error responses in the one
error shape, and pagination only where a list is paginated (GET)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

ERROR_DESCRIPTIONS = {
    "400": "The request is not valid (the fields say which parts).",
    "401": "Not logged in, or the token is invalid, expired or revoked.",
    "403": "The caller's role or school may not do this.",
    "404": "No such object visible to the caller (other schools' ids too).",
    "409": "Conflicts with the object's current state (a retry may succeed).",
    "413": "The request body is over the size limit.",
    "415": "The request body's media type is not accepted.",
    "429": "Too many requests (failed logins); Retry-After says when to try again.",
    "503": "The database is unreachable; Retry-After says when to try again.",
}
READ_ERRORS = ["400", "401", "403", "404", "429", "503"]
WRITE_ERRORS = [*READ_ERRORS, "409", "413", "415"]


# Inline: a serializer cannot have a field called "fields" as an attribute.
ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorDetail",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(child=serializers.JSONField()),
            },
        )
    },
)


class AutoSchema(SpectacularAutoSchema):
    def _get_paginator(self) -> Any:
        if self.method != "GET":
            return None  # writes answer the objects they made, never a page
        return super()._get_paginator()

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)  # type: ignore[arg-type]
        errors = READ_ERRORS if self.method in ("GET", "HEAD") else WRITE_ERRORS
        for status_code in errors:
            if status_code not in responses:
                response = self._get_response_for_code(ErrorSerializer, status_code)
                response["description"] = ERROR_DESCRIPTIONS[status_code]
                responses[status_code] = response
        return responses
