"""Changes to homework: set it, attach files, extend it for a student, submit and grade work.

Every function assumes its caller has already checked access (``selectors.access_*``); each one
still checks the rules that belong to the data (who is in the class, due dates, file limits).
Submissions go through the write buffer: ``submission_create`` returns as soon as Redis has the
write, and the sync stores it in PostgreSQL later.
"""

from __future__ import annotations

import math
import mimetypes
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from apps.core.errors import ApplicationError
from apps.core.idempotency import existing_for_client_id
from apps.events.services import event_publish
from apps.events.types import Event, EventType
from apps.homework.models import (
    Extension,
    Homework,
    HomeworkAttachment,
    LatePolicy,
    Submission,
    SubmissionStatus,
)
from apps.homework.selectors import extension_for, find_submission, student_submissions
from apps.users.models import Enrolment, SchoolClass, Subject, User
from apps.writebuffer.cache import read_cache
from apps.writebuffer.services import buffered_save, buffered_save_many

TWO_PLACES = Decimal("0.01")


# --- files ----------------------------------------------------------------------------------
def check_uploads(files: list[UploadedFile], *, field: str) -> None:
    """Refuse too many, too large or disallowed files with one 400 that names each problem."""
    allowed = {ext.lower().lstrip(".") for ext in settings.HOMEWORK_ALLOWED_ATTACHMENT_EXTENSIONS}
    limit = settings.HOMEWORK_MAX_ATTACHMENT_BYTES
    if len(files) > settings.HOMEWORK_MAX_FILES_PER_UPLOAD:
        raise ApplicationError(
            f"At most {settings.HOMEWORK_MAX_FILES_PER_UPLOAD} files per upload.",
            code="too_many_files",
            fields={field: [f"{len(files)} files sent."]},
        )
    problems = []
    code = "invalid_file"
    for upload in files:
        extension = os.path.splitext(upload.name or "")[1].lower().lstrip(".")
        if extension not in allowed:
            code = "file_type_not_allowed"
            problems.append(
                f"{upload.name}: type .{extension or '?'} is not allowed "
                f"(allowed: {', '.join(sorted(allowed))})."
            )
        elif upload.size > limit:
            code = "file_too_large"
            problems.append(f"{upload.name}: {upload.size} bytes is over the limit of {limit}.")
    if problems:
        raise ApplicationError(" ".join(problems), code=code, fields={field: problems})


def _clean_name(upload: UploadedFile) -> str:
    return get_valid_filename(os.path.basename(upload.name or "file"))[:150] or "file"


def _content_type(name: str) -> str:
    # From the extension we allowed, never from what the client claims.
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


# --- homework -------------------------------------------------------------------------------
def homework_create(
    *,
    assigned_by: User,
    school_class: SchoolClass,
    subject: Subject,
    title: str,
    due_at: datetime,
    instructions: str = "",
    cut_off_at: datetime | None = None,
    max_score: Decimal = Decimal(100),
    late_policy: str = LatePolicy.NONE,
    late_deduction_percent_per_day: Decimal = Decimal(0),
    late_minimum_percent: Decimal = Decimal(0),
    attachments: list[UploadedFile] | None = None,
    homework_id: uuid.UUID | None = None,
) -> tuple[Homework, bool]:
    """Set homework (with its attachments, all or nothing). Returns it and whether it is new."""
    existing = existing_for_client_id(
        Homework, homework_id, school_id=school_class.school_id, owner_field="assigned_by",
        owner_id=assigned_by.pk,
    )  # fmt: skip
    if existing is not None:
        return existing, False
    attachments = attachments or []
    check_uploads(attachments, field="attachments")
    homework = Homework(
        id=homework_id or uuid.uuid4(),
        school=school_class.school,
        school_class=school_class,
        subject=subject,
        assigned_by=assigned_by,
        title=title,
        instructions=instructions,
        due_at=due_at,
        cut_off_at=cut_off_at,
        max_score=max_score,
        late_policy=late_policy,
        late_deduction_percent_per_day=late_deduction_percent_per_day,
        late_minimum_percent=late_minimum_percent,
    )
    homework.full_clean()
    with _files_removed_on_error() as stored_paths, transaction.atomic():
        homework.save(force_insert=True)
        _attach(homework=homework, files=attachments, stored_paths=stored_paths)
        event_publish(
            Event(
                type=EventType.HOMEWORK_ASSIGNED,
                school_id=str(homework.school_id),
                class_ids=(str(homework.school_class_id),),
                actor_id=str(assigned_by.pk),
                data={
                    "homework_id": str(homework.pk),
                    "class_id": str(homework.school_class_id),
                    "title": homework.title,
                    "subject": subject.name,
                    "due_at": homework.due_at.isoformat(),
                },
            )
        )
    return homework, True


