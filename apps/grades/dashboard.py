"""Grades' part of dashboards: a student's latest marks, a class's averages this term."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from apps.dashboards.registry import CLASS, STUDENT, section
from apps.grades.models import Assessment, GradeMark
from apps.grades.selectors import current_term, marks_of, weighted_percent
from apps.users.models import SchoolClass, User

RECENT_GRADES = 5


@section("recent_grades", scope=STUDENT)
def recent_grades(*, student: User, today: date) -> list[dict[str, Any]]:
    assessments = {
        a.pk: a
        for a in Assessment.objects.filter(
            school_class__enrolments__student=student, date__lte=today
        ).select_related("subject")
    }
    marks = marks_of(assessment_ids=assessments, student_ids={student.pk})
    marks.sort(
        key=lambda m: (assessments[m.assessment_id].date, assessments[m.assessment_id].title),
        reverse=True,
    )
    return [
        {
            "assessment": {
                "id": m.assessment_id,
                "title": assessments[m.assessment_id].title,
                "subject": assessments[m.assessment_id].subject.name,
                "date": assessments[m.assessment_id].date,
            },
            "score": m.score,
            "max_score": assessments[m.assessment_id].max_score,
        }
        for m in marks[:RECENT_GRADES]
    ]


@section("averages", scope=CLASS)
def class_averages(*, school_class: SchoolClass, today: date) -> list[dict[str, Any]]:
    """Each subject's weighted average over the class's marks this term."""
    term = current_term(school=school_class.school)
    if term is None:
        return []
    assessments = {
        a.pk: a
        for a in Assessment.objects.filter(school_class=school_class, term=term).select_related(
            "subject"
        )
    }
    by_subject: dict[Any, list[GradeMark]] = defaultdict(list)
    for mark in marks_of(assessment_ids=assessments):
        by_subject[assessments[mark.assessment_id].subject].append(mark)
    return [
        {
            "subject": subject.name,
            "average_percent": weighted_percent(marks, assessments),
            "marks": len(marks),
        }
        for subject, marks in sorted(by_subject.items(), key=lambda item: item[0].name)
    ]
