"""The operator's write-buffer page: live state, dead letters with retry and discard, sync now."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.users.tests.factories import SuperuserFactory
from apps.writebuffer.cache import buffer_client
from apps.writebuffer.connection import global_key
from apps.writebuffer.services import buffered_save
from apps.writebuffer.sync import sync_all
from apps.writebuffer.tests.conftest import LABEL, dead_letters, make_note, pending_records

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client):
    client.force_login(SuperuserFactory())
    return client


@pytest.fixture
def dead_letter():
    buffered_save(make_note(title="poison", amount="-1.00"))
    for _ in range(3):
        sync_all(trigger="test")
    [letter] = dead_letters()
    return letter


def test_page_shows_pending_counts_and_dead_letters(operator_client, dead_letter):
    buffered_save(make_note(title="waiting"))

    response = operator_client.get(reverse("admin:writebuffer_syncrun_changelist"))

    assert response.status_code == 200
    buffer = response.context["buffer"]
    note = next(model for model in buffer["models"] if model["model"] == LABEL)
    assert (note["pending"], note["dead_letters"]) == (1, 1)
    assert [letter["id"] for letter in note["dead_letter_list"]] == [dead_letter["id"]]
    page = response.content.decode()
    assert f"Dead letters of {LABEL}" in page
    assert 'value="Sync now"' in page


def test_retry_puts_the_dead_letter_back_in_the_log(operator_client, dead_letter):
    url = reverse("admin:writebuffer-dead-letter", args=[LABEL, dead_letter["id"], "retry"])

    response = operator_client.post(url)

    assert response.status_code == 302
    assert dead_letters() == []
    assert pending_records() == 1


def test_discard_removes_the_dead_letter_for_good(operator_client, dead_letter):
    url = reverse("admin:writebuffer-dead-letter", args=[LABEL, dead_letter["id"], "discard"])

    response = operator_client.post(url)

    assert response.status_code == 302
    assert dead_letters() == []
    assert pending_records() == 0


def test_a_get_changes_nothing(operator_client, dead_letter):
    url = reverse("admin:writebuffer-dead-letter", args=[LABEL, dead_letter["id"], "discard"])

    operator_client.get(url)

    assert [letter["id"] for letter in dead_letters()] == [dead_letter["id"]]


def test_sync_now_requests_one_sync(operator_client):
    response = operator_client.post(reverse("admin:writebuffer-sync-now"))

    assert response.status_code == 302
    requested = buffer_client().redis.get(global_key("sync:requested"))
    assert requested.decode().startswith("admin:")


@pytest.mark.parametrize(
    ("label", "dead_id", "message"),
    [
        (
            "nosuch.model",
            "1-0",
            "Nothing done: nosuch.model is not registered with the write buffer",
        ),
        (
            LABEL,
            "not-an-id",
            "Nothing done: Invalid stream ID specified as stream command argument",
        ),
        (LABEL, "1-0", "There is no dead letter 1-0 of wbsample.note."),
    ],
)
def test_bad_dead_letter_requests_are_refused_with_a_message(
    operator_client, label, dead_id, message
):
    url = reverse("admin:writebuffer-dead-letter", args=[label, dead_id, "retry"])

    response = operator_client.post(url, follow=True)

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [message]
