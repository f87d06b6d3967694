"""Daily fee work, scheduled by Celery Beat (rows created by migration 0002, editable under
"Periodic tasks"): late fines and reminders daily, invoices for newly enrolled students every
ten minutes. Each task runs school by school and is safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.fees.models import FeeStructure
from apps.fees.services.invoices import fines_apply, structure_apply
from apps.fees.services.reminders import reminders_send
from apps.users.models import School

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def apply_late_fines() -> int:
    """Charge late fines due today in every school (each school's own "today")."""
    return sum(fines_apply(school=school) for school in School.objects.all())


@shared_task(acks_late=True)
def send_fee_reminders() -> int:
    return sum(reminders_send(school=school) for school in School.objects.all())


@shared_task(acks_late=True)
def invoice_new_enrolments() -> int:
    """Invoice students enrolled after their class's structures were applied. Enrolments are
    made in several places (the admin, imports, the demo seed); checking here, for every
    applied structure, catches all of them without a signal."""
    created = 0
    applied = FeeStructure.objects.filter(applied_at__isnull=False).select_related("school", "plan")
    for structure in applied:
        created += structure_apply(structure=structure)
    if created:
        logger.info("invoiced %s new enrolments", created)
    return created
