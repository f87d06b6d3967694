"""Publishing domain events and delivering them to handlers.

``event_publish`` is called by domain services once the write is safe. It runs after the current
transaction commits (at once outside one) and does two things, neither of which can fail the write:

1. appends the event to a durable Redis Stream on the write buffer's Redis (AOF, never evicts), or,
   if that Redis cannot take it, to the ``OutboxEvent`` table;
2. asks a Celery worker to run the handlers soon (at most one request a second; the claim rides
   in the same Redis round trip as the append).

Live hints to open websockets are relayed from the stream by the websocket server (``live.py``),
so a web request pays one Redis round trip for its event, whatever listens.

``events_dispatch`` runs each registered handler over the stream through its own consumer group:
``XREADGROUP``, ``XACK`` after the handler returned, ``XAUTOCLAIM`` for entries a dead worker held,
and after ``MAX_DELIVERIES`` failures the event goes to ``FailedEvent`` so it blocks nothing.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from dataclasses import replace
from typing import Any, cast

from django.conf import settings
from django.db import DatabaseError, transaction
from django_guid.context import guid
from redis import Redis
from redis.exceptions import RedisError, ResponseError

from apps.events.models import FailedEvent, OutboxEvent
from apps.events.origin import current_origin
from apps.events.registry import Registration, listeners, registrations
from apps.events.types import Event
from apps.writebuffer.client import StreamRead
from apps.writebuffer.connection import key_prefix, redis_client

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "MAX_DELIVERIES": 5,
    "CLAIM_IDLE_SECONDS": 60,
    "BATCH_SIZE": 200,
    "DISPATCH_SECONDS": 20,
}


def events_settings() -> dict[str, Any]:
    return {**DEFAULTS, **getattr(settings, "EVENTS", {})}


def stream_key() -> str:
    # The hash tag keeps the stream in one slot on a Redis Cluster.
    return f"{key_prefix()}:{{events}}:log"


def _dispatch_requested_key() -> str:
    return f"{key_prefix()}:{{events}}:dispatch-requested"


def _redis() -> Redis:
    return redis_client()


# --- publishing -----------------------------------------------------------------------------
def event_publish(event: Event) -> None:
    """Publish ``event`` once the current transaction (if any) has committed."""
    if not event.origin:
        event = replace(event, origin=current_origin())
    if event.request_id is None and (request_id := guid.get()):
        event = replace(event, request_id=request_id)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _deliver(event), robust=True)
    else:
        # Not ``on_commit``: outside a transaction it asks the database for its autocommit
        # state, which opens a connection, and a buffered write must be able to publish while
        # the database is away.
        _deliver(event)


def _deliver(event: Event) -> None:
    dispatch_requested = _store(event)
    # In-process listeners (dashboard cache versions) must act before the request answers.
    _run_listeners(event)
    if dispatch_requested:
        _queue_dispatch()


def _store(event: Event) -> bool:
    """Append to the stream and, in the same round trip, claim the right to ask for a dispatch
    (at most one request a second). Returns whether to ask."""
    text = event.to_json()
    try:
        pipe = _redis().pipeline(transaction=False)
        pipe.xadd(stream_key(), {"e": text})
        pipe.set(_dispatch_requested_key(), "1", nx=True, px=1000)
        _entry_id, claimed = pipe.execute()
        return bool(claimed) and bool(registrations())
    except RedisError as exc:
        logger.warning(
            "event %s kept in the outbox: the buffer's Redis refused it (%s)", event.id, exc
        )
        try:
            OutboxEvent.objects.create(id=event.id, payload=json.loads(text))
        except DatabaseError:
            # Neither store answers: the write itself was already refused or fell back.
            # Logged loudly so the gap is visible.
            logger.exception("event %s lost: neither Redis nor the database took it", event.id)
    return False


def _run_listeners(event: Event) -> None:
    for listen in listeners():
        try:
            listen(event)
        except Exception:  # noqa: BLE001 - a listener must never fail the write that caused it
            logger.warning("listener %r failed on event %s", listen, event.id, exc_info=True)


def _queue_dispatch() -> None:
    try:
        from apps.events.tasks import dispatch_events

        dispatch_events.delay()
    except Exception:  # noqa: BLE001 - the periodic dispatch picks it up; never fail a write
        logger.warning("could not queue event dispatch", exc_info=True)


# --- delivering to handlers -------------------------------------------------------------------
def _consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def _ensure_group(client: Redis, name: str) -> None:
    try:
        # "0": a handler added later starts with the events still retained, not only new ones.
        client.xgroup_create(stream_key(), name, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def outbox_drain(*, client: Redis | None = None) -> int:
    """Move events kept in PostgreSQL while Redis was away onto the stream."""
    client = client or _redis()
    moved = 0
    for row in OutboxEvent.objects.all()[:1000]:
        client.xadd(stream_key(), {"e": json.dumps(row.payload, separators=(",", ":"))})
        # A crash between the two lines delivers the event twice; handlers are idempotent.
        row.delete()
        moved += 1
    return moved


def events_dispatch(*, budget_seconds: float | None = None) -> dict[str, int]:
    """Run every handler over what its consumer group has not yet acknowledged.

    Returns events handled per handler. Safe to run in several workers at once: a consumer group
    hands each entry to one consumer, and a handler that sees an event twice changes nothing.
    """
    conf = events_settings()
    budget = conf["DISPATCH_SECONDS"] if budget_seconds is None else budget_seconds
    client = _redis()
    outbox_drain(client=client)
    handled: dict[str, int] = {}
    regs = registrations()
    for reg in regs:
        _ensure_group(client, reg.name)
    deadline = time.monotonic() + budget
    for reg in regs:
        handled[reg.name] = _dispatch_one(client, reg, conf, deadline)
    if regs:
        _trim(client, [reg.name for reg in regs])
    return handled


def _dispatch_one(client: Redis, reg: Registration, conf: dict[str, Any], deadline: float) -> int:
    consumer = _consumer_name()
    count = 0
    # Entries another consumer took and never acknowledged (it died, or the handler failed).
    _next, claimed, *_ = client.xautoclaim(
        stream_key(),
        reg.name,
        consumer,
        min_idle_time=int(conf["CLAIM_IDLE_SECONDS"] * 1000),
        start_id="0-0",
        count=conf["BATCH_SIZE"],
    )
    count += _handle_entries(client, reg, claimed, conf)
    while time.monotonic() < deadline:
        # The connection does not decode replies: [(stream, [(id, {field: value})])].
        reply = cast(
            StreamRead,
            client.xreadgroup(reg.name, consumer, {stream_key(): ">"}, count=conf["BATCH_SIZE"]),
        )
        entries = reply[0][1] if reply else []
        if not entries:
            break
        count += _handle_entries(client, reg, entries, conf)
    return count


def _handle_entries(client: Redis, reg: Registration, entries: list, conf: dict[str, Any]) -> int:
    handled = 0
    for entry_id, fields in entries:
        if not fields:  # deleted from the stream meanwhile
            client.xack(stream_key(), reg.name, entry_id)
            continue
        event = Event.from_json(fields[b"e"])
        if not reg.wants(event):
            client.xack(stream_key(), reg.name, entry_id)
            continue
        token = guid.set(event.request_id or guid.get())
        try:
            reg.handle(event)
        except Exception as exc:  # noqa: BLE001 - one bad event must not stop the others
            logger.warning("handler %s failed on event %s", reg.name, event.id, exc_info=True)
            _maybe_dead_letter(client, reg, entry_id, event, exc, conf)
            continue
        finally:
            guid.reset(token)
        client.xack(stream_key(), reg.name, entry_id)
        handled += 1
    return handled


def _maybe_dead_letter(
    client: Redis, reg: Registration, entry_id: bytes, event: Event, exc: Exception, conf: dict
) -> None:
    info = client.xpending_range(stream_key(), reg.name, min=entry_id, max=entry_id, count=1)
    deliveries = cast(int, info[0]["times_delivered"]) if info else 1
    if deliveries < conf["MAX_DELIVERIES"]:
        return  # stays pending; reclaimed after CLAIM_IDLE_SECONDS
    try:
        FailedEvent.objects.get_or_create(
            handler=reg.name,
            event_id=event.id,
            defaults={
                "payload": json.loads(event.to_json()),
                "error": f"{type(exc).__name__}: {exc}",
                "deliveries": deliveries,
            },
        )
    except DatabaseError:
        logger.warning("event %s stays pending: the database is away", event.id)
        return
    client.xack(stream_key(), reg.name, entry_id)


def _trim(client: Redis, names: list[str]) -> None:
    """Drop entries every handler has acknowledged (the stream holds only unfinished work)."""
    floors = []
    for group in client.xinfo_groups(stream_key()):
        name = group["name"].decode() if isinstance(group["name"], bytes) else group["name"]
        if name not in names:
            continue
        if group["pending"]:
            summary = client.xpending(stream_key(), name)
            floors.append(_entry_tuple(summary["min"]))
        else:
            ms, seq = _entry_tuple(group["last-delivered-id"])
            floors.append((ms, seq + 1))
    if len(floors) == len(names):
        ms, seq = min(floors)
        client.xtrim(stream_key(), minid=f"{ms}-{seq}", approximate=False)


def _entry_tuple(entry_id: bytes | str) -> tuple[int, int]:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    ms, seq = text.split("-")
    return int(ms), int(seq)


def failed_event_retry(*, failed: FailedEvent) -> None:
    """Run the handler again on a dead-lettered event; on success the record goes away."""
    reg = {r.name: r for r in registrations()}.get(failed.handler)
    if reg is None:
        raise LookupError(f"no handler named {failed.handler!r} is registered")
    reg.handle(Event.from_json(json.dumps(failed.payload)))
    failed.delete()
