import copy

import pytest
from rest_framework.test import APIClient

from apps.events import registry
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
def no_grace(settings):
    settings.NOTIFICATIONS = {**copy.deepcopy(settings.NOTIFICATIONS), "ABSENCE_GRACE_SECONDS": 0}


@pytest.fixture
def notifications_only(monkeypatch):
    """Only the notifications handler runs (the activity log has its own tests)."""
    monkeypatch.setattr(
        registry, "_handlers", {"notifications": registry._handlers["notifications"]}
    )
