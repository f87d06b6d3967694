"""What the buffer keeps through a Redis crash, a codec or dictionary change, and backpressure."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import caches
from django_redis import get_redis_connection
from prometheus_client import REGISTRY

from apps.writebuffer import codecs, dictionaries
from apps.writebuffer.cache import buffer_client
from apps.writebuffer.connection import log_key
from apps.writebuffer.models import CompressionDictionary
from apps.writebuffer.selectors import get_with_pending, list_with_pending
from apps.writebuffer.services import buffered_delete, buffered_save, buffered_save_many
from apps.writebuffer.sync import sync_all
from apps.writebuffer.tests.conftest import (
    LABEL,
    buffer_is_empty,
    db_values,
    free_port,
    log_length,
    make_note,
    note_values,
    pending_records,
    set_buffer_option,
    sync_until_empty,
    use_buffer_redis,
)
from apps.writebuffer.tests.sample.models import Note

pytestmark = pytest.mark.django_db


def alice_list() -> list[Note]:
    return list_with_pending(
        Note.objects.filter(owner="alice"), partitions=["alice"], visible=lambda n: True
    )


def fallback_count(reason: str) -> float:
    value = REGISTRY.get_sample_value(
        "schools24_writebuffer_fallback_writes_total", {"model": LABEL, "reason": reason}
    )
    return value or 0.0


def codec_headers() -> list[int]:
    return [fields[b"d"][0] for _id, fields in buffer_client().xrange(log_key(LABEL))]


# --- Redis killed and restarted with AOF ------------------------------------------------------
def test_every_acknowledged_write_survives_a_redis_kill_with_aof(settings, redis_server):
    server = redis_server()
    use_buffer_redis(settings, server.url)
    notes = buffered_save_many([make_note(owner="alice", title=f"a{i}") for i in range(150)])
    assert sync_all(trigger="test:before-crash").synced == 150
    for i in range(100):
        notes[i].title = f"a{i}-edited"
    buffered_save_many(notes[:100])
    notes += [buffered_save(make_note(owner="bob", title=f"b{i}")) for i in range(100)]
    notes += buffered_save_many([make_note(owner="carol", title=f"c{i}") for i in range(100)])
    buffered_delete(notes[149])
    deleted = notes.pop(149)
    # Half delivered to a sync that never finished: the consumer group's state must survive too.
    client = buffer_client()
    delivered = client.read_new(LABEL, "doomed-consumer", 50)
    assert len(delivered) == 50
    assert pending_records() == 301

    server.kill()  # SIGKILL: nothing is saved on the way down; only the AOF holds the writes
    server.start()
    caches["writebuffer"].close()
    get_redis_connection("writebuffer").connection_pool.disconnect()

    assert pending_records() == 301
    assert len(alice_list()) == 149
    assert get_with_pending(Note.objects.all(), deleted.pk, visible=bool) is None
    results = sync_until_empty()

    assert sum(r.synced for r in results) == 301
    assert db_values() == {str(n.pk): note_values(n) for n in notes}
    assert Note.objects.filter(title__endswith="-edited").count() == 100
    assert buffer_is_empty()


# --- codec and dictionary changes -------------------------------------------------------------
def test_entries_of_every_earlier_codec_and_dictionary_still_sync(settings):
    def write(count: int, tag: str) -> list[Note]:
        return [
            buffered_save(
                make_note(
                    owner=f"class-{i % 4}",
                    title=f"Homework {tag} {i}: fractions and decimals",
                    body="Submitted on time. " * (i % 5),
                    amount=Decimal(i % 17) + Decimal("0.25"),
                    tags=["maths", tag, f"week-{i % 9}"],
                )
            )
            for i in range(count)
        ]

    notes = write(120, "plain")  # no dictionary yet: plain zstd
    assert set(codec_headers()) == {codecs.CODEC_ZSTD}

    samples = [
        codecs.decode(fields[b"d"]) for _id, fields in buffer_client().redis.xrange(log_key(LABEL))
    ]
    first = dictionaries.dictionary_train(samples=samples)
    notes += write(60, "dict1")
    second = dictionaries.dictionary_train(samples=samples[::-1])
    notes += write(60, "dict2")
    assert first.id != second.id
    assert CompressionDictionary.objects.filter(is_active=True).get() == second
    dictionary_ids = [
        codecs.frame_dictionary_id(fields[b"d"])
        for _id, fields in buffer_client().redis.xrange(log_key(LABEL))
    ]
    assert dictionary_ids == [None] * 120 + [first.id] * 60 + [second.id] * 60

    settings.CACHES = {
        **settings.CACHES,
        "writebuffer": {
            **settings.CACHES["writebuffer"],
            "OPTIONS": {
                **settings.CACHES["writebuffer"]["OPTIONS"],
                "COMPRESSOR": "apps.writebuffer.codecs.SnappyCompressor",
            },
        },
    }
    notes += write(40, "snappy")
    settings.CACHES = {
        **settings.CACHES,
        "writebuffer": {
            **settings.CACHES["writebuffer"],
            "OPTIONS": {
                **settings.CACHES["writebuffer"]["OPTIONS"],
                "COMPRESSOR": "apps.writebuffer.codecs.IdentityCompressor",
            },
        },
    }
    notes += write(20, "none")
    assert codec_headers() == (
        [codecs.CODEC_ZSTD] * 120
        + [codecs.CODEC_ZSTD_DICT] * 120
        + [codecs.CODEC_SNAPPY] * 40
        + [codecs.CODEC_NONE] * 20
    )
    # A process that never saw these dictionaries (a fresh worker) loads them when decoding.
    dictionaries._by_id.clear()
    dictionaries.forget_active()

    result = sync_all(trigger="test:codecs")

    assert (result.synced, result.failed, result.dead_lettered) == (300, 0, 0)
    assert db_values() == {str(n.pk): note_values(n) for n in notes}
    assert buffer_is_empty()


def test_pending_entries_decode_after_the_dictionary_mirror_in_redis_is_lost():
    samples = [
        f'{{"p":"alice","r":[{{"o":"u","k":"{i}","f":{{"title":"sample {i}"}}}}]}}'.encode()
        for i in range(150)
    ]
    trained = dictionaries.dictionary_train(samples=samples)
    notes = [buffered_save(make_note(title=f"t{i}")) for i in range(20)]
    assert {codecs.frame_dictionary_id(fields[b"d"]) for _id, fields in
            buffer_client().redis.xrange(log_key(LABEL))} == {trained.id}  # fmt: skip
    buffer_client().redis.delete(dictionaries._data_key(trained.id))
    dictionaries._by_id.clear()

    assert sync_all(trigger="test").synced == 20  # loaded from PostgreSQL instead
    assert db_values() == {str(n.pk): note_values(n) for n in notes}


# --- backpressure -----------------------------------------------------------------------------
def test_writes_over_the_pending_limit_go_straight_to_the_database(settings):
    set_buffer_option(settings, MAX_PENDING_PER_MODEL=5)
    before = fallback_count("pending_limit")

    buffered = [buffered_save(make_note(title=f"b{i}")) for i in range(5)]
    assert (Note.objects.count(), pending_records()) == (0, 5)
    direct = [buffered_save(make_note(title=f"d{i}")) for i in range(3)]
    direct += buffered_save_many([make_note(owner="bob", title=f"m{i}") for i in range(4)])

    assert db_values() == {str(n.pk): note_values(n) for n in direct}
    assert pending_records() == 5
    assert fallback_count("pending_limit") - before == 7
    assert len(alice_list()) == 8  # pending and stored rows together

    assert sync_all(trigger="test").synced == 5
    assert db_values() == {str(n.pk): note_values(n) for n in [*buffered, *direct]}
    assert buffer_is_empty()


def test_a_delete_over_the_pending_limit_does_not_bring_the_row_back(settings):
    note = buffered_save(make_note(title="to delete"))
    set_buffer_option(settings, MAX_PENDING_PER_MODEL=1)

    buffered_delete(note)

    assert get_with_pending(Note.objects.all(), note.pk, visible=bool) is None
    assert alice_list() == []
    sync_until_empty()
    assert Note.objects.filter(pk=note.pk).count() == 0


def test_an_update_over_the_pending_limit_is_not_overwritten_by_the_older_buffered_one(settings):
    """The fallback's version must be above every buffered version, even within one ms."""
    rows = []
    for attempt in range(30):
        set_buffer_option(settings, MAX_PENDING_PER_MODEL=10_000)
        others = [make_note(owner=f"x{attempt}-{i}") for i in range(3)]
        note = make_note(owner=f"y{attempt}", title="buffered")
        buffered_save_many([*others, note])  # four entries, likely in one millisecond
        set_buffer_option(settings, MAX_PENDING_PER_MODEL=log_length())
        note.title = "direct"
        buffered_save(note)  # over the limit: straight to the database, right away
        rows.append(note)
        assert get_with_pending(Note.objects.all(), note.pk, visible=bool).title == "direct"

    set_buffer_option(settings, MAX_PENDING_PER_MODEL=10_000)
    sync_until_empty()
    assert {title for (title,) in Note.objects.filter(pk__in=[n.pk for n in rows])
            .values_list("title")} == {"direct"}  # fmt: skip


