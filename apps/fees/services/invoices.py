"""Invoices: created from fee structures (also for students enrolled later), discounted by rule or
by hand, fined when late, cancelled.

Every change to an invoice's amounts locks the invoice row (``SELECT ... FOR UPDATE``) and updates
its running totals in the same transaction as the line, so concurrent writers (a payment, the
daily fine task) see each other's effect and the totals always equal the sum of the lines.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import ExpressionWrapper, F, QuerySet, Sum
from django.utils import timezone

from apps.attendance.services import school_today
from apps.core.errors import ApplicationError
from apps.fees import notify
from apps.fees.models import (
    DiscountRule,
    FeeSettings,
    FeeStructure,
    Installment,
    InstallmentPlan,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LateFineRule,
    StudentFeeProfile,
    money_field,
)
from apps.fees.money import ZERO, check_amount, round_money
from apps.users.models import Enrolment, GuardianLink, School, User


def fee_settings_for(school_id: uuid.UUID) -> FeeSettings:
    """A school's fee settings; a school that never set them gets the defaults."""
    settings = FeeSettings.objects.filter(school_id=school_id).first()
    return settings or FeeSettings(school_id=school_id)


def open_balance_expression() -> ExpressionWrapper:
    return ExpressionWrapper(
        F("charges_total")
        - F("discounts_total")
        + F("fines_total")
        - F("paid_total")
        + F("refunded_total"),
        output_field=money_field(),
    )


def invoice_settle_status(invoice: Invoice) -> None:
    """Derive the status from the amounts (a draft stays a draft until issued)."""
    if invoice.status == InvoiceStatus.DRAFT:
        return
    if invoice.status in (InvoiceStatus.CANCELLED, InvoiceStatus.REFUNDED):
        everything_back = invoice.refunded_total > ZERO and invoice.net_paid == ZERO
        invoice.status = InvoiceStatus.REFUNDED if everything_back else InvoiceStatus.CANCELLED
        return
    if invoice.balance <= ZERO and invoice.charges_total > ZERO:
        invoice.status = InvoiceStatus.PAID
    elif invoice.net_paid > ZERO:
        invoice.status = InvoiceStatus.PARTLY_PAID
    elif invoice.refunded_total > ZERO:
        invoice.status = InvoiceStatus.REFUNDED
    else:
        invoice.status = InvoiceStatus.ISSUED


TOTAL_FIELDS = [
    "charges_total",
    "discounts_total",
    "fines_total",
    "paid_total",
    "refunded_total",
    "status",
]


def lock_invoice(invoice_id: uuid.UUID) -> Invoice:
    return Invoice.objects.select_for_update().get(pk=invoice_id)


# --- from structures ------------------------------------------------------------------------
def installment_amounts(*, plan: InstallmentPlan, total: Decimal, decimals: int) -> list[Decimal]:
    """Split ``total`` over the plan's installments; the last takes the rounding remainder, so
    the parts always add up to the total."""
    installments = list(plan.installments.all())
    if not installments:
        raise ApplicationError(f"The plan {plan} has no installments.", code="plan_empty")
    values = [installment.value for installment in installments]
    if plan.split == InstallmentPlan.Split.PERCENT:
        if sum(values) != Decimal(100):
            raise ApplicationError(
                f"The plan {plan}'s percentages add up to {sum(values)}, not 100.",
                code="plan_invalid",
            )
        parts = [round_money(total * value / 100, decimals) for value in values[:-1]]
    else:
        if sum(values) != total:
            raise ApplicationError(
                f"The plan {plan}'s amounts add up to {sum(values)}, not the structure's {total}.",
                code="plan_invalid",
            )
        parts = values[:-1]
    return [*parts, total - sum(parts, ZERO)]


def split_heads(
    *, head_amounts: list[Decimal], parts: list[Decimal], decimals: int
) -> list[list[Decimal]]:
    """A table [installment][head] of amounts whose rows add up to ``parts`` and whose columns
    add up to ``head_amounts`` exactly: each cell is its head's share, rounded, with each
    row's last head and the last row taking the rounding remainders."""
    total = sum(head_amounts, ZERO)
    table: list[list[Decimal]] = []
    for part in parts[:-1]:
        row = [round_money(amount * part / total, decimals) for amount in head_amounts[:-1]]
        table.append([*row, part - sum(row, ZERO)])
    paid_per_head = [sum((row[j] for row in table), ZERO) for j in range(len(head_amounts))]
    table.append([amount - paid for amount, paid in zip(head_amounts, paid_per_head, strict=True)])
    if any(cell < ZERO for row in table for cell in row):
        raise ApplicationError("The plan cannot split these heads evenly.", code="plan_invalid")
    return table


