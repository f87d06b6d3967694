"""Background work for quizzes: finishing attempts whose time ran out."""

from __future__ import annotations

from celery import shared_task

from apps.quizzes.services.attempts import attempts_finish_overdue


@shared_task(name="apps.quizzes.tasks.finish_overdue_attempts")
def finish_overdue_attempts() -> int:
    """Run by Beat every 30 seconds. Idempotent: a finished attempt is left as it is."""
    return attempts_finish_overdue()
