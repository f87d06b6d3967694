"""Demo fees: fee heads, a three-installment plan, a structure per class applied to its students,
a sibling discount, a late fine rule, and one paid invoice with its receipt (``student1``'s first
installment).

Idempotent: setup rows are looked up by natural keys, applying a structure again invoices no one
twice, and the demo payment carries a fixed ``Idempotency-Key``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tqdm import tqdm

from apps.attendance.services import school_today
from apps.fees.models import (
    DiscountRule,
    FeeHead,
    FeeSettings,
    FeeStructure,
    FeeStructureLine,
    Installment,
    InstallmentPlan,
    Invoice,
    LateFineRule,
    Payment,
)
from apps.fees.services.invoices import structure_apply
from apps.fees.services.payments import payment_record
from apps.users.demo import ACADEMIC_YEAR
from apps.users.models import User

DEMO_PAYMENT_KEY = "demo-student1-first-installment"

HEADS = [("Tuition", "TUI", Decimal("4500.00")), ("Transport", "TRN", Decimal("900.00")),
         ("Exams", "EXM", Decimal("300.00"))]  # fmt: skip
# (name, share of the year's fees in percent, days from today to the due date)
INSTALLMENTS = [("Autumn term", Decimal("40"), -20), ("Spring term", Decimal("30"), 60),
                ("Summer term", Decimal("30"), 150)]  # fmt: skip


def seed(context, *, progress: bool) -> None:
    school = context.school
    today = school_today(school)
    FeeSettings.objects.get_or_create(school=school, defaults={"currency": "GBP"})
    heads = [
        (
            FeeHead.objects.get_or_create(school=school, code=code, defaults={"name": name})[0],
            amount,
        )
        for name, code, amount in HEADS
    ]
    plan, created = InstallmentPlan.objects.get_or_create(school=school, name="Three terms")
    if created:
        for sequence, (name, percent, days) in enumerate(INSTALLMENTS, start=1):
            Installment.objects.create(
                school=school, plan=plan, sequence=sequence, name=name, value=percent,
                due_date=today + timedelta(days=days),
            )  # fmt: skip
    DiscountRule.objects.get_or_create(
        school=school, kind=DiscountRule.Kind.SIBLING, defaults={"name": "Sibling", "percent": 10}
    )
    LateFineRule.objects.get_or_create(
        school=school, name="Late payment",
        defaults={"kind": LateFineRule.Kind.PER_DAY, "amount": Decimal("2.00"),
                  "cap": Decimal("30.00"), "grace_days": 7},
    )  # fmt: skip
    for school_class in tqdm(context.classes, desc="fees", disable=not progress, unit="class"):
        structure, created = FeeStructure.objects.get_or_create(
            school=school, school_class=school_class, academic_year=ACADEMIC_YEAR,
            name=f"Fees {school_class.grade}-{school_class.section}", defaults={"plan": plan},
        )  # fmt: skip
        for head, amount in heads:
            FeeStructureLine.objects.get_or_create(
                school=school, structure=structure, head=head, defaults={"amount": amount}
            )
        structure_apply(structure=structure, today=today)
    invoice = (
        Invoice.objects.filter(student__username="student1", school=school)
        .order_by("due_date")
        .first()
    )
    paid = Payment.objects.filter(school=school, idempotency_key=DEMO_PAYMENT_KEY).exists()
    if invoice is not None and not paid and invoice.balance > 0:
        payment_record(
            invoice_id=invoice.pk, amount=invoice.balance, method="cash",
            recorded_by=User.objects.filter(username="admin").first(),
            idempotency_key=DEMO_PAYMENT_KEY,
        )  # fmt: skip
