"""Demo notification preferences for parent1 and a few inbox items to look at."""

from __future__ import annotations

from apps.notifications.models import Kind, Preference
from apps.notifications.services import Intent, notify_directly
from apps.users.models import User


def seed(context, *, progress: bool = True) -> None:
    parent = User.objects.filter(username="parent1").first()
    student = User.objects.filter(username="student1").first()
    if parent is None or student is None:
        return
    Preference.objects.get_or_create(
        user=parent,
        defaults={
            "school": context.school,
            "channels": {Kind.ABSENCE: ["sms", "email"], Kind.HOMEWORK_ASSIGNED: []},
            "sms_number": "+15550100",
            "digest_kinds": [Kind.GRADE_PUBLISHED],
        },
    )
    name = student.get_full_name() or student.username
    for index, (recipient, title) in enumerate(
        [(student, "Welcome test"), (parent, "Welcome test")]
    ):
        notify_directly(
            intent=Intent(
                recipient=recipient,
                student=student,
                kind=Kind.GRADE_PUBLISHED,
                context={"student": name, "title": title, "score": "42/50"},
            ),
            source_key=f"demo-{index}",
            school_id=context.school.pk,
        )
