"""Reminders to students and guardians before and after an invoice's due date, once each."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction

from apps.attendance.services import school_today
from apps.fees import notify
from apps.fees.models import Invoice, InvoiceStatus, ReminderSent
from apps.fees.services.invoices import fee_settings_for, open_balance_expression
from apps.users.models import School, User


def _recipients(invoice: Invoice) -> list[str]:
    people = User.objects.filter(pk=invoice.student_id) | User.objects.filter(
        children_links__student_id=invoice.student_id
    )
    return sorted({person.email for person in people if person.email and person.is_active})


def reminders_send(*, school: School, today: datetime.date | None = None) -> int:
    """Remind about open invoices due within the school's "days before", and about those
    overdue by its "days after". Each (invoice, kind) is recorded before the message goes out,
    so running this twice sends nothing twice."""
    today = today or school_today(school)
    settings = fee_settings_for(school.pk)
    open_invoices = (
        Invoice.objects.filter(
            school=school, status__in=[InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID]
        )
        .alias(open_balance=open_balance_expression())
        .filter(open_balance__gt=0)
        .select_related("student", "school")
    )
    due_soon = open_invoices.filter(
        due_date__gte=today,
        due_date__lte=today + datetime.timedelta(days=settings.remind_days_before),
    )
    overdue = open_invoices.filter(
        due_date__lte=today - datetime.timedelta(days=settings.remind_days_after)
    )
    sent = 0
    for kind, invoices in (
        (ReminderSent.Kind.BEFORE_DUE, due_soon),
        (ReminderSent.Kind.OVERDUE, overdue),
    ):
        already = set(
            ReminderSent.objects.filter(school=school, kind=kind).values_list(
                "invoice_id", flat=True
            )
        )
        for invoice in invoices.exclude(pk__in=already):
            sent += _remind(invoice, kind, settings.currency)
    return sent


def _remind(invoice: Invoice, kind: str, currency: str) -> int:
    recipients = _recipients(invoice)
    student = invoice.student.get_full_name() or invoice.student.username
    if kind == ReminderSent.Kind.BEFORE_DUE:
        subject = f"{invoice.school.name}: {invoice.title} is due on {invoice.due_date:%d %b %Y}"
    else:
        subject = f"{invoice.school.name}: {invoice.title} is overdue"
    body = (
        f"{invoice.title} for {student}: {currency} {invoice.balance} is still to pay; it was due "
        f"on {invoice.due_date:%d %B %Y}.\n\nPay at the school office or online in Schools24."
    )
    try:
        with transaction.atomic():
            ReminderSent.objects.create(
                school_id=invoice.school_id, invoice=invoice, kind=kind, recipients=len(recipients)
            )
            notify.fee_due(invoice, kind=kind)
            transaction.on_commit(
                lambda: notify.send_reminder(recipients=recipients, subject=subject, body=body)
            )
    except IntegrityError:
        return 0  # another run sent it
    return 1
