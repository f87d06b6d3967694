"""A private redis-server for measurements, and pointing the write buffer at it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.management.base import CommandError

from apps.writebuffer.cluster import cluster_client, is_cluster_url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def private_redis(url: str | None = None) -> Iterator[str]:
    """Yield the URL of an empty Redis: ``url`` if given, else a redis-server started here
    (configured like the buffer's production Redis: AOF on, noeviction) and stopped after."""
    if url:
        client = cluster_client(url, {}) if is_cluster_url(url) else redis.Redis.from_url(url)
        if client.dbsize():
            raise CommandError(f"{url} is not empty; give an empty Redis to measure memory")
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise CommandError("redis-server is not installed: install it or pass --redis-url")
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="schools24-bench-") as data_dir:
        process = subprocess.Popen(
            [
                binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", data_dir,
                "--appendonly", "yes", "--appendfsync", "everysec",
                "--maxmemory-policy", "noeviction", "--save", "",
            ],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"redis://127.0.0.1:{port}/0"
        try:
            client = redis.Redis.from_url(url)
            for _ in range(100):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


@contextmanager
def use_buffer_redis(url: str) -> Iterator[None]:
    """Point the ``writebuffer`` cache alias at ``url`` for the duration."""
    options = settings.CACHES["writebuffer"]
    previous = options["LOCATION"]
    caches["writebuffer"].close()
    options["LOCATION"] = url
    del caches["writebuffer"]
    try:
        yield
    finally:
        caches["writebuffer"].close()
        options["LOCATION"] = previous
        del caches["writebuffer"]
