"""The sync under failure: poison records, a failing database, concurrent writers and syncs."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from decimal import Decimal
from typing import cast

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection

from apps.writebuffer.cache import buffer_client
from apps.writebuffer.connection import failures_key
from apps.writebuffer.models import SyncRun
from apps.writebuffer.registry import registration_for
from apps.writebuffer.selectors import get_with_pending
from apps.writebuffer.services import buffered_delete, buffered_save, buffered_save_many
from apps.writebuffer.sync import DatabaseUnavailable, _ModelSync, sync_all
from apps.writebuffer.tests.conftest import (
    LABEL,
    buffer_is_empty,
    database_url,
    db_values,
    dead_letter_pks,
    dead_letters,
    free_port,
    group_pending,
    make_note,
    note_values,
    pending_records,
    set_buffer_option,
    subprocess_env,
    sync_until_empty,
    wait_for,
)
from apps.writebuffer.tests.sample.models import Note


def failure_counts() -> dict[str, int]:
    raw = cast(dict[bytes, bytes], buffer_client().redis.hgetall(failures_key(LABEL)))
    return {key.decode(): int(value) for key, value in raw.items()}


def in_thread(target, *args, **kwargs) -> tuple[threading.Thread, dict]:
    """Run ``target`` in a thread with its own database connection, closed at the end."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = target(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the test to assert on
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


# --- poison records ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_poison_record_goes_to_dead_letters_after_max_deliveries_and_the_rest_sync():
    assert django_settings.WRITE_BUFFER["MAX_DELIVERIES"] == 3
    good = buffered_save_many([make_note(owner="bob", title=f"b{i}") for i in range(20)])
    poison = buffered_save(make_note(owner="alice", title="poison", amount=Decimal("-5.00")))
    more = [buffered_save(make_note(owner="carol", title=f"c{i}")) for i in range(9)]
    healthy = [*good, *more]

    first = sync_all(trigger="test")

    # The rest is in the database; the poison record stays pending, visible, not yet dead.
    assert (first.synced, first.dead_lettered) == (29, 0)
    assert first.failed == 1
    assert db_values() == {str(n.pk): note_values(n) for n in healthy}
    assert (pending_records(), dead_letters()) == (1, [])
    assert get_with_pending(Note.objects.all(), poison.pk, visible=bool).title == "poison"

    second = sync_all(trigger="test")
    assert (second.synced, second.failed, second.dead_lettered) == (0, 1, 0)
    assert (pending_records(), dead_letters()) == (1, [])

    third = sync_all(trigger="test")
    assert (third.synced, third.failed, third.dead_lettered) == (0, 0, 1)

    letters = dead_letters()
    assert len(letters) == 1
    assert dead_letter_pks(letters[0]) == [str(poison.pk)]
    assert letters[0]["failures"] == 3
    assert "note_amount_gte_0" in letters[0]["error"]
    assert buffer_is_empty()
    assert failure_counts() == {}
    assert db_values() == {str(n.pk): note_values(n) for n in healthy}
    # Dead, not pending: readers no longer see it (it was never stored).
    assert get_with_pending(Note.objects.all(), poison.pk, visible=bool) is None
    statuses = list(SyncRun.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["partial", "partial", "partial"]


@pytest.mark.django_db
def test_a_poison_record_inside_a_multi_row_write_holds_back_only_itself():
    rows = [make_note(owner="alice", title=f"a{i}") for i in range(9)]
    rows.insert(4, make_note(owner="alice", title="poison", amount=Decimal("-1.00")))
    buffered_save_many(rows)
    healthy = [row for row in rows if row.title != "poison"]

    results = [sync_all(trigger="test") for _ in range(3)]

    assert sum(r.synced for r in results) == 9
    assert sum(r.dead_lettered for r in results) == 1
    assert db_values() == {str(n.pk): note_values(n) for n in healthy}
    assert [dead_letter_pks(letter) for letter in dead_letters()] == [[str(rows[4].pk)]]
    assert buffer_is_empty()


def _make_dead_letter() -> Note:
    poison = buffered_save(make_note(title="poison", amount=Decimal("-2.50")))
    for _ in range(3):
        sync_all(trigger="test")
    assert [dead_letter_pks(letter) for letter in dead_letters()] == [[str(poison.pk)]]
    return poison


@pytest.mark.django_db
def test_discarding_a_dead_letter_removes_it_and_stores_nothing():
    _make_dead_letter()
    letter = dead_letters()[0]

    assert buffer_client().dead_letter_discard(LABEL, letter["id"]) is True

    assert dead_letters() == []
    assert buffer_is_empty()
    assert sync_all(trigger="test").synced == 0
    assert Note.objects.count() == 0
    assert buffer_client().dead_letter_discard(LABEL, letter["id"]) is False


@pytest.mark.django_db
def test_retrying_a_dead_letter_whose_cause_remains_dead_letters_it_again():
    poison = _make_dead_letter()
    letter = dead_letters()[0]

    assert buffer_client().dead_letter_retry(LABEL, letter["id"]) is not None

    assert dead_letters() == []
    assert pending_records() == 1
    assert get_with_pending(Note.objects.all(), poison.pk, visible=bool).title == "poison"
    results = [sync_all(trigger="test") for _ in range(3)]
    assert [(r.synced, r.dead_lettered) for r in results] == [(0, 0), (0, 0), (0, 1)]
    assert [dead_letter_pks(letter) for letter in dead_letters()] == [[str(poison.pk)]]
    assert Note.objects.count() == 0
    assert buffer_is_empty()


@pytest.mark.django_db
def test_retrying_a_dead_letter_after_the_cause_is_fixed_stores_it_once():
    poison = _make_dead_letter()
    healthy = buffered_save(make_note(title="healthy"))
    # The fix: a migration relaxes the constraint (undone when the test's transaction rolls back).
    with connection.cursor() as cursor:
        cursor.execute('ALTER TABLE "wbsample_note" DROP CONSTRAINT "note_amount_gte_0"')

    assert buffer_client().dead_letter_retry(LABEL, dead_letters()[0]["id"]) is not None
    assert buffer_client().dead_letter_retry(LABEL, "1-1") is None

    result = sync_all(trigger="test")

    assert (result.synced, result.failed, result.dead_lettered) == (2, 0, 0)
    assert db_values() == {str(n.pk): note_values(n) for n in (poison, healthy)}
    assert Note.objects.get(pk=poison.pk).amount == Decimal("-2.50")
    assert dead_letters() == []
    assert buffer_is_empty()


# --- a database that fails for a while, then heals --------------------------------------------
def _backend_waiting_on_notes(conninfo: str, database: str) -> int | None:
    with psycopg.connect(conninfo, autocommit=True) as observer:
        row = observer.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
            "AND query LIKE 'INSERT INTO \"wbsample_note\"%%'",
            [database],
        ).fetchone()
    return row[0] if row else None


