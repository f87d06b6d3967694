"""The activity log (who did what, to which object, when, from where) and early warnings.

Activity entries are documents: their ``details`` are PostgreSQL ``JSONB`` with a GIN index
(the original design kept them in MongoDB; see the README on why they are not).
"""

from __future__ import annotations

import uuid

from django.db import models

from apps.core.tenancy import SchoolOwned, recorded_by, school_via_parent
from apps.writebuffer.models import BufferedModel


class ActivityEntry(SchoolOwned, BufferedModel):
    # No database constraints on these links: an entry must never be dead-lettered because of
    # what happened to the school or person after the fact.
    school = school_via_parent()
    actor = recorded_by()
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    client = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField()
    event_id = models.UUIDField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "activity log"
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["school", "occurred_at"]),
        ]
        # ``details`` also has a GIN index on PostgreSQL (migration 0002; SQLite has none).

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action}"

    def clean(self) -> None:
        # A record of what happened, not a link to keep consistent: an operator (no school)
        # acting in a school is logged too, and validating costs no query per entry.
        models.Model.clean(self)


class WarningKind(models.TextChoices):
    ABSENCES = "absences", "Absences and late arrivals"
    FALLING_AVERAGE = "falling_average", "Falling average"
    MISSING_HOMEWORK = "missing_homework", "Missing or late homework"


class WarningRule(SchoolOwned):
    """A school's threshold for one kind of early warning, over the last ``window_days``."""

    kind = models.CharField(max_length=20, choices=WarningKind.choices)
    threshold = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        help_text="Absences: days absent or late. Falling average: percentage points lost. "
        "Missing homework: pieces missing or late.",
    )
    window_days = models.PositiveSmallIntegerField(default=30)
    notify_guardians = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "kind"], name="one_warning_rule_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} >= {self.threshold} in {self.window_days} days"


class EarlyWarning(SchoolOwned):
    """A student over a threshold. Open until the student is back under it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    student = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=WarningKind.choices)
    value = models.DecimalField(max_digits=8, decimal_places=2)
    threshold = models.DecimalField(max_digits=6, decimal_places=2)
    reason = models.CharField(max_length=300)
    raised_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "kind"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_warning_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.student}: {self.reason}"
