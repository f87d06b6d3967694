"""The write buffer on a real Redis Cluster (3 masters, 3 replicas; ``tests/cluster.py``).

The core cycle (append, read-your-writes, sync, acknowledge, dead letters, statistics), the
cache's drop-in table, the events stream, dashboard versions and quiz deadlines all run on the
cluster; the existing backpressure and worker tests run there too. The failover tests are in
``test_cluster_failover.py``.
"""

from __future__ import annotations

import warnings

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.exceptions import ImproperlyConfigured
from redis.cluster import RedisCluster

from apps.attendance.models import AttendanceMark
from apps.core.tests.test_operations import scrape
from apps.users.tests.factories import ClassWorld
from apps.writebuffer import status
from apps.writebuffer.cache import RedisFirstCache, buffer_client
from apps.writebuffer.cluster import parse_cluster_url
from apps.writebuffer.connection import log_key, model_key, redis_client
from apps.writebuffer.errors import BufferUnavailable
from apps.writebuffer.selectors import get_with_pending, list_with_pending
from apps.writebuffer.services import buffered_delete, buffered_save, buffered_save_many
from apps.writebuffer.sync import sync_all
from apps.writebuffer.tests import test_durability, test_workers
from apps.writebuffer.tests.conftest import (
    LABEL,
    buffer_is_empty,
    db_values,
    dead_letters,
    make_note,
    note_values,
    pending_records,
    present_marks,
    set_buffer_option,
    sync_until_empty,
)
from apps.writebuffer.tests.sample.models import Note
from apps.writebuffer.tests.test_cache import OPERATIONS, outcome

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MARKS = "attendance.attendancemark"


def test_cluster_urls_are_parsed_and_a_database_number_is_refused():
    assert parse_cluster_url("redis+cluster://:s3cret@10.0.0.1:7000,[::1]:7001/") == {
        "nodes": [("10.0.0.1", 7000), ("::1", 7001)],
        "username": None,
        "password": "s3cret",
        "ssl": False,
    }
    assert parse_cluster_url("rediss+cluster://app:pw@h:1/0")["ssl"] is True
    with pytest.raises(ImproperlyConfigured, match="only database 0"):
        parse_cluster_url("redis+cluster://h:1/1")
    with pytest.raises(ImproperlyConfigured, match="host:port"):
        parse_cluster_url("redis+cluster://h/")


def test_the_buffer_cycle_on_the_cluster_stores_every_write_once(cluster_buffer, settings, client):
    http = client  # Django's test client, for /metrics
    set_buffer_option(settings, MIN_REPLICAS=1)
    buffer = buffer_client()
    assert isinstance(buffer.redis, RedisCluster)
    # The two models' logs live on different masters.
    assert cluster_buffer.master_port_for_key(log_key(LABEL)) != (
        cluster_buffer.master_port_for_key(log_key(MARKS))
    )

    notes = []
    for owner in ("alice", "bob", "carol", "dave"):
        notes += buffered_save_many([make_note(owner=owner, title=f"t{i}") for i in range(25)])
    world = ClassWorld(students=20)
    marks = buffered_save_many(present_marks(world, period=1)) + buffered_save_many(
        present_marks(world, period=2)
    )
    notes[0].title = "updated"
    buffered_save(notes[0])
    buffered_delete(notes[1])
    stored_notes = [notes[0], *notes[2:]]

    # Read-your-writes before the sync: by pk without a partition (the index scan runs on the
    # master holding the model's slot) and by partition.
    assert get_with_pending(Note.objects.all(), notes[0].pk, visible=bool).title == "updated"
    assert get_with_pending(Note.objects.all(), notes[1].pk, visible=bool) is None
    assert len(list_with_pending(Note.objects.all(), partitions=["bob"], visible=bool)) == 25
    assert pending_records() == 102
    assert buffer.model_stats(LABEL)["pending_records"] == 102
    assert buffer.model_status(MARKS)["pending"] == 40

    result = sync_all(trigger="test:cluster")

    assert (result.synced, result.failed, result.dead_lettered) == (142, 0, 0)
    assert db_values() == {str(n.pk): note_values(n) for n in stored_notes}
    assert dict(AttendanceMark.objects.values_list("id", "version")) == {
        m.pk: m.version for m in marks
    }
    assert buffer_is_empty()
    assert buffer.model_status(MARKS)["pending"] == 0
    assert sync_all(trigger="test:cluster-again").synced == 0

    # Status, statistics and metrics read the cluster.
    state = status.buffer_status()
    assert (state["pending"], state["dead_letters"]) == (0, 0)
    assert state["last_sync"]["records_synced"] == 0
    assert status.buffer_durability_problems() == []
    assert buffer.stats()["records_synced"] == 142
    assert buffer.stats()["sync_runs"] == 2
    assert buffer.model_stats(LABEL)["pending_records"] == 0
    scraped = scrape(http)  # /metrics
    assert scraped[("schools24_writebuffer_up", ())] == 1
    assert scraped[("schools24_redis_up", (("role", "buffer"),))] == 1
    assert scraped[("schools24_redis_memory_used_bytes", (("role", "buffer"),))] > 0
    assert scraped[("schools24_writebuffer_records_synced_total", ())] == 142
    assert scraped[("schools24_writebuffer_pending_records", (("model", LABEL),))] == 0


