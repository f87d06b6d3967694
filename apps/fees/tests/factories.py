"""factory_boy factories for fee setup and invoices; amounts are Decimal strings, never floats."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory

from apps.fees.models import (
    DiscountRule,
    FeeHead,
    FeeSettings,
    FeeStructure,
    FeeStructureLine,
    Installment,
    InstallmentPlan,
    LateFineRule,
    StudentFeeProfile,
)
from apps.users.tests.factories import SchoolClassFactory, SchoolOwnedFactory, StudentFactory


class FeeSettingsFactory(SchoolOwnedFactory):
    class Meta:
        model = FeeSettings
        django_get_or_create = ("school",)

    currency = "INR"
    currency_decimals = 2
    allow_credit = False


class FeeHeadFactory(SchoolOwnedFactory):
    class Meta:
        model = FeeHead

    name = factory.Sequence(lambda n: f"Head {n}")
    code = factory.Sequence(lambda n: f"H{n}")


class InstallmentPlanFactory(SchoolOwnedFactory):
    class Meta:
        model = InstallmentPlan

    name = factory.Sequence(lambda n: f"Plan {n}")
    split = InstallmentPlan.Split.PERCENT


class InstallmentFactory(SchoolOwnedFactory):
    class Meta:
        model = Installment

    _school_sources = ("plan",)

    plan = factory.SubFactory(InstallmentPlanFactory, school=factory.SelfAttribute("..school"))
    sequence = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Installment {n + 1}")
    due_date = datetime.date(2026, 6, 30)
    value = Decimal("100")


class FeeStructureFactory(SchoolOwnedFactory):
    class Meta:
        model = FeeStructure

    _school_sources = ("school_class", "plan")

    name = factory.Sequence(lambda n: f"Structure {n}")
    academic_year = "2026-27"
    school_class = factory.SubFactory(SchoolClassFactory, school=factory.SelfAttribute("..school"))
    plan = factory.SubFactory(InstallmentPlanFactory, school=factory.SelfAttribute("..school"))


class FeeStructureLineFactory(SchoolOwnedFactory):
    class Meta:
        model = FeeStructureLine

    _school_sources = ("structure", "head")

    structure = factory.SubFactory(FeeStructureFactory, school=factory.SelfAttribute("..school"))
    head = factory.SubFactory(FeeHeadFactory, school=factory.SelfAttribute("..school"))
    amount = Decimal("1000.00")


class StudentFeeProfileFactory(SchoolOwnedFactory):
    class Meta:
        model = StudentFeeProfile

    _school_sources = ("student",)

    student = factory.SubFactory(StudentFactory, school=factory.SelfAttribute("..school"))
    category = ""
    staff_child = False


class DiscountRuleFactory(SchoolOwnedFactory):
    class Meta:
        model = DiscountRule

    name = factory.Sequence(lambda n: f"Discount {n}")
    kind = DiscountRule.Kind.SIBLING
    percent = Decimal("10")


class LateFineRuleFactory(SchoolOwnedFactory):
    class Meta:
        model = LateFineRule

    name = factory.Sequence(lambda n: f"Late fine {n}")
    kind = LateFineRule.Kind.PER_DAY
    amount = Decimal("10.00")
    cap = Decimal("50.00")
    grace_days = 0
