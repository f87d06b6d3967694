"""The buffer's Redis as a Redis Cluster, chosen by the URL.

``WRITE_BUFFER_REDIS_URL=redis+cluster://10.0.0.1:7000,10.0.0.2:7000/`` (or ``rediss+cluster://``
for TLS, ``redis+cluster://:password@...`` with a password) makes the ``writebuffer`` cache alias
talk to a cluster through redis-py's ``RedisCluster``; the hosts are only where discovery starts,
the client learns the other nodes and the slot map from them. A cluster has only database 0, so the
URL has no database number (``/`` or ``/0``). Any other URL (``redis://``, ``rediss://``,
``unix://``) keeps django-redis's own connection pool.

``ClusterAwareConnectionFactory`` is django-redis's connection factory for the ``writebuffer``
alias (its ``CONNECTION_FACTORY`` option). One ``RedisCluster`` per URL is shared by the threads
of a process (it is thread-safe and keeps one connection pool per node).

On a failover the client re-reads its slot map and retries a command that met a dead node, a
``CLUSTERDOWN`` or a ``MOVED``, for up to ``CLUSTER_FAILOVER_SECONDS`` (an option of the cache
alias, default 10 s): long enough for an election that takes a few node timeouts.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from django.core.exceptions import ImproperlyConfigured
from django_redis.pool import ConnectionFactory
from redis import Redis
from redis.asyncio.cluster import ClusterNode as AsyncClusterNode
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.backoff import ExponentialWithJitterBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import (
    ClusterDownError,
    ConnectionError,
    RedisClusterException,
    SlotNotCoveredError,
    TimeoutError,
)
from redis.retry import Retry

CLUSTER_SCHEMES = {"redis+cluster": False, "rediss+cluster": True}  # scheme -> TLS
DEFAULT_FAILOVER_SECONDS = 10.0


def is_cluster_url(url: str) -> bool:
    return url.split("://", 1)[0].lower() in CLUSTER_SCHEMES


def parse_cluster_url(url: str) -> dict[str, Any]:
    """``redis+cluster://[user:password@]host:port[,host:port...][/0]`` -> startup nodes and
    credentials. Raises ImproperlyConfigured with what to write instead."""
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in CLUSTER_SCHEMES:
        raise ImproperlyConfigured(f"not a Redis Cluster URL (redis+cluster://...): {url!r}")
    hosts, _, path = rest.partition("/")
    if path.split("?", 1)[0] not in ("", "0"):
        raise ImproperlyConfigured(
            f"a Redis Cluster has only database 0; drop /{path} from the URL {url!r}"
        )
    username = password = None
    if "@" in hosts:
        credentials, hosts = hosts.rsplit("@", 1)
        user, _, secret = credentials.partition(":")
        username, password = unquote(user) or None, unquote(secret) or None
    nodes = []
    for host_port in hosts.split(","):
        host, _, port = host_port.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ImproperlyConfigured(
                f"each Redis Cluster node must be written host:port, got {host_port!r} in {url!r}"
            )
        nodes.append((host.strip("[]"), int(port)))
    return {
        "nodes": nodes,
        "username": username,
        "password": password,
        "ssl": CLUSTER_SCHEMES[scheme.lower()],
    }


def _client_kwargs(url: str, options: dict[str, Any]) -> dict[str, Any]:
    parsed = parse_cluster_url(url)
    kwargs: dict[str, Any] = {
        "socket_timeout": options.get("SOCKET_TIMEOUT"),
        "socket_connect_timeout": options.get("SOCKET_CONNECT_TIMEOUT"),
        # redis-py's own immediate retries (after re-reading the slot map); BufferCluster
        # keeps trying for longer, with a backoff.
        "retry": Retry(ExponentialWithJitterBackoff(), retries=3),
        # Rebuild the slot map at the first MOVED: after a failover every slot of the dead
        # master moved at once.
        "reinitialize_steps": 1,
    }
    for name in ("username", "password"):
        if parsed[name]:
            kwargs[name] = parsed[name]
    if parsed["ssl"]:
        kwargs["ssl"] = True
    return {"nodes": parsed["nodes"], **{k: v for k, v in kwargs.items() if v is not None}}


class ClusterUnreachable(ConnectionError):
    """No node of the cluster answered, or none serves the key's slot yet (mid-failover): a
    RedisError like any unreachable Redis, so callers fall back or answer 503 as they do there."""


class BufferCluster(RedisCluster):
    """``RedisCluster`` that rides out a failover.

    redis-py re-reads the slot map and retries a command that met a dead node, but at once and
    a few times only, all within milliseconds: while the cluster is still electing a new master
    every attempt fails the same way. Here a command addressed by its key keeps trying, with a
    backoff up to half a second, for ``failover_seconds`` (a few node timeouts; option
    ``CLUSTER_FAILOVER_SECONDS``, default 10) before its error goes on. "No node serves this
    slot" becomes a RedisError (redis-py raises a plain Exception subclass, which every
    ``except RedisError`` of the engine would miss).
    """

    failover_seconds = DEFAULT_FAILOVER_SECONDS

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + self.failover_seconds
        delay = 0.05
        while True:
            try:
                return super().execute_command(*args, **kwargs)
            except SlotNotCoveredError as exc:
                error: Exception = ClusterUnreachable(str(exc))
                error.__cause__ = exc
            except (ConnectionError, TimeoutError, ClusterDownError) as exc:
                error = exc
            if "target_nodes" in kwargs or time.monotonic() >= deadline:
                raise error
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 0.5)


_clusters: dict[str, RedisCluster] = {}
_clusters_lock = threading.Lock()


def cluster_client(url: str, options: dict[str, Any]) -> RedisCluster:
    """The process's ``RedisCluster`` for this URL (created on first use)."""
    with _clusters_lock:
        client = _clusters.get(url)
        if client is None:
            kwargs = _client_kwargs(url, options)
            nodes = [ClusterNode(host, port) for host, port in kwargs["nodes"]]
            try:
                client = BufferCluster(
                    startup_nodes=nodes, **{k: v for k, v in kwargs.items() if k != "nodes"}
                )
                client.failover_seconds = float(
                    options.get("CLUSTER_FAILOVER_SECONDS", DEFAULT_FAILOVER_SECONDS)
                )
            except RedisClusterException as exc:
                where = ",".join(f"{host}:{port}" for host, port in kwargs["nodes"] or [])
                raise ClusterUnreachable(f"Redis Cluster at {where}: {exc}") from exc
            _clusters[url] = client
        return client


