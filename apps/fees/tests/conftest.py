"""Fixtures for fee tests: a class with its people in two schools, invoiced; API clients."""

import pytest
from rest_framework.test import APIClient

from apps.fees.models import Invoice
from apps.fees.tests.support import invoiced_world
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
    """Another school, for isolation tests."""
    return ClassWorld(students=2)


@pytest.fixture
def invoice(world) -> Invoice:
    return invoiced_world(world)
