"""Data migrations that add periodic tasks as rows of django-celery-beat's DatabaseScheduler.

Operators change or pause those rows in the admin ("Periodic tasks") without a deployment; a
migration only creates them (or puts them back as written) and removes them when reversed. A
migration lists its rows as ``PeriodicTask`` values and passes them to ``periodic_tasks``, whose
two functions go to ``migrations.RunPython`` (see apps/events/migrations/0002_schedule_dispatch.py).

Historical migrations import this module, so it must keep working for every migration that uses
it: change it only in ways that create exactly the same rows. It reads and writes through
``apps.get_model`` (the historical models the migration is given), never the real models. The
migration must depend on ``django_celery_beat`` (directly or through an earlier migration).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps.registry import Apps
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

RunPythonCode = Callable[[Apps, BaseDatabaseSchemaEditor], None]


@dataclass(frozen=True)
class Interval:
    """Every ``every`` ``period`` (``"days"``, ``"hours"``, ``"minutes"`` or ``"seconds"``)."""

    every: int
    period: str

    def get_or_create(self, apps: Apps) -> tuple[str, Any]:
        model = apps.get_model("django_celery_beat", "IntervalSchedule")
        row, _ = model.objects.get_or_create(every=self.every, period=self.period)
        return "interval", row


@dataclass(frozen=True)
class Crontab:
    """A crontab line; the default fields are ``*``."""

    minute: str
    hour: str
    day_of_week: str = "*"
    day_of_month: str = "*"
    month_of_year: str = "*"

    def get_or_create(self, apps: Apps) -> tuple[str, Any]:
        model = apps.get_model("django_celery_beat", "CrontabSchedule")
        row, _ = model.objects.get_or_create(
            minute=self.minute,
            hour=self.hour,
            day_of_week=self.day_of_week,
            day_of_month=self.day_of_month,
            month_of_year=self.month_of_year,
        )
        return "crontab", row


@dataclass(frozen=True)
class PeriodicTask:
    """One row: ``name`` is its key; ``kwargs`` (JSON text) is set only when given."""

    name: str
    task: str
    schedule: Interval | Crontab
    description: str
    kwargs: str | None = None


def periodic_tasks(*tasks: PeriodicTask) -> tuple[RunPythonCode, RunPythonCode]:
    """The forward and backward code for ``migrations.RunPython``: forward gets or creates each
    task's schedule and creates the task (or rewrites it as given, enabled); backward deletes the
    tasks by name and leaves the schedules, which other tasks may share."""

    def schedule(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        model = apps.get_model("django_celery_beat", "PeriodicTask")
        for task in tasks:
            field, when = task.schedule.get_or_create(apps)
            defaults = {
                "task": task.task,
                field: when,
                "enabled": True,
                "description": task.description,
            }
            if task.kwargs is not None:
                defaults["kwargs"] = task.kwargs
            model.objects.update_or_create(name=task.name, defaults=defaults)

    def unschedule(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        model = apps.get_model("django_celery_beat", "PeriodicTask")
        model.objects.filter(name__in=[task.name for task in tasks]).delete()

    return schedule, unschedule
