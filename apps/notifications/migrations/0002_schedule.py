"""Send what is due every minute and the daily digests at 00:05 UTC, in django-celery-beat."""

from django.db import migrations

from apps.core.migration_schedules import Crontab, Interval, PeriodicTask, periodic_tasks


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(
            *periodic_tasks(
                PeriodicTask(
                    name="notifications: send what is due",
                    task="apps.notifications.tasks.send_due_notifications",
                    schedule=Interval(every=1, period="minutes"),
                    description="Sends deliveries whose quiet hours or retry backoff are over.",
                ),
                PeriodicTask(
                    name="notifications: daily digests",
                    task="apps.notifications.tasks.send_daily_digests",
                    schedule=Crontab(minute="5", hour="0"),
                    description="One message per person and channel with yesterday's digest items.",
                ),
            )
        )
    ]
