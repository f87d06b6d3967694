"""Nightly early warnings for every school, and the activity log's retention."""

from __future__ import annotations

from celery import shared_task

from apps.analytics.services import activity_prune, warnings_evaluate_school
from apps.users.models import School


@shared_task(ignore_result=True)
def evaluate_early_warnings() -> int:
    return sum(
        warnings_evaluate_school(school_id=pk) for pk in School.objects.values_list("pk", flat=True)
    )


@shared_task(ignore_result=True)
def prune_activity_log() -> int:
    return activity_prune()
