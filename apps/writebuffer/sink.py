"""Writing buffered records into the database: idempotent, ordered, in bulk.

Every write is ``INSERT ... ON CONFLICT (id) DO UPDATE ... WHERE table.version < EXCLUDED.version``:
replaying a batch changes nothing and an older write never overwrites a newer one, so the sync may
repeat or reorder work (redelivery after a crash, two workers at once) safely.

On PostgreSQL a whole batch is one statement with one parameter: the rows as a JSON document, in
the form they were buffered (ISO timestamps, decimal strings, UUID strings), turned into rows of
the table by ``json_populate_recordset``. Elsewhere (SQLite under `make run`) rows become
``VALUES`` lists after Django's own field conversions.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any, cast

import psycopg
from django.db import connection, models
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from apps.writebuffer.models import Tombstone
from apps.writebuffer.records import instance_from_record, payload_fields
from apps.writebuffer.serializers import ExactJSONEncoder

# SQLite and PostgreSQL both cap bind parameters per statement; stay well below.
MAX_PARAMETERS = 30_000


def _columns(model: type[models.Model]) -> list[models.Field]:
    version = cast(models.Field, model._meta.get_field("version"))
    return [model._meta.pk, *payload_fields(model), version]


def _upsert_tail(model: type[models.Model], names: list[str]) -> str:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in names[1:])
    return (
        f"ON CONFLICT ({names[0]}) DO UPDATE SET {updates} "
        f"WHERE {table}.{quote('version')} < EXCLUDED.{quote('version')}"
    )


def _default_json(field: models.Field) -> Any:
    """A missing field's default, in the form buffered values have (the record's JSON)."""
    if not field.has_default() and field.null:
        return None
    default = field.get_default()
    return json.loads(json.dumps(default, cls=ExactJSONEncoder))


def _upsert_postgresql(model: type[models.Model], rows: Sequence[dict]) -> int:
    quote = connection.ops.quote_name
    columns = _columns(model)
    fields = columns[1:-1]
    names = [quote(field.column) for field in columns]
    # Records hold values by attname, in JSON form. A field added since a record was written
    # takes its default; a removed one is ignored by json_populate_recordset.
    defaults = {field.column: _default_json(field) for field in fields}
    renamed = {f.attname: f.column for f in fields if f.attname != f.column}
    pk_column = columns[0].column
    items = []
    for row in rows:
        stored = row["f"]
        if renamed:
            stored = {renamed.get(attname, attname): value for attname, value in stored.items()}
        items.append({**defaults, **stored, pk_column: row["k"], "version": row["v"]})
    table = quote(model._meta.db_table)
    label = model._meta.label_lower
    params: list[Any] = [json.dumps(items, cls=ExactJSONEncoder)]
    not_deleted = ""
    # Buffered rows are rarely deleted: a large batch checks tombstones only when the model
    # has any (one cheap query); a small write always checks (one index probe, no extra query).
    if len(rows) < 100 or Tombstone.objects.filter(model=label).exists():
        not_deleted = (
            f"WHERE NOT EXISTS (SELECT 1 FROM {quote(Tombstone._meta.db_table)} AS t "
            f"WHERE t.model = %s AND t.row_id = u.{names[0]} "
            f"AND t.version >= u.{quote('version')}) "
        )
        params.append(label)
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)} "
        f"FROM json_populate_recordset(NULL::{table}, %s::json) AS u {not_deleted}"
        + _upsert_tail(model, names)
    )
    connection.ensure_connection()
    # One JSON document for the whole batch, parsed and cast by PostgreSQL in C: far faster
    # than converting values in Python or binding one array per column. The server-side-binding
    # cursor sends it as a parameter rather than quoting it into the statement; Django's
    # wrapper keeps execute_wrapper hooks and query logging working.
    with CursorWrapper(psycopg.Cursor(connection.connection), connection) as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _upsert_generic(model: type[models.Model], rows: Sequence[dict]) -> int:
    quote = connection.ops.quote_name
    columns = _columns(model)
    names = [quote(field.column) for field in columns]
    row_placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = max(1, MAX_PARAMETERS // len(columns))
    deleted_at = dict(
        Tombstone.objects.filter(
            model=model._meta.label_lower, row_id__in=[row["k"] for row in rows]
        ).values_list("row_id", "version")
    )
    rows = [row for row in rows if deleted_at.get(uuid.UUID(row["k"]), -1) < row["v"]]
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = [
                instance_from_record(model, row) for row in rows[start : start + per_statement]
            ]
            params = [
                field.get_db_prep_save(getattr(instance, field.attname), connection)
                for instance in chunk
                for field in columns
            ]
            sql = (
                f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(names)}) VALUES "
                f"{', '.join([row_placeholder] * len(chunk))} " + _upsert_tail(model, names)
            )
            cursor.execute(sql, params)
            written += max(cursor.rowcount, 0)
    return written


def upsert(model: type[models.Model], rows: Sequence[dict]) -> int:
    """Insert or update rows given as buffer records (``k``, ``v``, ``f``); newest version wins.
    Returns how many rows were actually written."""
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        return _upsert_postgresql(model, rows)
    return _upsert_generic(model, rows)


def delete(model: type[models.Model], tombstones: Sequence[tuple[uuid.UUID, int]]) -> int:
    """Delete rows whose stored version is older than their tombstone's, and keep each
    tombstone (the newest per row) so that no older write can bring the row back."""
    if not tombstones:
        return 0
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk_field = model._meta.pk
    condition = f"({quote(pk_field.column)} = %s AND {quote('version')} < %s)"
    tombstone_table = quote(Tombstone._meta.db_table)
    row_id_field = Tombstone._meta.get_field("row_id")
    now = Tombstone._meta.get_field("deleted_at").get_db_prep_value(timezone.now(), connection)
    deleted = 0
    with connection.cursor() as cursor:
        for start in range(0, len(tombstones), 500):
            chunk = tombstones[start : start + 500]
            cursor.execute(
                f"INSERT INTO {tombstone_table} (model, row_id, version, deleted_at) VALUES "
                + ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
                + " ON CONFLICT (model, row_id) DO UPDATE SET version = EXCLUDED.version, "
                f"deleted_at = EXCLUDED.deleted_at WHERE {tombstone_table}.version < "
                "EXCLUDED.version",
                [
                    value
                    for pk, version in chunk
                    for value in (
                        model._meta.label_lower,
                        row_id_field.get_db_prep_value(pk, connection),
                        version,
                        now,
                    )
                ],
            )
            params = []
            for pk, version in chunk:
                params.extend([pk_field.get_db_prep_value(pk, connection), version])
            where = " OR ".join([condition] * len(chunk))
            cursor.execute(f"DELETE FROM {table} WHERE {where}", params)
            deleted += max(cursor.rowcount, 0)
    return deleted
