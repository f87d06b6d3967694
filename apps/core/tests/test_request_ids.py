"""The request id (X-Request-ID) beyond the request: into the events it publishes and their
handlers, and into the Celery tasks it queues (a real worker's JSON log lines)."""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest
from celery import Celery
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.test import Client, override_settings
from django.urls import include, path
from django_guid.context import guid
from kombu import Connection

from apps.core.tests.pgpair import free_port
from apps.events import registry
from apps.events.services import event_publish, events_dispatch
from apps.events.types import Event, EventType
from apps.writebuffer.tests.conftest import RedisServer, subprocess_env, wait_for

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
def test_a_task_queued_under_a_request_id_logs_under_it(tmp_path) -> None:
    (tmp_path / "redis").mkdir()
    broker = RedisServer(tmp_path / "redis", port=free_port(7340, 7399), appendonly=False)
    broker.start()
    # A database that does not answer: the sync task logs a warning (and retries) in the task.
    down = f"postgres://postgres@127.0.0.1:{free_port(7340, 7399)}/nowhere"
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        ["bash", "scripts/serve.sh", "worker"],
        cwd=settings.BASE_DIR,
        env=subprocess_env(
            CELERY_BROKER_URL=broker.url,
            CELERY_CONCURRENCY="1",
            DATABASE_URL=down,
            LOG_FORMAT="json",
        ),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    sent = str(uuid.uuid4())
    try:
        wait_for(lambda: worker.poll() is None and "ready." in log.read_text(), what="the worker")
        app = Celery("request-id-sender")
        token = guid.set(sent)  # as inside a request
        try:
            options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
            with Connection(broker.url, transport_options=options) as connection:
                app.send_task(
                    "apps.writebuffer.tasks.sync_write_buffer",
                    kwargs={"trigger": "test:request-id"},
                    queue=settings.CELERY_TASK_DEFAULT_QUEUE,
                    connection=connection,
                )
        finally:
            guid.reset(token)
            app.close()

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
        broker.kill()
