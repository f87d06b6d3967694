"""The Celery application: tasks are discovered in each app's ``tasks.py``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schools24.settings.local")

app = Celery("schools24")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
