"""Collectors that read Redis and PostgreSQL at scrape time, and the web tier's query counter.

Each collector is cheap (one round trip per server, a few catalogue rows) and time-bounded
(Redis: 1 s socket timeouts; PostgreSQL: a 1 s statement timeout, on top of the connection
settings' own connect and pool timeouts). A server that does not answer makes its ``*_up`` gauge
0 and the scrape carries on: /metrics never fails because one dependency is down.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import redis
from django.conf import settings
from django.db import connection, transaction
from prometheus_client import Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from redis.cluster import RedisCluster

from apps.writebuffer.cluster import cluster_client, is_cluster_url, primaries

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 1.0
STATEMENT_TIMEOUT_MS = 1000

# The Redis roles: the read cache (sessions, channel layer; may evict) and the write buffer.
REDIS_ROLES = {"cache": "default", "buffer": "writebuffer"}

DB_QUERIES = Counter(
    "schools24_db_queries",
    "SQL statements this tier sent to the database, by kind: read (SELECT), write (INSERT, "
    "UPDATE, DELETE, MERGE, COPY) or other (transactions, SET, DDL).",
    ["kind"],
)
for _kind in ("read", "write", "other"):
    DB_QUERIES.labels(kind=_kind)  # every series exists (at 0) before the first query
_WRITE_VERBS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "COPY"})
_counting = contextvars.ContextVar("schools24_count_queries", default=True)


def query_kind(sql: str) -> str:
    verb = sql.lstrip(" \t\n(").split(None, 1)[0].upper() if sql.strip() else ""
    if verb in {"SELECT", "WITH", "VALUES", "SHOW"}:
        return "read"
    if verb in _WRITE_VERBS:
        return "write"
    return "other"


def _count_query(execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
    if _counting.get():
        DB_QUERIES.labels(kind=query_kind(str(sql))).inc()
    return execute(sql, params, many, context)


def install_query_counter(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: count every statement of this connection wrapper."""
    if _count_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count_query)


class DatabaseSkipped(Exception):
    """An earlier read of this scrape found PostgreSQL unreachable; this one is not tried."""


class DatabaseReads:
    """One scrape's reads of PostgreSQL. Each is a transaction that gives up after
    STATEMENT_TIMEOUT_MS and is not counted as the application's queries; once one fails, the
    others of the same scrape are skipped, so PostgreSQL down costs a scrape one wait for a
    connection (the pool's timeout), not one per collector."""

    def __init__(self) -> None:
        self.failed = False

    @contextmanager
    def read(self) -> Iterator[None]:
        if self.failed:
            raise DatabaseSkipped
        token = _counting.set(False)
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
                yield
        except Exception:
            self.failed = True
            raise
        finally:
            _counting.reset(token)


# --- Redis ----------------------------------------------------------------------------------
_redis_clients: dict[str, redis.Redis] = {}


def _redis_client(url: str) -> redis.Redis:
    client = _redis_clients.get(url)
    if client is None:
        client = redis.Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        _redis_clients[url] = client
    return client


def _redis_location(alias: str) -> str:
    location = settings.CACHES[alias]["LOCATION"]
    return location[0] if isinstance(location, list | tuple) else location


_SUMMED = ("used_memory", "maxmemory", "evicted_keys", "keyspace_hits", "keyspace_misses")


def _redis_info(url: str) -> dict[str, float]:
    """INFO memory and stats figures of the Redis at ``url`` (one round trip per server); of a
    Redis Cluster, its masters' figures added up (the memory and the lookups of the whole
    buffer)."""
    if is_cluster_url(url):
        # The process's shared cluster client (the buffer alias's, if it made it first).
        options = settings.CACHES["writebuffer"].get("OPTIONS", {})
        client: redis.Redis | RedisCluster = cluster_client(url, options)
    else:
        client = _redis_client(url)
    totals = dict.fromkeys(_SUMMED, 0.0)
    for _name, node in primaries(client):
        pipe = node.pipeline(transaction=False)
        pipe.info("memory")
        pipe.info("stats")
        memory, stats = pipe.execute()
        info = {**memory, **stats}
        for key in _SUMMED:
            totals[key] += float(info.get(key, 0))
    return totals


