"""Everything under /api/ answers JSON with DEBUG on, as ``make run`` has it: unknown paths and
malformed ids 404, bodies over the limit 413; pages outside /api/ keep Django's own."""

import json

import pytest
from rest_framework.test import APIClient

from apps.users.tests.factories import ClassWorld

pytestmark = pytest.mark.django_db

NOT_FOUND = {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}


@pytest.fixture(autouse=True)
def debug_on(settings):
    settings.DEBUG = True


@pytest.fixture
def teacher_client():
    client = APIClient()
    client.force_authenticate(ClassWorld(students=1).teacher)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/no-such-thing/",
        "/api/v1/homework/abc/",  # not a UUID
        "/api/v1/classes/12/students/",
        "/api/v9/",
    ],
)
def test_unknown_paths_and_malformed_ids_are_json_404s(teacher_client, path):
    response = teacher_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == NOT_FOUND


def test_a_body_over_the_limit_is_a_json_413_and_creates_nothing(teacher_client, settings):
    from apps.homework.models import Homework

    body = json.dumps({"title": "x", "instructions": "a" * (3 * 1024 * 1024)})
    response = teacher_client.post("/api/v1/homework/", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert response.json() == {
        "error": {
            "code": "request_too_large",
            "message": f"The request body is too large. The limit is {limit} bytes.",
            "fields": {},
        }
    }
    assert not Homework.objects.exists()


def test_a_wrong_method_is_json_too(teacher_client):
    response = teacher_client.delete("/api/v1/classes/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_pages_outside_the_api_keep_djangos_debug_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
