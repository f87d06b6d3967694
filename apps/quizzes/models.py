"""The question bank (questions and their immutable versions), quizzes built from it, and the
students' attempts and answers.

``Question``, ``QuestionVersion``, ``Quiz`` and ``QuizSlot`` are written straight to the
database by teachers. ``Attempt`` and ``Answer`` are the write-behind leaves: a whole school
starting a quiz at once writes them to Redis and the sync moves them into PostgreSQL in batches.
An attempt keeps the ids of the question versions it was given, so editing a question never
changes what an attempt was taken against (a regrade moves it to the corrected version).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models

from apps.core.tenancy import SchoolOwned, recorded_by, school_via_parent
from apps.writebuffer.models import BufferedModel


class QuestionType(models.TextChoices):
    SINGLE_CHOICE = "single_choice", "Single choice"
    MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
    TRUE_FALSE = "true_false", "True or false"
    NUMERIC = "numeric", "Numeric"
    SHORT_TEXT = "short_text", "Short text"
    MATCHING = "matching", "Matching"


class Question(SchoolOwned):
    """A bank entry. Its content lives in versions; ``current_version`` is the one new attempts
    get."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey("users.Subject", on_delete=models.CASCADE, related_name="+")
    tags = models.JSONField(default=list, blank=True, help_text="A list of short labels.")
    type = models.CharField(max_length=20, choices=QuestionType.choices)
    title = models.CharField(max_length=200, help_text="How the question is listed in the bank.")
    current_version = models.ForeignKey(
        "QuestionVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["subject", "title"]
        indexes = [models.Index(fields=["school", "subject"])]

    def __str__(self) -> str:
        return self.title


class QuestionVersion(models.Model):
    """The content of a question at one moment; never changed once attempts may use it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    type = models.CharField(max_length=20, choices=QuestionType.choices)
    body = models.JSONField(help_text="Prompt, options and answer key; the shape depends on type.")
    points = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal(1), validators=[MinValueValidator(0)]
    )
    created_by = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["question", "number"]
        constraints = [
            models.UniqueConstraint(fields=["question", "number"], name="unique_question_version")
        ]
        # The GIN index on ``body`` (PostgreSQL JSONB) is created in migration 0002, only on
        # PostgreSQL: the embedded SQLite default has no such index type.

    def __str__(self) -> str:
        return f"{self.question} v{self.number}"


class GradingMethod(models.TextChoices):
    HIGHEST = "highest", "Highest attempt"
    LAST = "last", "Last attempt"
    AVERAGE = "average", "Average of attempts"


class ReviewWhen(models.TextChoices):
    IMMEDIATELY = "immediately", "As soon as the attempt is finished"
    AFTER_CLOSE = "after_close", "After the quiz closes"
    NEVER = "never", "Never"


class QuizStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Quiz(SchoolOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey("users.Subject", on_delete=models.CASCADE, related_name="+")
    classes = models.ManyToManyField("users.SchoolClass", related_name="quizzes")
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=QuizStatus.choices, default=QuizStatus.DRAFT)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    time_limit_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: until the quiz closes."
    )
    attempts_allowed = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1)]
    )
    grading_method = models.CharField(
        max_length=10, choices=GradingMethod.choices, default=GradingMethod.HIGHEST
    )
    shuffle_questions = models.BooleanField(default=False)
    shuffle_options = models.BooleanField(default=False)
    review_marks = models.CharField(
        max_length=12, choices=ReviewWhen.choices, default=ReviewWhen.IMMEDIATELY,
        help_text="When students see their score and per-question marks.",
    )  # fmt: skip
    review_answers = models.CharField(
        max_length=12, choices=ReviewWhen.choices, default=ReviewWhen.AFTER_CLOSE,
        help_text="When students see the right answers and the feedback.",
    )  # fmt: skip
    created_by = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "quizzes"
        ordering = ["-opens_at", "title"]
        indexes = [models.Index(fields=["school", "status", "closes_at"])]

    def __str__(self) -> str:
        return self.title


class QuizSlot(models.Model):
    """One place in a quiz: a fixed question, or ``draw_count`` questions drawn at random (per
    attempt) from the bank's questions of the quiz's subject tagged ``draw_tag``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="slots")
    position = models.PositiveSmallIntegerField()
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    draw_tag = models.CharField(max_length=50, blank=True)
    draw_count = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["quiz", "position"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "position"], name="unique_quiz_slot"),
            models.CheckConstraint(
                condition=models.Q(question__isnull=False) | ~models.Q(draw_tag=""),
                name="quiz_slot_question_or_tag",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quiz} #{self.position}"


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    FINISHED = "finished", "Finished"


class FinishedBy(models.TextChoices):
    STUDENT = "student", "Submitted by the student"
    DEADLINE = "deadline", "Submitted automatically at the deadline"


class Attempt(SchoolOwned, BufferedModel):
    """One student's attempt at a quiz.

    ``items`` is the attempt's paper, fixed at start: per question its id, the version id it is
    graded against, its points and the order its options were shown in. ``marks`` is the grading,
    per question id: ``fraction``, ``marks`` and, when a teacher changed it, ``override``.
    """

    school = school_via_parent()
    quiz = models.ForeignKey(
        Quiz, on_delete=models.CASCADE, related_name="attempts", db_index=False
    )
    student = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="+")
    # The student's class at the start, for the class leaderboard (a student may change class).
    school_class = models.ForeignKey(
        "users.SchoolClass", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        db_index=False, db_constraint=False,
    )  # fmt: skip
    number = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(
        max_length=12, choices=AttemptStatus.choices, default=AttemptStatus.IN_PROGRESS
    )
    finished_by = models.CharField(max_length=10, choices=FinishedBy.choices, blank=True)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    items = models.JSONField(default=list)
    marks = models.JSONField(default=dict, blank=True)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal(0))
    graded_by = recorded_by()
    graded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["quiz", "student", "number"]
        indexes = [
            models.Index(fields=["quiz", "student"]),
            models.Index(fields=["status", "deadline"]),
        ]

    def __str__(self) -> str:
        return f"{self.student} on {self.quiz} (attempt {self.number})"

    def question_ids(self) -> list[str]:
        return [item["question"] for item in self.items]

    def clean(self) -> None:
        # Not SchoolOwned.clean: the services copy ``school`` from the quiz they loaded, and
        # checking it here would load the quiz, the student and the class again on the hot path.
        models.Model.clean(self)


def answer_id(attempt_id: uuid.UUID | str, question_id: uuid.UUID | str) -> uuid.UUID:
    """One row per attempt and question: a resent answer lands on the same row, and the newest
    write (by the buffer's version) is the one that counts."""
    return uuid.uuid5(uuid.UUID(str(attempt_id)), str(question_id))


class Answer(SchoolOwned, BufferedModel):
    school = school_via_parent()
    # No database constraints: an answer may reach PostgreSQL in the same sync as its attempt,
    # and the two models sync side by side in no fixed order.
    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, related_name="answers", db_constraint=False
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    response = models.JSONField()
    saved_at = models.DateTimeField()

    class Meta:
        # By the column, not the relation: ordering by "attempt" would join the attempts table
        # (for their ordering), and an answer synced before its attempt would be dropped from
        # every read of the database while it is no longer pending in the buffer.
        ordering = ["attempt_id", "saved_at"]

    def __str__(self) -> str:
        return f"answer to {self.question_id} in {self.attempt_id}"

    def clean(self) -> None:
        # Not SchoolOwned.clean: ``school`` is copied from the attempt, which may itself still be
        # waiting in the buffer (loading it from the database would fail).
        models.Model.clean(self)
