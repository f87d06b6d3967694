"""Fixtures for homework tests: a homework of the shared ``world`` (root conftest)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.homework.models import Homework
from apps.users.tests.factories import ClassWorld


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
