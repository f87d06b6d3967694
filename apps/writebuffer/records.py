"""Model instances to buffer records and back.

A record is ``{"o": "u"|"d", "k": pk, "f": {attname: value}}``; its version comes from the log
entry that holds it (``entries.Entry.records`` adds it as ``"v"``). Fields are stored by attname,
so a record written before a migration that added a field still loads (the new field takes its
default) and one written before a field was removed loads too (the extra value is ignored).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models

UPSERT = "u"
DELETE = "d"


def payload_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.attname != "version"]


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    for attname, value in values.items():
        if isinstance(value, models.fields.files.FieldFile):
            values[attname] = value.name or ""
    return values


def upsert_record(instance: models.Model) -> dict[str, Any]:
    """An upsert record, running each field's ``pre_save`` (auto_now, file commits) now, at write
    time, so timestamps say when the person acted, not when the sync ran."""
    adding = instance._state.adding
    values = {f.attname: f.pre_save(instance, adding) for f in payload_fields(type(instance))}
    return {"o": UPSERT, "k": str(instance.pk), "f": _jsonable(values)}


def delete_record(instance: models.Model) -> dict[str, Any]:
    return {"o": DELETE, "k": str(instance.pk)}


def record_from_row(instance: models.Model) -> dict[str, Any]:
    """The record a stored row would have had in the buffer (dictionary training samples)."""
    values = {f.attname: f.value_from_object(instance) for f in payload_fields(type(instance))}
    return {"o": UPSERT, "k": str(instance.pk), "f": _jsonable(values)}


def instance_from_record(model: type[models.Model], record: dict[str, Any]) -> models.Model:
    stored = record.get("f", {})
    values = {}
    for field in payload_fields(model):
        if field.attname in stored:
            value = stored[field.attname]
            values[field.attname] = None if value is None else field.to_python(value)
    instance = model(pk=uuid.UUID(record["k"]), version=record["v"], **values)
    instance._state.adding = False
    instance._state.db = "default"
    return instance
