"""The quiz storm's load generator: runs in its own process (``python -m
apps.benchmarks.storm_load PLAN``), with nothing of Django, so the web server's processes and
this one compete for the machine as a server and its clients would.

The plan (JSON) gives the server's address, the quiz, one bearer token per student, the seconds
over which students arrive and how many client connections there are. Each student, at their
arrival time: starts an attempt, answers each question (one request each; some answers are sent
twice, as a phone on a bad connection does), and submits. Prints one JSON object: requests,
errors, latencies per kind of request, and the time the storm took.
"""

from __future__ import annotations

import http.client
import json
import queue
import random
import sys
import threading
import time
from typing import Any

RESEND_SHARE = 0.2


def _answer_for(question: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    body = question["body"]
    kind = question["type"]
    if kind == "single_choice":
        return {"choice": rng.choice(body["options"])["id"]}
    if kind == "multiple_choice":
        ids = [option["id"] for option in body["options"]]
        return {"choices": rng.sample(ids, rng.randint(1, len(ids)))}
    if kind == "true_false":
        return {"value": rng.random() < 0.5}
    if kind == "numeric":
        return {"value": round(rng.uniform(9.5, 10.1), 2)}
    if kind == "short_text":
        return {"text": rng.choice(["Paris", " paris ", "Lyon", ""])}
    if kind == "matching":
        choices = [choice["id"] for choice in body["choices"]]
        return {"matches": {item["id"]: rng.choice(choices) for item in body["items"]}}
    raise ValueError(kind)


class Client:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, token: str, body: Any) -> tuple[int, bytes]:
        payload = json.dumps(body).encode()
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Host": f"{self.host}:{self.port}",
        }
        for retry in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
            try:
                self.connection.request(method, path, body=payload, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                if response.getheader("connection", "").lower() == "close":
                    self.connection.close()
                    self.connection = None
                return response.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server closed meanwhile: not the request's fault.
                if self.connection is not None:
                    self.connection.close()
                self.connection = None
                if retry:
                    raise
        raise AssertionError("unreachable")


def run(plan: dict[str, Any]) -> dict[str, Any]:
    host, port = plan["host"], plan["port"]
    quiz = plan["quiz"]
    students = plan["tokens"]
    arrival = float(plan["arrival_seconds"])
    rng = random.Random(plan.get("seed", 2026))
    arrivals = sorted(rng.uniform(0, arrival) for _ in students)
    sessions: queue.Queue = queue.Queue()
    for offset, token in zip(arrivals, students, strict=True):
        sessions.put((offset, token))
    latencies: dict[str, list[float]] = {"start": [], "answer": [], "resend": [], "submit": []}
    errors: list[str] = []
    lock = threading.Lock()
    started = time.perf_counter()

    def timed(client: Client, kind: str, method: str, path: str, token: str, body: Any, ok: int):
        began = time.perf_counter()
        try:
            status, data = client.request(method, path, token, body)
        except OSError as exc:
            status, data = 0, str(exc).encode()
        elapsed = (time.perf_counter() - began) * 1000
        with lock:
            latencies[kind].append(elapsed)
            if status != ok:
                errors.append(f"{kind} {status} {data[:200]!r}")
        return status, data

    def worker(seed: int) -> None:
        client = Client(host, port)
        local = random.Random(seed)
        while True:
            try:
                offset, token = sessions.get_nowait()
            except queue.Empty:
                return
            wait = offset - (time.perf_counter() - started)
            if wait > 0:
                time.sleep(wait)
            status, data = timed(
                client, "start", "POST", f"/api/v1/quizzes/{quiz}/attempts/", token, {}, 201
            )
            if status != 201:
                continue
            attempt = json.loads(data)
            for question in attempt["questions"]:
                path = f"/api/v1/attempts/{attempt['id']}/answers/{question['id']}/"
                body = {"response": _answer_for(question, local)}
                timed(client, "answer", "PUT", path, token, body, 200)
                if local.random() < RESEND_SHARE:
                    timed(client, "resend", "PUT", path, token, body, 200)
            timed(client, "submit", "POST", f"/api/v1/attempts/{attempt['id']}/submit/", token,
                  {}, 200)  # fmt: skip

    threads = [
        threading.Thread(target=worker, args=(n,), daemon=True) for n in range(plan["connections"])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    requests = sum(len(values) for values in latencies.values())

    def pct(values: list[float], p: float) -> float | None:
        if not values:
            return None
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1)

    return {
        "requests": requests,
        "errors": len(errors),
        "error_samples": errors[:5],
        "errors_by_kind": {
            kind: sum(1 for e in errors if e.startswith(kind + " ")) for kind in latencies
        },
        "storm_seconds": round(seconds, 2),
        "rps": round(requests / seconds, 1),
        "latency_ms": {
            kind: {
                "n": len(values),
                "p50": pct(values, 50),
                "p95": pct(values, 95),
                "p99": pct(values, 99),
            }
            for kind, values in latencies.items()
        },  # fmt: skip
    }


if __name__ == "__main__":
    with open(sys.argv[1]) as plan_file:
        print(json.dumps(run(json.load(plan_file))))
