"""seed_demo adds a question bank of every type and quizzes for the demo classes; running it
again adds nothing."""

import pytest
from django.utils import timezone

from apps.quizzes.leaderboard import leaderboard_size
from apps.quizzes.models import Answer, Attempt, Question, QuestionType, Quiz
from apps.users.demo import seed_demo

pytestmark = pytest.mark.django_db

MODELS = [Question, Quiz, Attempt, Answer]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_is_idempotent_and_has_every_type_and_an_open_quiz_for_10a():
    seed_demo(students=8, password="pw-12345!", progress=False)
    first = counts()
    seed_demo(students=8, password="pw-12345!", progress=False)
    assert counts() == first
    assert set(Question.objects.values_list("type", flat=True)) == set(QuestionType.values)
    # 4 classes x 2 subjects (mathematics, science) x (one past, one open) quiz
    assert first["Quiz"] == 16
    assert first["Attempt"] == 4 * 2 * 2  # every student (2 per class) took each past quiz
    now = timezone.now()
    open_10a = Quiz.objects.get(
        classes__grade=10, classes__section="A", opens_at__lte=now, closes_at__gt=now,
        subject__code="MATH",
    )  # fmt: skip
    assert open_10a.time_limit_seconds == 1200
    past = Quiz.objects.filter(closes_at__lt=now).first()
    assert leaderboard_size(quiz_id=past.pk) == past.attempts.count() == 2
