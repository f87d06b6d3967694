"""Cache invalidation for the cache-first reads of enrolments (users: ``user_cache.py``).

Signals rather than calls in services, on purpose: these caches must follow every writer of the
rows (the admin, ``get_or_create`` in seeding, deletes cascading from a class or a school), and
the receivers only drop cached copies; no business rule lives here.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from apps.users.models import Enrolment
from apps.users.selectors import invalidate_enrolments


def _enrolment_changed(sender, instance: Enrolment, **kwargs) -> None:
    invalidate_enrolments(instance.student_id)


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_enrolment_changed, sender=Enrolment, dispatch_uid="users.enrolment.cache")
