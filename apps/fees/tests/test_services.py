"""Services on real PostgreSQL: invoices from structures, discounts, fines, payments, refunds."""

import datetime
from decimal import Decimal

import pytest

from apps.core.errors import ApplicationError
from apps.fees.models import Invoice, InvoiceLine, InvoiceStatus, Payment
from apps.fees.services.invoices import (
    fines_apply,
    invoice_cancel,
    invoice_discount_add,
    split_heads,
    structure_apply,
)
from apps.fees.services.payments import payment_record, refund_create
from apps.fees.tasks import invoice_new_enrolments
from apps.fees.tests.factories import (
    DiscountRuleFactory,
    FeeSettingsFactory,
    LateFineRuleFactory,
    StudentFeeProfileFactory,
)
from apps.fees.tests.support import TODAY, fee_structure
from apps.users.tests.factories import EnrolmentFactory, GuardianLinkFactory

pytestmark = pytest.mark.django_db


def amounts(invoice: Invoice) -> list[tuple[str, str, Decimal]]:
    return [
        (line.kind, line.description, line.amount)
        for line in invoice.lines.order_by("kind", "description")
    ]


def test_applying_a_structure_invoices_each_installment_with_the_heads_split(world):
    structure = fee_structure(world)
    assert structure_apply(structure=structure, today=TODAY) == 6  # 3 students x 2 installments
    first, second = Invoice.objects.filter(student=world.student).order_by("due_date")
    assert (first.title, first.due_date, first.charges_total) == (
        "Annual fees: Term 1", datetime.date(2026, 6, 30), Decimal("7200.00"),
    )  # fmt: skip
    assert amounts(first) == [
        ("charge", "Transport", Decimal("1800.00")),
        ("charge", "Tuition", Decimal("5400.00")),
    ]
    assert amounts(second) == [
        ("charge", "Transport", Decimal("1200.00")),
        ("charge", "Tuition", Decimal("3600.00")),
    ]
    assert (first.status, first.balance, first.currency) == ("issued", Decimal("7200.00"), "INR")


def test_applying_again_creates_nothing_and_a_later_enrolment_is_invoiced_by_the_task(world):
    structure = fee_structure(world)
    structure_apply(structure=structure, today=TODAY)
    assert structure_apply(structure=structure, today=TODAY) == 0
    newcomer = EnrolmentFactory(school_class=world.school_class).student
    assert invoice_new_enrolments() == 2
    assert invoice_new_enrolments() == 0
    assert Invoice.objects.filter(student=newcomer).count() == 2
    assert Invoice.objects.filter(structure=structure).count() == 8


def test_split_keeps_rows_and_columns_exact_with_rounding():
    table = split_heads(
        head_amounts=[Decimal("100.00"), Decimal("100.00"), Decimal("100.01")],
        parts=[Decimal("33.33"), Decimal("33.33"), Decimal("233.35")],
        decimals=2,
    )
    assert [sum(row) for row in table] == [Decimal("33.33"), Decimal("33.33"), Decimal("233.35")]
    assert [sum(col) for col in zip(*table, strict=True)] == [
        Decimal("100.00"), Decimal("100.00"), Decimal("100.01"),
    ]  # fmt: skip


def test_discount_rules_sibling_staff_child_and_category(world):
    younger = world.students[1]
    GuardianLinkFactory(guardian=world.guardian, student=younger)
    StudentFeeProfileFactory(student=world.students[2], staff_child=True, category="scholar")
    DiscountRuleFactory(school=world.school, kind="sibling", percent=Decimal("10"), name="Sibling")
    DiscountRuleFactory(
        school=world.school, kind="staff_child", percent=Decimal("50"), name="Staff"
    )
    DiscountRuleFactory(school=world.school, kind="category", category="scholar",
                        percent=Decimal("25"), name="Scholar")  # fmt: skip
    structure_apply(structure=fee_structure(world), today=TODAY)
    term1 = {inv.student_id: inv for inv in Invoice.objects.filter(installment__sequence=1)}
    assert term1[world.student.pk].discounts_total == Decimal("0.00")  # the eldest pays in full
    assert amounts(term1[younger.pk])[-1] == ("discount", "Sibling", Decimal("720.00"))
    staff_child = term1[world.students[2].pk]
    assert staff_child.discounts_total == Decimal("5400.00")  # 50% + 25% of 7200
    assert staff_child.balance == Decimal("1800.00")


def test_late_fines_run_twice_on_one_day_charge_once(invoice, world):
    LateFineRuleFactory(school=world.school, kind="per_day", amount=Decimal("10.00"),
                        cap=Decimal("50.00"), grace_days=2)  # fmt: skip
    LateFineRuleFactory(school=world.school, kind="fixed", amount=Decimal("100.00"), cap=None)
    day = invoice.due_date + datetime.timedelta(days=5)  # 3 days past the grace
    assert fines_apply(school=world.school, today=day) == 6  # 3 students' term-1 invoices x 2
    assert fines_apply(school=world.school, today=day) == 0
    invoice.refresh_from_db()
    assert invoice.fines_total == Decimal("130.00")
    later = day + datetime.timedelta(days=10)
    assert fines_apply(school=world.school, today=later) == 3  # per day only; capped at 50
    invoice.refresh_from_db()
    assert invoice.fines_total == Decimal("150.00")
    assert fines_apply(school=world.school, today=later + datetime.timedelta(days=1)) == 0
    assert InvoiceLine.objects.filter(invoice=invoice, kind="fine").count() == 3


