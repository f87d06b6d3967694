"""Schedule the fee tasks (django-celery-beat rows, editable in the admin)."""

from django.db import migrations

from apps.core.migration_schedules import Interval, PeriodicTask, periodic_tasks


class Migration(migrations.Migration):
    dependencies = [
        ("fees", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(
            *periodic_tasks(
                PeriodicTask(
                    name="fees: late fines",
                    task="apps.fees.tasks.apply_late_fines",
                    schedule=Interval(every=1, period="days"),
                    description="Charges late fines due today.",
                ),
                PeriodicTask(
                    name="fees: reminders",
                    task="apps.fees.tasks.send_fee_reminders",
                    schedule=Interval(every=1, period="days"),
                    description="Reminds guardians of fees due.",
                ),
                PeriodicTask(
                    name="fees: invoice new enrolments",
                    task="apps.fees.tasks.invoice_new_enrolments",
                    schedule=Interval(every=10, period="minutes"),
                    description="Invoices students enrolled after their class's fee structure "
                    "was applied.",
                ),
            )
        )
    ]
