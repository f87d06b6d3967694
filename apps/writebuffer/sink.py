"""Writing buffered records into the database: idempotent, ordered, in bulk.

Every write is ``INSERT ... ON CONFLICT (id) DO UPDATE ... WHERE table.version < EXCLUDED.version``:
replaying a batch changes nothing and an older write never overwrites a newer one, so the sync may
repeat or reorder work (redelivery after a crash, two workers at once) safely.

On PostgreSQL a whole batch is one statement whose parameters are one text array per column,
unnested and cast to the column types by the server: the statement text stays small however many
rows there are, and values go over the wire as they were buffered (ISO timestamps, decimal
strings, UUID strings), which PostgreSQL parses faster than Python converts them. Elsewhere
(SQLite under `make run`) rows become ``VALUES`` lists after Django's own field conversions.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import psycopg
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.db.backends.utils import CursorWrapper

from apps.writebuffer.records import instance_from_record, payload_fields

# SQLite and PostgreSQL both cap bind parameters per statement; stay well below.
MAX_PARAMETERS = 30_000


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [model._meta.pk, *payload_fields(model), model._meta.get_field("version")]


def _upsert_tail(model: type[models.Model], names: list[str]) -> str:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in names[1:])
    return (
        f"ON CONFLICT ({names[0]}) DO UPDATE SET {updates} "
        f"WHERE {table}.{quote('version')} < EXCLUDED.{quote('version')}"
    )


def _text_converter(field: models.Field):
    """How a buffered value of ``field`` becomes the text PostgreSQL casts to the column type."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder or DjangoJSONEncoder
        return lambda value: None if value is None else json.dumps(value, cls=encoder)
    if isinstance(field, models.BooleanField):
        return lambda value: None if value is None else ("true" if value else "false")
    return lambda value: None if value is None else str(value)


def _default_json(field: models.Field) -> Any:
    """A missing field's default, in the form buffered values have (the record's JSON)."""
    if not field.has_default() and field.null:
        return None
    default = field.get_default()
    return json.loads(json.dumps(default, cls=DjangoJSONEncoder))


def _upsert_postgresql(model: type[models.Model], rows: Sequence[dict]) -> int:
    quote = connection.ops.quote_name
    columns = _columns(model)
    names = [quote(field.column) for field in columns]
    arrays: list[list[str | None]] = [[row["k"] for row in rows]]
    for field in columns[1:-1]:
        convert, attname, default = _text_converter(field), field.attname, _default_json(field)
        arrays.append([convert(row["f"].get(attname, default)) for row in rows])
    arrays.append([str(row["v"]) for row in rows])
    casts = ", ".join(
        f"u.c{position}::{field.db_type(connection)}" for position, field in enumerate(columns)
    )
    aliases = ", ".join(f"c{position}" for position in range(len(columns)))
    unnest = ", ".join(["%s::text[]"] * len(columns))
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(names)}) "
        f"SELECT {casts} FROM unnest({unnest}) AS u({aliases}) " + _upsert_tail(model, names)
    )
    connection.ensure_connection()
    # A server-side-binding cursor: the arrays travel as parameters, dumped by psycopg's C code,
    # instead of being quoted into the statement text in Python (Django's default cursor).
    # Django's wrapper keeps execute_wrapper hooks and query logging working.
    with CursorWrapper(psycopg.Cursor(connection.connection), connection) as cursor:
        cursor.execute(sql, arrays)
        return max(cursor.rowcount, 0)


def _upsert_generic(model: type[models.Model], rows: Sequence[dict]) -> int:
    quote = connection.ops.quote_name
    columns = _columns(model)
    names = [quote(field.column) for field in columns]
    row_placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = max(1, MAX_PARAMETERS // len(columns))
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
    """Delete rows whose stored version is older than their tombstone's."""
    if not tombstones:
        return 0
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk_field = model._meta.pk
    condition = f"({quote(pk_field.column)} = %s AND {quote('version')} < %s)"
    deleted = 0
    with connection.cursor() as cursor:
        for start in range(0, len(tombstones), 500):
            chunk = tombstones[start : start + 500]
            params = []
            for pk, version in chunk:
                params.extend([pk_field.get_db_prep_value(pk, connection), version])
            where = " OR ".join([condition] * len(chunk))
            cursor.execute(f"DELETE FROM {table} WHERE {where}", params)
            deleted += max(cursor.rowcount, 0)
    return deleted
