"""The request id (X-Request-ID) beyond the request: into the events it publishes and their
handlers, and into the Celery tasks it queues (a real worker's JSON log lines)."""

from __future__ import annotations

import json
import uuid

import pytest
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.test import Client, override_settings
from django.urls import include, path
from django_guid.context import guid

from apps.core.tests.pgpair import free_port
from apps.events import registry
from apps.events.services import event_publish, events_dispatch
from apps.events.types import Event, EventType
from apps.writebuffer.tests.conftest import (  # noqa: F401 - redis_server is a fixture
    SYNC_TASK,
    redis_server,
    send_task,
    start_serve_worker,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)


def publish(request: HttpRequest) -> JsonResponse:
    event_publish(Event(type=EventType.HOMEWORK_ASSIGNED, school_id="s1", data={}))
    return JsonResponse({"id": guid.get()})


urlpatterns = [path("probe/publish/", publish), path("", include("schools24.urls"))]


@pytest.fixture
def handled(monkeypatch):
    """A handler that records the request id it runs under (the apps' own handlers stay out)."""
    monkeypatch.setattr(registry, "_handlers", {})
    seen: list[tuple[str, str | None, str | None]] = []
    registry.handler("test-request-id", types=[EventType.HOMEWORK_ASSIGNED])(
        lambda event: seen.append((event.id, event.request_id, guid.get()))
    )
    yield seen
    registry.unregister("test-request-id")


@override_settings(ROOT_URLCONF=__name__)
def test_an_event_carries_the_request_id_to_its_handler(handled) -> None:
    sent = str(uuid.uuid4())
    response = Client().get("/probe/publish/", HTTP_X_REQUEST_ID=sent)
    assert (response.json(), response["X-Request-ID"]) == ({"id": sent}, sent)
    assert guid.get() is None  # the id ended with the request

    response = Client().get("/probe/publish/", HTTP_X_REQUEST_ID="<script>")
    made = response["X-Request-ID"]
    assert made != "<script>" and str(uuid.UUID(made)) == made

    assert events_dispatch(budget_seconds=5) == {"test-request-id": 2}
    assert [(request_id, running) for _, request_id, running in handled] == [
        (sent, sent),
        (made, made),
    ]
    assert guid.get() is None  # and each handler's id ended with it


@pytest.mark.slow
def test_a_task_queued_under_a_request_id_logs_under_it(
    redis_server,  # noqa: F811 - the imported fixture
    tmp_path,
) -> None:
    broker = redis_server(appendonly=False, port=free_port(7340, 7399))
    # A database that does not answer: the sync task logs a warning (and retries) in the task.
    down = f"postgres://postgres@127.0.0.1:{free_port(7340, 7399)}/nowhere"
    log = tmp_path / "worker.log"
    worker = start_serve_worker(
        log,
        CELERY_BROKER_URL=broker.url,
        CELERY_CONCURRENCY="1",
        DATABASE_URL=down,
        LOG_FORMAT="json",
    )
    sent = str(uuid.uuid4())
    try:
        token = guid.set(sent)  # as inside a request
        try:
            send_task(
                broker.url,
                SYNC_TASK,
                queue=settings.CELERY_TASK_DEFAULT_QUEUE,
                trigger="test:request-id",
            )
        finally:
            guid.reset(token)

        def postponed() -> list[dict]:
            lines = [json.loads(line) for line in log.read_text().splitlines() if line[:1] == "{"]
            return [line for line in lines if line["message"].startswith("sync postponed")]

        [line] = wait_for(postponed, what="the task's warning")
        assert (line["level"], line["logger"], line["request_id"]) == (
            "WARNING",
            "apps.writebuffer.tasks",
            sent,
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
