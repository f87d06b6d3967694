"""Schedule the sweep that finishes attempts whose time ran out (every 30 seconds), as a row
of django-celery-beat's DatabaseScheduler that operators can change in the admin."""

from django.db import migrations

SWEEP = "quizzes: finish overdue attempts"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_30s, _ = IntervalSchedule.objects.get_or_create(every=30, period="seconds")
    PeriodicTask.objects.update_or_create(
        name=SWEEP,
        defaults={
            "task": "apps.quizzes.tasks.finish_overdue_attempts",
            "interval": every_30s,
            "enabled": True,
            "description": "Submits and grades quiz attempts whose deadline and grace passed.",
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SWEEP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0002_question_body_gin"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
