"""Schools (the tenants), people and roles, classes, subjects, who teaches or learns where."""

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils.crypto import salted_hmac

from apps.core.tenancy import SchoolOwned, SchoolOwnedQuerySet


class School(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    logo = models.FileField(
        upload_to="schools/logos/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg"])],
        help_text="PNG or JPEG, printed on report cards.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    SCHOOL_ADMIN = "school_admin", "School admin"
    TEACHER = "teacher", "Teacher"
    STUDENT = "student", "Student"
    GUARDIAN = "guardian", "Guardian"


class UserQuerySet(SchoolOwnedQuerySet):
    def update(self, **kwargs: Any) -> int:
        # JWT requests take the user from the read cache (apps/users/user_cache.py); a bulk
        # update changes users without a save(), so it invalidates them itself.
        from apps.users.user_cache import user_cache_invalidate_on_commit

        user_ids = list(self.values_list("pk", flat=True))
        updated = super().update(**kwargs)
        user_cache_invalidate_on_commit(user_ids=user_ids)
        return updated


# from_queryset builds the base class at run time, which mypy cannot follow.
class SchoolUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A person. Everyone but an operator (superuser) belongs to exactly one school."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="users"
    )
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    # Raised to sign a person out everywhere: every JWT and web session carries a stamp derived
    # from it and the password hash (see apps/users/tokens.py), so either changing ends them all.
    token_generation = models.PositiveIntegerField(default=0, editable=False)

    objects: ClassVar[SchoolUserManager] = SchoolUserManager()

    class Meta:
        ordering = ["username"]
        indexes = [models.Index(fields=["school", "role"])]

    def clean(self) -> None:
        super().clean()
        if not self.is_superuser and (self.school_id is None or not self.role):
            raise ValidationError("Everyone but an operator needs a school and a role.")

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django ends a web session when this hash changes (a password change); including the
        # generation ends them on "sign out everywhere" too. Generation 0 keeps Django's own
        # hash, so sessions opened before the generation existed stay valid.
        if not self.token_generation:
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        return salted_hmac(
            "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
            f"{self.password}:{self.token_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def is_school_admin(self) -> bool:
        return self.role == Role.SCHOOL_ADMIN

    @property
    def is_teacher(self) -> bool:
        return self.role == Role.TEACHER

    @property
    def is_student(self) -> bool:
        return self.role == Role.STUDENT

    @property
    def is_guardian(self) -> bool:
        return self.role == Role.GUARDIAN


class SchoolClass(SchoolOwned):
    """A class (grade + section) in one academic year, e.g. 10-A 2026-27."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    grade = models.PositiveSmallIntegerField()
    section = models.CharField(max_length=10)
    academic_year = models.CharField(max_length=9, help_text="e.g. 2026-27")
    class_teacher = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "class"
        verbose_name_plural = "classes"
        ordering = ["academic_year", "grade", "section"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "academic_year", "grade", "section"], name="unique_class"
            )
        ]

    def __str__(self) -> str:
        return f"{self.grade}-{self.section} ({self.academic_year})"


class Subject(SchoolOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    code = models.CharField(max_length=20)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "code"], name="unique_subject_code")
        ]

    def __str__(self) -> str:
        return self.name


class Enrolment(SchoolOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    student = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrolments")
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="enrolments"
    )
    roll_number = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["school_class", "roll_number"]
        constraints = [
            models.UniqueConstraint(fields=["student", "school_class"], name="unique_enrolment")
        ]

    def clean(self) -> None:
        super().clean()
        if self.student_id and self.student.role != Role.STUDENT:
            raise ValidationError({"student": "Only students can be enrolled."})

    def __str__(self) -> str:
        return f"{self.student} in {self.school_class}"


class TeacherAssignment(SchoolOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    teacher = models.ForeignKey(User, on_delete=models.CASCADE, related_name="assignments")
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="teacher_assignments"
    )
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["teacher", "school_class", "subject"], name="unique_teacher_assignment"
            )
        ]

    def clean(self) -> None:
        super().clean()
        if self.teacher_id and self.teacher.role != Role.TEACHER:
            raise ValidationError({"teacher": "Only teachers can be assigned to classes."})

    def __str__(self) -> str:
        return f"{self.teacher} teaches {self.subject} to {self.school_class}"


class GuardianLink(SchoolOwned):
    """A guardian of a student; a guardian may have several children at the school."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    guardian = models.ForeignKey(User, on_delete=models.CASCADE, related_name="children_links")
    student = models.ForeignKey(User, on_delete=models.CASCADE, related_name="guardian_links")
    relationship = models.CharField(max_length=40, blank=True, default="parent")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["guardian", "student"], name="unique_guardian_link")
        ]

    def clean(self) -> None:
        super().clean()
        if self.guardian_id and self.guardian.role != Role.GUARDIAN:
            raise ValidationError({"guardian": "Only guardians can be linked to students."})
        if self.student_id and self.student.role != Role.STUDENT:
            raise ValidationError({"student": "Guardians are linked to students only."})

    def __str__(self) -> str:
        return f"{self.guardian} ({self.relationship}) of {self.student}"
