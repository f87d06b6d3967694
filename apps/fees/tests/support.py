"""Helpers for fee tests: a class with a two-head, two-installment structure applied."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import cast

from apps.fees.models import FeeStructure, Invoice
from apps.fees.services.invoices import structure_apply
from apps.fees.tests.factories import (
    FeeHeadFactory,
    FeeSettingsFactory,
    FeeStructureFactory,
    FeeStructureLineFactory,
    InstallmentFactory,
    InstallmentPlanFactory,
)
from apps.users.models import User
from apps.users.tests.factories import ClassWorld

TODAY = datetime.date(2026, 6, 1)


def fee_structure(
    world: ClassWorld, *, tuition: str = "9000.00", transport: str = "3000.00"
) -> FeeStructure:
    """Tuition and transport, in two installments (60% due 30 June, 40% due 30 November)."""
    FeeSettingsFactory(school=world.school)
    plan = InstallmentPlanFactory(school=world.school, name="Two terms")
    InstallmentFactory(plan=plan, sequence=1, name="Term 1", value=Decimal("60"),
                       due_date=datetime.date(2026, 6, 30))  # fmt: skip
    InstallmentFactory(plan=plan, sequence=2, name="Term 2", value=Decimal("40"),
                       due_date=datetime.date(2026, 11, 30))  # fmt: skip
    structure = cast(
        FeeStructure,
        FeeStructureFactory(school_class=world.school_class, plan=plan, name="Annual fees"),
    )
    FeeStructureLineFactory(
        structure=structure, head=FeeHeadFactory(school=world.school, name="Tuition", code="TUI"),
        amount=Decimal(tuition),
    )  # fmt: skip
    FeeStructureLineFactory(
        structure=structure,
        head=FeeHeadFactory(school=world.school, name="Transport", code="TRN"),
        amount=Decimal(transport),
    )  # fmt: skip
    return structure


def invoiced_world(world: ClassWorld) -> Invoice:
    """Apply the structure; returns the first student's first installment invoice."""
    structure = fee_structure(world)
    structure_apply(structure=structure, today=TODAY)
    return Invoice.objects.get(student=cast(User, world.student), installment__sequence=1)
