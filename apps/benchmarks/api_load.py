"""The API figures of ``bench_writebuffer``, over real HTTP against the production web server.

Two servers run side by side as ``scripts/serve.sh web`` with production settings, one with
submissions buffered and one with them written through (``WRITE_BUFFER_POLICY_OVERRIDES``);
only the one being measured gets load, so they do not compete. A load generator in another
process POSTs submissions (each request a new (homework, student) pair, as a class handing in
homework), and a bare Django view (``/livez/``: the whole middleware stack and nothing else) on
the buffered server gives the ceiling. Rounds alternate buffered, direct, bare so that a noisy
neighbour affects all three alike.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from apps.benchmarks import http_server
from apps.homework.models import Homework, Submission
from apps.users.tokens import access_token_for

ROUNDS = 3
# Upper bound of the submission rate a server here could reach, to create enough fresh
# (homework, student) pairs that no request is a resubmission.
MAX_EXPECTED_RATE = 1500


def _write_jobs(path: Path, bench, count: int) -> None:
    """``count`` submission POSTs, each for a homework and student of its own."""
    tokens = {
        school_class.pk: [access_token_for(student) for student in students]
        for school_class, students in bench.classes
    }
    per_class = max(1, count // sum(len(students) for _, students in bench.classes) + 1)
    due = timezone.now() + timedelta(days=3)
    homeworks = Homework.objects.bulk_create(
        Homework(
            school=bench.school,
            school_class=school_class,
            subject=bench.subject,
            assigned_by=bench.teacher,
            title="API benchmark",
            due_at=due,
        )  # fmt: skip
        for school_class, _ in bench.classes
        for _ in range(per_class)
    )
    with open(path, "w") as jobs:
        for homework in homeworks:
            for token in tokens[homework.school_class_id]:
                jobs.write(f"POST /api/v1/homework/{homework.pk}/submissions/ {token}\n")


def compare_submission_endpoint(
    bench, *, redis_url: str, seconds: float, connections: int, log: Callable[[str], None]
) -> dict:
    modes = ("buffered", "direct", "bare")
    totals = {mode: {"requests": 0, "seconds": 0.0} for mode in modes}
    workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * len(os.sched_getaffinity(0)) + 1)
    with tempfile.TemporaryDirectory(prefix="s24-bench-http-") as tmp:
        work = Path(tmp)
        jobs = {mode: work / f"{mode}.jobs" for mode in modes}
        enough = int(MAX_EXPECTED_RATE * max(1.0, seconds) * (ROUNDS + 1))
        _write_jobs(jobs["buffered"], bench, enough)
        _write_jobs(jobs["direct"], bench, enough)
        jobs["bare"].write_text("GET /livez/\n")
        server_log = work / "server.log"
        with (
            http_server.production_server(redis_url=redis_url, log_path=server_log) as buffered,
            http_server.production_server(
                redis_url=redis_url,
                log_path=server_log,
                WRITE_BUFFER_POLICY_OVERRIDES=f"{Submission._meta.label_lower}=write_through",
            ) as direct,
        ):
            urls = {"buffered": buffered, "direct": direct, "bare": buffered}
            next_job = dict.fromkeys(modes, 0)

            def load(mode: str, seconds: float) -> dict:
                result = http_server.run_load(
                    urls[mode], jobs[mode], seconds=seconds, connections=connections,
                    first_job=next_job[mode],
                )  # fmt: skip
                # Requests still in flight when the load stopped may have been served too.
                next_job[mode] += result["requests"] + connections
                if result["non_2xx"] or result["errors"]:
                    raise RuntimeError(
                        f"{mode}: {result}; server log: {server_log.read_text()[-3000:]}"
                    )
                return result

            log(f"  servers up: buffered {buffered}, written through {direct}")
            # Warm-up: imports, connection pools, PostgreSQL's plans, the user cache.
            for mode in modes:
                load(mode, min(seconds, 2))
            for round_number in range(ROUNDS):
                for mode in modes:
                    result = load(mode, seconds)
                    totals[mode]["requests"] += result["requests"]
                    totals[mode]["seconds"] += result["seconds"]
                log(
                    f"  round {round_number + 1}/{ROUNDS}: "
                    + ", ".join(f"{m} {_rate(totals[m]):.0f}/s" for m in modes)
                )
    return {
        "rates": {mode: round(_rate(totals[mode]), 1) for mode in modes},
        "requests": {mode: totals[mode]["requests"] for mode in modes},
        "server": http_server.server_setup(workers),
        "load_generator": f"{http_server.load_generator()}, {connections} connections, "
        f"{ROUNDS} rounds of {seconds:g} s per mode, alternating",
    }


def _rate(total: dict) -> float:
    return total["requests"] / total["seconds"] if total["seconds"] else 0.0