def forget_cluster_clients() -> None:
    """Close and forget every shared cluster client (tests that stop their cluster)."""
    with _clusters_lock:
        for client in _clusters.values():
            client.close()
        _clusters.clear()


def async_cluster_client(url: str, options: dict[str, Any], **extra: Any) -> AsyncRedisCluster:
    """An asyncio ``RedisCluster`` for this URL (the websocket server's event relay)."""
    kwargs = _client_kwargs(url, options)
    nodes = [AsyncClusterNode(host, port) for host, port in kwargs.pop("nodes")]
    kwargs.pop("retry")  # the asyncio client takes its own Retry class; its default is fine
    return AsyncRedisCluster(startup_nodes=nodes, **{**kwargs, **extra})


class ClusterAwareConnectionFactory(ConnectionFactory):
    """django-redis's factory, which hands out a ``RedisCluster`` for a cluster URL."""

    def connect(self, url: str) -> Any:
        if is_cluster_url(url):
            return cluster_client(url, self.options)
        return super().connect(url)

    def disconnect(self, connection: Any) -> None:
        if isinstance(connection, RedisCluster):
            connection.disconnect_connection_pools()
        else:
            super().disconnect(connection)


def is_cluster(client: Redis | RedisCluster) -> bool:
    return isinstance(client, RedisCluster)


def node_for_key(client: Redis | RedisCluster, key: str) -> Redis:
    """A plain client of the node that holds ``key`` (the client itself on a single Redis):
    what must run on one connection of that node (a write and its WAIT) goes through it."""
    if isinstance(client, RedisCluster):
        return client.get_redis_connection(client.get_node_from_key(key))
    return client


def primaries(client: Redis | RedisCluster) -> list[tuple[str, Redis]]:
    """(name, plain client) of every master (the one server of a single Redis)."""
    if isinstance(client, RedisCluster):
        return [(node.name, client.get_redis_connection(node)) for node in client.get_primaries()]
    return [("redis", client)]


def all_nodes(client: Redis | RedisCluster) -> list[tuple[str, Redis]]:
    """(name, plain client) of every node, replicas included."""
    if isinstance(client, RedisCluster):
        return [(node.name, client.get_redis_connection(node)) for node in client.get_nodes()]
    return [("redis", client)]


def refresh_slots(client: Redis | RedisCluster) -> None:
    """Re-read the slot map after a node failed (best effort: the next command retries)."""
    if isinstance(client, RedisCluster):
        # Still electing, say: the next call tries again.
        with contextlib.suppress(Exception):
            client.nodes_manager.initialize()


@contextlib.contextmanager
def refreshing(client: Redis | RedisCluster) -> Iterator[None]:
    """Around commands sent to a node directly (``node_for_key``, ``primaries``): a node that
    stopped answering makes the client re-read the slot map before the error goes on, so the
    next call reaches the replica that took over instead of the dead master again."""
    try:
        yield
    except (ConnectionError, TimeoutError):
        refresh_slots(client)
        raise
