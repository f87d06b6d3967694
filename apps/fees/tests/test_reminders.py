"""Reminders before and after the due date go to the student and guardians, once each."""

import datetime

import pytest
from django.core import mail

from apps.fees.models import ReminderSent
from apps.fees.services.payments import payment_record
from apps.fees.services.reminders import reminders_send

pytestmark = pytest.mark.django_db


def test_reminders_before_and_after_the_due_date_are_sent_once(
    invoice, world, django_capture_on_commit_callbacks
):
    payment_record(
        invoice_id=invoice.pk,
        amount="7200.00",
        method="cash",
        recorded_by=None,
        idempotency_key="paid",
    )  # fmt: skip  (the first student's term 1 is paid)
    before = invoice.due_date - datetime.timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(school=world.school, today=before) == 2  # two unpaid term-1 invoices
        assert reminders_send(school=world.school, today=before) == 0
    assert len(mail.outbox) == 2
    assert "is due on 30 Jun 2026" in mail.outbox[0].subject
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([world.students[1].email, world.students[2].email])
    overdue = invoice.due_date + datetime.timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(school=world.school, today=overdue) == 2
        assert reminders_send(school=world.school, today=overdue) == 0
    assert mail.outbox[-1].subject.endswith("is overdue")
    assert ReminderSent.objects.count() == 4


def test_a_guardian_is_reminded_about_their_child(
    invoice, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send(school=world.school, today=invoice.due_date)
    to_first_student = [m for m in mail.outbox if world.student.email in m.to]
    assert [sorted(m.to) for m in to_first_student] == [
        sorted([world.student.email, world.guardian.email])
    ]