def test_dead_letters_are_kept_and_retried_on_the_cluster(cluster_buffer, settings):
    good = buffered_save(make_note(title="good"))
    poison = buffered_save(make_note(owner="bob", title="poison", amount="-1.00"))

    sync_until_empty()

    assert db_values() == {str(good.pk): note_values(good)}
    (letter,) = dead_letters()
    assert letter["payload"]["r"][0]["k"] == str(poison.pk)
    Note.objects.filter(pk=good.pk).delete()
    new_id = buffer_client().dead_letter_retry(LABEL, letter["id"])
    assert new_id is not None and dead_letters() == []
    assert pending_records() == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sync_until_empty()
    assert [letter["payload"]["r"][0]["k"] for letter in dead_letters()] == [str(poison.pk)]
    assert pending_records() == 0


def test_a_write_whose_replica_does_not_confirm_is_not_acknowledged(cluster_buffer, settings):
    """MIN_REPLICAS above what the cluster has: the append is never acknowledged; with fallback
    the row goes to the database (above the unconfirmed entry's version), without it a 503."""
    set_buffer_option(settings, MIN_REPLICAS=2, REPLICA_TIMEOUT_MS=100)
    problems = status.buffer_durability_problems()
    assert len(problems) == 3  # one per master, each named
    short = "1 replica(s) connected, fewer than WRITE_BUFFER_MIN_REPLICAS=2"
    assert all(short in problem for problem in problems), problems

    direct = buffered_save(make_note(title="through"))
    assert db_values() == {str(direct.pk): note_values(direct)}
    with pytest.raises(BufferUnavailable, match="1 of 2 replicas"):
        buffered_save(make_note(title="refused"), fallback=False)

    # Both entries are in the master's log (not acknowledged, but written): the sync applies
    # them, and the written-through row keeps its newer version.
    sync_until_empty()
    assert Note.objects.get(pk=direct.pk).version == direct.version
    assert Note.objects.count() == 2


def test_the_cache_table_gives_djangos_answers_on_the_cluster(cluster_buffer, redis_server):
    server = redis_server(appendonly=False)
    params = {"KEY_PREFIX": "dropin-cluster", "TIMEOUT": 300}
    django_cache = DjangoRedisCache(server.url, params)
    ours = RedisFirstCache(
        cluster_buffer.url,
        {
            **params,
            "OPTIONS": {
                "COMPRESSOR": "apps.writebuffer.codecs.ZstdDictionaryCompressor",
                "CLIENT_CLASS": "apps.writebuffer.client.WriteBufferClient",
                "CONNECTION_FACTORY": "apps.writebuffer.cluster.ClusterAwareConnectionFactory",
            },
        },
    )
    assert isinstance(ours.client.get_client(), RedisCluster)
    differences = []
    for name, operation in OPERATIONS:
        expected, got = outcome(django_cache, operation), outcome(ours, operation)
        if got != expected:
            differences.append(f"{name}: Django {expected!r}, ours {got!r}")
    assert differences == [], "\n".join(differences)
    django_cache.close()


def test_events_dashboards_and_quiz_deadlines_use_the_cluster(cluster_buffer, monkeypatch):
    from apps.dashboards import versions
    from apps.events import registry
    from apps.events.tests import test_services as events_tests
    from apps.quizzes.services import attempts

    # The events engine's own tests, on the cluster's stream (its handlers left out, as there).
    monkeypatch.setattr(registry, "_handlers", {})
    seen: list = []
    registry.handler("test-recorder", types=[events_tests.EventType.HOMEWORK_ASSIGNED])(seen.append)
    try:
        events_tests.test_each_handler_gets_each_wanted_event_once_and_the_stream_is_trimmed(seen)
    finally:
        registry.unregister("test-recorder")
    # The websocket server's relay reads the stream with redis-py's asyncio cluster client.
    events_tests.test_the_relay_sends_live_hints_to_class_and_user_groups()

    versions.versions_bump(["user:1", "class:2", "school:3"])
    read = versions.versions_read(["user:1", "class:2", "school:3", "user:404"])
    assert len(set(read[:3])) == 3 and read[3] == versions.MISSING

    key = attempts._deadlines_key()
    redis_client().zadd(key, {"a": 1.0})
    assert redis_client().zrangebyscore(key, 0, 2) == [b"a"]
    assert caches["writebuffer"].get_many([f"k{i}" for i in range(5)]) == {}


# --- the existing suites, on the cluster ------------------------------------------------------
@pytest.mark.parametrize(
    "case",
    [
        test_durability.test_writes_over_the_pending_limit_go_straight_to_the_database,
        test_durability.test_a_delete_over_the_pending_limit_does_not_bring_the_row_back,
        test_durability.test_an_update_over_the_pending_limit_is_not_overwritten_by_the_older_buffered_one,
        test_durability.test_writes_go_to_the_database_over_the_memory_limit,
    ],
    ids=lambda case: case.__name__,
)
def test_backpressure_on_the_cluster(cluster_buffer, settings, case):
    case(settings)


def test_a_worker_killed_between_commit_and_ack_on_the_cluster(
    cluster_buffer, celery_workers, tmp_path
):
    test_workers.test_a_worker_killed_between_commit_and_ack_leaves_no_duplicate(
        celery_workers, tmp_path
    )


def test_two_workers_at_once_on_the_cluster(cluster_buffer, celery_workers):
    test_workers.test_two_workers_syncing_at_once_store_every_write_once(celery_workers)


def test_stats_keys_are_per_model(cluster_buffer):
    """Every script touches one slot: a model's counters live in its own hash."""
    buffered_save(make_note())
    assert redis_client().hget(model_key(LABEL, "stats"), "pending_records") == b"1"
