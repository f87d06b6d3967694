"""Terms, grading scales, weighted assessments per class and subject, and students' marks.

``GradeMark`` is the write-behind leaf; its id is derived from its assessment and student, so
entering a mark again updates it (its version rises) and never adds a second one.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.core.tenancy import SchoolOwned, recorded_by, school_via_parent
from apps.writebuffer.models import BufferedModel


class Term(SchoolOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=60)
    academic_year = models.CharField(max_length=9, help_text="e.g. 2026-27")
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["school", "academic_year", "name"], name="unique_term")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.academic_year})"

    def clean(self) -> None:
        super().clean()
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "A term cannot end before it starts."})


class GradingScale(SchoolOwned):
    """Percent to letter. The school's default scale grades gradebooks and report cards."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=60)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="unique_grading_scale"),
            models.UniqueConstraint(
                fields=["school"],
                condition=models.Q(is_default=True),
                name="one_default_grading_scale",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GradeBand(SchoolOwned):
    """A letter given from ``min_percent`` up to the next band's minimum."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scale = models.ForeignKey(GradingScale, on_delete=models.CASCADE, related_name="bands")
    letter = models.CharField(max_length=5)
    min_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )

    class Meta:
        ordering = ["scale", "-min_percent"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "letter"], name="unique_band_letter"),
            models.UniqueConstraint(fields=["scale", "min_percent"], name="unique_band_minimum"),
        ]

    def __str__(self) -> str:
        return f"{self.letter} from {self.min_percent}%"


class AssessmentKind(models.TextChoices):
    EXAM = "exam", "Exam"
    TEST = "test", "Test"
    HOMEWORK = "homework", "Homework"
    QUIZ = "quiz", "Quiz"


class Assessment(SchoolOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school_class = models.ForeignKey(
        "users.SchoolClass", on_delete=models.CASCADE, related_name="assessments"
    )
    subject = models.ForeignKey("users.Subject", on_delete=models.CASCADE, related_name="+")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="assessments")
    kind = models.CharField(max_length=10, choices=AssessmentKind.choices)
    title = models.CharField(max_length=200)
    date = models.DateField()
    max_score = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal(100), validators=[MinValueValidator(1)]
    )
    weight = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Relative weight among this class's assessments in this subject.",
    )
    created_by = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "title"]
        indexes = [models.Index(fields=["school", "school_class", "subject", "term"])]

    def __str__(self) -> str:
        return self.title


def grade_mark_id(assessment_id: uuid.UUID, student_id: uuid.UUID) -> uuid.UUID:
    """The one id a student's mark in an assessment can have."""
    return uuid.uuid5(assessment_id, f"grade-mark:{student_id}")


class GradeMark(SchoolOwned, BufferedModel):
    school = school_via_parent()
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="marks")
    # Indexed through the (student, assessment) index below; every extra index slows the sync.
    student = models.ForeignKey(
        "users.User", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    score = models.DecimalField(max_digits=6, decimal_places=2)
    comment = models.CharField(max_length=300, blank=True)
    marked_by = recorded_by()
    marked_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["assessment", "student"]
        indexes = [models.Index(fields=["student", "assessment"])]

    def __str__(self) -> str:
        return f"{self.student}: {self.score}"


class ReportComment(SchoolOwned):
    """A teacher's words on a student's term report: one per subject by its teacher, and one
    overall remark (no subject) by the class teacher."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    student = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="+")
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="report_comments")
    subject = models.ForeignKey(
        "users.Subject",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for the class teacher's overall remark.",
    )
    text = models.CharField(max_length=1000)
    author = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["term", "student", "subject"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "term", "subject"], name="unique_report_comment"
            ),
            models.UniqueConstraint(
                fields=["student", "term"],
                condition=models.Q(subject__isnull=True),
                name="one_overall_remark",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} {self.term}: {self.subject or 'overall'}"
