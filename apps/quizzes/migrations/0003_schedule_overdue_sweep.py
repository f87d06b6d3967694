"""Schedule the sweep that finishes attempts whose time ran out (every 30 seconds), as a row
of django-celery-beat's DatabaseScheduler that operators can change in the admin."""

from django.db import migrations

from apps.core.migration_schedules import Interval, PeriodicTask, periodic_tasks


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0002_question_body_gin"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        migrations.RunPython(
            *periodic_tasks(
                PeriodicTask(
                    name="quizzes: finish overdue attempts",
                    task="apps.quizzes.tasks.finish_overdue_attempts",
                    schedule=Interval(every=30, period="seconds"),
                    description="Submits and grades quiz attempts whose deadline and grace passed.",
                )
            )
        )
    ]
