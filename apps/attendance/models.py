"""Attendance registers (a class, a date, a period or the whole day) and their marks.

``Register`` is written straight to the database. ``AttendanceMark`` and ``AttendanceMarkChange``
are write-behind leaves. A mark's id is derived from its register and student, so marking a
student again updates the same row (its version rises) and can never add a second one: reopening
a register can change marks but never lose any. Every change is kept in ``AttendanceMarkChange``.
"""

from __future__ import annotations

import uuid

from django.db import models

from apps.core.tenancy import SchoolOwned, recorded_by, school_via_parent
from apps.writebuffer.models import BufferedModel

WHOLE_DAY = 0


class AttendanceCode(models.TextChoices):
    PRESENT = "present", "Present"
    ABSENT = "absent", "Absent"
    LATE = "late", "Late"
    EXCUSED = "excused", "Excused"


# Codes that count as attending when a rate is computed.
ATTENDED_CODES = (AttendanceCode.PRESENT, AttendanceCode.LATE)


class Register(SchoolOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school_class = models.ForeignKey(
        "users.SchoolClass", on_delete=models.CASCADE, related_name="registers"
    )
    date = models.DateField()
    period = models.PositiveSmallIntegerField(
        default=WHOLE_DAY, help_text="Lesson period; 0 for a whole-day register."
    )
    created_by = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_marked_at = models.DateTimeField(null=True, blank=True)
    last_marked_by = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-date", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_class", "date", "period"], name="unique_register"
            )
        ]
        indexes = [models.Index(fields=["school", "date"])]

    def __str__(self) -> str:
        period = "whole day" if self.period == WHOLE_DAY else f"period {self.period}"
        return f"{self.school_class} {self.date:%Y-%m-%d} {period}"


def mark_id(register_id: uuid.UUID, student_id: uuid.UUID) -> uuid.UUID:
    """The one id a student's mark in a register can have."""
    return uuid.uuid5(register_id, f"attendance-mark:{student_id}")


class AttendanceMark(SchoolOwned, BufferedModel):
    school = school_via_parent()
    register = models.ForeignKey(Register, on_delete=models.CASCADE, related_name="marks")
    # Indexed through the (student, register) index below; every extra index slows the sync.
    student = models.ForeignKey(
        "users.User", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    code = models.CharField(max_length=10, choices=AttendanceCode.choices)
    note = models.CharField(max_length=200, blank=True)
    marked_by = recorded_by()
    marked_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["register", "student"]
        indexes = [models.Index(fields=["student", "register"])]

    def __str__(self) -> str:
        return f"{self.student}: {self.code}"


class AttendanceMarkChange(SchoolOwned, BufferedModel):
    """Who set which code on a mark, and what it was before (blank: the first marking)."""

    school = school_via_parent()
    # Indexed through the (register, student) index below; every extra index slows the sync.
    register = models.ForeignKey(
        Register, on_delete=models.CASCADE, related_name="changes", db_index=False
    )
    # The mark's id, not a foreign key: both are buffered and may reach the database in any order.
    mark_id = models.UUIDField()
    student = models.ForeignKey(
        "users.User", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    previous_code = models.CharField(max_length=10, choices=AttendanceCode.choices, blank=True)
    code = models.CharField(max_length=10, choices=AttendanceCode.choices)
    previous_note = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=200, blank=True)
    changed_by = recorded_by()
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["register", "changed_at"]
        indexes = [models.Index(fields=["register", "student"])]

    def __str__(self) -> str:
        return f"{self.student}: {self.previous_code or '-'} -> {self.code}"
