"""PostgreSQL read replicas: which reads may go there, and when they may not.

Every read goes to the primary (``default``) unless the code around it says it tolerates lag:

    @lag_tolerant
    def fee_report(...): ...

or ``with lag_tolerant(): ...``. Even then a read stays on the primary when

- no replica is configured (``DATABASE_REPLICA_URLS`` empty) or none is usable: down, or further
  behind than ``DATABASE_REPLICA_MAX_LAG_SECONDS`` (checked at most every
  ``DATABASE_REPLICA_CHECK_SECONDS`` per process);
- the model is registered with the write buffer: its reads merge Redis's pending entries with
  the database's rows, and that merge is only complete against the primary (a sync commits to
  the primary and then drops the entry from Redis; a lagging replica would have neither);
- the request, task or thread has written anything (an ORM write through the router, or any
  statement other than SELECT on the primary, which ``watch_writes`` sees):
  from then on it reads its own writes from the primary;
- the primary is inside a transaction (``atomic``): reads there belong to that transaction.

Used as a decorator, a read that fails because its replica went away is run again on the
primary once (reads have no side effects to repeat); as a context manager it marks the replica
down and the error propagates. Migrations run on the primary only.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, cast, overload

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
    models,
)

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

_tolerant: contextvars.ContextVar[bool] = contextvars.ContextVar("db_lag_tolerant", default=False)
_pinned: contextvars.ContextVar[bool] = contextvars.ContextVar("db_pinned", default=False)
# The replica aliases the current lag-tolerant block has read from (to know whom to blame).
_used: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "db_replicas_used", default=()
)

REPLICA_ALIAS_PREFIX = "replica"


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_ALIAS_PREFIX)]


# --- replica health -------------------------------------------------------------------------
# Lag: zero when the replica has replayed all the WAL it received and its WAL receiver is
# streaming (an idle primary writes no new transactions, so the last replay timestamp alone
# would grow forever); otherwise the age of the last replayed transaction. A server that is not
# in recovery (the test mirror of ``default``) has no lag.
LAG_SQL = """
SELECT CASE
  WHEN NOT pg_is_in_recovery() THEN 0.0
  WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
       AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0.0
  ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8, 1e9)
END
"""


@dataclass
class _Health:
    usable: bool
    lag: float | None
    checked_at: float


_health: dict[str, _Health] = {}
_health_lock = threading.Lock()


def _measure(alias: str) -> _Health:
    now = time.monotonic()
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(LAG_SQL)
            row = cursor.fetchone()
        lag = float(row[0]) if row else None
    except AssertionError:
        # Django's test cases forbid queries to aliases a test did not list in ``databases``
        # (DatabaseOperationForbidden): the primary serves that test.
        return _Health(False, None, now)
    except (DatabaseError, OSError) as exc:  # "not usable now", never an error for the caller
        logger.warning("read replica %s unreachable (%s); reading from the primary", alias, exc)
        _close_quietly(alias)
        return _Health(False, None, now)
    usable = lag is not None and lag <= settings.DATABASE_REPLICA_MAX_LAG_SECONDS
    if not usable:
        logger.warning(
            "read replica %s is %.1f s behind (limit %s s); reading from the primary",
            alias,
            lag,
            settings.DATABASE_REPLICA_MAX_LAG_SECONDS,
        )
    return _Health(usable, lag, now)


def replica_health(alias: str) -> _Health:
    """The alias's last check, redone when older than DATABASE_REPLICA_CHECK_SECONDS."""
    with _health_lock:
        health = _health.get(alias)
    if (
        health is None
        or time.monotonic() - health.checked_at >= settings.DATABASE_REPLICA_CHECK_SECONDS
    ):
        health = _measure(alias)
        with _health_lock:
            _health[alias] = health
    return health


def mark_down(alias: str) -> None:
    with _health_lock:
        _health[alias] = _Health(False, None, time.monotonic())
    _close_quietly(alias)


def forget_health() -> None:
    with _health_lock:
        _health.clear()


def _close_quietly(alias: str) -> None:
    # A connection to a dead server may fail to close; it is gone either way.
    with contextlib.suppress(DatabaseError, OSError):
        connections[alias].close()


def usable_replica() -> str | None:
    aliases = replica_aliases()
    random.shuffle(aliases)
    for alias in aliases:
        if replica_health(alias).usable:
            return alias
    return None


