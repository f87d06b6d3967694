import pytest

from apps.quizzes.tests.factories import RIGHT_ANSWERS
from apps.quizzes.tests.support import answer, start, submit

pytestmark = pytest.mark.django_db


def test_smoke(world, quiz, bank, client_for):
    client = client_for(world.student)
    attempt = start(client, quiz.pk)
    assert len(attempt["questions"]) == 6
    for question_type, question in bank.items():
        r = answer(client, attempt["id"], question.pk, RIGHT_ANSWERS[question_type])
        assert r.status_code == 200, r.content
    r = submit(client, attempt["id"])
    assert r.status_code == 200, r.content
    assert r.json()["score"] == "6.00"
    r = client.get(f"/api/v1/quizzes/{quiz.pk}/leaderboard/")
    assert r.status_code == 200, r.content
    print(r.json())
