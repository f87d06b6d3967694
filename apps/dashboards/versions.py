"""Version tokens that say whether a cached dashboard is still current.

A cached dashboard records the tokens of everything it depends on (``user:<id>``,
``class:<id>``, ``staff:<id>``, ``school:<id>``); an event replaces the tokens it touches, and a
cached copy whose tokens differ is rebuilt. Tokens are random rather than counters, so a token
that expired or was lost reads as ``"0"`` and can never match a copy made after a bump.
They live on the write buffer's Redis (persistent, never evicts): an evicted token could
otherwise bring back a copy older than its owner's last write.
"""

from __future__ import annotations

import uuid

from django.conf import settings

from apps.events.types import Event
from apps.writebuffer.connection import key_prefix, redis_client

MISSING = "0"


def _key(dependency: str) -> str:
    return f"{key_prefix()}:dash:v:{dependency}"


def versions_read(dependencies: list[str]) -> list[str]:
    if not dependencies:
        return []
    # One round trip, and valid on a Redis Cluster (where MGET refuses keys of several slots).
    pipe = redis_client().pipeline(transaction=False)
    for dependency in dependencies:
        pipe.get(_key(dependency))
    values = pipe.execute()
    return [
        MISSING if value is None else value.decode() if isinstance(value, bytes) else value
        for value in values
    ]


def versions_bump(dependencies: list[str]) -> None:
    if not dependencies:
        return
    # Longer than any cached copy lives, so a token cannot expire under a copy that recorded it.
    lifetime = 2 * settings.DASHBOARD_CACHE_SECONDS
    pipe = redis_client().pipeline(transaction=False)
    for dependency in dependencies:
        pipe.set(_key(dependency), uuid.uuid4().hex[:16], ex=lifetime)
    pipe.execute()


def dependencies_of_event(event: Event) -> list[str]:
    """An event that names users concerns those users and the staff of its classes; one that
    names no users (homework set, a register taken) concerns everyone in its classes."""
    touched = [f"school:{event.school_id}"]
    for class_id in event.class_ids:
        touched.append(f"staff:{class_id}")
        if not event.user_ids:
            touched.append(f"class:{class_id}")
    touched.extend(f"user:{user_id}" for user_id in event.user_ids)
    return touched


def event_concerns(event: Event, dependencies: set[str]) -> bool:
    return any(touched in dependencies for touched in dependencies_of_event(event))
