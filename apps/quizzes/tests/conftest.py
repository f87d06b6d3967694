"""Fixtures for quiz tests: a class with its people in two schools, a bank of every question
type and a quiz open now."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.quizzes.models import QuestionType
from apps.quizzes.tests.factories import QuestionFactory, QuizFactory
from apps.users.tests.factories import ClassWorld
from apps.writebuffer.tests.conftest import celery_workers, redis_server  # noqa: F401 - fixtures


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
def bank(world) -> dict[str, object]:
    """One question of every type, in ``world``'s school and subject."""
    return {
        question_type: QuestionFactory(
            subject=world.subject, type=question_type, title=f"{question_type} question"
        )
        for question_type in QuestionType.values
    }


@pytest.fixture
def quiz(world, bank):
    return QuizFactory(
        subject=world.subject, classes=[world.school_class], questions=list(bank.values()),
        created_by=world.teacher,
    )  # fmt: skip
