"""Schedule the sync (hourly) and the threshold check (every minute) in django-celery-beat.

They are rows of the DatabaseScheduler, so operators can change or pause them in the admin
("Periodic tasks") without a deployment.
"""

from django.db import migrations

from apps.core.migration_schedules import Interval, PeriodicTask, periodic_tasks


class Migration(migrations.Migration):
    dependencies = [
        ("writebuffer", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(
            *periodic_tasks(
                PeriodicTask(
                    name="write buffer: hourly sync",
                    task="apps.writebuffer.tasks.sync_write_buffer",
                    schedule=Interval(every=1, period="hours"),
                    kwargs='{"trigger": "schedule"}',
                    description="Moves buffered writes from Redis into PostgreSQL in batches.",
                ),
                PeriodicTask(
                    name="write buffer: threshold check",
                    task="apps.writebuffer.tasks.check_thresholds",
                    schedule=Interval(every=1, period="minutes"),
                    description="Triggers an early sync when the buffer passes a threshold.",
                ),
            )
        )
    ]
