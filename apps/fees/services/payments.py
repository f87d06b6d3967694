"""Payments and refunds: cash, bank and cheque entries by staff, online payments through a
gateway, refunds; each with the invoice's totals and a gap-free receipt number in one transaction.

Payments are ``write_through`` in the write buffer: money must be right the moment it is
acknowledged (the receipt number, the new balance, the overpayment check all read the rows just
written), so a payment is in PostgreSQL before the request returns.

Lock order, everywhere: the invoice row, then the school's receipt sequence. A payment, a refund,
a late fine and a webhook on one invoice therefore run one after another, never interleaved.
"""

from __future__ import annotations

import secrets
import uuid
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.fees import notify
from apps.fees.gateways import GatewayEvent as WebhookEvent
from apps.fees.gateways import get_gateway
from apps.fees.models import (
    GatewayEvent,
    Invoice,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ReceiptSequence,
    Refund,
)
from apps.fees.money import ZERO, check_amount
from apps.fees.services.invoices import (
    TOTAL_FIELDS,
    _check_open,
    fee_settings_for,
    invoice_settle_status,
    lock_invoice,
)
from apps.users.models import User
from apps.writebuffer.services import buffered_save

STAFF_METHODS = {PaymentMethod.CASH, PaymentMethod.BANK, PaymentMethod.CHEQUE}
MAX_KEY_LENGTH = 255


def _check_key(idempotency_key: str | None, *, required: bool) -> str | None:
    key = (idempotency_key or "").strip()
    if not key:
        if required:
            raise ApplicationError(
                "Send an Idempotency-Key header so the payment can be retried safely.",
                code="idempotency_key_required",
                fields={"Idempotency-Key": ["Required."]},
            )
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise ApplicationError(
            "The Idempotency-Key is too long.",
            fields={"Idempotency-Key": [f"At most {MAX_KEY_LENGTH} characters."]},
        )
    return key


def _replayed_payment(
    *, school_id: uuid.UUID, key: str | None, invoice_id: uuid.UUID, amount: Decimal
) -> Payment | None:
    """The payment an earlier request with this key made, if any. A key reused for another
    invoice or amount is an error, not a silent replay of something the client did not ask."""
    if key is None:
        return None
    existing = Payment.objects.filter(school_id=school_id, idempotency_key=key).first()
    if existing is None:
        return None
    if existing.invoice_id != invoice_id or existing.amount != amount:
        raise ApplicationError(
            "This Idempotency-Key was used for another payment.",
            code="idempotency_key_reused",
            status_code=409,
        )
    return existing


def next_receipt_number(school_id: uuid.UUID) -> int:
    """The school's next receipt number. Must run inside the payment's transaction: the row
    lock serialises concurrent payments, and a rollback returns the number, so there are no gaps.
    """
    ReceiptSequence.objects.bulk_create(
        [ReceiptSequence(school_id=school_id)], ignore_conflicts=True
    )
    sequence = ReceiptSequence.objects.select_for_update().get(school_id=school_id)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def _check_not_overpaid(invoice: Invoice, amount: Decimal, *, allow_credit: bool) -> None:
    if amount > invoice.balance and not allow_credit:
        raise ApplicationError(
            f"This is more than the {max(invoice.balance, ZERO)} still owed, and the school does "
            "not keep overpayments as credit.",
            code="overpayment",
            fields={"amount": [f"At most {max(invoice.balance, ZERO)}."]},
        )


def _lock_for_payment(
    invoice_id: uuid.UUID, amount: object, key: str | None
) -> tuple[Invoice, Decimal, Payment | None]:
    """Lock the invoice and check a new payment on it: (invoice, amount, the payment an earlier
    request with ``key`` made, if any). A replay is answered before the invoice's state is
    checked: the first request's payment stands even if the invoice is settled by now."""
    invoice = lock_invoice(invoice_id)
    settings = fee_settings_for(invoice.school_id)
    value = check_amount(amount, decimals=settings.currency_decimals)
    replayed = _replayed_payment(
        school_id=invoice.school_id, key=key, invoice_id=invoice.pk, amount=value
    )
    if replayed is None:
        _check_open(invoice)
        _check_not_overpaid(invoice, value, allow_credit=settings.allow_credit)
    return invoice, value, replayed


def _receive(invoice: Invoice, payment: Payment) -> None:
    """Book a succeeded payment: receipt number, invoice totals, status, balance after."""
    payment.status = PaymentStatus.SUCCEEDED
    payment.paid_at = timezone.now()
    payment.receipt_number = next_receipt_number(invoice.school_id)
    invoice.paid_total += payment.amount
    invoice_settle_status(invoice)
    invoice.save(update_fields=TOTAL_FIELDS)
    payment.balance_after = invoice.balance
    buffered_save(payment)
    notify.payment_received(payment, invoice)


