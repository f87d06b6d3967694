"""Prune old tombstones daily (a django-celery-beat row, editable in the admin)."""

from django.db import migrations

from apps.core.migration_schedules import Interval, PeriodicTask, periodic_tasks


class Migration(migrations.Migration):
    dependencies = [("writebuffer", "0003_tombstone")]

    operations = [
        migrations.RunPython(
            *periodic_tasks(
                PeriodicTask(
                    name="write buffer: prune tombstones",
                    task="apps.writebuffer.tasks.prune_tombstones",
                    schedule=Interval(every=1, period="days"),
                    description="Forgets tombstones of deleted rows that no pending write can "
                    "predate.",
                )
            )
        )
    ]
