"""Model instances to buffer payloads and back.

A payload is ``{"o": "u"|"d", "k": pk, "v": version, "f": {attname: value}}`` (``"p"``: partition,
for deletes). Fields are stored by attname so a payload written before a migration that added a
field still loads (the new field takes its default) and one that removed a field loads too (the
extra value is ignored).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models

from apps.writebuffer.registry import Registration

UPSERT = "u"
DELETE = "d"


def payload_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.attname != "version"]


def upsert_payload(instance: models.Model) -> dict[str, Any]:
    """Build an upsert payload, running each field's ``pre_save`` (auto_now, file commits) now,
    at write time, so timestamps say when the person acted, not when the sync ran."""
    adding = instance._state.adding
    values = {
        field.attname: field.pre_save(instance, adding) for field in payload_fields(type(instance))
    }
    for attname, value in values.items():
        if isinstance(value, models.fields.files.FieldFile):
            values[attname] = value.name or ""
    return {"o": UPSERT, "k": str(instance.pk), "v": instance.version, "f": values}


def delete_payload(registration: Registration, instance: models.Model, version: int) -> dict:
    partition = registration.partition_of_instance(instance)
    return {"o": DELETE, "k": str(instance.pk), "v": version, "p": partition}


def payload_partition(registration: Registration, payload: dict[str, Any]) -> str:
    if payload.get("o") == DELETE:
        return payload.get("p", "_")
    return registration.partition_of(payload.get("f", {}))


def instance_from_payload(model: type[models.Model], payload: dict[str, Any]) -> models.Model:
    stored = payload.get("f", {})
    values = {}
    for field in payload_fields(model):
        if field.attname in stored:
            value = stored[field.attname]
            values[field.attname] = None if value is None else field.to_python(value)
    instance = model(pk=uuid.UUID(payload["k"]), version=payload["v"], **values)
    instance._state.adding = False
    instance._state.db = "default"
    return instance