def students_for_structure(structure: FeeStructure) -> QuerySet[User]:
    students = User.objects.filter(
        enrolments__school_class_id=structure.school_class_id, school_id=structure.school_id
    )
    if structure.category:
        students = students.filter(fee_profile__category=structure.category)
    return students.order_by("date_joined", "id")


def structure_apply(*, structure: FeeStructure, today: datetime.date | None = None) -> int:
    """Invoice every student of the structure's class (and category) who has not been invoiced
    by it yet. Returns how many invoices were created. Safe to run again at any time: it is
    also how students enrolled later get their invoices (``tasks.invoice_new_enrolments``)."""
    school = structure.school
    today = today or school_today(school)
    lines = list(structure.lines.select_related("head"))
    if not lines:
        raise ApplicationError("The structure has no lines.", code="structure_empty")
    settings = fee_settings_for(school.pk)
    decimals = settings.currency_decimals
    installments = list(structure.plan.installments.all())
    parts = installment_amounts(
        plan=structure.plan, total=sum((line.amount for line in lines), ZERO), decimals=decimals
    )
    table = split_heads(
        head_amounts=[line.amount for line in lines], parts=parts, decimals=decimals
    )
    invoiced = set(
        Invoice.objects.filter(structure=structure).values_list("student_id", "installment_id")
    )
    created = 0
    for student in students_for_structure(structure):
        missing = [
            (installment, row)
            for installment, row in zip(installments, table, strict=True)
            if (student.pk, installment.pk) not in invoiced
        ]
        if missing:
            created += _invoice_student(
                structure=structure, student=student, missing=missing, settings=settings,
                today=today,
            )  # fmt: skip
    if structure.applied_at is None:
        structure.applied_at = timezone.now()
        structure.save(update_fields=["applied_at"])
    return created


def _invoice_student(
    *,
    structure: FeeStructure,
    student: User,
    missing: list[tuple[Installment, list[Decimal]]],
    settings: FeeSettings,
    today: datetime.date,
) -> int:
    lines = list(structure.lines.select_related("head"))
    rules = discount_rules_for(student=student, school_id=structure.school_id)
    created: list[Invoice] = []
    try:
        with transaction.atomic():
            for installment, row in missing:
                invoice = Invoice(
                    school_id=structure.school_id,
                    student=student,
                    school_class_id=structure.school_class_id,
                    structure=structure,
                    installment=installment,
                    title=f"{structure.name}: {installment.name}",
                    currency=settings.currency,
                    status=InvoiceStatus.ISSUED,
                    issued_on=today,
                    # A student enrolled after a due date gets time to pay, not an instant fine.
                    due_date=max(installment.due_date, today),
                )
                invoice.save(force_insert=True)
                charges = [
                    InvoiceLine(
                        school_id=structure.school_id,
                        invoice=invoice,
                        kind=InvoiceLine.Kind.CHARGE,
                        head=line.head,
                        description=line.head.name,
                        amount=amount,
                    )  # fmt: skip
                    for line, amount in zip(lines, row, strict=True)
                    if amount > ZERO
                ]
                InvoiceLine.objects.bulk_create(charges)
                invoice.charges_total = sum((line.amount for line in charges), ZERO)
                _apply_discount_rules(invoice, rules, settings.currency_decimals)
                invoice_settle_status(invoice)
                invoice.save(update_fields=TOTAL_FIELDS)
                created.append(invoice)
    except IntegrityError:
        # Another run (the task and an admin's "apply" at once) invoiced this student first.
        return 0
    for invoice in created:
        notify.invoice_issued(invoice)
    return len(created)


def discount_rules_for(*, student: User, school_id: uuid.UUID) -> list[DiscountRule]:
    """The discount rules that apply to a student now."""
    profile = StudentFeeProfile.objects.filter(student=student).first()
    applies = {
        DiscountRule.Kind.STAFF_CHILD: lambda rule: bool(profile and profile.staff_child),
        DiscountRule.Kind.CATEGORY: lambda rule: bool(
            profile and profile.category == rule.category
        ),
        DiscountRule.Kind.SIBLING: lambda rule: is_younger_sibling(student),
    }
    rules = DiscountRule.objects.filter(school_id=school_id, is_active=True)
    applicable = [rule for rule in rules if applies[rule.kind](rule)]
    return applicable