# --- the opt-in and the pin -----------------------------------------------------------------
def pin_to_primary() -> None:
    """From now on, this request, task or thread reads from the primary."""
    _pinned.set(True)


def unpin() -> None:
    """A new unit of work (a Celery task) starts reading lag-tolerantly again."""
    _pinned.set(False)


@contextmanager
def primary_scope() -> Iterator[None]:
    """A fresh, unpinned scope (a request or a task); the pin does not outlive it."""
    token = _pinned.set(False)
    try:
        yield
    finally:
        _pinned.reset(token)


@contextmanager
def _tolerant_scope() -> Iterator[None]:
    token, used = _tolerant.set(True), _used.set(())
    try:
        yield
    finally:
        _tolerant.reset(token)
        _used.reset(used)


def _replica_failed(exc: BaseException) -> str | None:
    """The replica a connection-level error most likely came from (one this block used and
    whose connection is now broken), or None if it came from the primary."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return None
    for alias in _used.get():
        conn = connections[alias]
        if conn.connection is None or not conn.is_usable():
            return alias
    return None


class _LagTolerant:
    """``lag_tolerant`` as a context manager (no retry) and as a decorator (one retry)."""

    def __enter__(self) -> None:
        self._scope = _tolerant_scope()
        self._scope.__enter__()

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is not None and (alias := _replica_failed(exc)):
            mark_down(alias)
        self._scope.__exit__(exc_type, exc, tb)

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _tolerant_scope():
                try:
                    result = func(*args, **kwargs)
                    # A lazy queryset would be evaluated outside the scope, on the primary.
                    if isinstance(result, models.QuerySet):
                        result = list(result)
                    return result
                except (OperationalError, InterfaceError) as exc:
                    failed = _replica_failed(exc)
                    if failed is None:
                        raise
                    error = exc
            mark_down(failed)
            logger.warning(
                "read replica %s failed mid-read (%s); reading from the primary", failed, error
            )
            return func(*args, **kwargs)

        return cast(F, wrapper)


@overload
def lag_tolerant(func: F) -> F: ...
@overload
def lag_tolerant(func: None = None) -> _LagTolerant: ...
def lag_tolerant(func: F | None = None) -> F | _LagTolerant:
    """Reads inside may be served by a replica at most DATABASE_REPLICA_MAX_LAG_SECONDS behind."""
    if func is None:
        return _LagTolerant()
    return _LagTolerant()(func)


def _buffered(model: type[models.Model] | None) -> bool:
    if model is None:
        return False
    from apps.writebuffer.registry import NotRegistered, registration_for

    try:
        registration_for(model)
    except NotRegistered:
        return False
    return True


class ReplicaRouter:
    """Database router: see the module docstring for the rules."""

    def db_for_read(self, model: type[models.Model], **hints: Any) -> str:
        if not _tolerant.get() or _pinned.get() or not replica_aliases():
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block or _buffered(model):
            return DEFAULT_DB_ALIAS
        alias = usable_replica()
        if alias is None:
            return DEFAULT_DB_ALIAS
        if alias not in _used.get():
            _used.set((*_used.get(), alias))
        return alias

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str:
        pin_to_primary()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool:
        return True  # every alias holds the same data

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


# --- pinning requests and tasks -------------------------------------------------------------
def _pin_on_write(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
) -> Any:
    # Raw SQL bypasses the router (the write buffer's write-through upserts, for one): anything
    # but a SELECT on the primary pins. Conservative: a SET or a SAVEPOINT pins too.
    if not sql.lstrip()[:6].upper().startswith("SELECT"):
        pin_to_primary()
    return execute(sql, params, many, context)


def watch_writes(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: the primary's connections pin on their first write.
    Installed for good on the connection wrapper (as the query counter of apps/core/collectors
    is), not pushed and popped per request: a wrapper added by another receiver while a request
    ran would be the one popped."""
    if connection.alias == DEFAULT_DB_ALIAS and _pin_on_write not in connection.execute_wrappers:
        connection.execute_wrappers.append(_pin_on_write)


class PrimaryAfterWriteMiddleware:
    """Each request starts unpinned; its first write pins it to the primary for the rest."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        with primary_scope():
            return self.get_response(request)
