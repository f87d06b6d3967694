"""factory_boy factories for the question bank and quizzes, plus sample bodies of every type."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from apps.quizzes.models import Question, QuestionType, QuestionVersion, Quiz, QuizStatus
from apps.users.tests.factories import SchoolOwnedFactory, SubjectFactory

BODIES: dict[str, dict[str, Any]] = {
    QuestionType.SINGLE_CHOICE: {
        "prompt": "2 + 2 = ?",
        "options": [{"id": "a", "text": "3"}, {"id": "b", "text": "4"}, {"id": "c", "text": "5"}],
        "correct": "b",
        "feedback": "Count on your fingers.",
    },
    QuestionType.MULTIPLE_CHOICE: {
        "prompt": "Which are prime?",
        "options": [
            {"id": "a", "text": "2"},
            {"id": "b", "text": "3"},
            {"id": "c", "text": "4"},
            {"id": "d", "text": "9"},
        ],
        "correct": ["a", "b"],
        "negative_marking": False,
    },  # fmt: skip
    QuestionType.TRUE_FALSE: {"prompt": "The earth is round.", "correct": True},
    QuestionType.NUMERIC: {
        "prompt": "g in m/s2?",
        "answer": 9.81,
        "tolerance": 0.05,
        "units": ["m/s2"],
        "unit_required": False,
    },  # fmt: skip
    QuestionType.SHORT_TEXT: {
        "prompt": "Capital of France?",
        "accepted": ["Paris"],
        "case_sensitive": False,
        "ignore_whitespace": True,
    },  # fmt: skip
    QuestionType.MATCHING: {
        "prompt": "Match the capitals.",
        "items": [{"id": "fr", "text": "France"}, {"id": "de", "text": "Germany"}],
        "choices": [
            {"id": "p", "text": "Paris"},
            {"id": "b", "text": "Berlin"},
            {"id": "r", "text": "Rome"},
        ],
        "correct": {"fr": "p", "de": "b"},
    },  # fmt: skip
}

# A correct answer to each body above.
RIGHT_ANSWERS: dict[str, dict[str, Any]] = {
    QuestionType.SINGLE_CHOICE: {"choice": "b"},
    QuestionType.MULTIPLE_CHOICE: {"choices": ["a", "b"]},
    QuestionType.TRUE_FALSE: {"value": True},
    QuestionType.NUMERIC: {"value": 9.8},
    QuestionType.SHORT_TEXT: {"text": "paris"},
    QuestionType.MATCHING: {"matches": {"fr": "p", "de": "b"}},
}


class QuestionFactory(SchoolOwnedFactory):
    class Meta:
        model = Question
        skip_postgeneration_save = True

    _school_sources = ("subject",)

    subject = factory.SubFactory(SubjectFactory, school=factory.SelfAttribute("..school"))
    type = QuestionType.SINGLE_CHOICE
    title = factory.Sequence(lambda n: f"Question {n}")
    tags = factory.LazyFunction(list)

    @factory.post_generation
    def version(question, create, extracted, **kwargs):
        if not create:
            return
        body = kwargs.get("body", BODIES[question.type])
        version = QuestionVersion.objects.create(
            question=question, number=1, type=question.type, body=body,
            points=kwargs.get("points", Decimal(1)),
        )  # fmt: skip
        question.current_version = version
        question.save(update_fields=["current_version"])


class QuizFactory(SchoolOwnedFactory):
    """A published quiz open now; pass ``classes=[...]`` and ``questions=[...]``."""

    class Meta:
        model = Quiz
        skip_postgeneration_save = True

    _school_sources = ("subject",)

    subject = factory.SubFactory(SubjectFactory, school=factory.SelfAttribute("..school"))
    title = factory.Sequence(lambda n: f"Quiz {n}")
    status = QuizStatus.PUBLISHED
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=5))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=2))
    time_limit_seconds = 1800

    @factory.post_generation
    def classes(quiz, create, extracted, **kwargs):
        if create and extracted:
            quiz.classes.set(extracted)

    @factory.post_generation
    def questions(quiz, create, extracted, **kwargs):
        if create and extracted:
            for position, question in enumerate(extracted, start=1):
                quiz.slots.create(position=position, question=question)
