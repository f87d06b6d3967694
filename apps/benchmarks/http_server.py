"""The production web server (``scripts/serve.sh web``) started for a measurement, and load on it.

The server runs in its own processes with production settings, on this run's database and on
the Redis the benchmark gives it; the load comes from ``wrk`` when it is installed, else from
``load_client`` (more processes). Nothing here imports the server's code into this process.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from apps.core.database import database_url

ROOT = Path(settings.BASE_DIR)

WRK_SCRIPT = """
local jobs, next_job = {}, 1
local body = '{"text": "My answers: 1) 42  2) x = 7  3) the angle is 35 degrees."}'
function init(args)
  for line in io.lines(args[1]) do
    local method, path, token = line:match("^(%S+) (%S+) ?(%S*)")
    jobs[#jobs + 1] = {method, path, token}
  end
  next_job = (tonumber(args[2]) or 0) % #jobs + 1
end
function request()
  local job = jobs[next_job]
  next_job = next_job % #jobs + 1
  local headers = {["Content-Type"] = "application/json"}
  if job[3] ~= "" then headers["Authorization"] = "Bearer " .. job[3] end
  if job[1] == "GET" then return wrk.format("GET", job[2], headers) end
  return wrk.format(job[1], job[2], headers, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "non_2xx": %d, "errors": %d, "seconds": %f}\\n',
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    summary.duration / 1e6))
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_setup(workers: int) -> dict:
    def version(module: str) -> str:
        output = subprocess.run(
            [sys.executable, "-m", module, "--version"], capture_output=True, text=True, check=False
        )
        return (output.stdout or output.stderr).strip().splitlines()[0]

    return {
        "command": "scripts/serve.sh web",
        "router": "schools24.router on 127.0.0.1 (/ws/ to daphne, the rest to gunicorn)",
        "http": f"{version('gunicorn')}, {workers} sync workers, unix socket, PROXY protocol",
        "ws": "daphne, unix socket",
        "settings": "schools24.settings.production",
        "cpus": os.cpu_count(),
    }


@contextmanager
def production_server(
    *,
    redis_url: str,
    log_path: Path,
    cache_url: str | None = None,
    settings_module: str = "schools24.settings.production",
    **extra_env: str,
) -> Iterator[str]:
    """Start ``scripts/serve.sh web`` on a free loopback port, with the buffer in ``redis_url``
    and the read cache in ``cache_url`` (default: database 1 of the buffer's server); yield its
    base URL; stop it."""
    port = free_port()
    base = redis_url.rsplit("/", 1)[0]
    with tempfile.TemporaryDirectory(prefix="s24-web-") as run_dir:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings_module,
            # The benchmark signs the clients' tokens with its own key.
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            # Plain HTTP on loopback: no TLS proxy in front to redirect to.
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url(),
            "WRITE_BUFFER_REDIS_URL": redis_url,
            "WRITE_BUFFER_KEY_PREFIX": settings.WRITE_BUFFER["KEY_PREFIX"],
            "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
            # The read cache, the sessions and any queued task stay in the given Redis.
            "REDIS_URL": cache_url or f"{base}/1",
            "CELERY_BROKER_URL": f"{base}/2",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "RUN_DIR": run_dir,
            **extra_env,
        }
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                ["bash", str(ROOT / "scripts/serve.sh"), "web"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(url, [process], lambda: log_path.read_text()[-3000:])
            yield url
        finally:
            stop_server(process)


def wait_until_serving(
    url: str, processes: list[subprocess.Popen], logs: Callable[[], str], seconds: float = 90
) -> None:
    """Return once Django answers ``/livez/`` with 200 at ``url``.

    Any other answer is not enough: while gunicorn is still starting, the router in front of it
    answers 503 itself, and load sent then would meet those 503s.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise RuntimeError(f"a server process exited early; its log:\n{logs()}")
        try:
            with urllib.request.urlopen(f"{url}/livez/", timeout=5) as response:  # noqa: S310 (http: only)
                if response.status == 200:
                    return
        except OSError:  # refused, or an HTTPError (the router's 503)
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the web server did not answer /livez/ within {seconds:.0f} s:\n{logs()}")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    # serve.sh exits when one part does; make sure none of its processes outlives it.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def load_generator() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        return "apps.benchmarks.load_client (Python, 2 processes)"
    output = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    return (output.stdout or output.stderr).strip().splitlines()[0] + ", 1 thread"


def run_load(
    url: str, jobs_file: Path, *, seconds: float, connections: int, first_job: int = 0
) -> dict:
    """Load ``url`` with the jobs (from line ``first_job`` on) for ``seconds`` from another
    process: requests done, non-2xx answers, connection errors and the seconds it took."""
    wrk = shutil.which("wrk")
    if wrk is not None:
        script = jobs_file.with_suffix(".lua")
        script.write_text(WRK_SCRIPT)
        output = subprocess.run(
            [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
             "-s", str(script), url, "--", str(jobs_file), str(first_job)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        line = next(ln for ln in output.stdout.splitlines() if ln.startswith("WRK_RESULT "))
        return json.loads(line.removeprefix("WRK_RESULT "))
    output = subprocess.run(
        [sys.executable, "-m", "apps.benchmarks.load_client",
         url, str(jobs_file), str(seconds), str(connections), str(first_job)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(output.stdout.strip().splitlines()[-1])
