"""Homework rules: timing, the late policy, resubmission versions, cut-off, grading."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.homework.models import Extension, LatePolicy, Submission
from apps.homework.selectors import student_submissions
from apps.homework.services import (
    extension_grant,
    homework_create,
    late_adjusted_score,
    submission_create,
    submission_grade,
    submission_timing,
)
from apps.homework.tests.conftest import make_homework
from apps.writebuffer.sync import sync_all

pytestmark = pytest.mark.django_db


def test_timing_on_time_late_and_after_cut_off(world):
    due = timezone.now()
    homework = make_homework(world, due_at=due, cut_off_at=due + timedelta(days=3))
    on_time = submission_timing(homework=homework, extension=None, submitted_at=due)
    late = submission_timing(
        homework=homework, extension=None, submitted_at=due + timedelta(days=1, minutes=1)
    )
    rejected = submission_timing(
        homework=homework, extension=None, submitted_at=due + timedelta(days=3, seconds=1)
    )
    assert (on_time.status, on_time.days_late) == ("on_time", 0)
    assert (late.status, late.days_late) == ("late", 2)
    assert rejected.status == "rejected_after_cut_off"


def test_extension_moves_due_date_and_cut_off(world):
    due = timezone.now()
    homework = make_homework(world, due_at=due, cut_off_at=due + timedelta(days=1))
    extension = Extension(homework=homework, student=world.student, due_at=due + timedelta(days=5))
    timing = submission_timing(
        homework=homework, extension=extension, submitted_at=due + timedelta(days=4)
    )
    assert (timing.status, timing.days_late) == ("on_time", 0)
    assert timing.cut_off_at == due + timedelta(days=5)


def test_late_policy_deducts_per_day_down_to_the_minimum(world):
    homework = make_homework(
        world,
        max_score=Decimal(50),
        late_policy=LatePolicy.PER_DAY,
        late_deduction_percent_per_day=Decimal(10),
        late_minimum_percent=Decimal(40),
    )
    assert late_adjusted_score(homework=homework, score=Decimal(45), days_late=0) == Decimal(
        "45.00"
    )
    assert late_adjusted_score(homework=homework, score=Decimal(45), days_late=2) == Decimal(
        "35.00"
    )
    assert late_adjusted_score(homework=homework, score=Decimal(45), days_late=9) == Decimal(
        "20.00"
    )
    # A score already under the floor is not raised to it.
    assert late_adjusted_score(homework=homework, score=Decimal(12), days_late=3) == Decimal(
        "12.00"
    )


def test_no_late_policy_keeps_the_score(world):
    homework = make_homework(world)
    assert late_adjusted_score(homework=homework, score=Decimal(70), days_late=5) == Decimal(
        "70.00"
    )


def test_resubmission_before_due_keeps_old_version(world, homework):
    first, _ = submission_create(homework=homework, student=world.student, text="draft")
    second, created = submission_create(homework=homework, student=world.student, text="final")
    assert created is True
    versions = student_submissions(homework=homework, student_id=world.student.pk)
    assert [(v.attempt, v.is_current, v.text) for v in versions] == [
        (2, True, "final"),
        (1, False, "draft"),
    ]
    sync_all(trigger="test")
    stored = Submission.objects.filter(homework=homework).order_by("attempt")
    assert [(s.pk, s.is_current) for s in stored] == [(first.pk, False), (second.pk, True)]


def test_late_submission_has_no_resubmission(world):
    homework = make_homework(world, due_at=timezone.now() - timedelta(hours=30))
    submission, _ = submission_create(homework=homework, student=world.student, text="sorry")
    assert (submission.status, submission.days_late) == ("late", 2)
    with pytest.raises(ApplicationError) as error:
        submission_create(homework=homework, student=world.student, text="again")
    assert (error.value.code, error.value.status_code) == ("resubmission_closed", 409)


def test_after_cut_off_nothing_is_stored(world):
    past = timezone.now() - timedelta(days=2)
    homework = make_homework(world, due_at=past, cut_off_at=past + timedelta(days=1))
    with pytest.raises(ApplicationError) as error:
        submission_create(homework=homework, student=world.student, text="too late")
    assert error.value.code == "rejected_after_cut_off"
    assert student_submissions(homework=homework, student_id=world.student.pk) == []


def test_extension_lets_a_student_submit_on_time_after_the_due_date(world):
    past = timezone.now() - timedelta(days=1)
    homework = make_homework(world, due_at=past, cut_off_at=past + timedelta(hours=1))
    extension_grant(
        homework=homework,
        student=world.student,
        due_at=timezone.now() + timedelta(days=1),
        granted_by=world.teacher,
    )
    submission, _ = submission_create(homework=homework, student=world.student, text="done")
    assert submission.status == "on_time"
    with pytest.raises(ApplicationError):
        submission_create(homework=homework, student=world.students[1], text="no extension")


def test_grading_applies_the_late_policy(world):
    homework = make_homework(
        world,
        due_at=timezone.now() - timedelta(hours=20),
        late_policy=LatePolicy.PER_DAY,
        late_deduction_percent_per_day=Decimal(5),
    )
    submission, _ = submission_create(homework=homework, student=world.student, text="work")
    graded = submission_grade(
        homework=homework,
        submission=submission,
        grader=world.teacher,
        score=Decimal(80),
        feedback="Good",
    )
    assert (graded.score, graded.final_score, graded.feedback) == (
        Decimal("80.00"),
        Decimal("75.00"),
        "Good",
    )
    sync_all(trigger="test")
    stored = Submission.objects.get(pk=submission.pk)
    assert (stored.final_score, stored.graded_by_id) == (Decimal("75.00"), world.teacher.pk)


def test_graded_work_cannot_be_replaced(world, homework):
    submission, _ = submission_create(homework=homework, student=world.student, text="work")
    submission_grade(
        homework=homework, submission=submission, grader=world.teacher, score=Decimal(9)
    )
    with pytest.raises(ApplicationError) as error:
        submission_create(homework=homework, student=world.student, text="better")
    assert error.value.code == "already_graded"


def test_grading_a_copy_read_before_a_resubmission_is_refused(world, homework):
    first, _ = submission_create(homework=homework, student=world.student, text="v1")
    stale = student_submissions(homework=homework, student_id=world.student.pk)[0]
    submission_create(homework=homework, student=world.student, text="v2")  # retires v1

    with pytest.raises(ApplicationError) as error:
        submission_grade(
            homework=homework, submission=stale, grader=world.teacher, score=Decimal(8)
        )

    assert (error.value.code, error.value.status_code) == ("not_current", 409)
    sync_all(trigger="test")
    rows = Submission.objects.filter(homework=homework).order_by("attempt")
    assert [(s.text, s.is_current, s.graded_at) for s in rows] == [
        ("v1", False, None),
        ("v2", True, None),
    ]
    assert first.pk == stale.pk


def test_score_above_maximum_is_refused(world, homework):
    submission, _ = submission_create(homework=homework, student=world.student, text="work")
    with pytest.raises(ApplicationError) as error:
        submission_grade(
            homework=homework, submission=submission, grader=world.teacher, score=Decimal(101)
        )
    assert error.value.fields == {"score": ["Must be between 0 and 100."]}


@override_settings(HOMEWORK_MAX_ATTACHMENT_BYTES=10)
def test_homework_with_a_too_large_attachment_is_not_created(world):
    with pytest.raises(ApplicationError) as error:
        homework_create(
            assigned_by=world.teacher,
            school_class=world.school_class,
            subject=world.subject,
            title="Essay",
            due_at=timezone.now() + timedelta(days=1),
            attachments=[SimpleUploadedFile("brief.pdf", b"x" * 11)],
        )
    assert error.value.code == "file_too_large"
    assert world.school_class.homework.count() == 0


def test_homework_due_in_1900_is_refused_and_old_due_dates_cannot_break_a_submission(world):
    from django.core.exceptions import ValidationError

    from apps.homework.services import MAX_DAYS_LATE, submission_timing

    homework = make_homework(world)
    homework.due_at = homework.due_at.replace(year=1900)
    with pytest.raises(ValidationError) as refused:
        homework.full_clean()
    assert refused.value.message_dict["due_at"] == ["Must be between the years 2000 and 2100."]

    timing = submission_timing(homework=homework, extension=None, submitted_at=timezone.now())
    assert (timing.status, timing.days_late) == ("late", MAX_DAYS_LATE)
