"""Read-your-writes: what domain selectors use so reads include writes not yet synced.

Redis is read before the database on purpose. If the sync commits and acknowledges an entry
between the two reads, the database read then sees the row; the other order could miss it.
Where both have a row, the higher ``version`` wins; a pending delete hides the row.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from django.db import models
from redis.exceptions import RedisError

from apps.writebuffer import records
from apps.writebuffer.cache import buffer_client
from apps.writebuffer.models import BufferedModel
from apps.writebuffer.registry import registration_for

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BufferedModel)


def _merge(
    rows: dict[str, M],
    pending: dict[str, dict[str, Any]],
    model: type[M],
    visible: Callable[[M], bool],
    match: dict[str, Any] | None = None,
) -> dict[str, M]:
    wanted = {attname: str(value) for attname, value in (match or {}).items()}
    for pk, payload in pending.items():
        row = rows.get(pk)
        if row is not None and row.version >= payload["v"]:
            continue  # already synced (or overtaken by a write-through)
        if row is None and payload["o"] != records.DELETE and wanted:
            fields = payload["f"]
            if any(str(fields.get(attname)) != value for attname, value in wanted.items()):
                continue  # cheaply out of scope, before building a model instance
        if payload["o"] == records.DELETE:
            rows.pop(pk, None)
            continue
        instance = cast(M, records.instance_from_record(model, payload))
        if visible(instance):
            rows[pk] = instance
        else:
            rows.pop(pk, None)
    return rows


def get_with_pending(
    queryset: models.QuerySet[M],
    pk: uuid.UUID | str,
    *,
    visible: Callable[[M], bool],
    partition: str | None = None,
) -> M | None:
    """One row by pk, including a pending create or update, or None (absent or deleted).

    ``queryset`` carries the caller's scope for rows already in the database; ``visible`` must
    apply the same scope to a pending row. ``partition`` (when known) avoids searching every
    partition's index.
    """
    registration = registration_for(queryset.model)
    try:
        pk = uuid.UUID(str(pk))
    except ValueError:
        return None
    try:
        payload = buffer_client().pending_for_pk(registration.label, pk, partition)
    except RedisError as exc:
        logger.warning("write buffer unreadable (%s); serving the database's copy", exc)
        payload = None
    row = queryset.filter(pk=pk).first()
    rows = {str(pk): row} if row is not None else {}
    if payload is not None:
        rows = _merge(rows, {str(pk): payload}, queryset.model, visible)
    return rows.get(str(pk))


def list_with_pending(
    queryset: models.QuerySet[M],
    *,
    partitions: Iterable[Any],
    visible: Callable[[M], bool],
    sort_key: Callable[[M], Any] | None = None,
    reverse: bool = False,
    match: dict[str, Any] | None = None,
) -> list[M]:
    """The queryset's rows merged with pending writes of the given partitions.

    Pending rows only appear if ``visible(row)``; database rows are those of ``queryset``.
    ``match`` (attname -> value, e.g. ``{"student_id": ...}``) optionally skips pending rows
    whose stored values differ before they are turned into model instances; ``visible`` must
    imply it.
    """
    registration = registration_for(queryset.model)
    try:
        pending = buffer_client().pending_in_partitions(
            registration.label, [str(p) for p in partitions]
        )
    except RedisError as exc:
        logger.warning("write buffer unreadable (%s); serving the database's copy", exc)
        pending = {}
    rows = {str(row.pk): row for row in queryset}
    merged = list(_merge(rows, pending, queryset.model, visible, match).values())
    if sort_key is not None:
        merged.sort(key=sort_key, reverse=reverse)
    return merged
