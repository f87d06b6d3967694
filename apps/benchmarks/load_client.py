"""An HTTP load generator in its own processes, for machines without ``wrk``.

    python -m apps.benchmarks.load_client URL JOBS_FILE SECONDS CONNECTIONS [FIRST_JOB]

Each line of JOBS_FILE is ``METHOD PATH [TOKEN]``; the connections take the lines in turn from
FIRST_JOB on (and start again at the top if they run out) until SECONDS have passed, then one
JSON line is printed: ``{"requests", "non_2xx", "errors", "seconds"}``. Standard library only,
no Django: it must not share a process, or much CPU, with the server it measures.
"""

from __future__ import annotations

import http.client
import itertools
import json
import multiprocessing
import sys
import threading
import time
from urllib.parse import urlsplit

BODY = json.dumps({"text": "My answers: 1) 42  2) x = 7  3) the angle is 35 degrees."}).encode()


def read_jobs(path: str) -> list[tuple[str, str, str]]:
    jobs = []
    with open(path) as lines:
        for line in lines:
            method, target, *token = line.split()
            jobs.append((method, target, token[0] if token else ""))
    return jobs


def _connection_loop(host, port, jobs, start, step, deadline, counts, lock) -> None:
    done = non_2xx = errors = 0
    connection = http.client.HTTPConnection(host, port, timeout=30)
    for index in itertools.count(start, step):
        if time.monotonic() >= deadline:
            break
        method, target, token = jobs[index % len(jobs)]
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            connection.request(
                method, target, body=BODY if method != "GET" else None, headers=headers
            )
            response = connection.getresponse()
            response.read()
            done += 1
            non_2xx += not 200 <= response.status < 300
            if response.will_close:
                connection.close()
        except (OSError, http.client.HTTPException):
            errors += 1
            connection.close()
    connection.close()
    with lock:
        counts[0] += done
        counts[1] += non_2xx
        counts[2] += errors


def _process(url, jobs, first, step, threads, deadline, results) -> None:
    parts = urlsplit(url)
    counts, lock = [0, 0, 0], threading.Lock()
    workers = [
        threading.Thread(
            target=_connection_loop,
            args=(parts.hostname, parts.port, jobs, first + i, step, deadline),
            kwargs={"counts": counts, "lock": lock},
        )
        for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put(counts)


def run(
    url: str, jobs: list[tuple[str, str, str]], seconds: float, connections: int, first_job: int = 0
) -> dict:
    # Python's client spends CPU per request too: two processes use both cores' spare time.
    processes = min(2, connections)
    threads = max(1, connections // processes)
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    started = time.monotonic()
    deadline = started + seconds
    workers = [
        context.Process(
            target=_process,
            args=(
                url,
                jobs,
                first_job + p * threads,
                processes * threads,
                threads,
                deadline,
                results,
            ),
        )
        for p in range(processes)
    ]
    for worker in workers:
        worker.start()
    totals = [0, 0, 0]
    for _ in workers:
        for i, value in enumerate(results.get()):
            totals[i] += value
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    return {"requests": totals[0], "non_2xx": totals[1], "errors": totals[2], "seconds": elapsed}


if __name__ == "__main__":
    url, jobs_file, seconds, connections = sys.argv[1:5]
    first_job = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    print(json.dumps(run(url, read_jobs(jobs_file), float(seconds), int(connections), first_job)))