def _submission_event(type_: EventType, submission: Submission, *, actor: User) -> Event:
    return Event(
        type=type_,
        school_id=str(submission.homework.school_id),
        class_ids=(str(submission.homework.school_class_id),),
        user_ids=(str(submission.student_id),),
        actor_id=str(actor.pk),
        data={
            "homework_id": str(submission.homework_id),
            "submission_id": str(submission.pk),
            "student_id": str(submission.student_id),
            "attempt": submission.attempt,
            "status": submission.status,
            "final_score": str(submission.final_score)
            if submission.final_score is not None
            else None,
            "title": submission.homework.title,
            "max_score": str(submission.homework.max_score),
        },
    )


@contextmanager
def _files_removed_on_error() -> Iterator[list[str]]:
    """Collects stored file paths and deletes them if the block fails (storage is not part of
    the database transaction, so a rollback would otherwise leave orphans behind)."""
    stored_paths: list[str] = []
    try:
        yield stored_paths
    except BaseException:
        for path in stored_paths:
            default_storage.delete(path)
        raise


def _attach(
    *, homework: Homework, files: list[UploadedFile], stored_paths: list[str]
) -> list[HomeworkAttachment]:
    created = []
    for upload in files:
        name = _clean_name(upload)
        attachment = HomeworkAttachment(
            school=homework.school,
            homework=homework,
            name=name,
            size_bytes=cast(int, upload.size),  # an uploaded file always has a size
            content_type=_content_type(name),
        )
        attachment.file.save(name, upload, save=False)
        stored_paths.append(cast(str, attachment.file.name))  # named by the save above
        attachment.full_clean()
        attachment.save(force_insert=True)
        created.append(attachment)
    return created


def homework_attachments_add(
    *, homework: Homework, files: list[UploadedFile]
) -> list[HomeworkAttachment]:
    if not files:
        raise ApplicationError(
            "Send at least one file.", code="invalid", fields={"files": ["Required."]}
        )
    check_uploads(files, field="files")
    with _files_removed_on_error() as stored_paths, transaction.atomic():
        return _attach(homework=homework, files=files, stored_paths=stored_paths)


def extension_grant(
    *, homework: Homework, student: User, due_at: datetime, granted_by: User, reason: str = ""
) -> Extension:
    """Give one student a later due date (granting again replaces the earlier extension)."""
    if due_at <= homework.due_at:
        raise ApplicationError(
            "An extension must end after the homework's due date.",
            fields={"due_at": ["Must be after the homework's due date."]},
        )
    with transaction.atomic():
        extension = (
            Extension.objects.select_for_update().filter(homework=homework, student=student).first()
        )
        if extension is None:
            extension = Extension(school=homework.school, homework=homework, student=student)
        extension.due_at = due_at
        extension.reason = reason
        extension.granted_by = granted_by
        extension.full_clean(validate_unique=False)
        if extension._state.adding:
            extension.save(force_insert=True)
        else:
            extension.save(update_fields=["due_at", "reason", "granted_by"])
    return extension


# --- timing and the late policy -------------------------------------------------------------
@dataclass(frozen=True)
class Timing:
    status: str
    days_late: int
    due_at: datetime
    cut_off_at: datetime | None


def submission_timing(
    *, homework: Homework, extension: Extension | None, submitted_at: datetime
) -> Timing:
    """On time, late (and by how many started days) or after the cut-off, for one student."""
    due_at = extension.due_at if extension else homework.due_at
    cut_off_at = homework.cut_off_at
    if cut_off_at is not None and cut_off_at < due_at:
        cut_off_at = due_at  # an extension past the cut-off carries the cut-off with it
    if submitted_at <= due_at:
        return Timing(SubmissionStatus.ON_TIME, 0, due_at, cut_off_at)
    if cut_off_at is not None and submitted_at > cut_off_at:
        return Timing(SubmissionStatus.REJECTED_AFTER_CUT_OFF, 0, due_at, cut_off_at)
    days_late = math.ceil((submitted_at - due_at) / timedelta(days=1))
    return Timing(SubmissionStatus.LATE, days_late, due_at, cut_off_at)


