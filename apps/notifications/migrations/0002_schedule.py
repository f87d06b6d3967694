"""Send what is due every minute and the daily digests at 00:05 UTC, in django-celery-beat."""

from django.db import migrations

DUE = "notifications: send what is due"
DIGESTS = "notifications: daily digests"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    at_0005, _ = CrontabSchedule.objects.get_or_create(
        minute="5", hour="0", day_of_week="*", day_of_month="*", month_of_year="*"
    )
    PeriodicTask.objects.update_or_create(
        name=DUE,
        defaults={
            "task": "apps.notifications.tasks.send_due_notifications",
            "interval": every_minute,
            "enabled": True,
            "description": "Sends deliveries whose quiet hours or retry backoff are over.",
        },
    )
    PeriodicTask.objects.update_or_create(
        name=DIGESTS,
        defaults={
            "task": "apps.notifications.tasks.send_daily_digests",
            "crontab": at_0005,
            "enabled": True,
            "description": "One message per person and channel with yesterday's digest items.",
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[DUE, DIGESTS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
