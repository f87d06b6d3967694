"""Read replicas over a real primary and streaming standby (apps/core/tests/pgpair.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.db import connections, router, transaction

from apps.core import replicas
from apps.core.tests.pgpair import Pair, primary_and_standby
from apps.fees.models import Invoice
from apps.grades.models import GradeMark
from apps.users.models import School

ROOT = Path(__file__).resolve().parents[3]
PORTS = (7300, 7340)


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    with primary_and_standby(PORTS) as pair:
        with psycopg.connect(pair.primary.url("postgres"), autocommit=True) as db:
            db.execute("CREATE DATABASE schools24")
        env = {**os.environ, "DATABASE_URL": pair.primary.url("schools24")}
        env.pop("DATABASE_REPLICA_URLS", None)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT, env=env, check=True, timeout=300,
        )  # fmt: skip
        pair.wait_replayed()
        yield pair


class Probe:
    """apps/core/tests/replica_probe.py in its own process, configured with the pair."""

    def __init__(self, pair: Pair) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": pair.primary.url("schools24"),
            "DATABASE_REPLICA_URLS": pair.standby.url("schools24"),
            "DATABASE_POOL": "1",  # production's pool and timeouts
            # The health check would notice a stopped standby only after this long: a read
            # that meets the dead standby first must still answer (retried on the primary).
            "DATABASE_REPLICA_CHECK_SECONDS": "600",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "apps.core.tests.replica_probe"],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.read() == {"ready": True}

    def read(self) -> dict:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, "the probe exited"
        return json.loads(line)

    def ask(self, command: str) -> dict:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(timeout=30) == 0


@pytest.mark.slow
def test_lag_tolerant_reads_use_the_standby_until_it_stops(pair: Pair) -> None:
    probe = Probe(pair)
    try:
        # A lag-tolerant read is served by the standby's server.
        assert probe.ask("served_by") == {"port": pair.standby.port}
        # The real fee report API, through every middleware: its invoice query ran on the
        # replica alias only.
        pair.wait_replayed()  # the probe's school and admin, created on the primary
        assert probe.ask("fee_report") == {
            "status": 200,
            "invoice_queries": {"default": 0, "replica": 1},
        }
        # A request that wrote reads from the primary for the rest of it, whether the write
        # went through the ORM or was raw SQL (the write buffer's write-through upserts).
        for command in ("write_then_read", "write_then_read_raw"):
            assert probe.ask(command) == {
                "status": 200,
                "before": pair.standby.port,
                "after": pair.primary.port,
                "rows": 0,
            }
        # The next request starts unpinned again.
        assert probe.ask("fee_report")["invoice_queries"] == {"default": 0, "replica": 1}

        pair.standby.stop()
        # The cached health still says "usable" (checks every 600 s here): the read meets the
        # dead standby, which is marked down, and is answered by the primary without an error.
        assert probe.ask("served_by") == {"port": pair.primary.port}
        assert probe.ask("health") == {"usable": False}
        assert probe.ask("fee_report") == {
            "status": 200,
            "invoice_queries": {"default": 1, "replica": 0},
        }
    finally:
        probe.close()


@pytest.mark.slow
def test_a_standby_too_far_behind_is_not_used(pair: Pair, settings) -> None:
    """Lag over DATABASE_REPLICA_MAX_LAG_SECONDS: the replica is skipped. Measured on the real
    standby with WAL replay paused (the primary keeps writing, the standby falls behind)."""
    if not os.path.exists(f"{pair.standby.data_dir}/postmaster.pid"):
        pair.standby.start()
    standby_url = pair.standby.url("schools24")
    with psycopg.connect(standby_url, autocommit=True) as standby:
        standby.execute("SELECT pg_wal_replay_pause()")
        try:
            with psycopg.connect(pair.primary.url("schools24"), autocommit=True) as primary:
                primary.execute("CREATE TABLE IF NOT EXISTS lag_probe (at timestamptz)")
                primary.execute("INSERT INTO lag_probe VALUES (now())")
            row = standby.execute(replicas.LAG_SQL).fetchone()
            assert row is not None
            lag = row[0]
        finally:
            standby.execute("SELECT pg_wal_replay_resume()")
    # Paused with WAL received but not replayed: the lag is the age of the last replayed
    # transaction, not zero.
    assert lag > 0
    pair.wait_replayed()
    with psycopg.connect(standby_url, autocommit=True) as standby:
        row = standby.execute(replicas.LAG_SQL).fetchone()
    assert row == (0.0,)  # caught up and streaming


def test_migrations_only_on_the_primary() -> None:
    for model in apps.get_models():
        label = model._meta.app_label
        assert router.allow_migrate("default", label, model_name=model._meta.model_name)
        assert not router.allow_migrate("replica", label, model_name=model._meta.model_name)
    assert connections["replica"].settings_dict["TEST"]["MIRROR"] == "default"


@pytest.mark.django_db
def test_reads_default_to_the_primary() -> None:
    replicas.forget_health()
    with replicas.primary_scope():  # unpinned, as at the start of a request
        assert router.db_for_read(Invoice) == "default"  # not opted in
        with replicas.lag_tolerant():
            # Opted in, but the alias is this test run's mirror and the test did not list it in
            # ``databases`` (Django forbids its queries): the primary serves the read.
            assert router.db_for_read(Invoice) == "default"
            assert replicas.replica_health("replica").usable is False


@pytest.mark.django_db(databases=["default", "replica"], transaction=True)
def test_lag_tolerant_reads_go_to_the_replica_except_buffered_models() -> None:
    replicas.forget_health()
    with replicas.primary_scope(), replicas.lag_tolerant():
        assert router.db_for_read(Invoice) == "replica"
        assert School.objects.count() == 0  # served by the mirror alias without an error
        # A model registered with the write buffer: its reads merge Redis's pending entries
        # and are complete only against the primary.
        assert router.db_for_read(GradeMark) == "default"

        with transaction.atomic():
            assert router.db_for_read(Invoice) == "default"
        assert router.db_for_read(Invoice) == "replica"
        assert router.db_for_write(Invoice) == "default"  # and pins
        assert router.db_for_read(Invoice) == "default"
    with replicas.primary_scope(), replicas.lag_tolerant():
        assert router.db_for_read(Invoice) == "replica"  # the pin ended with its scope
