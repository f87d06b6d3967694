"""Early warnings on a teacher's class view of the dashboard."""

from __future__ import annotations

from datetime import date
from typing import Any

from apps.analytics.models import EarlyWarning
from apps.dashboards.registry import CLASS, section
from apps.users.models import SchoolClass


@section("early_warnings", scope=CLASS)
def class_early_warnings(*, school_class: SchoolClass, today: date) -> list[dict[str, Any]]:
    """Open warnings of the class's students, newest first."""
    warnings = (
        EarlyWarning.objects.filter(
            resolved_at__isnull=True, student__enrolments__school_class=school_class
        )
        .select_related("student")
        .order_by("-raised_at")
    )
    return [
        {
            "id": str(w.pk),
            "student": {
                "id": str(w.student_id),
                "username": w.student.username,
                "full_name": w.student.get_full_name(),
            },
            "kind": w.kind,
            "value": str(w.value),
            "threshold": str(w.threshold),
            "reason": w.reason,
            "raised_at": w.raised_at.isoformat(),
        }
        for w in warnings
    ]
