"""``manage.py bench_sync_scaling``: how the sync's throughput grows with parallel sync workers.

For each worker count (``--workers 1,2,4``) it fills the buffer with ``--records`` records of a
school's days (attendance marks and their change log, homework submissions, grade marks: four
models, one partition per register, homework or assessment), starts that many sync processes
(``manage.py bench_sync_scaling --as-worker``, each a non-exclusive sync run in a loop, as Celery
workers with ``WRITE_BUFFER_SYNC_EXCLUSIVE=0`` would be), releases them at once and times until
the last one has found nothing left. It then checks that every buffered row is in PostgreSQL with
its newest version and that the buffer is empty.

Every count runs against the same PostgreSQL and a private ``redis-server`` (or ``--redis-url``,
which must be empty; a ``redis+cluster://`` URL measures a cluster). Compare the figures within
one run: the machine's other work moves them.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from apps.benchmarks import workload
from apps.benchmarks.redis_server import private_redis, use_buffer_redis
from apps.core.database import database_url
from apps.writebuffer import dictionaries
from apps.writebuffer.cache import buffer_client
from apps.writebuffer.connection import log_key
from apps.writebuffer.registry import registration_for, registrations
from apps.writebuffer.sync import sync_all

GO = "go\n"


class Command(BaseCommand):
    help = "Benchmark the sync with 1, 2 and 4 parallel sync workers (records per second)."

    def add_arguments(self, parser):
        parser.add_argument("--records", type=int, default=20_000, help="records per measurement")
        parser.add_argument(
            "--workers", default="1,2,4", help="comma-separated worker counts to measure"
        )
        parser.add_argument(
            "--threads", type=int, default=1, help="models synced side by side in each worker"
        )
        parser.add_argument("--batch-size", type=int, default=1000, help="entries per batch")
        parser.add_argument(
            "--rounds",
            type=int,
            default=1,
            help="measure every worker count this many times, in turn (the median is reported)",
        )
        parser.add_argument("--redis-url", help="an empty Redis to use instead of a private one")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--as-worker", action="store_true", help="(internal) one sync worker")

    def log(self, message: str) -> None:
        (self.stderr if self.as_json else self.stdout).write(message)

    def handle(self, *args, **options):
        if options["as_worker"]:
            self.run_worker()
            return
        self.as_json = options["json"]
        if connection.vendor != "postgresql":
            raise CommandError(
                "bench_sync_scaling measures PostgreSQL: run it with "
                "DATABASE_URL=postgres://USER@HOST:5432/NAME (after `manage.py migrate`)."
            )
        try:
            counts = [int(part) for part in options["workers"].split(",") if part.strip()]
        except ValueError:
            raise CommandError("--workers takes worker counts such as 1,2,4") from None
        if not counts or min(counts) < 1:
            raise CommandError("--workers takes worker counts of at least 1, such as 1,2,4")
        if options["records"] < 100:
            raise CommandError("--records must be at least 100")
        with private_redis(options.get("redis_url")) as redis_url, use_buffer_redis(redis_url):
            school = workload.create_school(students_per_class=40, classes=2)
            try:
                results = self.measure(school, counts, redis_url, options)
            finally:
                self.log("Cleaning up the benchmark school...")
                workload.delete_school(school)
        self.stdout.write(json.dumps(results, indent=None if self.as_json else 2))

    # --- the parent ---------------------------------------------------------------------------
    def measure(self, school, counts: list[int], redis_url: str, options: dict) -> dict:
        rounds = []
        for round_number in range(1, options["rounds"] + 1):
            for workers in counts:
                self.log(
                    f"Round {round_number}: filling the buffer with {options['records']} records..."
                )
                workload.write_school_days(school, options["records"])
                expected = self.expected_rows()
                records = sum(len(rows) for rows in expected.values())
                self.log(
                    f"Round {round_number}: syncing {records} records with {workers} worker(s)..."
                )
                seconds, synced = self.timed_sync(workers, records, redis_url, options)
                self.check_landed(expected)
                rounds.append(
                    {
                        "round": round_number,
                        "workers": workers,
                        "records": records,
                        "records_synced": synced,
                        "seconds": round(seconds, 3),
                        "records_per_second": round(records / seconds),
                    }
                )
                self.log(
                    f"  {workers} worker(s): {records / seconds:,.0f} records/s, all rows landed"
                )
        runs: list[dict[str, Any]] = []
        for workers in counts:
            mine = [run for run in rounds if run["workers"] == workers]
            runs.append(
                {
                    "workers": workers,
                    "records": sum(run["records"] for run in mine),
                    "records_synced": sum(run["records_synced"] for run in mine),
                    "records_per_second": round(
                        statistics.median(run["records_per_second"] for run in mine)
                    ),
                    "records_per_second_rounds": [run["records_per_second"] for run in mine],
                }
            )
        base = float(runs[0]["records_per_second"])
        for run in runs:
            run["ratio_to_first"] = round(float(run["records_per_second"]) / base, 2)
        return {
            "runs": runs,
            "rounds": rounds,
            "threads_per_worker": options["threads"],
            "batch_size": options["batch_size"],
            "buffer_redis": "cluster" if "+cluster://" in redis_url else "single",
            "cpus": os.cpu_count(),
            "load_average_at_end": [round(value, 2) for value in os.getloadavg()],
        }

    def expected_rows(self) -> dict[str, dict[str, int]]:
        """Model label -> row id -> newest buffered version, from the buffer itself."""
        expected: dict[str, dict[str, int]] = {}
        for label, record in workload.pending_rows(buffer_client()):
            rows = expected.setdefault(label, {})
            rows[record["k"]] = max(rows.get(record["k"], 0), record["v"])
        return expected

    def timed_sync(
        self, workers: int, records: int, redis_url: str, options: dict
    ) -> tuple[float, int]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get(
                "DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE
            ),
            "DATABASE_URL": database_url(),
            "WRITE_BUFFER_REDIS_URL": redis_url,
            "WRITE_BUFFER_SYNC_THREADS": str(options["threads"]),
            "WRITE_BUFFER_BATCH_SIZE": str(options["batch_size"]),
            # No worker takes over another's entries while it is still writing them.
            "WRITE_BUFFER_CLAIM_IDLE_SECONDS": "600",
            "PYTHONUNBUFFERED": "1",
        }
        manage = Path(settings.BASE_DIR) / "manage.py"
        processes = [
            subprocess.Popen(
                [sys.executable, str(manage), "bench_sync_scaling", "--as-worker"],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(workers)
        ]
        try:
            for process in processes:  # each says "ready" once Django is set up
                assert process.stdout is not None
                if process.stdout.readline().strip() != "ready":
                    raise CommandError("a sync worker failed to start (its error is above)")
            started = time.perf_counter()
            for process in processes:
                assert process.stdin is not None
                process.stdin.write(GO)
                process.stdin.flush()
            self.wait_with_progress(processes, records)
            seconds = time.perf_counter() - started
            synced = 0
            for process in processes:
                assert process.stdout is not None
                report = json.loads(process.stdout.read())
                if process.wait() != 0:
                    raise CommandError("a sync worker failed (its error is above)")
                synced += report["synced"]
                self.log(
                    f"  a worker synced {report['synced']} records in {report['runs']} runs, "
                    f"{report['seconds']:.2f} s"
                )
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        return seconds, synced

    def wait_with_progress(self, processes: list[subprocess.Popen], records: int) -> None:
        client = buffer_client()
        last = time.monotonic()
        while any(process.poll() is None for process in processes):
            time.sleep(0.05)
            if time.monotonic() - last >= 1.0:
                last = time.monotonic()
                pending = sum(client.model_status(r.label)["pending"] for r in registrations())
                self.log(f"  {records - pending}/{records} synced")

    def check_landed(self, expected: dict[str, dict[str, int]]) -> None:
        client = buffer_client()
        for label, rows in expected.items():
            model = registration_for(label).model
            stored = dict(
                model._default_manager.filter(pk__in=[uuid.UUID(pk) for pk in rows]).values_list(
                    "pk", "version"
                )
            )
            if {str(pk): version for pk, version in stored.items()} != rows:
                raise CommandError(
                    f"{label}: {len(stored)} of {len(rows)} rows in PostgreSQL with their newest "
                    "version after the sync"
                )
            if client.redis.xlen(log_key(label)) or client.dead_letters(label):
                raise CommandError(f"{label}: the buffer is not empty after the sync")

    # --- one worker ---------------------------------------------------------------------------
    def run_worker(self) -> None:
        """Wait for "go" on stdin, sync until nothing is left, print what this worker synced."""
        # Warm, as a long-running worker is: connections open, modules loaded, dictionaries read.
        connection.ensure_connection()
        buffer_client().redis.ping()
        dictionaries.dictionaries_mirror()
        for registration in registrations():
            buffer_client().ensure_group(registration.label)
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        if sys.stdin.readline() != GO:
            return
        started = time.perf_counter()
        synced = 0
        runs: list[dict[str, Any]] = []
        while True:
            result = sync_all(trigger="bench:scaling", max_records=10**9, exclusive=False)
            synced += result.synced
            runs.append({"synced": result.synced, "failed": result.failed})
            if not (result.synced or result.failed or result.dead_lettered):
                break
        seconds = time.perf_counter() - started
        sys.stdout.write(json.dumps({"synced": synced, "runs": len(runs), "seconds": seconds}))
