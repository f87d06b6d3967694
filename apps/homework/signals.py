"""Cache invalidation for the cache-first reads a submission is decided from.

Signals rather than calls in services, on purpose: the caches must follow every writer of these
rows (the admin, deletes cascading from a class or a school), and the receivers only drop cached
copies; no business rule lives here. Submissions written by the sync are invalidated by the
write buffer itself (``on_stored`` in ``apps.py``).
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from apps.homework.models import Extension, Homework, Submission
from apps.homework.selectors import (
    invalidate_extension,
    invalidate_homework,
    invalidate_stored_submissions,
)


def _homework_changed(sender, instance: Homework, **kwargs) -> None:
    invalidate_homework(instance.pk)


def _extension_changed(sender, instance: Extension, **kwargs) -> None:
    invalidate_extension(instance.homework_id, instance.student_id)


def _submission_changed(sender, instance: Submission, **kwargs) -> None:
    fields = {"homework_id": instance.homework_id, "student_id": instance.student_id}
    invalidate_stored_submissions([{"f": fields}])


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_homework_changed, sender=Homework, dispatch_uid="homework.cache")
        signal.connect(_extension_changed, sender=Extension, dispatch_uid="extension.cache")
        signal.connect(_submission_changed, sender=Submission, dispatch_uid="submission.cache")