def is_younger_sibling(student: User) -> bool:
    """Whether an earlier-registered student of the school shares a guardian with ``student``
    (the first child pays in full, every later one gets the sibling discount)."""
    guardians = GuardianLink.objects.filter(student=student).values("guardian_id")
    siblings = User.objects.filter(
        guardian_links__guardian_id__in=guardians,
        school_id=student.school_id,
        pk__in=Enrolment.objects.values("student_id"),
    ).exclude(pk=student.pk)
    return (
        siblings.filter(date_joined__lt=student.date_joined).exists()
        or siblings.filter(date_joined=student.date_joined, pk__lt=student.pk).exists()
    )


def _apply_discount_rules(invoice: Invoice, rules: Iterable[DiscountRule], decimals: int) -> None:
    for rule in rules:
        room = invoice.charges_total - invoice.discounts_total
        amount = min(round_money(invoice.charges_total * rule.percent / 100, decimals), room)
        if amount <= ZERO:
            continue
        InvoiceLine.objects.create(
            school_id=invoice.school_id, invoice=invoice, kind=InvoiceLine.Kind.DISCOUNT,
            description=rule.name, amount=amount, discount_rule=rule,
        )  # fmt: skip
        invoice.discounts_total += amount


# --- by hand --------------------------------------------------------------------------------
def invoice_create(
    *,
    student: User,
    title: str,
    due_date: datetime.date,
    charges: list[tuple[str, Decimal]],
    created_by: User | None = None,
) -> Invoice:
    """A one-off invoice (a trip, a lost book) with (description, amount) charge lines."""
    school = student.school
    if school is None:
        raise ApplicationError(
            "Only a school's students are invoiced.", fields={"student": ["No school."]}
        )
    settings = fee_settings_for(school.pk)
    if not charges:
        raise ApplicationError(
            "An invoice needs at least one charge.", fields={"lines": ["Required."]}
        )
    amounts = [check_amount(amount, decimals=settings.currency_decimals) for _, amount in charges]
    with transaction.atomic():
        invoice = Invoice(
            school=school, student=student, title=title, currency=settings.currency,
            issued_on=school_today(school), due_date=due_date,
            charges_total=sum(amounts, ZERO),
        )  # fmt: skip
        invoice.full_clean()
        invoice.save(force_insert=True)
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                school_id=invoice.school_id,
                invoice=invoice,
                kind=InvoiceLine.Kind.CHARGE,
                description=description,
                amount=amount,
                created_by=created_by,
            )  # fmt: skip
            for (description, _), amount in zip(charges, amounts, strict=True)
        )
        notify.invoice_issued(invoice)
    return invoice


def invoice_discount_add(
    *, invoice_id: uuid.UUID, amount: object, reason: str, given_by: User | None
) -> InvoiceLine:
    """A discount by hand, with a reason. It may not discount more than was charged, nor (unless
    the school keeps credit) take the balance below zero."""
    if not reason.strip():
        raise ApplicationError("Say why the discount is given.", fields={"reason": ["Required."]})
    with transaction.atomic():
        invoice = lock_invoice(invoice_id)
        settings = fee_settings_for(invoice.school_id)
        value = check_amount(amount, decimals=settings.currency_decimals)
        _check_open(invoice)
        if value > invoice.charges_total - invoice.discounts_total:
            raise ApplicationError(
                "A discount cannot be more than what is left of the charges.",
                code="discount_too_large",
                fields={"amount": [f"At most {invoice.charges_total - invoice.discounts_total}."]},
            )
        if value > invoice.balance and not settings.allow_credit:
            raise ApplicationError(
                "This discount would leave the invoice in credit, which the school does not keep.",
                code="discount_too_large",
                fields={"amount": [f"At most {max(invoice.balance, ZERO)}."]},
            )
        line = InvoiceLine.objects.create(
            school_id=invoice.school_id, invoice=invoice, kind=InvoiceLine.Kind.DISCOUNT,
            description=f"Discount: {reason.strip()}"[:200], reason=reason.strip()[:200],
            amount=value, created_by=given_by,
        )  # fmt: skip
        invoice.discounts_total += value
        invoice_settle_status(invoice)
        invoice.save(update_fields=TOTAL_FIELDS)
    return line


