"""``manage.py writebuffer status|flush|train-dictionary`` as an operator runs them."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.writebuffer.cache import buffer_client
from apps.writebuffer.connection import log_key
from apps.writebuffer.models import CompressionDictionary
from apps.writebuffer.services import buffered_save, buffered_save_many
from apps.writebuffer.sync import sync_all
from apps.writebuffer.tests.conftest import (
    LABEL,
    buffer_is_empty,
    db_values,
    dead_letters,
    make_note,
    note_values,
)
from apps.writebuffer.tests.sample.models import Note

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("writebuffer", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_status_json_reports_pending_records_per_model_and_no_sync_yet():
    buffered_save_many([make_note(owner="alice"), make_note(owner="alice")])
    buffered_save(make_note(owner="bob"))

    status = json.loads(run("status", "--json"))

    note = next(model for model in status["models"] if model["model"] == LABEL)
    assert (note["pending"], note["pending_writes"], note["dead_letters"]) == (3, 2, 0)
    assert note["policy"] == "write_behind"
    assert note["bytes"] > 0
    assert status["pending"] == 3
    assert status["dead_letters"] == 0
    assert status["last_sync"] is None
    others = [model for model in status["models"] if model["model"] != LABEL]
    assert {model["pending"] for model in others} == {0}


def test_status_text_has_a_line_per_model_and_the_last_sync():
    buffered_save(make_note())
    sync_all(trigger="test")
    buffered_save(make_note())

    lines = run("status").splitlines()

    note_line = next(line for line in lines if line.startswith(LABEL))
    assert note_line.split()[1:3] == ["write_behind", "1"]
    assert lines[-1].startswith("last sync: ")
    assert lines[-1].endswith("ok (1 synced, 0 failed)")


def test_flush_syncs_everything_pending_and_says_so():
    notes = [buffered_save(make_note(title=f"n{i}")) for i in range(5)]

    output = run("flush")

    assert output.splitlines()[0] == "Flushing 5 pending records of 1 models..."
    assert output.splitlines()[-1] == "Done: 5 records synced; nothing pending."
    assert db_values() == {str(n.pk): note_values(n) for n in notes}
    assert buffer_is_empty()


def test_flush_fails_naming_the_dead_letters_when_a_record_cannot_be_written():
    good = [buffered_save(make_note(title=f"g{i}")) for i in range(2)]
    buffered_save(make_note(title="poison", amount="-1.00"))

    with pytest.raises(CommandError) as failure:
        run("flush")

    assert str(failure.value).startswith("1 records could not be written")
    assert db_values() == {str(n.pk): note_values(n) for n in good}
    assert len(dead_letters()) == 1


def test_train_dictionary_refuses_with_too_few_samples():
    buffered_save_many([make_note() for _ in range(10)])

    with pytest.raises(CommandError) as failure:
        run("train-dictionary")

    assert "need at least 100 sample records" in str(failure.value)
    assert not CompressionDictionary.objects.exists()


def test_train_dictionary_samples_the_buffer_and_stored_rows_then_new_writes_use_it():
    for i in range(80):
        buffered_save(make_note(owner=f"o{i % 4}", title=f"stored {i}"))
    sync_all(trigger="test")
    for i in range(60):
        buffered_save(make_note(owner=f"o{i % 4}", title=f"pending {i}"))

    output = run("train-dictionary")

    dictionary = CompressionDictionary.objects.get()
    assert (dictionary.sample_count, dictionary.is_active) == (140, True)
    assert output.splitlines()[0] == "Training on 140 sample records..."
    note = buffered_save(make_note(owner="o1"))
    [(_entry_id, fields)] = buffer_client().redis.xrevrange(log_key(LABEL), count=1)
    assert fields[b"d"][:3] == b"\x03" + dictionary.id.to_bytes(2, "big")
    sync_all(trigger="test")
    assert Note.objects.filter(pk=note.pk).count() == 1
    assert Note.objects.count() == 141
