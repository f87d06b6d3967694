"""A school's calendar: its academic years, its school week and its holidays.

Terms (the grading periods inside a year) are ``grades.Term``. Registers are checked against
this calendar (``selectors.check_school_day``).
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import models

from apps.core.tenancy import SchoolOwned

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class AcademicYear(SchoolOwned):
    """The dates of a school year; classes name theirs (``SchoolClass.academic_year``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=9, help_text="As the classes name it, e.g. 2026-27")
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="unique_academic_year")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "A year cannot end before it starts."})


class SchoolWeek(SchoolOwned):
    """The days of the week a school teaches. A school without one teaches every day (nothing
    is refused for its weekday until the school says which days it teaches)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    monday = models.BooleanField(default=True)
    tuesday = models.BooleanField(default=True)
    wednesday = models.BooleanField(default=True)
    thursday = models.BooleanField(default=True)
    friday = models.BooleanField(default=True)
    saturday = models.BooleanField(default=False)
    sunday = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school"], name="one_school_week")]

    def __str__(self) -> str:
        days = [day[:3].title() for day in WEEKDAYS if getattr(self, day)]
        return ", ".join(days) or "no school days"

    def teaches_on(self, weekday: int) -> bool:
        """``weekday`` as ``date.weekday()`` gives it (Monday is 0)."""
        return bool(getattr(self, WEEKDAYS[weekday]))


class Holiday(SchoolOwned):
    """A day or a run of days without school (both ends included)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["starts_on"]
        indexes = [models.Index(fields=["school", "starts_on"])]

    def __str__(self) -> str:
        if self.starts_on == self.ends_on:
            return f"{self.name} ({self.starts_on:%d %b %Y})"
        return f"{self.name} ({self.starts_on:%d %b %Y} to {self.ends_on:%d %b %Y})"

    def clean(self) -> None:
        super().clean()
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "A holiday cannot end before it starts."})
