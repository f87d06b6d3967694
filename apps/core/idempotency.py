"""Client-chosen ids (CONTRACT.md): a retried create with the same ``id`` returns the first."""

from __future__ import annotations

import uuid
from typing import TypeVar, cast

from apps.core.errors import ApplicationError
from apps.core.tenancy import SchoolOwned

M = TypeVar("M", bound=SchoolOwned)


def existing_for_client_id(
    model: type[M],
    object_id: uuid.UUID | None,
    *,
    school_id: uuid.UUID,
    owner_field: str,
    owner_id: uuid.UUID,
) -> M | None:
    """The object a retried create already made with ``object_id``, or None for a new id.

    An id taken by another school's or another person's object is refused (409) rather than
    returned, so a guessed id reveals nothing and overwrites nothing.
    """
    if object_id is None:
        return None
    existing = model._default_manager.filter(pk=object_id).first()
    if existing is None:
        return None
    if existing.school_id != school_id or getattr(existing, f"{owner_field}_id") != owner_id:
        raise ApplicationError("This id is already taken.", code="id_taken", status_code=409)
    return cast(M, existing)  # the model's own manager returns its own rows
