"""Fixtures shared by every app's tests: real PostgreSQL (pytest-django) and real Redis."""

import pytest
from django.conf import settings
from django.core.cache import caches
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from apps.users.tests.factories import ClassWorld

pytest_plugins = ["apps.core.tests.hang_guard"]


def _delete_prefixed(alias: str, pattern: str) -> None:
    client = get_redis_connection(alias)
    keys = list(client.scan_iter(match=pattern, count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])


@pytest.fixture(autouse=True)
def clean_redis():
    """Each test starts with an empty buffer and read cache (only this run's key prefixes)."""
    prefix = settings.WRITE_BUFFER["KEY_PREFIX"]
    _delete_prefixed("writebuffer", f"{prefix}:*")
    _delete_prefixed("default", f"{settings.CACHES['default']['KEY_PREFIX']}:*")
    from apps.writebuffer import dictionaries

    dictionaries.forget_active()
    yield
    caches["default"].close()


@pytest.fixture(autouse=True, scope="session")
def drop_test_queue():
    """Tasks queued by tests (sync requests) go to this run's own queue; drop it at the end."""
    yield
    import redis

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"]
    # The queue's list and kombu's bindings for it (``_kombu.binding.<queue>`` and the like).
    keys = [f"{prefix}{queue}", *broker.scan_iter(match=f"{prefix}_kombu.*.{queue}")]
    broker.delete(*keys)
    broker.close()


@pytest.fixture
def client_for():
    """An API client authenticated as a given user."""

    def make(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def world(db) -> ClassWorld:
    """A school with one class and its people, for the domain apps' tests."""
    return ClassWorld(students=3)


@pytest.fixture
def other_world(db) -> ClassWorld:
    """Another school, for isolation tests."""
    return ClassWorld(students=2)