def payment_record(
    *,
    invoice_id: uuid.UUID,
    amount: object,
    method: str,
    recorded_by: User | None,
    idempotency_key: str | None,
    reference: str = "",
) -> tuple[Payment, bool]:
    """Record money received by staff. Returns the payment and whether it is new: the same
    ``idempotency_key`` again returns the first payment and charges nothing, also when the two
    requests race (the invoice lock orders them; the unique key catches a race across invoices).
    """
    key = _check_key(idempotency_key, required=True)
    if method not in STAFF_METHODS:
        raise ApplicationError(
            "Unknown payment method.",
            fields={"method": [f"One of: {', '.join(sorted(STAFF_METHODS))}."]},
        )
    try:
        with transaction.atomic():
            invoice, value, replayed = _lock_for_payment(invoice_id, amount, key)
            if replayed is not None:
                return replayed, False
            payment = Payment(
                school_id=invoice.school_id, invoice=invoice, student_id=invoice.student_id,
                amount=value, method=method, status=PaymentStatus.PENDING, idempotency_key=key,
                reference=reference[:100], recorded_by=recorded_by, created_at=timezone.now(),
            )  # fmt: skip
            _receive(invoice, payment)
            return payment, True
    except IntegrityError:
        # The same key committed by a request on another invoice between our check and insert.
        invoice = Invoice.objects.get(pk=invoice_id)
        decimals = fee_settings_for(invoice.school_id).currency_decimals
        replayed = _replayed_payment(
            school_id=invoice.school_id, key=key, invoice_id=invoice.pk,
            amount=check_amount(amount, decimals=decimals),
        )  # fmt: skip
        if replayed is None:
            raise
        return replayed, False


def refund_create(
    *,
    payment_id: uuid.UUID,
    amount: object,
    reason: str,
    refunded_by: User | None,
    idempotency_key: str | None = None,
) -> tuple[Refund, bool]:
    """Give back (part of) a payment. Never more than what is left of it after earlier refunds."""
    key = _check_key(idempotency_key, required=False)
    if not reason.strip():
        raise ApplicationError("Say why the money is refunded.", fields={"reason": ["Required."]})
    payment = Payment.objects.get(pk=payment_id)
    with transaction.atomic():
        invoice = lock_invoice(payment.invoice_id)
        payment = Payment.objects.get(pk=payment_id)
        value = check_amount(amount, decimals=fee_settings_for(invoice.school_id).currency_decimals)
        if key is not None:
            existing = Refund.objects.filter(
                school_id=invoice.school_id, idempotency_key=key
            ).first()
            if existing is not None:
                if existing.payment_id != payment.pk or existing.amount != value:
                    raise ApplicationError(
                        "This Idempotency-Key was used for another refund.",
                        code="idempotency_key_reused",
                        status_code=409,
                    )
                return existing, False
        if payment.status != PaymentStatus.SUCCEEDED:
            raise ApplicationError(
                "Only a received payment can be refunded.", code="payment_not_received",
                status_code=409,
            )  # fmt: skip
        refunded = payment.refunds.aggregate(total=Sum("amount"))["total"] or ZERO
        if value > payment.amount - refunded:
            raise ApplicationError(
                "A refund cannot be more than what is left of the payment.",
                code="refund_exceeds_payment",
                fields={"amount": [f"At most {payment.amount - refunded}."]},
            )
        refund = Refund(
            school_id=invoice.school_id, payment=payment, invoice=invoice, amount=value,
            reason=reason.strip()[:200], idempotency_key=key, refunded_by=refunded_by,
        )  # fmt: skip
        refund.save(force_insert=True)
        invoice.refunded_total += value
        invoice_settle_status(invoice)
        invoice.save(update_fields=TOTAL_FIELDS)
    return refund, True


# --- online payments ------------------------------------------------------------------------
def checkout_start(
    *,
    invoice_id: uuid.UUID,
    amount: object,
    gateway_name: str,
    started_by: User,
    idempotency_key: str | None = None,
) -> tuple[Payment, str]:
    """Start paying online: a pending payment and the gateway's checkout URL. Nothing is
    booked until the gateway's signed webhook says the money was taken."""
    gateway = get_gateway(gateway_name)
    key = _check_key(idempotency_key, required=False)
    with transaction.atomic():
        invoice, value, replayed = _lock_for_payment(invoice_id, amount, key)
        if replayed is not None:
            return replayed, gateway.checkout_url(replayed)
        payment = Payment(
            school_id=invoice.school_id, invoice=invoice, student_id=invoice.student_id,
            amount=value, method=PaymentMethod.ONLINE, status=PaymentStatus.PENDING,
            idempotency_key=key, gateway=gateway.name,
            gateway_reference=secrets.token_urlsafe(24), recorded_by=started_by,
            created_at=timezone.now(),
        )  # fmt: skip
        buffered_save(payment)
    return payment, gateway.checkout_url(payment)


def gateway_event_apply(*, gateway_name: str, event: WebhookEvent) -> Payment:
    """Apply a verified webhook event. An event id seen before is a replay: refused, and nothing
    changes (the event row and the payment commit together, so a crash cannot half-apply it)."""
    payment = Payment.objects.filter(
        gateway=gateway_name, gateway_reference=event.reference
    ).first()
    if payment is None:
        raise ApplicationError(
            "Unknown payment reference.", code="unknown_reference", status_code=404
        )
    try:
        with transaction.atomic():
            GatewayEvent.objects.create(gateway=gateway_name, event_id=event.event_id)
            invoice = lock_invoice(payment.invoice_id)
            payment = Payment.objects.get(pk=payment.pk)
            if payment.status != PaymentStatus.PENDING:
                return payment  # a later event about a settled payment changes nothing
            if event.amount != payment.amount:
                raise ApplicationError(
                    "The amount does not match the checkout.", code="amount_mismatch"
                )
            if not event.succeeded:
                payment.status = PaymentStatus.FAILED
                buffered_save(payment)
                return payment
            # The gateway has the money whatever happened meanwhile (a cash payment of the
            # same invoice, a cancellation): it is booked, and any excess shows as credit
            # for staff to refund, rather than being lost.
            _receive(invoice, payment)
            return payment
    except IntegrityError:
        raise ApplicationError(
            "This event was already processed.", code="replayed_event", status_code=409
        ) from None
