"""The periodic tasks the migrations schedule through ``apps.core.migration_schedules``."""

import pytest
from django.apps import apps
from django.db import connection
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from apps.core.migration_schedules import Crontab, Interval, periodic_tasks
from apps.core.migration_schedules import PeriodicTask as Row

pytestmark = pytest.mark.django_db


def _when(task: PeriodicTask) -> str:
    if task.interval is not None:
        return f"every {task.interval.every} {task.interval.period}"
    cron = task.crontab
    assert cron is not None
    fields = (cron.minute, cron.hour, cron.day_of_month, cron.month_of_year, cron.day_of_week)
    return "cron " + " ".join(fields)


def test_the_migrated_database_has_every_scheduled_task():
    rows = {
        task.name: (task.task, _when(task), task.kwargs, task.enabled)
        for task in PeriodicTask.objects.select_related("interval", "crontab")
    }
    assert rows == {
        "analytics: nightly early warnings": (
            "apps.analytics.tasks.evaluate_early_warnings",
            "cron 30 2 * * *",
            "{}",
            True,
        ),
        "analytics: prune the activity log": (
            "apps.analytics.tasks.prune_activity_log",
            "cron 30 3 * * *",
            "{}",
            True,
        ),
        "events: deliver to handlers": (
            "apps.events.tasks.dispatch_events",
            "every 15 seconds",
            "{}",
            True,
        ),
        "fees: late fines": ("apps.fees.tasks.apply_late_fines", "every 1 days", "{}", True),
        "fees: reminders": ("apps.fees.tasks.send_fee_reminders", "every 1 days", "{}", True),
        "fees: invoice new enrolments": (
            "apps.fees.tasks.invoice_new_enrolments",
            "every 10 minutes",
            "{}",
            True,
        ),
        "notifications: send what is due": (
            "apps.notifications.tasks.send_due_notifications",
            "every 1 minutes",
            "{}",
            True,
        ),
        "notifications: daily digests": (
            "apps.notifications.tasks.send_daily_digests",
            "cron 5 0 * * *",
            "{}",
            True,
        ),
        "quizzes: finish overdue attempts": (
            "apps.quizzes.tasks.finish_overdue_attempts",
            "every 30 seconds",
            "{}",
            True,
        ),
        "write buffer: hourly sync": (
            "apps.writebuffer.tasks.sync_write_buffer",
            "every 1 hours",
            '{"trigger": "schedule"}',
            True,
        ),
        "write buffer: threshold check": (
            "apps.writebuffer.tasks.check_thresholds",
            "every 1 minutes",
            "{}",
            True,
        ),
        "write buffer: prune tombstones": (
            "apps.writebuffer.tasks.prune_tombstones",
            "every 1 days",
            "{}",
            True,
        ),
    }


def test_forward_restores_the_rows_as_written_and_backward_deletes_only_them():
    kept = PeriodicTask.objects.get(name="fees: late fines")
    schedule, unschedule = periodic_tasks(
        Row(
            name="fees: reminders",
            task="apps.fees.tasks.send_fee_reminders",
            schedule=Interval(every=1, period="days"),
            description="Reminds guardians of fees due.",
        ),
        Row(
            name="test: at night",
            task="apps.core.tasks.nothing",
            schedule=Crontab(minute="7", hour="1", day_of_week="1"),
            kwargs='{"a": 1}',
            description="A test row.",
        ),
    )
    PeriodicTask.objects.filter(name="fees: reminders").update(
        enabled=False, description="changed by an operator", kwargs='{"x": 2}'
    )
    intervals, crontabs = IntervalSchedule.objects.count(), CrontabSchedule.objects.count()

    schedule(apps, connection.schema_editor())

    reminders = PeriodicTask.objects.get(name="fees: reminders")
    assert (reminders.enabled, reminders.description) == (True, "Reminds guardians of fees due.")
    assert reminders.kwargs == '{"x": 2}'  # kwargs are written only when the row names them
    night = PeriodicTask.objects.get(name="test: at night")
    assert (_when(night), night.kwargs, night.interval) == ("cron 7 1 * * 1", '{"a": 1}', None)
    # The daily interval is reused; the new crontab is the one schedule added.
    assert IntervalSchedule.objects.count() == intervals
    assert CrontabSchedule.objects.count() == crontabs + 1

    unschedule(apps, connection.schema_editor())

    assert not PeriodicTask.objects.filter(name__in=["fees: reminders", "test: at night"]).exists()
    assert PeriodicTask.objects.get(pk=kept.pk).name == "fees: late fines"
    assert CrontabSchedule.objects.count() == crontabs + 1
