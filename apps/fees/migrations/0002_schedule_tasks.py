"""Schedule the fee tasks (django-celery-beat rows, editable in the admin)."""

from django.db import migrations

TASKS = [
    ("fees: late fines", "apps.fees.tasks.apply_late_fines", "days", "Charges late fines due today."),
    ("fees: reminders", "apps.fees.tasks.send_fee_reminders", "days", "Reminds guardians of fees due."),
    (
        "fees: invoice new enrolments",
        "apps.fees.tasks.invoice_new_enrolments",
        "minutes",
        "Invoices students enrolled after their class's fee structure was applied.",
    ),
]


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, period, description in TASKS:
        every = 10 if period == "minutes" else 1
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={"task": task, "interval": interval, "enabled": True, "description": description},
        )


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("fees", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
