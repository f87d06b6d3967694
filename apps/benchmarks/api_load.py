"""The same API endpoint with the model buffered and written through, under the same load.

Requests go through Django's whole stack (middleware, JWT authentication, DRF, the service, the
write) by the test client, from several threads; rounds of the two modes alternate so that drift
on a noisy machine affects both alike.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import connections
from django.test import Client
from django.utils import timezone

from apps.homework.models import Homework, Submission
from apps.users.tokens import access_token_for
from apps.writebuffer.registry import Policy, registration_for, set_policy

ROUNDS = 3


def _run(jobs: list[tuple[str, str]], concurrency: int) -> list[int]:
    """POST every job from ``concurrency`` threads, each with its own client and database
    connection (closed when the thread ends); returns the status codes."""
    pending = iter(jobs)
    lock = threading.Lock()
    statuses: list[int] = []

    def work() -> None:
        client = Client()
        try:
            while True:
                with lock:
                    job = next(pending, None)
                if job is None:
                    return
                status = _post(client, job)
                with lock:
                    statuses.append(status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _post(client: Client, job: tuple[str, str]) -> int:
    url, token = job
    response = client.post(
        url,
        {"text": "My answers: 1) 42  2) x = 7  3) the angle is 35 degrees."},
        content_type="application/json",
        headers={"authorization": f"Bearer {token}"},
    )
    return response.status_code


def _jobs(bench, count: int) -> list[tuple[str, str]]:
    jobs: list[tuple[str, str]] = []
    due = timezone.now() + timedelta(days=3)
    while len(jobs) < count:
        for school_class, students in bench.classes:
            homework = Homework.objects.create(
                school=bench.school, school_class=school_class, subject=bench.subject,
                assigned_by=bench.teacher, title="API benchmark", due_at=due,
            )  # fmt: skip
            url = f"/api/v1/homework/{homework.pk}/submissions/"
            jobs.extend((url, access_token_for(student)) for student in students)
    return jobs[:count]


def compare_submission_endpoint(
    bench, *, requests_per_mode: int, concurrency: int, log: Callable[[str], None]
) -> dict[str, float]:
    previous = registration_for(Submission).policy
    modes = {"buffered": Policy.WRITE_BEHIND, "direct": Policy.WRITE_THROUGH}
    per_round = max(1, requests_per_mode // ROUNDS)
    jobs = {mode: _jobs(bench, per_round * ROUNDS + concurrency) for mode in modes}
    elapsed = dict.fromkeys(modes, 0.0)
    done = dict.fromkeys(modes, 0)
    try:
        for mode, policy in modes.items():  # warm-up: code paths, caches, the server's plans
            set_policy(Submission, policy)
            _run(jobs[mode][:concurrency], concurrency)
        for round_number in range(ROUNDS):
            for mode, policy in modes.items():
                set_policy(Submission, policy)
                start = concurrency + round_number * per_round
                batch = jobs[mode][start : start + per_round]
                started = time.perf_counter()
                statuses = _run(batch, concurrency)
                elapsed[mode] += time.perf_counter() - started
                done[mode] += len(batch)
                failed = [status for status in statuses if status != 201]
                if failed:
                    raise RuntimeError(f"{len(failed)} {mode} requests failed: {failed[:5]}")
            log(
                f"  round {round_number + 1}/{ROUNDS}: "
                + ", ".join(f"{m} {done[m] / elapsed[m]:.0f}/s" for m in modes)
            )
    finally:
        set_policy(Submission, previous)
    return {mode: round(done[mode] / elapsed[mode], 1) for mode in modes}
