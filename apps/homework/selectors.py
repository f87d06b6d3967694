"""Reads of homework and submissions, each scoped to what the caller may see.

``access_*`` functions fetch one object and check the caller may see (or change) it; anything
outside the caller's scope, including another school's ids, is a 404 so existence never leaks.
Submission reads include writes still waiting in the write buffer (read-your-writes).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date

from django.db.models import QuerySet, prefetch_related_objects

from apps.core.cachefirst import cache_first, invalidate
from apps.core.errors import ApplicationError, not_found
from apps.homework.models import Extension, Homework, HomeworkAttachment, Submission
from apps.users.models import GuardianLink, Role, SchoolClass, Subject, User
from apps.users.selectors import classes_visible_to, enrolled_class_ids, teaches
from apps.writebuffer.selectors import get_with_pending, list_with_pending, pending_partition_of


def homework_visible_to(user: User) -> QuerySet[Homework]:
    """Homework of the classes a user may see (taught, enrolled in, their children's, or all)."""
    homework = Homework.objects.for_user(user)
    if user.is_superuser or user.role == Role.SCHOOL_ADMIN:
        return homework
    return homework.filter(school_class__in=classes_visible_to(user).values("pk"))


def homework_list(
    *, user: User, school_class_id: uuid.UUID | None = None, subject_id: uuid.UUID | None = None
) -> QuerySet[Homework]:
    homework = homework_visible_to(user).select_related("school_class", "subject", "assigned_by")
    if school_class_id is not None:
        homework = homework.filter(school_class_id=school_class_id)
    if subject_id is not None:
        homework = homework.filter(subject_id=subject_id)
    return homework.prefetch_related("attachments").order_by("-due_at", "title")


# --- cache-first reads a student's submission is decided from ------------------------------
# Submitting must keep working while PostgreSQL is away (the write itself goes to the buffer),
# so what it checks comes from the read cache, invalidated whenever its source changes
# (``invalidate_*`` below, called from the models' save and delete signals and the sync).
def _homework_key(homework_id: uuid.UUID) -> str:
    return f"homework:{homework_id}"


def _extension_key(homework_id: uuid.UUID, student_id: uuid.UUID) -> str:
    return f"homework:{homework_id}:extension:{student_id}"


def _stored_submissions_key(homework_id: uuid.UUID | str, student_id: uuid.UUID | str) -> str:
    return f"homework:{homework_id}:submissions:{student_id}"


def invalidate_homework(homework_id: uuid.UUID) -> None:
    invalidate([_homework_key(homework_id)])


def invalidate_extension(homework_id: uuid.UUID, student_id: uuid.UUID) -> None:
    invalidate([_extension_key(homework_id, student_id)])


def invalidate_stored_submissions(records: list[dict]) -> None:
    """Called by the write buffer once submissions are in the database (see ``apps.py``)."""
    invalidate(
        {
            _stored_submissions_key(fields["homework_id"], fields["student_id"])
            for fields in (record.get("f") for record in records)
            if fields
        }
    )


def _cached_homework(homework_id: uuid.UUID) -> Homework | None:
    return cache_first(
        _homework_key(homework_id),
        lambda: (
            Homework.objects.select_related("school", "school_class", "subject", "assigned_by")
            .filter(pk=homework_id)
            .first()
        ),
    )


def access_homework(
    *, user: User, homework_id: uuid.UUID, with_attachments: bool = False
) -> Homework:
    if user.role == Role.STUDENT and not user.is_superuser and not with_attachments:
        # The same rule as ``homework_visible_to`` (own school, a class they are enrolled in),
        # from the read cache.
        cached = _cached_homework(homework_id)
        if (
            cached is None
            or cached.school_id != user.school_id
            or cached.school_class_id not in enrolled_class_ids(student_id=user.pk)
        ):
            raise not_found("Homework")
        return cached
    homework = homework_visible_to(user).select_related(
        "school", "school_class", "subject", "assigned_by"
    )
    if with_attachments:
        homework = homework.prefetch_related("attachments")
    found = homework.filter(pk=homework_id).first()
    if found is None:
        raise not_found("Homework")
    return found


def can_manage_homework(*, user: User, homework: Homework) -> bool:
    """Whether a user may grade, extend and attach to this homework (not only see it)."""
    if user.is_superuser or user.role == Role.SCHOOL_ADMIN:
        return user.is_superuser or user.school_id == homework.school_id
    return teaches(
        teacher=user, school_class_id=homework.school_class_id, subject_id=homework.subject_id
    ) or (homework.school_class.class_teacher_id == user.pk)


def access_homework_to_manage(*, user: User, homework_id: uuid.UUID) -> Homework:
    homework = access_homework(user=user, homework_id=homework_id)
    if not can_manage_homework(user=user, homework=homework):
        raise ApplicationError(
            "Only this class's teachers and the school's admins may do this.",
            code="permission_denied",
            status_code=403,
        )
    return homework


def access_attachment(*, user: User, homework_id: uuid.UUID, attachment_id: uuid.UUID):
    homework = access_homework(user=user, homework_id=homework_id)
    attachment = HomeworkAttachment.objects.filter(pk=attachment_id, homework=homework).first()
    if attachment is None:
        raise not_found("Attachment")
    return attachment


def extension_for(*, homework: Homework, student_id: uuid.UUID) -> Extension | None:
    return cache_first(
        _extension_key(homework.pk, student_id),
        lambda: Extension.objects.filter(homework=homework, student_id=student_id).first(),
    )


def extension_list(*, homework: Homework) -> QuerySet[Extension]:
    return homework.extensions.select_related("student", "granted_by").order_by("student__username")


def _student_scope(*, user: User, homework: Homework) -> Callable[[Submission], bool] | None:
    """Which students' submissions a user may see on a homework they can see; None means all."""
    if can_manage_homework(user=user, homework=homework):
        return None
    if user.role == Role.STUDENT:
        return lambda submission: submission.student_id == user.pk
    if user.role == Role.GUARDIAN:
        children = set(
            GuardianLink.objects.filter(guardian=user).values_list("student_id", flat=True)
        )
        return lambda submission: submission.student_id in children
    # A teacher of the class who does not teach this subject sees the homework, not the work.
    return lambda submission: False


def submission_list(
    *,
    user: User,
    homework: Homework,
    student_id: uuid.UUID | None = None,
    all_versions: bool = False,
) -> list[Submission]:
    """Submissions of one homework the user may see, pending ones included, newest first."""
    in_scope = _student_scope(user=user, homework=homework)

    def visible(submission: Submission) -> bool:
        return (
            submission.homework_id == homework.pk
            and (all_versions or submission.is_current)
            and (student_id is None or submission.student_id == student_id)
            and (in_scope is None or in_scope(submission))
        )

    rows = Submission.objects.filter(homework=homework).select_related("student", "graded_by")
    if not all_versions:
        rows = rows.filter(is_current=True)
    if student_id is not None:
        rows = rows.filter(student_id=student_id)
    submissions = [
        submission
        for submission in list_with_pending(
            rows,
            partitions=[homework.pk],
            visible=visible,
            sort_key=lambda s: (s.submitted_at, s.attempt),
            reverse=True,
        )
        if visible(submission)  # rows from the database go through the same scope
    ]
    prefetch_related_objects(submissions, "student", "graded_by")
    return submissions


def student_submissions(*, homework: Homework, student_id: uuid.UUID) -> list[Submission]:
    """Every version of one student's work on a homework, pending ones included, newest first.

    For the services, which decide the next write from it: not scoped to a caller (the service
    has already checked access); an unreadable buffer raises rather than answer without the
    pending versions; stored versions come cache-first (the sync invalidates them).
    """
    stored = Submission.objects.filter(homework=homework, student_id=student_id)
    return list_with_pending(
        stored,
        partitions=[homework.pk],
        visible=lambda s: s.student_id == student_id,
        sort_key=lambda s: s.attempt,
        reverse=True,
        match={"student_id": student_id},
        strict=True,
        stored=lambda: cache_first(
            _stored_submissions_key(homework.pk, student_id), lambda: list(stored)
        ),
    )


def access_submission(*, user: User, homework: Homework, submission_id: uuid.UUID) -> Submission:
    in_scope = _student_scope(user=user, homework=homework)

    def visible(submission: Submission) -> bool:
        return submission.homework_id == homework.pk and (in_scope is None or in_scope(submission))

    submission = get_with_pending(
        Submission.objects.filter(homework=homework).select_related("student", "graded_by"),
        submission_id,
        visible=visible,
        partition=str(homework.pk),
    )
    if submission is None or not visible(submission):
        raise not_found("Submission")
    prefetch_related_objects([submission], "student", "graded_by")
    return submission


def find_submission(*, submission_id: uuid.UUID) -> Submission | None:
    """A submission by id, pending in any homework or stored in any school; not for display.

    A client may choose a submission's id. Before accepting one, the service must know whether it
    is already taken: the buffer's upsert would otherwise overwrite that row. The write buffer
    keeps an index of every pending submission's id (see ``apps.py``), so this is one Redis
    lookup, then the pending write itself or one indexed query.
    """
    partition = pending_partition_of(Submission, submission_id)
    if partition is None:
        return Submission.objects.filter(pk=submission_id).first()
    return get_with_pending(
        Submission.objects.all(), submission_id, visible=lambda s: True, partition=partition
    )


def assignable_class_and_subject(
    *, user: User, school_class_id: uuid.UUID, subject_id: uuid.UUID
) -> tuple[SchoolClass, Subject]:
    """The class and subject a user sets homework for: in their school (else a 400 that does not
    say whether the id exists elsewhere) and taught by them unless they are an admin."""
    school_class = SchoolClass.objects.for_user(user).filter(pk=school_class_id).first()
    subject = Subject.objects.for_user(user).filter(pk=subject_id).first()
    errors = {}
    if school_class is None:
        errors["school_class"] = ["Not found."]
    if subject is None or (school_class and subject.school_id != school_class.school_id):
        errors["subject"] = ["Not found."]
    if errors or school_class is None or subject is None:
        raise ApplicationError("Some fields are not valid.", fields=errors)
    if not (user.is_superuser or user.role == Role.SCHOOL_ADMIN) and not teaches(
        teacher=user, school_class_id=school_class.pk, subject_id=subject.pk
    ):
        raise ApplicationError(
            "You do not teach this subject in this class.",
            code="permission_denied",
            status_code=403,
        )
    return school_class, subject


def student_of_class(*, school_class_id: uuid.UUID, student_id: uuid.UUID, field: str) -> User:
    """A student enrolled in the class, or a 400 naming ``field``."""
    student = User.objects.filter(
        pk=student_id,
        role=Role.STUDENT,
        enrolments__school_class_id=school_class_id,
    ).first()
    if student is None:
        raise ApplicationError(
            "This student is not in the class.", fields={field: ["Not a student of this class."]}
        )
    return student


def graded_work(
    *,
    school_class_ids: Iterable[uuid.UUID],
    subject_id: uuid.UUID | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
    student_ids: set[uuid.UUID] | None = None,
) -> tuple[list[Homework], list[Submission]]:
    """Homework of some classes (in one subject, due within a span of days) and the graded
    current submissions to it (pending ones included), for the gradebook and report cards.

    For the grades selectors: not scoped to a caller (they have checked access already).
    """
    homework_qs = Homework.objects.filter(school_class_id__in=list(school_class_ids))
    if subject_id is not None:
        homework_qs = homework_qs.filter(subject_id=subject_id)
    if due_from is not None:
        homework_qs = homework_qs.filter(due_at__date__gte=due_from)
    if due_to is not None:
        homework_qs = homework_qs.filter(due_at__date__lte=due_to)
    homework = list(homework_qs.select_related("subject", "school_class").order_by("due_at"))
    ids = {item.pk for item in homework}

    def counts(submission: Submission) -> bool:
        return (
            submission.homework_id in ids
            and submission.is_current
            and submission.final_score is not None
            and (student_ids is None or submission.student_id in student_ids)
        )

    rows = Submission.objects.filter(
        homework_id__in=ids, is_current=True, final_score__isnull=False
    )
    if student_ids is not None:
        rows = rows.filter(student_id__in=student_ids)
    graded = [s for s in list_with_pending(rows, partitions=ids, visible=counts) if counts(s)]
    return homework, graded
