"""A buffered row is read from the database whatever the state of its buffered parents.

Buffered models sync side by side in no fixed order, so a row can reach PostgreSQL before the
buffered row it points to. A default ordering through such a relation ("attempt" rather than
"attempt_id") makes every read of the model join the parent's table, and the inner join hides
the child until its parent arrives: a row that is no longer pending and not readable either.
"""

from __future__ import annotations

import pytest
from django.db import models

from apps.writebuffer.registry import registrations

BUFFERED: dict[str, type[models.Model]] = {r.model._meta.label: r.model for r in registrations()}


@pytest.mark.parametrize("label", sorted(BUFFERED))
def test_the_default_read_joins_no_buffered_parent(label: str) -> None:
    model = BUFFERED[label]
    sql = str(model._default_manager.all().query)
    for field in model._meta.get_fields():
        parent = field.related_model if isinstance(field, models.ForeignKey) else None
        if isinstance(parent, type) and parent._meta.label in BUFFERED:
            table = parent._meta.db_table
            assert f'JOIN "{table}"' not in sql, f"{label} joins {table}: {sql}"
