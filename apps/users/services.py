"""Changes to people's accounts, and setting up a school from CSV: people, classes,
enrolments, guardian links, teacher assignments.

One file per kind, with the columns of ``CSV_COLUMNS`` (the export writes the same ones). Rows
are matched on their natural key (a person's username; a class's grade, section and year; a
subject's code), so importing the same file again changes nothing. An import is all or nothing:
every row is applied inside one transaction, and any bad row (reported with its line number)
rolls the whole file back. A dry run applies the file the same way and always rolls back, so
what it reports is exactly what the import would do.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F

from apps.users.models import (
    Enrolment,
    GuardianLink,
    Role,
    School,
    SchoolClass,
    Subject,
    TeacherAssignment,
    User,
)

CSV_COLUMNS: dict[str, list[str]] = {
    "people": ["username", "first_name", "last_name", "email", "role"],
    "classes": ["grade", "section", "academic_year", "class_teacher"],
    "subjects": ["code", "name"],
    "enrolments": ["student", "grade", "section", "academic_year", "roll_number"],
    "guardian_links": ["guardian", "student", "relationship"],
    "teacher_assignments": ["teacher", "grade", "section", "academic_year", "subject"],
}
OPTIONAL_COLUMNS = {
    "first_name",
    "last_name",
    "email",
    "class_teacher",
    "roll_number",
    "relationship",
}
IMPORTABLE_ROLES = (Role.SCHOOL_ADMIN, Role.TEACHER, Role.STUDENT, Role.GUARDIAN)
MAX_IMPORT_ROWS = 20_000


class RowError(Exception):
    """One bad row: the message names the column when it can."""


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, message)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return f"{len(self.errors)} of {self.rows} rows are not valid; nothing was changed."
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.rows} rows: {self.created} {verb} created, {self.updated} {verb} updated, "
            f"{self.unchanged} unchanged."
        )


def _set_fields(instance: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


class _Importer:
    def __init__(self, *, school: School, report: ImportReport) -> None:
        self.school = school
        self.report = report

    # --- lookups, each refusing another school's objects ----------------------------------
    def person(self, username: str, role: str, column: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None or user.school_id != self.school.pk:
            raise RowError(f"{column}: no person {username!r} at this school.")
        if user.role != role:
            raise RowError(f"{column}: {username!r} is a {user.get_role_display()}, not a {role}.")
        return user

    def school_class(self, row: dict[str, str]) -> SchoolClass:
        grade = self.grade(row)
        school_class = SchoolClass.objects.filter(
            school=self.school, grade=grade, section=row["section"],
            academic_year=row["academic_year"],
        ).first()  # fmt: skip
        if school_class is None:
            raise RowError(
                f"class: no class {grade}-{row['section']} ({row['academic_year']}) at this school."
            )
        return school_class

    @staticmethod
    def grade(row: dict[str, str]) -> int:
        try:
            grade = int(row["grade"])
        except ValueError:
            raise RowError(f"grade: {row['grade']!r} is not a whole number.") from None
        if not 0 <= grade <= 20:
            raise RowError("grade: must be between 0 and 20.")
        return grade

    def save(self, instance: Any, created: bool, changed: bool) -> None:
        if created or changed:
            try:
                instance.full_clean()
            except ValidationError as exc:
                raise RowError(_validation_message(exc)) from None
            instance.save()
        if created:
            self.report.created += 1
        elif changed:
            self.report.updated += 1
        else:
            self.report.unchanged += 1

    # --- one function per kind ------------------------------------------------------------
    def people(self, row: dict[str, str]) -> None:
        role = row["role"].lower().replace(" ", "_")
        if role not in IMPORTABLE_ROLES:
            raise RowError(f"role: must be one of {', '.join(IMPORTABLE_ROLES)}.")
        if row["email"]:
            try:
                validate_email(row["email"])
            except ValidationError:
                raise RowError(f"email: {row['email']!r} is not an email address.") from None
        user = User.objects.filter(username=row["username"]).first()
        created = user is None
        if user is None:
            user = User(username=row["username"], school=self.school)
            # New people set their own password (the admin's "reset password" or a reset link).
            user.set_unusable_password()
        elif user.school_id != self.school.pk:
            raise RowError(f"username: {row['username']!r} is taken by another school's account.")
        changed = _set_fields(
            user,
            {
                "first_name": row["first_name"],
                "last_name": row["last_name"],
                "email": row["email"],
                "role": role,
                "is_staff": role == Role.SCHOOL_ADMIN or user.is_superuser,
            },
        )
        self.save(user, created, changed)

    def classes(self, row: dict[str, str]) -> None:
        grade = self.grade(row)
        teacher = (
            self.person(row["class_teacher"], Role.TEACHER, "class_teacher")
            if row["class_teacher"]
            else None
        )
        school_class = SchoolClass.objects.filter(
            school=self.school, grade=grade, section=row["section"],
            academic_year=row["academic_year"],
        ).first()  # fmt: skip
        created = school_class is None
        if school_class is None:
            school_class = SchoolClass(
                school=self.school, grade=grade, section=row["section"],
                academic_year=row["academic_year"],
            )  # fmt: skip
        changed = _set_fields(school_class, {"class_teacher": teacher})
        self.save(school_class, created, changed)

    def subjects(self, row: dict[str, str]) -> None:
        subject = Subject.objects.filter(school=self.school, code=row["code"]).first()
        created = subject is None
        if subject is None:
            subject = Subject(school=self.school, code=row["code"])
        self.save(subject, created, _set_fields(subject, {"name": row["name"]}))

    def enrolments(self, row: dict[str, str]) -> None:
        student = self.person(row["student"], Role.STUDENT, "student")
        school_class = self.school_class(row)
        roll_number = None
        if row["roll_number"]:
            try:
                roll_number = int(row["roll_number"])
            except ValueError:
                raise RowError("roll_number: must be a whole number.") from None
            if roll_number < 1:
                raise RowError("roll_number: must be 1 or more.")
        enrolment = Enrolment.objects.filter(student=student, school_class=school_class).first()
        created = enrolment is None
        if enrolment is None:
            enrolment = Enrolment(school=self.school, student=student, school_class=school_class)
        self.save(enrolment, created, _set_fields(enrolment, {"roll_number": roll_number}))

    def guardian_links(self, row: dict[str, str]) -> None:
        guardian = self.person(row["guardian"], Role.GUARDIAN, "guardian")
        student = self.person(row["student"], Role.STUDENT, "student")
        link = GuardianLink.objects.filter(guardian=guardian, student=student).first()
        created = link is None
        if link is None:
            link = GuardianLink(school=self.school, guardian=guardian, student=student)
        relationship = row["relationship"] or "parent"
        self.save(link, created, _set_fields(link, {"relationship": relationship}))

    def teacher_assignments(self, row: dict[str, str]) -> None:
        teacher = self.person(row["teacher"], Role.TEACHER, "teacher")
        school_class = self.school_class(row)
        subject = Subject.objects.filter(school=self.school, code=row["subject"]).first()
        if subject is None:
            raise RowError(f"subject: no subject with code {row['subject']!r} at this school.")
        assignment = TeacherAssignment.objects.filter(
            teacher=teacher, school_class=school_class, subject=subject
        ).first()
        created = assignment is None
        if assignment is None:
            assignment = TeacherAssignment(
                school=self.school, teacher=teacher, school_class=school_class, subject=subject
            )
        self.save(assignment, created, False)


def _validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
            for name, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


def _read_rows(data: bytes | str, columns: list[str]) -> tuple[list[tuple[int, dict]], str]:
    """The rows with their line numbers, or an error about the file as a whole."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")  # spreadsheets often write a byte-order mark
        except UnicodeDecodeError:
            return [], "The file is not UTF-8 text; save it from the spreadsheet as CSV UTF-8."
    reader = csv.DictReader(io.StringIO(data))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in columns if name not in header]
    if missing:
        return [], f"Line 1: the header lacks the column(s) {', '.join(missing)}."
    reader.fieldnames = header
    rows: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        if len(rows) >= MAX_IMPORT_ROWS:
            return [], f"The file has more than {MAX_IMPORT_ROWS} rows; split it."
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # a blank line
        cleaned = {name: (row.get(name) or "").strip() for name in columns}
        rows.append((reader.line_num, cleaned))
    return rows, ""


