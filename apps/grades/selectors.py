"""Reads of assessments, marks, gradebooks and report cards, scoped to the caller.

``access_*`` functions fetch one object and check the caller may see it; anything outside their
scope, another school's ids included, is a 404 so existence never leaks. Mark reads include marks
still waiting in the write buffer (read-your-writes).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects

from apps.attendance.models import ATTENDED_CODES, AttendanceCode
from apps.attendance.selectors import student_daily_summary
from apps.attendance.services import school_today
from apps.core.errors import ApplicationError, not_found
from apps.grades.models import (
    Assessment,
    AssessmentKind,
    GradeBand,
    GradeMark,
    GradingScale,
    ReportComment,
    Term,
)
from apps.homework.selectors import graded_work
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
from apps.users.selectors import classes_visible_to, students_visible_to, teaches
from apps.writebuffer.selectors import list_with_pending

TWO_PLACES = Decimal("0.01")


def _is_admin(user: User) -> bool:
    return user.is_superuser or user.role == Role.SCHOOL_ADMIN


# --- terms and scales -----------------------------------------------------------------------
def term_list(*, user: User) -> QuerySet[Term]:
    return Term.objects.for_user(user).order_by("-starts_on")


def access_term(*, user: User, term_id: uuid.UUID, school_id: uuid.UUID | None = None) -> Term:
    terms = Term.objects.for_user(user)
    if school_id is not None:
        terms = terms.filter(school_id=school_id)
    term = terms.filter(pk=term_id).first()
    if term is None:
        raise not_found("Term")
    return term


def current_term(*, school: School) -> Term | None:
    """The term that contains today, else the latest one that has started."""
    today = school_today(school)
    terms = Term.objects.filter(school=school, starts_on__lte=today).order_by("-starts_on")
    return terms.filter(ends_on__gte=today).first() or terms.first()


def default_scale_bands(*, school_id: uuid.UUID) -> list[GradeBand]:
    """The default scale's bands, highest first (empty when the school has no default scale)."""
    scale = (
        GradingScale.objects.filter(school_id=school_id, is_default=True)
        .prefetch_related(Prefetch("bands", queryset=GradeBand.objects.order_by("-min_percent")))
        .first()
    )
    return list(scale.bands.all()) if scale else []


def letter_for(percent: Decimal | None, bands: list[GradeBand]) -> str | None:
    if percent is None:
        return None
    return next((band.letter for band in bands if percent >= band.min_percent), None)


# --- assessments ----------------------------------------------------------------------------
def assessments_visible_to(user: User) -> QuerySet[Assessment]:
    assessments = Assessment.objects.for_user(user)
    if _is_admin(user):
        return assessments
    return assessments.filter(school_class__in=classes_visible_to(user).values("pk"))


def assessment_list(
    *,
    user: User,
    school_class_id: uuid.UUID | None = None,
    subject_id: uuid.UUID | None = None,
    term_id: uuid.UUID | None = None,
) -> QuerySet[Assessment]:
    assessments = assessments_visible_to(user).select_related("school_class", "subject", "term")
    for name, value in [("school_class_id", school_class_id), ("subject_id", subject_id),
                        ("term_id", term_id)]:  # fmt: skip
        if value is not None:
            assessments = assessments.filter(**{name: value})
    return assessments.order_by("-date", "title")


def access_assessment(*, user: User, assessment_id: uuid.UUID) -> Assessment:
    assessment = (
        assessments_visible_to(user)
        .select_related("school", "school_class", "subject", "term")
        .filter(pk=assessment_id)
        .first()
    )
    if assessment is None:
        raise not_found("Assessment")
    return assessment


def sees_subject_marks(*, user: User, school_class: SchoolClass, subject_id: uuid.UUID) -> bool:
    """Marks of a class in a subject are for that subject's teachers, the class teacher (who
    answers for the whole report card) and admins; a teacher of another subject in the class
    sees the assessments, not the marks (as with homework)."""
    if user.role != Role.TEACHER:
        return True  # admins see all; students and guardians are scoped to their own records
    return school_class.class_teacher_id == user.pk or teaches(
        teacher=user, school_class_id=school_class.pk, subject_id=subject_id
    )


def assessments_with_visible_marks(user: User) -> QuerySet[Assessment]:
    assessments = assessments_visible_to(user)
    if user.role != Role.TEACHER:
        return assessments
    taught = TeacherAssignment.objects.filter(
        teacher=user, school_class_id=OuterRef("school_class_id"), subject_id=OuterRef("subject_id")
    )
    return assessments.filter(Q(school_class__class_teacher=user) | Exists(taught))