def invoice_cancel(*, invoice_id: uuid.UUID) -> Invoice:
    """Cancel an invoice: nothing more is charged or paid on it; what was paid can be refunded."""
    with transaction.atomic():
        invoice = lock_invoice(invoice_id)
        if invoice.status in (InvoiceStatus.CANCELLED, InvoiceStatus.REFUNDED):
            return invoice
        invoice.status = InvoiceStatus.CANCELLED
        invoice_settle_status(invoice)
        invoice.save(update_fields=["status"])
    return invoice


def _check_open(invoice: Invoice) -> None:
    if invoice.status in (InvoiceStatus.CANCELLED, InvoiceStatus.REFUNDED):
        raise ApplicationError(
            "The invoice is cancelled.", code="invoice_cancelled", status_code=409
        )
    if invoice.status == InvoiceStatus.DRAFT:
        raise ApplicationError(
            "The invoice is a draft; issue it first.", code="invoice_draft", status_code=409
        )


# --- late fines -----------------------------------------------------------------------------
def fine_due(*, rule: LateFineRule, days_late: int) -> Decimal:
    """What ``rule`` charges in all for an invoice ``days_late`` days past its grace period."""
    if days_late <= 0:
        return ZERO
    total = rule.amount if rule.kind == LateFineRule.Kind.FIXED else rule.amount * days_late
    return min(total, rule.cap) if rule.cap is not None else total


def fines_apply(*, school: School, today: datetime.date | None = None) -> int:
    """Charge each overdue invoice what the school's fine rules say is due by ``today``, less
    what they already charged. Running it again the same day charges nothing more: each rule
    adds at most one line per invoice and day (a unique constraint), and the amount is always
    "due in all minus charged so far", computed under the invoice's lock."""
    today = today or school_today(school)
    rules = list(LateFineRule.objects.filter(school=school, is_active=True))
    if not rules:
        return 0
    earliest_grace = min(rule.grace_days for rule in rules)
    candidates = (
        Invoice.objects.filter(
            school=school,
            status__in=[InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID],
            due_date__lt=today - datetime.timedelta(days=earliest_grace),
        )
        .alias(open_balance=open_balance_expression())
        .filter(open_balance__gt=0)
        .values_list("pk", flat=True)
    )
    charged = 0
    for invoice_id in list(candidates):
        charged += _fine_invoice(invoice_id=invoice_id, rules=rules, today=today)
    return charged


def _fine_invoice(*, invoice_id: uuid.UUID, rules: list[LateFineRule], today: datetime.date) -> int:
    added = 0
    with transaction.atomic():
        invoice = lock_invoice(invoice_id)
        if invoice.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID):
            return 0
        if invoice.balance <= ZERO:
            return 0
        so_far = dict(
            InvoiceLine.objects.filter(invoice=invoice, kind=InvoiceLine.Kind.FINE)
            .values("fine_rule_id")
            .annotate(total=Sum("amount"))
            .values_list("fine_rule_id", "total")
        )
        for rule in rules:
            days_late = (today - invoice.due_date).days - rule.grace_days
            amount = fine_due(rule=rule, days_late=days_late) - so_far.get(rule.pk, ZERO)
            if amount <= ZERO:
                continue
            if InvoiceLine.objects.filter(
                invoice=invoice, fine_rule=rule, fine_date=today
            ).exists():
                continue
            InvoiceLine.objects.create(
                school_id=invoice.school_id, invoice=invoice, kind=InvoiceLine.Kind.FINE,
                description=f"{rule.name} ({days_late} days late)", amount=amount,
                fine_rule=rule, fine_date=today,
            )  # fmt: skip
            invoice.fines_total += amount
            added += 1
        if added:
            invoice_settle_status(invoice)
            invoice.save(update_fields=TOTAL_FIELDS)
    return added


def invoice_fine_add(*, invoice_id: uuid.UUID, amount: object, reason: str) -> InvoiceLine:
    """A fine by hand (the property test and the admin use it)."""
    with transaction.atomic():
        invoice = lock_invoice(invoice_id)
        value = check_amount(amount, decimals=fee_settings_for(invoice.school_id).currency_decimals)
        _check_open(invoice)
        line = InvoiceLine.objects.create(
            school_id=invoice.school_id, invoice=invoice, kind=InvoiceLine.Kind.FINE,
            description=reason or "Fine", amount=value,
        )  # fmt: skip
        invoice.fines_total += value
        invoice_settle_status(invoice)
        invoice.save(update_fields=TOTAL_FIELDS)
    return line