class RedisCollector:
    """Memory, evictions and keyspace hits of both Redis roles, from INFO."""

    def collect(self) -> Iterator[Metric]:
        labels = ["role"]
        up = GaugeMetricFamily(
            "schools24_redis_up", "1 if this Redis answered INFO.", labels=labels
        )
        used = GaugeMetricFamily(
            "schools24_redis_memory_used_bytes", "Memory Redis uses (used_memory).", labels=labels
        )
        limit = GaugeMetricFamily(
            "schools24_redis_memory_max_bytes",
            "Redis's memory limit (maxmemory); 0: no limit.",
            labels=labels,
        )
        evicted = CounterMetricFamily(
            "schools24_redis_evicted_keys",
            "Keys Redis evicted to stay under maxmemory (evicted_keys).",
            labels=labels,
        )
        hits = CounterMetricFamily(
            "schools24_redis_keyspace_hits",
            "Successful key lookups (keyspace_hits).",
            labels=labels,
        )
        misses = CounterMetricFamily(
            "schools24_redis_keyspace_misses",
            "Failed key lookups (keyspace_misses).",
            labels=labels,
        )
        for role, alias in REDIS_ROLES.items():
            try:
                info = _redis_info(_redis_location(alias))
            except Exception:  # noqa: BLE001 - a scrape must not fail because Redis is down
                up.add_metric([role], 0)
                continue
            up.add_metric([role], 1)
            used.add_metric([role], info["used_memory"])
            limit.add_metric([role], info["maxmemory"])
            evicted.add_metric([role], info["evicted_keys"])
            hits.add_metric([role], info["keyspace_hits"])
            misses.add_metric([role], info["keyspace_misses"])
        yield from (up, used, limit, evicted, hits, misses)


# --- PostgreSQL -----------------------------------------------------------------------------
_CONNECTION_STATES = (
    "active",
    "idle",
    "idle in transaction",
    "idle in transaction (aborted)",
    "fastpath function call",
    "disabled",
)
_ROW_COUNTERS = {
    "tup_returned": "returned",
    "tup_fetched": "fetched",
    "tup_inserted": "inserted",
    "tup_updated": "updated",
    "tup_deleted": "deleted",
}


class PostgresCollector:
    """Connections to our database and its transaction and row counters (pg_stat_activity,
    pg_stat_database: the whole database, every client, the Celery workers' sync included)."""

    def __init__(self, database: DatabaseReads) -> None:
        self.database = database

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("schools24_postgres_up", "1 if PostgreSQL answered.")
        if connection.vendor != "postgresql":
            up.add_metric([], 0)
            yield up
            return
        try:
            with self.database.read(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT coalesce(state, 'unknown'), count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() GROUP BY 1"
                )
                states = dict(cursor.fetchall())
                cursor.execute(
                    "SELECT xact_commit, xact_rollback, tup_returned, tup_fetched, "
                    "tup_inserted, tup_updated, tup_deleted FROM pg_stat_database "
                    "WHERE datname = current_database()"
                )
                columns = [column.name for column in cursor.description]
                counters = dict(zip(columns, cursor.fetchone(), strict=True))
        except DatabaseSkipped:
            up.add_metric([], 0)
            yield up
            return
        except Exception:  # noqa: BLE001 - a scrape must not fail because PostgreSQL is down
            logger.warning("metrics: PostgreSQL did not answer", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from _postgres_families(states, counters)


def _postgres_families(states: dict[str, int], counters: dict[str, int]) -> Iterator[Metric]:
    connections = GaugeMetricFamily(
        "schools24_postgres_connections",
        "Connections to our database by state (pg_stat_activity).",
        labels=["state"],
    )
    for state in (*_CONNECTION_STATES, "unknown"):
        if state in states or state in ("active", "idle"):
            connections.add_metric([state], float(states.get(state, 0)))
    yield connections
    transactions = CounterMetricFamily(
        "schools24_postgres_transactions",
        "Transactions of our database by result (pg_stat_database xact_commit, xact_rollback).",
        labels=["result"],
    )
    transactions.add_metric(["commit"], float(counters["xact_commit"]))
    transactions.add_metric(["rollback"], float(counters["xact_rollback"]))
    yield transactions
    rows = CounterMetricFamily(
        "schools24_postgres_rows",
        "Rows of our database by operation (pg_stat_database tup_*): returned and fetched are "
        "read, inserted, updated and deleted are written.",
        labels=["operation"],
    )
    for column, operation in _ROW_COUNTERS.items():
        rows.add_metric([operation], float(counters[column]))
    yield rows


def collectors(database: DatabaseReads) -> list[Any]:
    return [RedisCollector(), PostgresCollector(database)]
