"""A real Redis Cluster for tests: 3 masters and 3 replicas of ``redis-server`` on loopback.

``redis_cluster`` (module scope) starts it and stops every process it started, by PID, at the
end. The write buffer's tests get both fixtures from their ``conftest.py``; a test module elsewhere
imports them::

    from apps.writebuffer.tests.cluster import cluster_buffer, redis_cluster  # noqa: F401, F811

``cluster_buffer`` (function scope) points the ``writebuffer`` cache alias at the cluster for one
test (Django's ``settings`` fixture restores it) and empties this run's keys there first.

Ports: each pytest-xdist worker takes its own block of 12 ports from 7100 (6 client ports, then
6 cluster-bus ports), so parallel workers do not collide; when a block is taken (another test run
on the same machine has its cluster there) the worker takes its next block, 8 blocks further.

``RedisProcess`` (start, ping until it answers, SIGKILL by PID) and ``wait_for`` serve the
cluster's nodes here and the single ``redis-server`` of ``conftest.py`` alike.
"""

from __future__ import annotations

import copy
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from apps.writebuffer import cluster as buffer_cluster

BASE_PORT = 7100
PORTS_PER_WORKER = 12
NODES = 6
NODE_TIMEOUT_MS = 1000


def _worker_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0


def _free_base_port() -> int:
    """The first port of this worker's first block whose 12 ports are all free."""
    for step in range(16):
        base = BASE_PORT + PORTS_PER_WORKER * (_worker_index() + 8 * step)
        if all(_port_free(port) for port in range(base, base + PORTS_PER_WORKER)):
            return base
    raise AssertionError(
        f"no free block of {PORTS_PER_WORKER} ports from {BASE_PORT}: stop the clusters left by "
        "interrupted test runs (redis-server processes with --cluster-enabled) and run again"
    )


def wait_for(predicate: Callable[[], object], *, timeout: float = 60.0, what: str = ""):
    """The predicate's first truthy value, polled every 50 ms; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(0.05)


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        # As redis-server binds: a port whose last connections linger in TIME_WAIT is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class RedisProcess:
    """A ``redis-server`` a test started on loopback: fsync on every write, no RDB snapshots,
    ``noeviction``, its log in its directory; stopped by the PID it was started with. A subclass
    (a dataclass with these attributes) adds its own ``options()``."""

    port: int
    directory: Path
    process: subprocess.Popen | None

    def options(self) -> list[str]:
        return []

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server must be installed to run the tests that start their own Redis"
        self.process = subprocess.Popen(
            [
                binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.directory),
                *self.options(),
                "--appendfsync", "always",
                "--save", "",
                "--maxmemory-policy", "noeviction",
                "--logfile", "redis.log",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip

        def answers() -> bool:
            assert self.process is not None
            assert self.process.poll() is None, (self.directory / "redis.log").read_text()
            try:
                return bool(self.client().ping())
            except (redis.ConnectionError, redis.BusyLoadingError):
                return False

        wait_for(answers, timeout=20, what=f"redis-server on port {self.port}")

    def kill(self) -> None:
        """SIGKILL: no shutdown save, no goodbye; what the server had not written to its AOF
        (or, in a cluster, replicated) is gone."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class ClusterNode(RedisProcess):
    port: int
    bus_port: int
    directory: Path
    process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def options(self) -> list[str]:
        return [
            "--cluster-port", str(self.bus_port),
            "--cluster-enabled", "yes",
            "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
            # A replica may always take over, however long it was cut off.
            "--cluster-replica-validity-factor", "0",
            "--appendonly", "yes",
        ]  # fmt: skip