def access_assessment_to_mark(*, user: User, assessment_id: uuid.UUID) -> Assessment:
    assessment = access_assessment(user=user, assessment_id=assessment_id)
    if not _is_admin(user) and not teaches(
        teacher=user, school_class_id=assessment.school_class_id, subject_id=assessment.subject_id
    ):
        raise ApplicationError(
            "Only this subject's teachers and the school's admins may enter marks.",
            code="permission_denied",
            status_code=403,
        )
    return assessment


def assessable_class_subject_term(
    *, user: User, school_class_id: uuid.UUID, subject_id: uuid.UUID, term_id: uuid.UUID
) -> tuple[SchoolClass, Subject, Term]:
    """The class, subject and term an assessment is set for: all of one school the user belongs
    to (else a 400 that does not say whether an id exists elsewhere), and taught by the user
    unless they are an admin (else a 403)."""
    school_class = SchoolClass.objects.for_user(user).filter(pk=school_class_id).first()
    school_id = school_class.school_id if school_class else user.school_id
    # An operator has no school (None): then nothing matches, which is the 400 below.
    subject = Subject.objects.filter(school_id=school_id, pk=subject_id).first()  # type: ignore[misc]
    term = Term.objects.filter(school_id=school_id, pk=term_id).first()  # type: ignore[misc]
    errors = {
        name: ["Not found."]
        for name, found in [("school_class", school_class), ("subject", subject), ("term", term)]
        if found is None
    }
    if errors or school_class is None or subject is None or term is None:
        raise ApplicationError("Some fields are not valid.", fields=errors)
    if not _is_admin(user) and not teaches(
        teacher=user, school_class_id=school_class.pk, subject_id=subject.pk
    ):
        raise ApplicationError(
            "You do not teach this subject in this class.",
            code="permission_denied",
            status_code=403,
        )
    return school_class, subject, term


# --- marks ----------------------------------------------------------------------------------
def _student_scope(user: User) -> set[uuid.UUID] | None:
    """Whose marks a user may see within assessments they can see; None means everyone's."""
    if user.role == Role.STUDENT and not user.is_superuser:
        return {user.pk}
    if user.role == Role.GUARDIAN and not user.is_superuser:
        return set(GuardianLink.objects.filter(guardian=user).values_list("student_id", flat=True))
    return None


def marks_of(
    *, assessment_ids: Iterable[uuid.UUID], student_ids: set[uuid.UUID] | None = None
) -> list[GradeMark]:
    """Marks of some assessments (pending ones included), for the given students or all."""
    assessment_ids = set(assessment_ids)
    rows = GradeMark.objects.filter(assessment_id__in=assessment_ids)
    if student_ids is not None:
        rows = rows.filter(student_id__in=student_ids)
    return list_with_pending(
        rows.select_related("student", "marked_by", "assessment"),
        partitions=assessment_ids,
        visible=lambda mark: (
            mark.assessment_id in assessment_ids
            and (student_ids is None or mark.student_id in student_ids)
        ),
    )


def mark_list(
    *,
    user: User,
    assessment_id: uuid.UUID | None = None,
    student_id: uuid.UUID | None = None,
    term_id: uuid.UUID | None = None,
) -> list[GradeMark]:
    assessments = assessments_with_visible_marks(user)
    if assessment_id is not None:
        assessments = assessments.filter(pk=assessment_id)
    if term_id is not None:
        assessments = assessments.filter(term_id=term_id)
    student_ids = _student_scope(user)
    if student_id is not None:
        student_ids = {student_id} if student_ids is None else student_ids & {student_id}
    marks = marks_of(
        assessment_ids=assessments.values_list("pk", flat=True), student_ids=student_ids
    )
    prefetch_related_objects(marks, "student", "marked_by", "assessment")
    marks.sort(key=lambda m: (m.assessment.date, m.assessment.title, m.student.username))
    return marks