def test_writes_go_to_the_database_when_the_buffer_redis_is_down(settings):
    use_buffer_redis(settings, f"redis://127.0.0.1:{free_port()}/0", SOCKET_CONNECT_TIMEOUT=0.5)
    before = fallback_count("redis_unavailable")

    note = buffered_save(make_note(title="direct"))
    many = buffered_save_many([make_note(owner="bob", title=f"m{i}") for i in range(3)])

    assert db_values() == {str(n.pk): note_values(n) for n in [note, *many]}
    assert fallback_count("redis_unavailable") - before == 4
    # Reads fall back to the database's copy.
    assert get_with_pending(Note.objects.all(), note.pk, visible=bool).title == "direct"
    buffered_delete(note)
    assert Note.objects.filter(pk=note.pk).count() == 0
    assert fallback_count("redis_unavailable") - before == 5


def test_writes_go_to_the_database_over_the_memory_limit(settings):
    set_buffer_option(settings, MAX_MEMORY_BYTES=1)
    before = fallback_count("memory_limit")

    notes = [buffered_save(make_note(title=f"m{i}")) for i in range(3)]

    assert db_values() == {str(n.pk): note_values(n) for n in notes}
    assert (pending_records(), log_length()) == (0, 0)
    assert fallback_count("memory_limit") - before == 3