def test_a_paid_invoice_is_not_fined(invoice, world):
    LateFineRuleFactory(school=world.school)
    payment_record(invoice_id=invoice.pk, amount="7200.00", method="cash",
                   recorded_by=world.admin, idempotency_key="k1")  # fmt: skip
    fines_apply(school=world.school, today=invoice.due_date + datetime.timedelta(days=3))
    invoice.refresh_from_db()
    assert (invoice.status, invoice.fines_total) == ("paid", Decimal("0.00"))


def test_partial_payments_then_refund_move_status_and_balance(invoice, world):
    first, created = payment_record(invoice_id=invoice.pk, amount="2000.00", method="cash",
                                    recorded_by=world.admin, idempotency_key="a")  # fmt: skip
    invoice.refresh_from_db()
    assert (created, invoice.status, invoice.balance) == (True, "partly_paid", Decimal("5200.00"))
    assert (first.receipt_number, first.balance_after) == (1, Decimal("5200.00"))
    second, _ = payment_record(invoice_id=invoice.pk, amount="5200.00", method="bank",
                               recorded_by=world.admin, idempotency_key="b")  # fmt: skip
    invoice.refresh_from_db()
    assert (second.receipt_number, invoice.status, invoice.balance) == (2, "paid", Decimal("0.00"))
    refund_create(payment_id=second.pk, amount="200.00", reason="Overcharged bus", refunded_by=None)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance) == ("partly_paid", Decimal("200.00"))


@pytest.mark.parametrize(
    ("amount", "method", "code"),
    [
        ("0", "cash", "invalid"),
        ("-5.00", "cash", "invalid"),
        ("10.001", "cash", "invalid"),
        ("7200.01", "cash", "overpayment"),
        ("10.00", "bitcoin", "invalid"),
        (10.5, "cash", "invalid"),
    ],
)
def test_bad_payments_are_refused_and_change_nothing(invoice, world, amount, method, code):
    with pytest.raises(ApplicationError) as refused:
        payment_record(invoice_id=invoice.pk, amount=amount, method=method,
                       recorded_by=world.admin, idempotency_key="x")  # fmt: skip
    assert (refused.value.code, refused.value.status_code) == (code, 400)
    invoice.refresh_from_db()
    assert (Payment.objects.count(), invoice.paid_total) == (0, Decimal("0.00"))


def test_overpayment_is_kept_as_credit_when_the_school_allows_it(invoice, world):
    FeeSettingsFactory(school=world.school).__class__.objects.filter(school=world.school).update(
        allow_credit=True
    )
    payment, _ = payment_record(invoice_id=invoice.pk, amount="7500.00", method="cash",
                                recorded_by=world.admin, idempotency_key="c")  # fmt: skip
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance, payment.balance_after) == (
        "paid", Decimal("-300.00"), Decimal("-300.00"),
    )  # fmt: skip


def test_refund_over_what_was_paid_and_payment_on_cancelled_invoice_are_refused(invoice, world):
    payment, _ = payment_record(invoice_id=invoice.pk, amount="100.00", method="cash",
                                recorded_by=world.admin, idempotency_key="d")  # fmt: skip
    refund_create(payment_id=payment.pk, amount="60.00", reason="x", refunded_by=None)
    with pytest.raises(ApplicationError) as refused:
        refund_create(payment_id=payment.pk, amount="40.01", reason="x", refunded_by=None)
    assert refused.value.code == "refund_exceeds_payment"
    invoice_cancel(invoice_id=invoice.pk)
    with pytest.raises(ApplicationError) as cancelled:
        payment_record(invoice_id=invoice.pk, amount="10.00", method="cash",
                       recorded_by=world.admin, idempotency_key="e")  # fmt: skip
    assert (cancelled.value.code, cancelled.value.status_code) == ("invoice_cancelled", 409)
    refund_create(payment_id=payment.pk, amount="40.00", reason="x", refunded_by=None)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_total, invoice.refunded_total) == (
        InvoiceStatus.REFUNDED, Decimal("100.00"), Decimal("100.00"),
    )  # fmt: skip


def test_a_hand_discount_needs_a_reason_and_cannot_exceed_the_charges(invoice, world):
    with pytest.raises(ApplicationError):
        invoice_discount_add(invoice_id=invoice.pk, amount="10", reason=" ", given_by=world.admin)
    with pytest.raises(ApplicationError) as refused:
        invoice_discount_add(invoice_id=invoice.pk, amount="7200.01", reason="x", given_by=None)
    assert refused.value.code == "discount_too_large"
    invoice_discount_add(invoice_id=invoice.pk, amount="200", reason="Hardship", given_by=None)
    invoice.refresh_from_db()
    assert (invoice.discounts_total, invoice.balance) == (Decimal("200.00"), Decimal("7000.00"))


def test_a_student_with_invoices_cannot_be_deleted_but_their_whole_school_can(invoice, world):
    from django.db.models import RestrictedError

    payment_record(invoice_id=invoice.pk, amount="10.00", method="cash", recorded_by=None,
                   idempotency_key="del")  # fmt: skip
    with pytest.raises(RestrictedError):
        world.student.delete()
    world.school.delete()
    assert (Invoice.objects.count(), Payment.objects.count()) == (0, 0)
