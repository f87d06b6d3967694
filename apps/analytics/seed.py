"""Demo early-warning rules, and the warnings they raise over the demo school's history."""

from __future__ import annotations

from decimal import Decimal

from apps.analytics.models import WarningKind, WarningRule
from apps.analytics.services import warnings_evaluate_school

RULES = [
    (WarningKind.ABSENCES, Decimal(3), 30),
    (WarningKind.FALLING_AVERAGE, Decimal(10), 30),
    (WarningKind.MISSING_HOMEWORK, Decimal(2), 30),
]


def seed(context, *, progress: bool = True) -> None:
    for kind, threshold, window in RULES:
        WarningRule.objects.get_or_create(
            school=context.school,
            kind=kind,
            defaults={"threshold": threshold, "window_days": window},
        )
    warnings_evaluate_school(school_id=context.school.pk)
