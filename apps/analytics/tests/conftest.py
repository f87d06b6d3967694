import pytest
from rest_framework.test import APIClient

from apps.users.tests.factories import ClassWorld


@pytest.fixture
def client_for():
    def make(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def world(db) -> ClassWorld:
    return ClassWorld(students=3)


@pytest.fixture
def other_world(db) -> ClassWorld:
    return ClassWorld(students=1)
