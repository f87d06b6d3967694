"""How a domain contributes to dashboards and boards without this app knowing it.

Each app may have a ``dashboard.py`` (found at start-up) that registers:

- sections: ``@section("homework_today", scope=STUDENT)`` builds one part of a dashboard or board
  from plain data (``STUDENT``: ``build(student=..., today=...)``, ``CLASS``: a teacher's view of
  a class, ``build(school_class=..., today=...)``, ``SCHOOL``: an admin's view,
  ``build(school=..., today=...)``, ``BOARD``: a smart board, ``build(school_class=...,
  today=...)``). A ``BOARD`` section names the event types the board receives live.
- showables: ``@showable("homework")`` turns an id a teacher sends into what the board displays,
  or ``None`` when it is not of that class.

Builders return JSON-ready values (text for decimals and dates) and include pending writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from apps.events.types import EventType

STUDENT = "student"
CLASS = "class"
SCHOOL = "school"
BOARD = "board"
SCOPES = (STUDENT, CLASS, SCHOOL, BOARD)

Builder = Callable[..., Any]
Resolver = Callable[..., dict[str, Any] | None]


@dataclass(frozen=True)
class Section:
    name: str
    scope: str
    build: Builder
    live_types: frozenset[EventType]


_sections: dict[tuple[str, str], Section] = {}
_showables: dict[str, Resolver] = {}


def section(
    name: str, *, scope: str, live_types: Iterable[EventType] = ()
) -> Callable[[Builder], Builder]:
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def register(build: Builder) -> Builder:
        _sections[(scope, name)] = Section(name, scope, build, frozenset(live_types))
        return build

    return register


def sections(scope: str) -> list[Section]:
    return [s for (s_scope, _name), s in sorted(_sections.items()) if s_scope == scope]


def board_live_types() -> frozenset[EventType]:
    types: set[EventType] = set()
    for board_section in sections(BOARD):
        types |= board_section.live_types
    return frozenset(types)


def showable(kind: str) -> Callable[[Resolver], Resolver]:
    def register(resolve: Resolver) -> Resolver:
        _showables[kind] = resolve
        return resolve

    return register


def showable_kinds() -> list[str]:
    return sorted(_showables)


def resolver_for(kind: str) -> Resolver | None:
    return _showables.get(kind)
