"""The one place that scopes school data to the caller's school.

Every model that holds a school's data inherits ``SchoolOwned`` and so carries its own ``school``
foreign key (denormalised on purpose: scoping is then one indexed filter, never a join chain).
Selectors start from ``Model.objects.for_user(user)``; admin pages use ``SchoolScopedAdmin``.
A superuser (an operator of the whole install) sees every school; anyone else sees only their own,
and a user without a school sees nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError
from django.db import models

if TYPE_CHECKING:
    from apps.users.models import School, User


def school_filter_for(user: User) -> dict[str, Any] | None:
    """The filter that limits a queryset to what ``user`` may see; ``None`` means everything."""
    if not getattr(user, "is_authenticated", False):
        return {"pk__in": []}
    if user.is_superuser:
        return None
    if user.school_id is None:
        return {"pk__in": []}
    return {"school_id": user.school_id}


class SchoolOwnedQuerySet(models.QuerySet):
    def for_user(self, user: User) -> SchoolOwnedQuerySet:
        school_filter = school_filter_for(user)
        return self if school_filter is None else self.filter(**school_filter)

    def for_school(self, school_id: Any) -> SchoolOwnedQuerySet:
        return self.filter(school_id=school_id)


class SchoolOwned(models.Model):
    """Abstract base of every model that belongs to one school."""

    school = models.ForeignKey("users.School", on_delete=models.CASCADE, related_name="+")

    objects = SchoolOwnedQuerySet.as_manager()

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        check_same_school(self)


def check_same_school(instance: models.Model) -> None:
    """Refuse links across schools: every related school-owned object must share our school."""
    school_id = getattr(instance, "school_id", None)
    if school_id is None:
        return
    errors = {}
    for field in instance._meta.concrete_fields:
        if not field.is_relation or field.name == "school":
            continue
        related_id = getattr(instance, field.attname)
        if related_id is None:
            continue
        related_model = cast(type[models.Model], field.related_model)  # a relation: never None
        if not hasattr(related_model, "school_id") and not any(
            f.name == "school" for f in related_model._meta.concrete_fields
        ):
            continue
        related = getattr(instance, field.name)
        if related is not None and related.school_id != school_id:
            errors[field.name] = "Belongs to another school."
    if errors:
        raise ValidationError(errors)


def school_via_parent() -> models.ForeignKey[School, School]:
    """The ``school`` of a buffered row whose parent (a register, a homework, an assessment)
    already ties it to its school with a foreign key: a second database constraint would only
    cost every synced row one more check."""
    return models.ForeignKey(
        "users.School", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )


def recorded_by() -> models.ForeignKey[User | None, User | None]:
    """Who did it, for the record, on a buffered row. No index (never searched) and no
    database constraint: a row must not be refused at sync because that person was deleted
    in the meantime (SET_NULL is the intent)."""
    return models.ForeignKey(
        "users.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