@dataclass
class RedisClusterProcesses:
    directory: Path
    base_port: int
    nodes: list[ClusterNode] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The buffer's URL for this cluster (two startup nodes; the client finds the rest)."""
        return f"redis+cluster://{self.nodes[0].address},{self.nodes[1].address}/"

    def start(self) -> None:
        for index in range(NODES):
            port, bus_port = self.base_port + index, self.base_port + NODES + index
            for needed in (port, bus_port):
                assert _port_free(needed), (
                    f"port {needed} is taken: stop what runs there (a cluster left by an "
                    "interrupted test run?) before running the Redis Cluster tests"
                )
            directory = self.directory / f"node-{port}"
            directory.mkdir()
            node = ClusterNode(port=port, bus_port=bus_port, directory=directory)
            self.nodes.append(node)
            node.start()
        cli = shutil.which("redis-cli")
        assert cli, "redis-cli must be installed to create the Redis Cluster"
        subprocess.run(
            [cli, "--cluster", "create", *(n.address for n in self.nodes),
             "--cluster-replicas", "1", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )  # fmt: skip
        self.wait_healthy()

    def stop(self) -> None:
        for node in self.nodes:
            node.kill()

    def running_nodes(self) -> list[ClusterNode]:
        return [node for node in self.nodes if node.running]

    def node_at(self, port: int) -> ClusterNode:
        return next(node for node in self.nodes if node.port == port)

    def topology(self) -> dict[int, dict]:
        """Port -> {"id", "master", "failed", "replicates", "slots": [[first, last]]} as a
        running node sees the cluster (CLUSTER NODES)."""
        nodes = {}
        for address, node in self.running_nodes()[0].client().cluster("nodes").items():
            flags = node["flags"].split(",")
            nodes[int(address.split("@")[0].rsplit(":", 1)[1])] = {
                "id": node["node_id"],
                "master": "master" in flags,
                "failed": "fail" in flags,
                "replicates": None if node["master_id"] == "-" else node["master_id"],
                "slots": [[int(first), int(last)] for first, last in node["slots"]],
            }
        return nodes

    def master_port_for_key(self, key: str) -> int:
        slot = int(self.running_nodes()[0].client().execute_command("CLUSTER KEYSLOT", key))
        for port, node in self.topology().items():
            serves = any(first <= slot <= last for first, last in node["slots"])
            if node["master"] and not node["failed"] and serves:
                return port
        raise AssertionError(f"no master serves slot {slot} of {key!r}")

    def replica_port_of(self, master_port: int) -> int:
        topology = self.topology()
        master_id = topology[master_port]["id"]
        return next(port for port, node in topology.items() if node["replicates"] == master_id)

    def state_ok(self) -> bool:
        for node in self.running_nodes():
            try:
                if node.client().cluster("info").get("cluster_state") != "ok":
                    return False
            except redis.ConnectionError:
                return False
        return True

    def replicas_in_sync(self) -> bool:
        """Every running master has its running replicas attached and streaming."""
        for node in self.running_nodes():
            info = node.client().info("replication")
            if info.get("role") == "slave" and info.get("master_link_status") != "up":
                return False
        return True

    def wait_healthy(self, timeout: float = 60) -> None:
        wait_for(
            lambda: self.state_ok() and self.replicas_in_sync(),
            timeout=timeout,
            what="the Redis Cluster to report cluster_state:ok with its replicas in sync",
        )

    def wait_promoted(self, port: int, timeout: float = 30) -> None:
        """Until the node at ``port`` (a replica of a killed master) is a master with slots and
        the cluster is ok again."""

        def promoted() -> bool:
            node = self.topology().get(port)
            return bool(node and node["master"] and node["slots"]) and self.state_ok()

        wait_for(promoted, timeout=timeout, what=f"the replica on port {port} to take over")

    def restart(self, port: int) -> None:
        """Start a killed node again from its directory: it rejoins (as a replica now)."""
        self.node_at(port).start()
        self.wait_healthy()


@pytest.fixture(scope="module")
def redis_cluster() -> Iterator[RedisClusterProcesses]:
    directory = Path(tempfile.mkdtemp(prefix="s24-redis-cluster-"))
    processes = RedisClusterProcesses(directory=directory, base_port=_free_base_port())
    try:
        processes.start()
        yield processes
    finally:
        processes.stop()
        buffer_cluster.forget_cluster_clients()
        shutil.rmtree(directory, ignore_errors=True)


def _delete_prefixed(client: redis.RedisCluster, pattern: str) -> None:
    keys = list(client.scan_iter(match=pattern, count=1000))
    for key in keys:
        client.delete(key)


@pytest.fixture
def cluster_buffer(redis_cluster, settings) -> RedisClusterProcesses:
    """The ``writebuffer`` alias on the cluster for this test, this run's keys emptied first."""
    caches = copy.deepcopy(settings.CACHES)
    caches["writebuffer"]["LOCATION"] = redis_cluster.url
    settings.CACHES = caches
    from apps.writebuffer.connection import redis_client

    _delete_prefixed(redis_client(), f"{settings.WRITE_BUFFER['KEY_PREFIX']}:*")  # type: ignore[arg-type]
    return redis_cluster
