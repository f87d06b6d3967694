"""Schedule event delivery every 15 seconds in django-celery-beat, as a safety net: publishing
already asks a worker to deliver at once; this catches requests lost while the broker was away."""

from django.db import migrations

DISPATCH = "events: deliver to handlers"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_15s, _ = IntervalSchedule.objects.get_or_create(every=15, period="seconds")
    PeriodicTask.objects.update_or_create(
        name=DISPATCH,
        defaults={
            "task": "apps.events.tasks.dispatch_events",
            "interval": every_15s,
            "enabled": True,
            "description": "Delivers domain events to their handlers (notifications, activity log).",
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=DISPATCH).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
