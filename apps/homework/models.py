"""Homework set for a class and subject, its attachments, per-student extensions and submissions.

``Homework``, ``HomeworkAttachment`` and ``Extension`` are written straight to the database.
``Submission`` is the write-behind leaf: students submit at once and the sync moves it into
PostgreSQL later. Its files are stored through Django's storage API when the student submits and
are listed in ``files`` (a submission may have several, and a buffered row cannot own child rows
that would have to wait for it to be synced).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models

from apps.core.tenancy import SchoolOwned, recorded_by, school_via_parent
from apps.writebuffer.models import BufferedModel

# Long enough for any real homework, short enough that one request cannot fill the buffer.
INSTRUCTIONS_MAX_LENGTH = 20_000
SUBMISSION_TEXT_MAX_LENGTH = 50_000
FEEDBACK_MAX_LENGTH = 5_000
PERCENT_VALIDATORS = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


# Dates outside these years are typing mistakes (1900 for 2026), not homework.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


class LatePolicy(models.TextChoices):
    NONE = "none", "No deduction"
    PER_DAY = "per_day", "Deduction per day late, down to a minimum"


class Homework(SchoolOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school_class = models.ForeignKey(
        "users.SchoolClass", on_delete=models.CASCADE, related_name="homework"
    )
    subject = models.ForeignKey("users.Subject", on_delete=models.CASCADE, related_name="+")
    assigned_by = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    instructions = models.TextField(
        blank=True, validators=[MaxLengthValidator(INSTRUCTIONS_MAX_LENGTH)]
    )
    due_at = models.DateTimeField()
    cut_off_at = models.DateTimeField(
        null=True, blank=True, help_text="No submission is accepted after this moment."
    )
    max_score = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal(100), validators=[MinValueValidator(1)]
    )
    weight = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Once graded, it counts in the gradebook as an assessment of this weight.",
    )
    late_policy = models.CharField(
        max_length=10, choices=LatePolicy.choices, default=LatePolicy.NONE
    )
    late_deduction_percent_per_day = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal(0), validators=PERCENT_VALIDATORS
    )
    late_minimum_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=PERCENT_VALIDATORS,
        help_text="Deductions never take a score below this percentage of the maximum.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "homework"
        ordering = ["-due_at", "title"]
        indexes = [models.Index(fields=["school", "school_class", "due_at"])]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        errors = {}
        for field in ("due_at", "cut_off_at"):
            moment = getattr(self, field)
            if moment is not None and not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
                errors[field] = f"Must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}."
        if self.cut_off_at and self.due_at and self.cut_off_at < self.due_at:
            errors.setdefault("cut_off_at", "The cut-off cannot be before the due date.")
        if self.late_policy == LatePolicy.PER_DAY and not self.late_deduction_percent_per_day:
            errors["late_deduction_percent_per_day"] = "A per-day policy needs a deduction."
        if errors:
            raise ValidationError(errors)


def attachment_upload_to(attachment: HomeworkAttachment, filename: str) -> str:
    return f"homework/{attachment.school_id}/{attachment.homework_id}/{uuid.uuid4().hex}/{filename}"


class HomeworkAttachment(SchoolOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    homework = models.ForeignKey(Homework, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_upload_to, max_length=300)
    name = models.CharField(max_length=200, help_text="The file name as uploaded.")
    size_bytes = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "name"]

    def __str__(self) -> str:
        return self.name


class Extension(SchoolOwned):
    """A later due date for one student; the cut-off moves with it when it would fall before."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    homework = models.ForeignKey(Homework, on_delete=models.CASCADE, related_name="extensions")
    student = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    granted_by = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["homework", "student"]
        constraints = [
            models.UniqueConstraint(fields=["homework", "student"], name="unique_extension")
        ]

    def __str__(self) -> str:
        return f"{self.student} until {self.due_at:%Y-%m-%d %H:%M}"


class SubmissionStatus(models.TextChoices):
    ON_TIME = "on_time", "On time"
    LATE = "late", "Late"
    # A submission after the cut-off is refused and never stored; this names that outcome in
    # the API's error code and in the timing rules.
    REJECTED_AFTER_CUT_OFF = "rejected_after_cut_off", "Rejected (after the cut-off)"


class Submission(SchoolOwned, BufferedModel):
    """One version of a student's work. A resubmission adds a version and retires the last one
    (``is_current`` False), so earlier versions stay readable."""

    school = school_via_parent()
    # Indexed through the (homework, student) index below; every extra index slows the sync.
    homework = models.ForeignKey(
        Homework, on_delete=models.CASCADE, related_name="submissions", db_index=False
    )
    student = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="+")
    attempt = models.PositiveSmallIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    text = models.TextField(blank=True, validators=[MaxLengthValidator(SUBMISSION_TEXT_MAX_LENGTH)])
    files = models.JSONField(
        default=list, blank=True, help_text="Stored files: name, path, size_bytes, content_type."
    )
    status = models.CharField(max_length=30, choices=SubmissionStatus.choices)
    days_late = models.PositiveSmallIntegerField(default=0)
    submitted_at = models.DateTimeField()
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    final_score = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The score after the late policy's deduction.",
    )
    feedback = models.TextField(blank=True, validators=[MaxLengthValidator(FEEDBACK_MAX_LENGTH)])
    graded_by = recorded_by()
    graded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["homework", "student", "-attempt"]
        indexes = [models.Index(fields=["homework", "student"])]

    def __str__(self) -> str:
        return f"{self.student} on {self.homework} (attempt {self.attempt})"
