"""A GIN index on the activity log's details (PostgreSQL only: SQLite, the embedded default of
`make run`, has no such index and needs none), and the nightly early warnings and daily pruning
in django-celery-beat."""

from django.db import migrations

from apps.core.migration_schedules import Crontab, PeriodicTask, periodic_tasks


def gin_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS activity_details_gin "
            "ON analytics_activityentry USING gin (details)"
        )


def drop_gin_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS activity_details_gin")


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(gin_index, drop_gin_index),
        migrations.RunPython(
            *periodic_tasks(
                PeriodicTask(
                    name="analytics: nightly early warnings",
                    task="apps.analytics.tasks.evaluate_early_warnings",
                    schedule=Crontab(minute="30", hour="2"),
                    description="Checks every student against the school's early-warning rules.",
                ),
                PeriodicTask(
                    name="analytics: prune the activity log",
                    task="apps.analytics.tasks.prune_activity_log",
                    schedule=Crontab(minute="30", hour="3"),
                    description="Deletes activity entries older than ACTIVITY_RETENTION_DAYS.",
                ),
            )
        ),
    ]