@pytest.mark.django_db(transaction=True)
def test_a_database_that_fails_mid_sync_then_heals_gets_every_write_exactly_once():
    conninfo = database_url().replace("postgres://", "postgresql://", 1)
    database = connection.settings_dict["NAME"]
    written: list[Note] = []
    written += buffered_save_many([make_note(owner="alice", title=f"a{i}") for i in range(40)])
    written += [buffered_save(make_note(owner="bob", title=f"b{i}")) for i in range(10)]

    # Twice: the sync's connection dies while it writes (an operator's pg_terminate_backend,
    # a failover, a network cut). Meanwhile the buffer keeps accepting writes.
    for outage in range(2):
        with psycopg.connect(conninfo) as blocker:
            blocker.execute('LOCK TABLE "wbsample_note" IN ACCESS EXCLUSIVE MODE')
            thread, outcome = in_thread(sync_all, trigger=f"test:outage{outage}")
            pid = wait_for(
                lambda: _backend_waiting_on_notes(conninfo, database),
                timeout=30,
                what="the sync to wait on the table lock",
            )
            with psycopg.connect(conninfo, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            thread.join(timeout=30)
            assert not thread.is_alive()
            assert isinstance(outcome.get("error"), DatabaseUnavailable), outcome
            written += [
                buffered_save(make_note(owner="carol", title=f"c{outage}-{i}")) for i in range(15)
            ]
            blocker.rollback()

        assert Note.objects.count() == 0
        assert pending_records() == len(written)
        assert failure_counts() == {}  # an unreachable database is nobody's fault

    result = sync_all(trigger="test:healed")

    assert (result.synced, result.failed, result.dead_lettered) == (80, 0, 0)
    assert db_values() == {str(n.pk): note_values(n) for n in written}
    assert len(written) == 80
    assert buffer_is_empty()
    assert dead_letters() == []
    assert list(SyncRun.objects.order_by("pk").values_list("status", flat=True)) == [
        "failed",
        "failed",
        "ok",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_sync_that_cannot_reach_the_database_at_all_reports_it_and_loses_nothing():
    written = [buffered_save(make_note(title=f"n{i}")) for i in range(25)]
    down = f"postgres://postgres@127.0.0.1:{free_port()}/{connection.settings_dict['NAME']}"
    script = (
        "from apps.writebuffer.sync import DatabaseUnavailable, sync_all\n"
        "try:\n"
        "    sync_all(trigger='test:down')\n"
        "except DatabaseUnavailable:\n"
        "    print('DATABASE-UNAVAILABLE')\n"
    )

    run = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=django_settings.BASE_DIR,
        env=subprocess_env(DATABASE_URL=down),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert run.returncode == 0, run.stderr[-3000:]
    assert "DATABASE-UNAVAILABLE" in run.stdout
    assert pending_records() == 25
    assert failure_counts() == {}
    written += [buffered_save(make_note(title=f"m{i}")) for i in range(5)]
    assert sync_all(trigger="test:healed").synced == 30
    assert db_values() == {str(n.pk): note_values(n) for n in written}
    assert buffer_is_empty()


# --- concurrency ------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_many_threads_writing_while_syncs_run_lose_and_duplicate_nothing(settings):
    set_buffer_option(settings, BATCH_SIZE=40)
    writers, rows_per_writer, rounds = 4, 40, 3
    shared_pks = [make_note().pk for _ in range(10)]
    stop = threading.Event()
    lock = threading.Lock()
    expected: dict[str, tuple | None] = {}
    shared_writes: list[tuple[int, tuple]] = []
    stale_reads: list[str] = []
    sync_results = []

    def check(note: Note | None, pk, owner: str) -> None:
        seen = get_with_pending(Note.objects.filter(owner=owner), pk, visible=lambda n: True)
        wanted = note_values(note) if note is not None else None
        if (note_values(seen) if seen is not None else None) != wanted:
            stale_reads.append(f"{owner} {pk}")

    def writer(number: int) -> None:
        rng = random.Random(number)
        owner = f"w{number}"
        mine = [make_note(owner=owner, title=f"{owner}-0-{i}") for i in range(rows_per_writer)]
        for start in range(0, rows_per_writer, 10):
            buffered_save_many(mine[start : start + 10])
        for note in mine[::5]:
            check(note, note.pk, owner)
        deleted = set()
        for round_number in range(1, rounds + 1):
            for note in rng.sample(mine, rows_per_writer // 2):
                if note.pk in deleted:
                    continue
                if rng.random() < 0.1:
                    buffered_delete(note)
                    deleted.add(note.pk)
                    check(None, note.pk, owner)
                    continue
                note.title = f"{owner}-{round_number}"
                note.amount = Decimal(rng.randrange(0, 100_000)) / 100
                note.tags = [round_number, number]
                buffered_save(note)
                check(note, note.pk, owner)
            for pk in shared_pks[number::2]:
                shared = Note(pk=pk, owner="shared", title=f"{owner}-{round_number}")
                buffered_save(shared)
                with lock:
                    shared_writes.append((shared.version, note_values(shared)))
        with lock:
            for note in mine:
                expected[str(note.pk)] = None if note.pk in deleted else note_values(note)

    def syncer() -> None:
        while not stop.is_set():
            result = sync_all(trigger="test:concurrent")
            with lock:
                sync_results.append(result)

    syncers = [in_thread(syncer) for _ in range(2)]
    threads = [in_thread(writer, number) for number in range(writers)]
    for thread, outcome in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()
        assert "error" not in outcome, outcome
    stop.set()
    for thread, outcome in syncers:
        thread.join(timeout=60)
        assert "error" not in outcome, outcome
    sync_until_empty()

    for _version, values in sorted(shared_writes):
        expected[values[0]] = values  # the highest version of each shared row wins
    assert stale_reads == []
    assert sum(1 for r in sync_results if r.ran) >= 1
    assert db_values() == {pk: values for pk, values in expected.items() if values is not None}
    assert len(shared_writes) == rounds * (5 + 5 + 4 + 4)  # writer n writes shared_pks[n::2]
    assert buffer_is_empty()
    assert dead_letters() == []


@pytest.mark.django_db(transaction=True)
def test_two_sync_runs_at_once_store_everything_once():
    notes = []
    for owner in ("alice", "bob", "carol", "dave"):
        notes += buffered_save_many([make_note(owner=owner, title=f"t{i}") for i in range(250)])

    runs = [in_thread(sync_all, trigger=f"test:twin{i}") for i in range(2)]
    for thread, outcome in runs:
        thread.join(timeout=60)
        assert "error" not in outcome, outcome
    results = [outcome["result"] for _thread, outcome in runs]

    # Either the second found the lock taken and skipped, or it ran after the first and found
    # nothing left: together they stored each of the 1000 writes once.
    assert sum(r.synced for r in results) == 1000
    assert sorted(r.synced for r in results) == [0, 1000]
    assert db_values() == {str(n.pk): note_values(n) for n in notes}
    statuses = sorted(
        SyncRun.objects.filter(trigger__startswith="test:twin").values_list("status", flat=True)
    )
    assert statuses in (["ok", "ok"], ["ok", "skipped"])
    assert buffer_is_empty()
    assert sync_until_empty() == []


@pytest.mark.django_db(transaction=True)
def test_two_syncs_without_the_lock_split_the_log_and_store_everything_once(settings):
    # Long claim delay: neither consumer may take over entries the other is still writing.
    set_buffer_option(settings, BATCH_SIZE=25, CLAIM_IDLE_SECONDS=600)
    notes = []
    for owner in range(40):
        notes += buffered_save_many(
            [make_note(owner=f"o{owner}", title=f"t{i}") for i in range(10)]
        )
    for i in range(200):
        notes.append(buffered_save(make_note(owner=f"o{i % 7}", title=f"single{i}")))
    registration = registration_for(Note)
    barrier = threading.Barrier(2)

    def consume(name: str):
        barrier.wait(timeout=10)
        return _ModelSync(registration, name).run(10_000)

    runs = [in_thread(consume, f"consumer-{i}") for i in range(2)]
    for thread, outcome in runs:
        thread.join(timeout=60)
        assert "error" not in outcome, outcome
    results = [outcome["result"] for _thread, outcome in runs]

    assert sum(r.synced for r in results) == 600
    assert [r.failed + r.dead_lettered for r in results] == [0, 0]
    assert db_values() == {str(n.pk): note_values(n) for n in notes}
    assert group_pending() == 0
    assert buffer_is_empty()


@pytest.mark.django_db
def test_an_undecodable_entry_is_dead_lettered_without_blocking_the_rest():
    from django_redis.exceptions import CompressorError

    from apps.writebuffer.connection import log_key, model_key

    buffer_client().redis.xadd(log_key(LABEL), {"d": b"\x07not a payload"})
    # As if its three rows had been counted when it was written, before it got corrupted.
    buffer_client().redis.hincrby(model_key(LABEL, "stats"), "pending_records", 3)
    notes = [buffered_save(make_note(title=f"n{i}")) for i in range(5)]

    results = [sync_all(trigger="test") for _ in range(3)]

    assert [(r.synced, r.failed, r.dead_lettered) for r in results] == [
        (5, 1, 0),
        (0, 1, 0),
        (0, 0, 1),
    ]
    assert db_values() == {str(n.pk): note_values(n) for n in notes}
    letters = dead_letters()
    assert len(letters) == 1
    assert letters[0]["payload"] is None
    assert letters[0]["error"] == "undecodable: CompressorError('unknown codec header 0x07')"
    assert buffer_is_empty()
    # Its rows could not be counted, but an empty log resets the counter the metrics read.
    assert buffer_client().model_stats(LABEL)["pending_records"] == 0
    with pytest.raises((CompressorError, ValueError)):  # refused: it cannot be decoded
        buffer_client().dead_letter_retry(LABEL, letters[0]["id"])
    assert buffer_client().dead_letter_discard(LABEL, letters[0]["id"]) is True
    assert dead_letters() == []


@pytest.mark.django_db
def test_an_entry_whose_dictionary_is_missing_names_that_cause():
    import struct

    from apps.writebuffer.connection import log_key

    buffer_client().redis.xadd(log_key(LABEL), {"d": b"\x03" + struct.pack(">H", 999) + b"x"})

    for _ in range(3):
        sync_all(trigger="test")

    [letter] = dead_letters()
    assert letter["error"] == (
        "undecodable: CompressorError('compression dictionary 999 does not exist')"
    )


@pytest.mark.django_db
def test_one_run_is_bounded_by_its_record_budget():
    notes = [buffered_save(make_note(owner=f"o{i % 3}", title=f"n{i}")) for i in range(250)]

    first = sync_all(trigger="test", max_records=100)

    assert first.synced == 100
    assert (Note.objects.count(), pending_records()) == (100, 150)
    assert sync_all(trigger="test", max_records=100).synced == 100
    assert sync_all(trigger="test", max_records=100).synced == 50
    assert db_values() == {str(n.pk): note_values(n) for n in notes}
    assert buffer_is_empty()


@pytest.mark.django_db
def test_thresholds_ask_for_an_early_sync(settings):
    from apps.writebuffer.tasks import thresholds_exceeded

    set_buffer_option(settings, FLUSH_AT_PENDING=3, FLUSH_AT_BYTES=10**9, FLUSH_AT_AGE_SECONDS=3600)
    buffered_save_many([make_note(owner=f"o{i}") for i in range(2)])
    assert thresholds_exceeded() == []

    buffered_save(make_note(owner="o3"))
    assert thresholds_exceeded() == [f"pending:{LABEL}"]

    set_buffer_option(settings, FLUSH_AT_PENDING=100, FLUSH_AT_BYTES=1, FLUSH_AT_AGE_SECONDS=0)
    assert thresholds_exceeded() == [f"bytes:{LABEL}", f"age:{LABEL}"]

    set_buffer_option(settings, FLUSH_AT_PENDING=3, FLUSH_AT_BYTES=10**9, FLUSH_AT_AGE_SECONDS=0)
    sync_all(trigger="test")
    assert thresholds_exceeded() == []  # nothing pending is never too old