# --- gradebook and report cards -------------------------------------------------------------
def homework_columns(
    *,
    school_class_ids: Iterable[uuid.UUID],
    subject_id: uuid.UUID | None,
    term: Term | None,
    student_ids: set[uuid.UUID] | None = None,
) -> tuple[list[Assessment], list[GradeMark]]:
    """Graded homework as assessments of kind "homework" (its due date, maximum and weight)
    and each graded submission's final score (after the late policy) as that assessment's
    mark. Built in memory, never stored: the submission stays the one record of the score.
    With a term, homework due within the term's dates."""
    homework, graded = graded_work(
        school_class_ids=school_class_ids,
        subject_id=subject_id,
        due_from=term.starts_on if term else None,
        due_to=term.ends_on if term else None,
        student_ids=student_ids,
    )
    columns = [
        Assessment(
            id=item.pk,
            school_id=item.school_id,
            school_class=item.school_class,
            subject=item.subject,
            term=term,
            kind=AssessmentKind.HOMEWORK,
            title=item.title,
            date=item.due_at.date(),
            max_score=item.max_score,
            weight=item.weight,
        )
        for item in homework
    ]
    marks = [
        GradeMark(
            id=submission.pk,
            school_id=submission.school_id,
            assessment_id=submission.homework_id,
            student_id=submission.student_id,
            score=cast(Decimal, submission.final_score),  # graded_work keeps graded ones
            comment=submission.feedback[:300],
            marked_by_id=submission.graded_by_id,
        )
        for submission in graded
    ]
    return columns, marks


def weighted_percent(
    marks: Iterable[GradeMark], assessments: dict[uuid.UUID, Assessment]
) -> Decimal | None:
    """Weighted mean of each marked assessment's percentage; assessments without a mark are
    left out rather than counted as zero."""
    total_weight = Decimal(0)
    weighted = Decimal(0)
    for mark in marks:
        assessment = assessments[mark.assessment_id]
        weighted += assessment.weight * mark.score / assessment.max_score
        total_weight += assessment.weight
    if not total_weight:
        return None
    return (weighted * 100 / total_weight).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass
class GradebookRow:
    student: User
    scores: dict[str, Decimal | None]
    average_percent: Decimal | None
    letter: str | None


@dataclass
class Gradebook:
    school_class: SchoolClass
    subject: Subject
    term: Term | None
    assessments: list[Assessment]
    rows: list[GradebookRow] = field(default_factory=list)


def gradebook(
    *, school_class: SchoolClass, subject: Subject, term: Term | None = None
) -> Gradebook:
    """Every enrolled student's marks in a class and subject, with their weighted average."""
    assessments_qs = Assessment.objects.filter(school_class=school_class, subject=subject)
    if term is not None:
        assessments_qs = assessments_qs.filter(term=term)
    assessments = list(
        assessments_qs.select_related("school_class", "subject", "term").order_by("date", "title")
    )
    homework, homework_marks = homework_columns(
        school_class_ids=[school_class.pk], subject_id=subject.pk, term=term
    )
    marks = [*marks_of(assessment_ids=[a.pk for a in assessments]), *homework_marks]
    assessments = sorted([*assessments, *homework], key=lambda a: (a.date, a.title))
    by_id = {assessment.pk: assessment for assessment in assessments}
    marks_by_student: dict[uuid.UUID, list[GradeMark]] = {}
    for mark in marks:
        marks_by_student.setdefault(mark.student_id, []).append(mark)
    bands = default_scale_bands(school_id=school_class.school_id)
    students = User.objects.filter(enrolments__school_class=school_class).order_by(
        "last_name", "first_name", "username"
    )
    book = Gradebook(school_class=school_class, subject=subject, term=term, assessments=assessments)
    for student in students:
        marks = marks_by_student.get(student.pk, [])
        scores = {str(a.pk): None for a in assessments} | {
            str(m.assessment_id): m.score for m in marks
        }
        average = weighted_percent(marks, by_id)
        book.rows.append(GradebookRow(student, scores, average, letter_for(average, bands)))
    return book


def access_student(*, user: User, student_id: uuid.UUID) -> User:
    student = students_visible_to(user).select_related("school").filter(pk=student_id).first()
    if student is None:
        raise not_found("Student")
    return student


@dataclass
class SubjectResult:
    subject: Subject
    assessments: int
    marked: int
    percent: Decimal | None
    letter: str | None
    comment: str = ""
    comment_by: User | None = None


@dataclass
class AttendanceSummary:
    days: int  # school days the student was marked on in the term
    counts: dict[str, int]  # days per code ("mixed": periods of the day differ)
    rate: Decimal | None  # share of days present or late


