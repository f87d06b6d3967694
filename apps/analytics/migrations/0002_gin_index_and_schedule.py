"""A GIN index on the activity log's details (PostgreSQL only: SQLite, the embedded default of
`make run`, has no such index and needs none), and the nightly early warnings and daily pruning
in django-celery-beat."""

from django.db import migrations

WARNINGS = "analytics: nightly early warnings"
PRUNE = "analytics: prune the activity log"


def gin_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS activity_details_gin "
            "ON analytics_activityentry USING gin (details)"
        )


def drop_gin_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS activity_details_gin")


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    at_0230, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="2", day_of_week="*", day_of_month="*", month_of_year="*"
    )
    at_0330, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="3", day_of_week="*", day_of_month="*", month_of_year="*"
    )
    PeriodicTask.objects.update_or_create(
        name=WARNINGS,
        defaults={
            "task": "apps.analytics.tasks.evaluate_early_warnings",
            "crontab": at_0230,
            "enabled": True,
            "description": "Checks every student against the school's early-warning rules.",
        },
    )
    PeriodicTask.objects.update_or_create(
        name=PRUNE,
        defaults={
            "task": "apps.analytics.tasks.prune_activity_log",
            "crontab": at_0330,
            "enabled": True,
            "description": "Deletes activity entries older than ACTIVITY_RETENTION_DAYS.",
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[WARNINGS, PRUNE]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(gin_index, drop_gin_index),
        migrations.RunPython(schedule, unschedule),
    ]
