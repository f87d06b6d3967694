"""Helpers for quiz tests (not fixtures)."""

from __future__ import annotations

from rest_framework.test import APIClient


def start(client: APIClient, quiz_id) -> dict:
    response = client.post(f"/api/v1/quizzes/{quiz_id}/attempts/", {}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def answer(client: APIClient, attempt_id, question_id, response: object):
    return client.put(
        f"/api/v1/attempts/{attempt_id}/answers/{question_id}/",
        {"response": response},
        format="json",
    )


def submit(client: APIClient, attempt_id):
    return client.post(f"/api/v1/attempts/{attempt_id}/submit/", {}, format="json")