def directory_import(
    *, school: School, kind: str, data: bytes | str, dry_run: bool
) -> ImportReport:
    """Import one CSV of ``kind`` into ``school``: everything or, on any bad row, nothing."""
    if kind not in CSV_COLUMNS:
        raise ValueError(f"unknown kind {kind!r}")
    report = ImportReport(kind=kind, dry_run=dry_run)
    rows, file_error = _read_rows(data, CSV_COLUMNS[kind])
    if file_error:
        report.errors.append((1, file_error))
        return report
    importer = _Importer(school=school, report=report)
    apply_row: Callable[[dict[str, str]], None] = getattr(importer, kind)
    required = [c for c in CSV_COLUMNS[kind] if c not in OPTIONAL_COLUMNS]
    with transaction.atomic():
        for line, row in rows:
            report.rows += 1
            empty = [name for name in required if not row[name]]
            if empty:
                report.errors.append((line, f"{', '.join(empty)}: required."))
                continue
            try:
                # A savepoint per row: a refused row leaves the transaction usable, so every
                # bad row of the file is reported in one pass.
                with transaction.atomic():
                    apply_row(row)
            except RowError as exc:
                report.errors.append((line, str(exc)))
        if dry_run or report.errors:
            transaction.set_rollback(True)
    return report


def user_sign_out_everywhere(*, user: User) -> None:
    """End every session and JWT of ``user``: the next request with any of them is refused.

    The generation is raised in the database (not from the in-memory value), so two sign-outs at
    once both count and neither undoes the other.
    """
    User.objects.filter(pk=user.pk).update(token_generation=F("token_generation") + 1)
    user.refresh_from_db(fields=["token_generation"])
