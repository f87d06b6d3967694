"""Schedule event delivery every 15 seconds in django-celery-beat, as a safety net: publishing
already asks a worker to deliver at once; this catches requests lost while the broker was away."""

from django.db import migrations

from apps.core.migration_schedules import Interval, PeriodicTask, periodic_tasks


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(
            *periodic_tasks(
                PeriodicTask(
                    name="events: deliver to handlers",
                    task="apps.events.tasks.dispatch_events",
                    schedule=Interval(every=15, period="seconds"),
                    description="Delivers domain events to their handlers (notifications, "
                    "activity log).",
                )
            )
        )
    ]
