"""Writing buffered records into the database: idempotent, ordered, in bulk.

One ``INSERT ... ON CONFLICT (id) DO UPDATE ... WHERE table.version < EXCLUDED.version`` per chunk
of rows: replaying a batch changes nothing, and an older write never overwrites a newer one, so
the sync may repeat or reorder work (redelivery after a crash, two workers at once) safely. The
same statement serves PostgreSQL and SQLite (3.24+), so `make run` on SQLite syncs the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models

from apps.writebuffer.records import payload_fields

# PostgreSQL accepts at most 65535 bind parameters per statement.
MAX_PARAMETERS = 60_000


def _columns(model: type[models.Model]) -> list[models.Field]:
    pk = model._meta.pk
    return [pk, *payload_fields(model), model._meta.get_field("version")]


def upsert(model: type[models.Model], instances: Sequence[models.Model]) -> int:
    """Insert or update rows, newest version wins. Returns rows actually written."""
    if not instances:
        return 0
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = _columns(model)
    names = [quote(field.column) for field in columns]
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in names[1:])
    row_placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = max(1, MAX_PARAMETERS // len(columns))
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(instances), per_statement):
            chunk = instances[start : start + per_statement]
            params = []
            for instance in chunk:
                for field in columns:
                    params.append(
                        field.get_db_prep_save(getattr(instance, field.attname), connection)
                    )
            # Only quoted identifiers from the model's own metadata are interpolated; every
            # value is a bound parameter.
            sql = (  # noqa: S608
                f"INSERT INTO {table} ({', '.join(names)}) VALUES "
                f"{', '.join([row_placeholder] * len(chunk))} "
                f"ON CONFLICT ({names[0]}) DO UPDATE SET {updates} "
                f"WHERE {table}.{quote('version')} < EXCLUDED.{quote('version')}"
            )
            cursor.execute(sql, params)
            written += max(cursor.rowcount, 0)
    return written


def delete(model: type[models.Model], tombstones: Sequence[tuple[object, int]]) -> int:
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
            cursor.execute(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608
            deleted += max(cursor.rowcount, 0)
    return deleted
