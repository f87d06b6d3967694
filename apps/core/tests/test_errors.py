"""Every 4xx leaves as ``{"error": {"code", "message", "fields"}}``, whatever raised it."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions

from apps.core.errors import ApplicationError, api_exception_handler, error_body

pytestmark = pytest.mark.django_db


def handled(exc):
    response = api_exception_handler(exc, {})
    return response.status_code, response.data


class TestUnknownUrls:
    def test_unknown_api_url_is_404_json(self, client):
        response = client.get("/api/v1/no-such-thing/")

        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "error": {"code": "not_found", "message": "Not found.", "fields": {}}
        }

    def test_unknown_api_url_is_404_json_for_post_too(self, client):
        response = client.post("/api/v2/", data="{", content_type="application/json")

        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    def test_unknown_page_outside_the_api_stays_html(self, client):
        response = client.get("/no-such-page/")

        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")


class TestApiExceptionHandler:
    def test_application_error_keeps_its_code_status_and_fields(self):
        exc = ApplicationError(
            "Homework is closed.", code="closed", status_code=409, fields={"due": ["past"]}
        )

        assert handled(exc) == (409, error_body("closed", "Homework is closed.", {"due": ["past"]}))

    def test_application_error_defaults_to_400_invalid(self):
        assert handled(ApplicationError("No.")) == (
            400,
            {"error": {"code": "invalid", "message": "No.", "fields": {}}},
        )

    def test_django_validation_error_with_fields(self):
        exc = DjangoValidationError({"title": ["This field is required."]})

        assert handled(exc) == (
            400,
            error_body(
                "invalid", "Some fields are not valid.", {"title": ["This field is required."]}
            ),
        )

    def test_django_validation_error_without_fields_becomes_the_message(self):
        exc = DjangoValidationError("Everyone but an operator needs a school and a role.")

        assert handled(exc) == (
            400,
            error_body("invalid", "Everyone but an operator needs a school and a role."),
        )

    def test_nested_serializer_errors_keep_their_shape(self):
        exc = exceptions.ValidationError(
            {"items": [{"quantity": ["Too many."]}, {}], "non_field_errors": ["Check the items."]}
        )

        assert handled(exc) == (
            400,
            error_body("invalid", "Check the items.", {"items": [{"quantity": ["Too many."]}, {}]}),
        )

    def test_list_validation_error_is_joined(self):
        exc = exceptions.ValidationError(["First problem.", "Second problem."])

        assert handled(exc) == (400, error_body("invalid", "First problem.; Second problem."))

    def test_http404(self):
        assert handled(Http404("secret detail")) == (404, error_body("not_found", "Not found."))

    def test_django_permission_denied(self):
        assert handled(PermissionDenied("secret detail")) == (
            403,
            error_body("permission_denied", "You do not have permission to perform this action."),
        )

    def test_throttled(self):
        assert handled(exceptions.Throttled(wait=30)) == (
            429,
            error_body("throttled", "Request was throttled. Expected available in 30 seconds."),
        )

    def test_unexpected_exceptions_are_left_to_become_500s(self):
        assert api_exception_handler(ValueError("bug"), {}) is None
