"""Demo homework: two pieces per class and subject (one past due, one upcoming), an attachment,
and realistic submissions, some graded.

Idempotent: homework is looked up by class, subject and title; submissions have ids derived from
homework and student and are inserted with ``ignore_conflicts``, so a second run adds nothing.
Seeded submissions are historical (submitted days ago), so they are written straight to the
database rather than through ``submission_create``, which always submits "now".
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from apps.homework.models import Homework, HomeworkAttachment, LatePolicy, Submission
from apps.homework.services import late_adjusted_score, submission_timing
from apps.users.models import Enrolment, TeacherAssignment

TOPICS = {
    "MATH": ["Quadratic equations worksheet", "Probability problems"],
    "ENG": ["Essay: a place that matters to you", "Poetry analysis"],
    "SCI": ["Lab report: pendulum", "Cell structure diagram"],
    "HIST": ["Source analysis: the Industrial Revolution", "Timeline of the 20th century"],
    "GEO": ["River basin case study", "Map work: climate zones"],
}
FEEDBACK = ["Well structured.", "Show your working.", "Good effort.", "Check your sources.", ""]


def seed(context, *, progress: bool) -> None:
    now = timezone.now().replace(hour=17, minute=0, second=0, microsecond=0)
    pairs = [(c, s) for c in context.classes for s in context.subjects]
    rng = context.rng
    for school_class, subject in tqdm(pairs, desc="homework", disable=not progress, unit="class"):
        teacher = (
            TeacherAssignment.objects.filter(school_class=school_class, subject=subject)
            .select_related("teacher")
            .first()
        )
        students = [
            e.student
            for e in Enrolment.objects.filter(school_class=school_class).select_related("student")
        ]
        past_title, upcoming_title = TOPICS.get(subject.code, ["Exercises", "Reading"])
        with transaction.atomic():
            past, past_created = Homework.objects.get_or_create(
                school=context.school,
                school_class=school_class,
                subject=subject,
                title=past_title,
                defaults={
                    "assigned_by": teacher.teacher if teacher else None,
                    "instructions": "Hand in your work before the due date.",
                    "due_at": now - timedelta(days=3),
                    "cut_off_at": now + timedelta(days=2),
                    "late_policy": LatePolicy.PER_DAY,
                    "late_deduction_percent_per_day": Decimal(10),
                    "late_minimum_percent": Decimal(40),
                },
            )
            Homework.objects.get_or_create(
                school=context.school,
                school_class=school_class,
                subject=subject,
                title=upcoming_title,
                defaults={
                    "assigned_by": teacher.teacher if teacher else None,
                    "instructions": "Read the attached notes first.",
                    "due_at": now + timedelta(days=4),
                },
            )
            if past_created and subject.code == "MATH":
                attachment = HomeworkAttachment(
                    school=context.school, homework=past, name="instructions.txt",
                    content_type="text/plain",
                )  # fmt: skip
                content = b"Solve questions 1-20 on page 42. Show every step.\n"
                attachment.size_bytes = len(content)
                attachment.file.save("instructions.txt", ContentFile(content), save=True)
        submissions = []
        for student in students:
            roll = rng.random()
            if roll > 0.85:
                continue  # not handed in
            submitted_at = past.due_at - timedelta(hours=rng.randint(1, 48))
            if roll > 0.75:
                submitted_at = past.due_at + timedelta(hours=rng.randint(2, 40))
            timing = submission_timing(homework=past, extension=None, submitted_at=submitted_at)
            graded = rng.random() < 0.6
            score = Decimal(rng.randint(45, 100)) if graded else None
            submissions.append(
                Submission(
                    id=uuid.uuid5(past.pk, f"seed-submission:{student.pk}"),
                    school=context.school,
                    homework=past,
                    student=student,
                    text="My answers are in the attached file.",
                    status=timing.status,
                    days_late=timing.days_late,
                    submitted_at=submitted_at,
                    score=score,
                    final_score=late_adjusted_score(
                        homework=past, score=score, days_late=timing.days_late
                    )
                    if score is not None  # i.e. graded
                    else None,
                    feedback=rng.choice(FEEDBACK) if graded else "",
                    graded_by=teacher.teacher if graded and teacher else None,
                    graded_at=now - timedelta(days=1) if graded else None,
                    version=1,
                )
            )
        Submission.objects.bulk_create(submissions, ignore_conflicts=True)
