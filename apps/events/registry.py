"""Event handlers: code that must see every event of some types (notifications, the activity log,
leaderboards). Each handler is a consumer group of the durable event stream, so it gets every event
at least once, after a crash too; handlers are therefore idempotent (the event id is stable)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from apps.events.types import Event, EventType

Handler = Callable[[Event], None]


@dataclass(frozen=True)
class Registration:
    name: str
    handle: Handler
    types: frozenset[EventType] | None  # None: every type

    def wants(self, event: Event) -> bool:
        return self.types is None or event.type in self.types


_handlers: dict[str, Registration] = {}


def handler(name: str, *, types: Iterable[EventType] | None = None) -> Callable[[Handler], Handler]:
    """Register ``fn`` under ``name`` (its consumer group; keep it stable across releases)."""

    def register(fn: Handler) -> Handler:
        _handlers[name] = Registration(name, fn, frozenset(types) if types is not None else None)
        return fn

    return register


def registrations() -> list[Registration]:
    return list(_handlers.values())


def unregister(name: str) -> None:
    _handlers.pop(name, None)


# --- in-process listeners -------------------------------------------------------------------
# Some reactions must be done before the request that caused the event answers, or the caller
# could read stale data (a dashboard's cache version must move before its owner reloads it).
# Listeners run in the publishing process right after the event is stored and before the live
# hint goes out; they must be quick and must not raise (a failure is logged and skipped).
Listener = Callable[[Event], None]
_listeners: dict[str, Listener] = {}


def listener(name: str) -> Callable[[Listener], Listener]:
    def register(fn: Listener) -> Listener:
        _listeners[name] = fn
        return fn

    return register


def listeners() -> list[Listener]:
    return list(_listeners.values())
