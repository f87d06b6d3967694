"""Demo grades: a term, the default A-F scale, four weighted assessments per class and subject
(test, quiz, homework, exam) and a mark for every student in each.

Idempotent: terms, scales, bands and assessments are looked up by natural keys; marks have ids
derived from assessment and student (as the service does) and are inserted with
``ignore_conflicts``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from tqdm import tqdm

from apps.attendance.services import school_today
from apps.grades.models import (
    Assessment,
    AssessmentKind,
    GradeBand,
    GradeMark,
    GradingScale,
    Term,
    grade_mark_id,
)
from apps.users.demo import ACADEMIC_YEAR
from apps.users.models import Enrolment, TeacherAssignment

BANDS = [("A", 90), ("B", 80), ("C", 70), ("D", 60), ("E", 50), ("F", 0)]
# (title, kind, days after the term's start, maximum score, weight)
ASSESSMENTS = [
    ("Unit test 1", AssessmentKind.TEST, 14, 50, 20),
    ("Quiz 1", AssessmentKind.QUIZ, 21, 10, 10),
    ("Homework portfolio", AssessmentKind.HOMEWORK, 35, 100, 20),
    ("Mid-term exam", AssessmentKind.EXAM, 49, 100, 50),
]


def seed(context, *, progress: bool) -> None:
    today = school_today(context.school)
    rng = context.rng
    with transaction.atomic():
        term, _ = Term.objects.get_or_create(
            school=context.school,
            academic_year=ACADEMIC_YEAR,
            name="Term 1",
            defaults={
                "starts_on": today - timedelta(days=70),
                "ends_on": today + timedelta(days=30),
            },
        )
        scale, _ = GradingScale.objects.get_or_create(
            school=context.school, name="A-F", defaults={"is_default": True}
        )
        for letter, minimum in BANDS:
            GradeBand.objects.get_or_create(
                school=context.school, scale=scale, letter=letter,
                defaults={"min_percent": Decimal(minimum)},
            )  # fmt: skip
    pairs = [(c, s) for c in context.classes for s in context.subjects]
    for school_class, subject in tqdm(pairs, desc="grades", disable=not progress, unit="class"):
        assignment = (
            TeacherAssignment.objects.filter(school_class=school_class, subject=subject)
            .select_related("teacher")
            .first()
        )
        teacher = assignment.teacher if assignment else None
        student_ids = list(
            Enrolment.objects.filter(school_class=school_class).values_list("student_id", flat=True)
        )
        ability = {student_id: rng.uniform(0.45, 0.98) for student_id in student_ids}
        marks = []
        for title, kind, offset, max_score, weight in ASSESSMENTS:
            assessment, _ = Assessment.objects.get_or_create(
                school=context.school,
                school_class=school_class,
                subject=subject,
                term=term,
                title=title,
                defaults={
                    "kind": kind,
                    "date": min(term.starts_on + timedelta(days=offset), today),
                    "max_score": Decimal(max_score),
                    "weight": Decimal(weight),
                    "created_by": teacher,
                },
            )
            for student_id in student_ids:
                share = min(1.0, max(0.0, ability[student_id] + rng.uniform(-0.12, 0.12)))
                marks.append(
                    GradeMark(
                        id=grade_mark_id(assessment.pk, student_id),
                        school=context.school,
                        assessment=assessment,
                        student_id=student_id,
                        score=(assessment.max_score * Decimal(str(round(share, 2)))).quantize(
                            Decimal("0.01")
                        ),
                        marked_by=teacher,
                        version=1,
                    )
                )
        GradeMark.objects.bulk_create(marks, ignore_conflicts=True)