@dataclass
class ReportCard:
    school: School
    student: User
    term: Term
    classes: list[SchoolClass]
    subjects: list[SubjectResult]
    overall_percent: Decimal | None
    overall_letter: str | None
    attendance: AttendanceSummary | None = None
    remark: str = ""
    class_teacher: User | None = None
    grading_key: list[GradeBand] = field(default_factory=list)


def report_card(*, student: User, term: Term) -> ReportCard:
    """A student's term: each subject's weighted percentage and letter, and their mean."""
    classes = [
        enrolment.school_class
        for enrolment in Enrolment.objects.filter(student=student).select_related(
            "school_class__class_teacher"
        )
    ]
    assessments = {
        assessment.pk: assessment
        for assessment in Assessment.objects.filter(
            school_class__in=classes, term=term
        ).select_related("subject")
    }
    homework, homework_marks = homework_columns(
        school_class_ids=[c.pk for c in classes], subject_id=None, term=term,
        student_ids={student.pk},
    )  # fmt: skip
    marks = [*marks_of(assessment_ids=assessments, student_ids={student.pk}), *homework_marks]
    assessments |= {item.pk: item for item in homework}
    marks_by_subject: dict[uuid.UUID, list[GradeMark]] = {}
    for mark in marks:
        subject_id = assessments[mark.assessment_id].subject_id
        marks_by_subject.setdefault(subject_id, []).append(mark)
    school = cast(School, student.school)  # a student always belongs to a school (User.clean)
    bands = default_scale_bands(school_id=school.pk)
    subjects = {a.subject_id: a.subject for a in assessments.values()}
    results = []
    for subject in sorted(subjects.values(), key=lambda s: s.name):
        marks = marks_by_subject.get(subject.pk, [])
        percent = weighted_percent(marks, assessments)
        results.append(
            SubjectResult(
                subject=subject,
                assessments=sum(1 for a in assessments.values() if a.subject_id == subject.pk),
                marked=len(marks),
                percent=percent,
                letter=letter_for(percent, bands),
            )
        )
    comments = {
        comment.subject_id: comment
        for comment in ReportComment.objects.filter(student=student, term=term).select_related(
            "author"
        )
    }
    for result in results:
        comment = comments.get(result.subject.pk)
        if comment is not None:
            result.comment, result.comment_by = comment.text, comment.author
    graded = [result.percent for result in results if result.percent is not None]
    overall = (sum(graded, Decimal(0)) / len(graded)).quantize(TWO_PLACES) if graded else None
    remark = comments.get(None)
    class_teacher = next((c.class_teacher for c in classes if c.class_teacher_id), None)
    return ReportCard(
        school=school,
        student=student,
        term=term,
        classes=classes,
        subjects=results,
        overall_percent=overall,
        overall_letter=letter_for(overall, bands),
        attendance=term_attendance(student=student, term=term),
        remark=remark.text if remark else "",
        class_teacher=class_teacher,
        grading_key=bands,
    )


def term_attendance(*, student: User, term: Term) -> AttendanceSummary:
    """The student's days in the term by their mark (registers still in the buffer included)."""
    days = student_daily_summary(student=student, date_from=term.starts_on, date_to=term.ends_on)
    counts = dict.fromkeys([*AttendanceCode.values, "mixed"], 0)
    attended = 0
    for day in days:
        counts[day.status] += 1
        attended += day.status in ATTENDED_CODES
    rate = (Decimal(attended) * 100 / len(days)).quantize(Decimal("0.1")) if days else None
    return AttendanceSummary(days=len(days), counts=counts, rate=rate)


def access_class_report_cards(*, user: User, class_id: uuid.UUID) -> SchoolClass:
    """A class whose report cards the user may print: its class teacher's, or any class of
    their school for its admins. Other classes, another school's included, are a 404."""
    school_class = (
        SchoolClass.objects.for_user(user).select_related("school").filter(pk=class_id).first()
    )
    if school_class is None or not (_is_admin(user) or school_class.class_teacher_id == user.pk):
        raise not_found("Class")
    return school_class


def class_report_cards(*, school_class: SchoolClass, term: Term) -> list[ReportCard]:
    """Every enrolled student's report card, in roll-call order."""
    enrolments = (
        Enrolment.objects.filter(school_class=school_class)
        .select_related("student__school")
        .order_by("roll_number", "student__last_name", "student__username")
    )
    return [report_card(student=enrolment.student, term=term) for enrolment in enrolments]
