"""``manage.py bench_writebuffer``: measure the write buffer against the alternatives, in one run.

Everything is compared within the same run on the same machine (these machines are noisy):
the buffer's Redis memory against the raw JSON and the original design's layout, and the same
API endpoint with the model buffered against the model written through.

It needs PostgreSQL (``DATABASE_URL``). It runs a private ``redis-server`` on a free loopback port
so that ``INFO memory`` sees only the buffer (or uses ``--redis-url``, which must be empty), and
creates its own school, which it deletes at the end.
"""

from __future__ import annotations

import json
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from apps.benchmarks import api_load, workload
from apps.benchmarks.redis_server import private_redis, use_buffer_redis
from apps.writebuffer import dictionaries
from apps.writebuffer.cache import buffer_client
from apps.writebuffer.cluster import is_cluster_url
from apps.writebuffer.registry import Policy, registration_for, set_policy
from apps.writebuffer.sync import sync_all


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class Command(BaseCommand):
    help = "Benchmark the write buffer: memory, sync throughput, API writes, database statements."

    def add_arguments(self, parser):
        parser.add_argument("--records", type=int, default=10_000, help="records per measurement")
        parser.add_argument(
            "--api-seconds", type=float, default=5.0, help="seconds of HTTP load per mode and round"
        )
        parser.add_argument(
            "--connections", type=int, default=16, help="the HTTP load generator's connections"
        )
        parser.add_argument("--redis-url", help="an empty Redis to use instead of a private one")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def log(self, message: str) -> None:
        if not self.as_json:
            self.stdout.write(message)
        else:
            self.stderr.write(message)

    def handle(self, *args, records: int, api_seconds: float, connections: int, **options):
        self.as_json = options["json"]
        if connection.vendor != "postgresql":
            raise CommandError(
                "bench_writebuffer measures PostgreSQL: run it with "
                "DATABASE_URL=postgres://USER@HOST:5432/NAME (after `manage.py migrate`)."
            )
        if records < 1000:
            raise CommandError("--records must be at least 1000 for stable numbers")
        if is_cluster_url(options.get("redis_url") or ""):
            raise CommandError(
                "bench_writebuffer measures memory with one Redis's INFO: give --redis-url a "
                "single empty Redis, or none (bench_sync_scaling takes a cluster)"
            )
        with private_redis(options.get("redis_url")) as redis_url, use_buffer_redis(redis_url):
            school = workload.create_school(students_per_class=40, classes=2)
            try:
                results = self.measure(school, records, redis_url, api_seconds, connections)
            finally:
                self.log("Cleaning up the benchmark school...")
                workload.delete_school(school)
        if self.as_json:
            self.stdout.write(json.dumps(results))
        else:
            self.stdout.write(json.dumps(results, indent=2))

    def measure(
        self, school, n_records: int, redis_url: str, api_seconds: float, connections: int
    ) -> dict:
        client = buffer_client()
        redis = client.redis

        self.log(f"Day 1: {n_records} records to train a compression dictionary on...")
        workload.write_school_days(school, n_records)
        samples = workload.buffered_samples(client, limit=10_000)
        # Trained and used in the private Redis only: the deployment's active dictionary (in
        # PostgreSQL) stays as it is.
        dictionary = dictionaries.dictionary_train(samples=samples, activate=False)
        dictionaries.dictionary_use(dictionary.id)
        sync_all(trigger="bench", max_records=10**9)

        self.log(f"Day 2: {n_records} records through buffered_save_many (the write path)...")
        before = int(redis.info("memory")["used_memory"])
        written = workload.write_school_days(school, n_records)
        after = int(redis.info("memory")["used_memory"])
        pending = workload.pending_rows(client)
        raw_sizes = [len(workload.raw_json(row)) for row in pending]
        redis_bytes_per_record = (after - before) / len(pending)

        self.log("The original design's layout (key + meta hash + Snappy + TTL), same records...")
        seed_bytes = workload.seed_layout_bytes(redis, pending)

        # The sync of one day takes well under a second, so a noisy neighbour can halve one
        # measurement: time three days' syncs and report the median (all three are printed).
        sync_rates = [self.timed_sync(len(pending))]
        for day in (3, 4):
            self.log(f"Day {day}: {n_records} more records, to time the sync again...")
            workload.write_school_days(school, n_records)
            sync_rates.append(self.timed_sync(len(workload.pending_rows(client))))

        self.log("Database statements per 1000 writes, buffered (writes + sync) and direct...")
        statements, service_rate = {}, {}
        for mode, policy in (("buffered", Policy.WRITE_BEHIND), ("direct", Policy.WRITE_THROUGH)):
            statements[mode], service_rate[mode] = self.count_statements(school, policy)

        self.log(
            f"API over HTTP: submissions buffered / written through and a bare view, "
            f"{connections} connections, {api_seconds:g} s per mode and round..."
        )
        api = api_load.compare_submission_endpoint(
            school, redis_url=redis_url, seconds=api_seconds, connections=connections, log=self.log
        )
        rates = api["rates"]
        return {
            "records": len(pending),
            "record_mix": written,
            "raw_bytes_per_record": round(statistics.mean(raw_sizes), 1),
            "redis_bytes_per_record": round(redis_bytes_per_record, 1),
            "redis_to_raw_ratio": round(redis_bytes_per_record / statistics.mean(raw_sizes), 3),
            "seed_layout_bytes_per_record": round(seed_bytes, 1),
            "dictionary_id": dictionary.id,
            "sync_records_per_second": round(statistics.median(sync_rates)),
            "sync_records_per_second_runs": [round(rate) for rate in sync_rates],
            "api_writes_per_second_buffered": rates["buffered"],
            "api_writes_per_second_direct": rates["direct"],
            "api_bare_django_per_second": rates["bare"],
            "api_buffered_to_direct": round(rates["buffered"] / rates["direct"], 2),
            "api_buffered_to_bare": round(rates["buffered"] / rates["bare"], 3),
            "api_requests": api["requests"],
            "api_server": api["server"],
            "api_load_generator": api["load_generator"],
            "service_writes_per_second_buffered": service_rate["buffered"],
            "service_writes_per_second_direct": service_rate["direct"],
            "db_statements_per_1000_writes_buffered": statements["buffered"],
            "db_statements_per_1000_writes_direct": statements["direct"],
        }

    def timed_sync(self, expected: int) -> float:
        self.log(f"Sync of {expected} records into PostgreSQL...")
        started = time.perf_counter()
        result = sync_all(trigger="bench", max_records=10**9)
        seconds = time.perf_counter() - started
        if result.synced != expected:
            raise CommandError(f"sync wrote {result.synced} of {expected} records")
        return expected / seconds

    def count_statements(self, school, policy: Policy) -> tuple[int, float]:
        """Statements PostgreSQL runs to persist 1000 submissions (each its own write, as from
        1000 requests), including the sync that moves buffered ones into the database; and how
        many of those writes the service layer accepts per second (the sync not included)."""
        from apps.homework.models import Submission

        previous = registration_for(Submission).policy
        set_policy(Submission, policy)
        submissions = workload.submission_rows(school, 1000)
        counter = StatementCounter()
        try:
            with connection.execute_wrapper(counter):
                started = time.perf_counter()
                for submission in submissions:
                    workload.save_one(submission)
                elapsed = time.perf_counter() - started
                sync_all(trigger="bench", max_records=10**9)
        finally:
            set_policy(Submission, previous)
        return counter.count, round(len(submissions) / elapsed, 1)
