"""Fixtures for homework tests: a class with its people in two schools, and API clients."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.homework.models import Homework
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


def make_homework(world: ClassWorld, **fields) -> Homework:
    values = {
        "school": world.school,
        "school_class": world.school_class,
        "subject": world.subject,
        "assigned_by": world.teacher,
        "title": "Fractions worksheet",
        "due_at": timezone.now() + timedelta(days=2),
        **fields,
    }
    return Homework.objects.create(**values)


@pytest.fixture
def homework(world) -> Homework:
    return make_homework(world)
