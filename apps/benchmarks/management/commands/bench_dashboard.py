"""Dashboards cached and uncached, side by side: ``manage.py bench_dashboard [--requests N]``.

A benchmark school (two classes of 40) gets ten school days of registers, homework with a
submission per student, and marks; today stays in the write buffer (unsynced), as it would during
the school day. Each role's dashboard is then read through the whole Django
stack (JWT, middleware, DRF) by the test client: cached (the copy is current) and uncached (the
copy is removed before each request, outside the timing). Rounds alternate so a noisy machine
affects both alike.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import timedelta

from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.benchmarks import workload
from apps.benchmarks.redis_server import private_redis, use_buffer_redis
from apps.dashboards.selectors import dashboard_cache_key
from apps.users.models import GuardianLink, Role, User
from apps.users.tokens import access_token_for
from apps.writebuffer.sync import sync_all

ROUNDS = 3
DAYS = 10
UNSYNCED_DAYS = 1


class Command(BaseCommand):
    help = "Dashboard requests per second, cached and uncached, for each role."

    def add_arguments(self, parser):
        parser.add_argument(
            "--seconds",
            type=float,
            default=2.0,
            help="per role, mode and round (at least 3 requests)",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--redis-url", help="a Redis for the write buffer (default: private)")

    def handle(self, *args, seconds: float, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_dashboard measures PostgreSQL: set DATABASE_URL.")
        with private_redis(options.get("redis_url")) as redis_url, use_buffer_redis(redis_url):
            bench = workload.create_school(students_per_class=40, classes=2)
            try:
                users = self.prepare(bench)
                results = self.measure(users, seconds)
            finally:
                workload.delete_school(bench)
        self.stdout.write(json.dumps(results, indent=None if options["json"] else 2))

    def prepare(self, bench) -> dict[str, User]:
        bench.day = timezone.localdate() - timedelta(days=DAYS - 1)
        for day in range(DAYS):
            for school_class, students in bench.classes:
                workload._class_day(bench, school_class, students)
            bench.day += timedelta(days=1)
            if day == DAYS - UNSYNCED_DAYS - 1:
                sync_all(trigger="manual")
        school_class, students = bench.classes[0]
        guardian = User.objects.create(
            username=f"{students[0].username}-guardian", school=bench.school, role=Role.GUARDIAN
        )
        GuardianLink.objects.create(school=bench.school, guardian=guardian, student=students[0])
        admin = User.objects.create(
            username=f"{bench.teacher.username}-admin", school=bench.school, role=Role.SCHOOL_ADMIN
        )
        return {
            "student": students[0],
            "guardian": guardian,
            "teacher": bench.teacher,
            "school_admin": admin,
        }

    def measure(self, users: dict[str, User], seconds: float) -> dict:
        cache = caches["default"]
        results: dict = {"seconds_per_role_mode_round": seconds, "rounds": ROUNDS, "roles": {}}
        for role, user in users.items():
            client = Client(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
            key = dashboard_cache_key(user)
            timings: dict[str, list[float]] = {"cached": [], "uncached": []}
            for _warm in range(3):
                assert client.get("/api/v1/dashboard/").status_code == 200
            for _round in range(ROUNDS):
                for mode in ("uncached", "cached"):
                    elapsed, requests = 0.0, 0
                    while elapsed < seconds or requests < 3:
                        requests += 1
                        if mode == "uncached":
                            cache.delete(key)
                        started = time.perf_counter()
                        response = client.get("/api/v1/dashboard/")
                        elapsed += time.perf_counter() - started
                        assert response.status_code == 200
                    timings[mode].append(requests / elapsed)
            cached = statistics.median(timings["cached"])
            uncached = statistics.median(timings["uncached"])
            results["roles"][role] = {
                "cached_per_second": round(cached, 1),
                "uncached_per_second": round(uncached, 1),
                "ratio": round(cached / uncached, 2),
                "rounds_cached": [round(t, 1) for t in timings["cached"]],
                "rounds_uncached": [round(t, 1) for t in timings["uncached"]],
            }
        return results
