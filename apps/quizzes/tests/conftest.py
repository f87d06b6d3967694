"""Fixtures for quiz tests: a bank of every question type in the shared ``world`` (root
conftest) and a quiz open now; real Celery workers for the timing rules."""

from __future__ import annotations

import pytest

from apps.quizzes.models import QuestionType
from apps.quizzes.tests.factories import QuestionFactory, QuizFactory
from apps.writebuffer.tests.conftest import celery_workers, redis_server  # noqa: F401 - fixtures


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