def late_adjusted_score(*, homework: Homework, score: Decimal, days_late: int) -> Decimal:
    """The score after the homework's late policy: a percentage of the maximum per day late,
    never below the policy's minimum (and never raising a score that was already below it)."""
    if homework.late_policy != LatePolicy.PER_DAY or days_late <= 0:
        return score.quantize(TWO_PLACES)
    deduction = homework.max_score * homework.late_deduction_percent_per_day * days_late / 100
    floor = homework.max_score * homework.late_minimum_percent / 100
    adjusted = max(score - deduction, min(score, floor))
    return max(adjusted, Decimal(0)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


# --- submissions ----------------------------------------------------------------------------
def _store_files(
    *, homework: Homework, student: User, files: list[UploadedFile], stored_paths: list[str]
) -> list[dict[str, Any]]:
    stored = []
    for upload in files:
        name = _clean_name(upload)
        path = (
            f"submissions/{homework.school_id}/{homework.pk}/{student.pk}/{uuid.uuid4().hex}/{name}"
        )
        path = default_storage.save(path, upload)
        stored_paths.append(path)
        stored.append(
            {
                "name": name,
                "path": path,
                "size_bytes": upload.size,
                "content_type": _content_type(name),
            }
        )
    return stored


def submission_create(
    *,
    homework: Homework,
    student: User,
    text: str = "",
    files: list[UploadedFile] | None = None,
    submission_id: uuid.UUID | None = None,
) -> tuple[Submission, bool]:
    """Submit (or resubmit) a student's work. Returns the submission and whether it is new.

    A resubmission before the due date retires the current version and adds the next one; after
    the due date the first submission is late and there is no resubmission; after the cut-off
    nothing is accepted. Retrying with the same ``submission_id`` returns the first result.
    """
    files = files or []
    if submission_id is not None:
        existing = find_submission(submission_id=submission_id, homework=homework)
        if existing is not None:
            if existing.homework_id != homework.pk or existing.student_id != student.pk:
                raise ApplicationError(
                    "This id is already taken.", code="id_taken", status_code=409
                )
            return existing, False
    if not Enrolment.objects.filter(
        student=student, school_class_id=homework.school_class_id
    ).exists():
        raise ApplicationError(
            "Only students of this class can submit.", code="permission_denied", status_code=403
        )
    if not text.strip() and not files:
        raise ApplicationError(
            "Send text, files or both.", fields={"text": ["Text or files are required."]}
        )
    check_uploads(files, field="files")

    submitted_at = timezone.now()
    timing = submission_timing(
        homework=homework,
        extension=extension_for(homework=homework, student_id=student.pk),
        submitted_at=submitted_at,
    )
    if timing.status == SubmissionStatus.REJECTED_AFTER_CUT_OFF:
        raise ApplicationError(
            "The cut-off has passed; no submission is accepted any more.",
            code=SubmissionStatus.REJECTED_AFTER_CUT_OFF,
            # A rejection after the cut-off implies there is one.
            fields={"cut_off_at": [cast(datetime, timing.cut_off_at).isoformat()]},
        )

    # One submission at a time per student and homework, so two quick taps cannot both become
    # the same attempt number.
    with read_cache().lock(f"homework:submit:{homework.pk}:{student.pk}", timeout=30):
        versions = student_submissions(homework=homework, student_id=student.pk)
        current = next((version for version in versions if version.is_current), None)
        if current is not None:
            if submitted_at > timing.due_at:
                raise ApplicationError(
                    "Work can be resubmitted only before the due date.",
                    code="resubmission_closed",
                    status_code=409,
                )
            if current.graded_at is not None:
                raise ApplicationError(
                    "This work has been graded; it cannot be replaced.",
                    code="already_graded",
                    status_code=409,
                )
        with _files_removed_on_error() as stored_paths:
            stored = _store_files(
                homework=homework, student=student, files=files, stored_paths=stored_paths
            )
            submission = Submission(
                id=submission_id or uuid.uuid4(),
                school=homework.school,
                homework=homework,
                student=student,
                attempt=(versions[0].attempt + 1) if versions else 1,
                is_current=True,
                text=text,
                files=stored,
                status=timing.status,
                days_late=timing.days_late,
                submitted_at=submitted_at,
            )
            writes = [submission]
            if current is not None:
                current.homework, current.student = homework, student
                current.is_current = False
                writes.append(current)
            buffered_save_many(writes)
    # The buffer holds the write now: safe to tell the class's teachers and the student's views.
    event_publish(_submission_event(EventType.SUBMISSION_RECEIVED, submission, actor=student))
    return submission, True


def submission_grade(
    *, homework: Homework, submission: Submission, grader: User, score: Decimal, feedback: str = ""
) -> Submission:
    """Grade the current version of a student's work; the late policy sets ``final_score``.

    Takes the same per-student lock as ``submission_create`` and re-reads the version under it,
    so a grade and a resubmission racing each other can neither lose the grade nor leave two
    current versions: the loser of the race gets a 409 and can try again.
    """
    if score < 0 or score > homework.max_score:
        raise ApplicationError(
            f"The score must be between 0 and {homework.max_score}.",
            fields={"score": [f"Must be between 0 and {homework.max_score}."]},
        )
    with read_cache().lock(f"homework:submit:{homework.pk}:{submission.student_id}", timeout=30):
        versions = student_submissions(homework=homework, student_id=submission.student_id)
        current = next((version for version in versions if version.pk == submission.pk), None)
        if current is None or not current.is_current:
            raise ApplicationError(
                "Only the current version of a submission can be graded.",
                code="not_current",
                status_code=409,
            )
        current.homework = homework
        current.score = score.quantize(TWO_PLACES)
        current.final_score = late_adjusted_score(
            homework=homework, score=score, days_late=current.days_late
        )
        current.feedback = feedback
        current.graded_by = grader
        current.graded_at = timezone.now()
        graded = buffered_save(current)
    event_publish(_submission_event(EventType.SUBMISSION_GRADED, graded, actor=grader))
    return graded
