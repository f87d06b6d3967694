"""Schedule the sync (hourly) and the threshold check (every minute) in django-celery-beat.

They are rows of the DatabaseScheduler, so operators can change or pause them in the admin
("Periodic tasks") without a deployment.
"""

from django.db import migrations

SYNC = "write buffer: hourly sync"
THRESHOLDS = "write buffer: threshold check"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    hourly, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=SYNC,
        defaults={
            "task": "apps.writebuffer.tasks.sync_write_buffer",
            "interval": hourly,
            "kwargs": '{"trigger": "schedule"}',
            "enabled": True,
            "description": "Moves buffered writes from Redis into PostgreSQL in batches.",
        },
    )
    PeriodicTask.objects.update_or_create(
        name=THRESHOLDS,
        defaults={
            "task": "apps.writebuffer.tasks.check_thresholds",
            "interval": every_minute,
            "enabled": True,
            "description": "Triggers an early sync when the buffer passes a threshold.",
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[SYNC, THRESHOLDS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("writebuffer", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
