"""Which models go through the buffer, and how.

A domain app registers its model once, in its ``AppConfig.ready``::

    register(Submission, policy=Policy.WRITE_BEHIND, partition_field="homework_id")

``partition_field`` names the field that read-your-writes groups pending records by (the list a
person usually looks at: the submissions of one homework, the marks of one register), so that a
list read looks only at the pending records of the lists it shows.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.conf import settings
from django.db import models

from apps.writebuffer.models import BufferedModel


class Policy(enum.StrEnum):
    WRITE_BEHIND = "write_behind"  # acknowledged once in Redis; synced in batches
    WRITE_THROUGH = "write_through"  # written to PostgreSQL before the call returns


@dataclass(frozen=True)
class Registration:
    model: type[BufferedModel]
    policy: Policy
    partition_field: str | None

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def partition_of(self, values: dict) -> str:
        if self.partition_field is None:
            return "_"
        return str(values.get(self.partition_field) or "_")

    def partition_of_instance(self, instance: models.Model) -> str:
        if self.partition_field is None:
            return "_"
        return str(getattr(instance, self.partition_field) or "_")


class NotRegistered(LookupError):
    pass


_registry: dict[str, Registration] = {}


def register(
    model: type[models.Model], *, policy: Policy | str, partition_field: str | None = None
) -> Registration:
    if not issubclass(model, BufferedModel):
        raise TypeError(f"{model.__name__} must inherit BufferedModel to be buffered")
    if partition_field is not None:
        model._meta.get_field(partition_field.removesuffix("_id"))  # fails early on a typo
    # An operator may force a model's policy (WRITE_BUFFER_POLICY_OVERRIDES, e.g.
    # "quizzes.answer=write_through"), without a release; benchmarks use it to compare both.
    overrides = settings.WRITE_BUFFER.get("POLICY_OVERRIDES") or {}
    policy = overrides.get(model._meta.label_lower, policy)
    registration = Registration(model=model, policy=Policy(policy), partition_field=partition_field)
    _registry[registration.label] = registration
    return registration


def set_policy(model: type[models.Model], policy: Policy | str) -> Registration:
    """Change a model's policy at run time (used by the benchmark to compare both)."""
    current = registration_for(model)
    registration = Registration(
        model=current.model, policy=Policy(policy), partition_field=current.partition_field
    )
    _registry[registration.label] = registration
    return registration


def registration_for(model: type[models.Model] | str) -> Registration:
    label = model if isinstance(model, str) else model._meta.label_lower
    try:
        return _registry[label]
    except KeyError:
        raise NotRegistered(f"{label} is not registered with the write buffer") from None


def registrations() -> list[Registration]:
    return sorted(_registry.values(), key=lambda registration: registration.label)
