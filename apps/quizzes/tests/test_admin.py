"""Quiz admin pages show and open only the admin's own school; attempts are read-only there."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.core.tests.admin_scoping import assert_admin_shows_only_own_school
from apps.quizzes.models import Answer, Attempt, Question, Quiz
from apps.quizzes.tests.factories import QuestionFactory, QuizFactory
from apps.quizzes.tests.support import answer, start, submit
from apps.writebuffer.sync import sync_all

pytestmark = pytest.mark.django_db


def populate(world, client_for):
    question = QuestionFactory(subject=world.subject, type="true_false",
                               title=f"Question of {world.school.name}")  # fmt: skip
    quiz = QuizFactory(subject=world.subject, classes=[world.school_class], questions=[question],
                       title=f"Quiz of {world.school.name}")  # fmt: skip
    client = client_for(world.student)
    attempt = start(client, quiz.pk)
    answer(client, attempt["id"], question.pk, {"value": True})
    submit(client, attempt["id"])
    return quiz


@pytest.mark.parametrize("model", [Question, Quiz, Attempt, Answer])
def test_admin_lists_and_opens_only_its_school(world, other_world, client_for, model):
    populate(world, client_for)
    populate(other_world, client_for)
    sync_all(trigger="test")
    assert_admin_shows_only_own_school(model, world, other_world)


def test_attempts_cannot_be_edited_in_the_admin(world, client_for):
    populate(world, client_for)
    sync_all(trigger="test")
    client = Client()
    client.force_login(world.admin)
    attempt = Attempt.objects.get()
    url = reverse("admin:quizzes_attempt_change", args=[attempt.pk])
    client.post(url, {"score": "99"})
    attempt.refresh_from_db()
    assert attempt.score == 1
