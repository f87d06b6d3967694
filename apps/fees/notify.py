"""What the fees app tells the rest of Schools24: domain events, and reminder messages.

Events go through ``apps.events`` (published after commit). Reminders go out through Django's
email backend behind ``send_reminder``, the one function the notifications work replaces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.mail import send_mail

from apps.events.services import event_publish
from apps.events.types import Event, EventType
from apps.users.models import GuardianLink

if TYPE_CHECKING:
    from apps.fees.models import Invoice, Payment


def _people(invoice: Invoice) -> tuple[str, ...]:
    """The student and their guardians: whose dashboards a fee event concerns."""
    guardians = GuardianLink.objects.filter(student_id=invoice.student_id).values_list(
        "guardian_id", flat=True
    )
    return (str(invoice.student_id), *(str(guardian) for guardian in guardians))


def _publish(type_: EventType, invoice: Invoice, data: dict, actor_id=None) -> None:
    event_publish(
        Event(
            type=type_,
            school_id=str(invoice.school_id),
            data={
                "invoice_id": str(invoice.pk),
                "student_id": str(invoice.student_id),
                "currency": invoice.currency,
                **data,
            },
            user_ids=_people(invoice),
            actor_id=actor_id,
        )
    )


def invoice_issued(invoice: Invoice) -> None:
    _publish(
        EventType.INVOICE_ISSUED,
        invoice,
        {"title": invoice.title, "amount": str(invoice.balance), "due_date": str(invoice.due_date)},
    )


def payment_received(payment: Payment, invoice: Invoice) -> None:
    data = {
        "payment_id": str(payment.pk),
        "amount": str(payment.amount),
        "receipt_number": payment.receipt_number,
        "balance_after": str(payment.balance_after),
    }
    _publish(EventType.PAYMENT_RECEIVED, invoice, data, actor_id=payment.recorded_by_id)


def fee_due(invoice: Invoice, *, kind: str) -> None:
    data = {"kind": kind, "balance": str(invoice.balance), "due_date": str(invoice.due_date)}
    _publish(EventType.FEE_DUE, invoice, data)


def send_reminder(*, recipients: list[str], subject: str, body: str) -> int:
    """Send one reminder; returns how many messages went out."""
    if not recipients:
        return 0
    return send_mail(subject, body, None, recipients, fail_silently=False)
