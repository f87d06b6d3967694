"""A PostgreSQL primary and its streaming standby, in temporary directories, for tests.

The machine's shared PostgreSQL accepts no replication connections (its pg_hba has no
``replication`` line) and may not be reconfigured, so the tests make their own pair with the
Debian binaries: ``initdb`` a primary, ``pg_basebackup -R`` a standby from it, start both.
PostgreSQL refuses to run as root; as root the commands run as the ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import psycopg


def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} not found: install the postgresql package")
    return path


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str]) -> None:
    subprocess.run(_as_postgres(args), check=True, capture_output=True, timeout=180)


def free_port(start: int, end: int) -> int:
    for port in range(start, end):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {start}-{end}")


@dataclass
class Server:
    data_dir: str
    port: int

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        _run(
            [
                pg_bin("pg_ctl"), "-D", self.data_dir, "-l", f"{self.data_dir}/server.log",
                "-o", f"-p {self.port} -k {self.data_dir} -c listen_addresses=127.0.0.1",
                "-w", "-t", "60", "start",
            ]
        )  # fmt: skip

    def stop(self) -> None:
        if os.path.exists(f"{self.data_dir}/postmaster.pid"):
            _run([pg_bin("pg_ctl"), "-D", self.data_dir, "-m", "fast", "-w", "stop"])


@dataclass
class Pair:
    primary: Server
    standby: Server

    def wait_replayed(self, timeout: float = 30) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        with psycopg.connect(self.primary.url("postgres"), autocommit=True) as db:
            row = db.execute("SELECT pg_current_wal_lsn()::text").fetchone()
            assert row is not None
            target = row[0]
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.standby.url("postgres"), autocommit=True) as db:
            while True:
                row = db.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]
                ).fetchone()
                if row and row[0]:
                    return
                if time.monotonic() > deadline:
                    raise TimeoutError("the standby did not catch up")
                time.sleep(0.1)


@contextmanager
def primary_and_standby(port_range: tuple[int, int]) -> Iterator[Pair]:
    """Starts both; stops both and deletes their files however the block ends."""
    base = tempfile.mkdtemp(prefix="s24-pgpair-")
    postgres = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    if postgres:
        os.chown(base, postgres.pw_uid, postgres.pw_gid)
    primary = Server(f"{base}/primary", free_port(*port_range))
    standby = Server(f"{base}/standby", free_port(primary.port + 1, port_range[1]))
    started: list[Server] = []
    try:
        # initdb's default pg_hba trusts replication connections from 127.0.0.1.
        _run(
            [pg_bin("initdb"), "-D", primary.data_dir, "-U", "postgres", "-A", "trust", "--no-sync"]
        )
        with open(f"{primary.data_dir}/postgresql.conf", "a") as conf:
            conf.write("fsync = off\nwal_level = replica\nmax_wal_senders = 5\nhot_standby = on\n")
        primary.start()
        started.append(primary)
        _run(
            [
                pg_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U",
                "postgres", "-D", standby.data_dir, "-R", "-X", "stream", "--no-sync",
            ]
        )  # fmt: skip
        standby.start()
        started.append(standby)
        yield Pair(primary, standby)
    finally:
        for server in reversed(started):
            with suppress(subprocess.SubprocessError):
                server.stop()
        shutil.rmtree(base, ignore_errors=True)
