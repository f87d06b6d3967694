"""Prune old tombstones daily (a django-celery-beat row, editable in the admin)."""

from django.db import migrations

NAME = "write buffer: prune tombstones"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    daily, _ = IntervalSchedule.objects.get_or_create(every=1, period="days")
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={
            "task": "apps.writebuffer.tasks.prune_tombstones",
            "interval": daily,
            "enabled": True,
            "description": "Forgets tombstones of deleted rows that no pending write can predate.",
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("writebuffer", "0003_tombstone")]

    operations = [migrations.RunPython(schedule, unschedule)]
