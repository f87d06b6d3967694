"""Reads of invoices, payments, receipts and fee reports, scoped to the caller.

Students see their own invoices, guardians their children's, school admins their school's;
teachers see none. ``access_*`` functions fetch one object and check the caller may see it;
anything outside their scope, another school's ids included, is a 404 so existence never leaks.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, QuerySet, Sum
from django.db.models.functions import TruncMonth

from apps.core.errors import ApplicationError, not_found
from apps.core.replicas import lag_tolerant
from apps.fees.models import Invoice, InvoiceLine, InvoiceStatus, Payment, PaymentStatus, Refund
from apps.fees.money import ZERO, round_money
from apps.fees.services.invoices import fee_settings_for
from apps.users.models import Role, School, User


def is_fee_staff(user: User) -> bool:
    return user.is_superuser or user.role == Role.SCHOOL_ADMIN


def invoices_visible_to(user: User) -> QuerySet[Invoice]:
    invoices = Invoice.objects.for_user(user)
    if is_fee_staff(user):
        return invoices
    if user.role == Role.STUDENT:
        return invoices.filter(student=user)
    if user.role == Role.GUARDIAN:
        return invoices.filter(student__guardian_links__guardian=user)
    return invoices.none()


def invoice_list(
    *, user: User, student_id: uuid.UUID | None = None, status: str | None = None
) -> QuerySet[Invoice]:
    invoices = invoices_visible_to(user).select_related("student", "school_class")
    if student_id is not None:
        invoices = invoices.filter(student_id=student_id)
    if status:
        invoices = invoices.filter(status=status)
    return invoices.order_by("due_date", "title", "id")


def access_invoice(*, user: User, invoice_id: uuid.UUID) -> Invoice:
    invoice = (
        invoices_visible_to(user)
        .select_related("student", "school_class", "school")
        .prefetch_related(
            Prefetch("lines", queryset=InvoiceLine.objects.select_related("head")),
            Prefetch(
                "payments",
                queryset=Payment.objects.exclude(status=PaymentStatus.FAILED).order_by(
                    "created_at"
                ),
            ),
            Prefetch("refunds", queryset=Refund.objects.order_by("created_at")),
        )
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise not_found("Invoice")
    return invoice


def access_payment(*, user: User, payment_id: uuid.UUID) -> Payment:
    payment = (
        Payment.objects.filter(invoice__in=invoices_visible_to(user), pk=payment_id)
        .select_related("invoice", "invoice__school", "student", "invoice__school_class")
        .first()
    )
    if payment is None:
        raise not_found("Payment")
    return payment


@dataclass(frozen=True)
class Receipt:
    school: School
    payment: Payment
    invoice: Invoice
    lines: list[InvoiceLine]
    paid_before: Decimal
    currency_decimals: int


def receipt_for(*, payment: Payment) -> Receipt:
    if payment.receipt_number is None:
        raise ApplicationError(
            "This payment has not been received, so it has no receipt.",
            code="no_receipt",
            status_code=409,
        )
    invoice = payment.invoice
    earlier = Payment.objects.filter(
        invoice=invoice, status=PaymentStatus.SUCCEEDED, receipt_number__lt=payment.receipt_number
    ).aggregate(total=Sum("amount"))["total"]
    return Receipt(
        school=invoice.school,
        payment=payment,
        invoice=invoice,
        lines=list(invoice.lines.select_related("head").order_by("created_at", "kind")),
        paid_before=earlier or ZERO,
        currency_decimals=fee_settings_for(invoice.school_id).currency_decimals,
    )


# --- reports --------------------------------------------------------------------------------
REPORT_KINDS = ("class", "head", "period")


@dataclass(frozen=True)
class ReportRow:
    key: str
    invoiced: Decimal
    collected: Decimal
    outstanding: Decimal
    invoices: int


def _billable(user: User, school_id: uuid.UUID | None) -> QuerySet[Invoice]:
    invoices = Invoice.objects.for_user(user).exclude(
        status__in=[InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED]
    )
    return invoices.filter(school_id=school_id) if school_id else invoices


@lag_tolerant
def fee_report(
    *,
    user: User,
    by: str,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> list[ReportRow]:
    """Invoiced (charges - discounts + fines), collected (paid - refunded) and outstanding
    amounts per class, per fee head or per month of the due date; the rows add up to the
    school's totals. ``date_from`` / ``date_to`` limit by due date.

    Served by a read replica when one is usable (``lag_tolerant``): invoices and their totals
    are written through to PostgreSQL, never buffered, and a report may be a few seconds old;
    a request that has just written reads from the primary."""
    if by not in REPORT_KINDS:
        raise ApplicationError(
            "Unknown report.", fields={"by": [f"One of: {', '.join(REPORT_KINDS)}."]}
        )
    invoices = _billable(user, None)
    if date_from:
        invoices = invoices.filter(due_date__gte=date_from)
    if date_to:
        invoices = invoices.filter(due_date__lte=date_to)
    if by == "head":
        return _report_by_head(invoices)
    grouped: QuerySet[Any, Any]
    if by == "class":
        grouped = invoices.values(
            "school_class__grade", "school_class__section", "school_class__academic_year"
        )
    else:
        grouped = invoices.annotate(month=TruncMonth("due_date")).values("month")
    rows = grouped.annotate(
        charges=Sum("charges_total"),
        discounts=Sum("discounts_total"),
        fines=Sum("fines_total"),
        paid=Sum("paid_total"),
        refunded=Sum("refunded_total"),
        count=Count("id"),
    ).order_by(*grouped.query.values_select)
    result = []
    for row in rows:
        if by == "class":
            key = (
                f"{row['school_class__grade']}-{row['school_class__section']} "
                f"({row['school_class__academic_year']})"
                if row["school_class__grade"] is not None
                else "(no class)"
            )
        else:
            key = f"{row['month']:%Y-%m}"
        invoiced = row["charges"] - row["discounts"] + row["fines"]
        collected = row["paid"] - row["refunded"]
        result.append(ReportRow(key, invoiced, collected, invoiced - collected, row["count"]))
    return result


def _report_by_head(invoices: QuerySet[Invoice]) -> list[ReportRow]:
    """Per fee head. Discounts, fines and payments belong to a whole invoice, so each is spread
    over the invoice's heads in proportion to their charges (fines without heads show as
    "Late fines"); the last head takes the rounding remainder, so rows still add up."""
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    counts: dict[str, set] = defaultdict(set)
    invoices = invoices.prefetch_related(
        Prefetch(
            "lines",
            queryset=InvoiceLine.objects.filter(kind=InvoiceLine.Kind.CHARGE).select_related(
                "head"
            ),
        )
    )
    for invoice in invoices:
        heads = [
            (line.head.name if line.head else line.description, line.amount)
            for line in invoice.lines.all()
        ]
        charges = invoice.charges_total
        net_collected = invoice.paid_total - invoice.refunded_total
        # Payments settle fines first (they are the latest and the most pressing), then charges.
        to_fines = min(net_collected, invoice.fines_total) if invoice.fines_total else ZERO
        if invoice.fines_total:
            totals["Late fines"][0] += invoice.fines_total
            totals["Late fines"][1] += to_fines
            counts["Late fines"].add(invoice.pk)
        rest = [invoice.discounts_total, net_collected - to_fines]
        for index, (name, amount) in enumerate(heads):
            last = index == len(heads) - 1
            shares = [
                part - sum((_share(part, a, charges) for _, a in heads[:-1]), ZERO)
                if last
                else _share(part, amount, charges)
                for part in rest
            ]
            totals[name][0] += amount - shares[0]
            totals[name][1] += shares[1]
            counts[name].add(invoice.pk)
    return [
        ReportRow(name, invoiced, collected, invoiced - collected, len(counts[name]))
        for name, (invoiced, collected) in sorted(totals.items())
    ]


def _share(part: Decimal, amount: Decimal, total: Decimal) -> Decimal:
    return round_money(part * amount / total, 2) if total else ZERO
