"""A stateful property test (hypothesis) of the fee services on real PostgreSQL.

Any sequence of invoices, discounts, fines (by hand and by the daily task), payments (with
replayed keys), refunds and cancellations, valid or not, keeps every invoice's balance equal to
charges - discounts + fines - payments + refunds (stored totals, the rows, and an independent
model in this test all agree), never below zero unless the school keeps credit, with every amount
a ``Decimal`` and none a float, also in the API's JSON. A refused operation changes nothing.
Run with ``-s`` to see how many examples and steps ran.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import cast

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from apps.core.errors import ApplicationError
from apps.fees.apis import InvoiceDetailSerializer
from apps.fees.models import FeeSettings, Invoice, InvoiceLine, Payment, Refund
from apps.fees.selectors import access_invoice
from apps.fees.services.invoices import (
    fines_apply,
    invoice_cancel,
    invoice_create,
    invoice_discount_add,
    invoice_fine_add,
)
from apps.fees.services.payments import payment_record, refund_create
from apps.fees.tests.factories import LateFineRuleFactory
from apps.users.models import School
from apps.users.tests.factories import SchoolAdminFactory, SchoolFactory, StudentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ZERO = Decimal("0.00")
DUE = datetime.date(2026, 7, 1)
good_amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("3000"), places=2)
# Zero, negative, too many places, a float: each must be refused and change nothing.
bad_amounts = st.one_of(
    st.just(Decimal("0")),
    st.decimals(min_value=Decimal("-100"), max_value=Decimal("-0.01"), places=2),
    st.decimals(min_value=Decimal("0.001"), max_value=Decimal("10"), places=3).filter(
        lambda value: value != value.quantize(Decimal("0.01"))
    ),
    st.floats(min_value=0.01, max_value=100, allow_nan=False),
)
amounts = st.one_of(good_amounts, good_amounts, good_amounts, bad_amounts)
counts = {"examples": 0, "steps": 0, "refused": 0}


def _no_floats(value) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(_no_floats(item) for item in value.values())
    if isinstance(value, list):
        return all(_no_floats(item) for item in value)
    return True


class FeeLedger(RuleBasedStateMachine):
    invoices = Bundle("invoices")
    payments = Bundle("payments")

    @initialize(allow_credit=st.booleans())
    def school(self, allow_credit: bool) -> None:
        counts["examples"] += 1
        self.school_obj = cast(School, SchoolFactory())
        FeeSettings.objects.create(school=self.school_obj, allow_credit=allow_credit)
        self.allow_credit = allow_credit
        self.student = StudentFactory(school=self.school_obj)
        self.admin = SchoolAdminFactory(school=self.school_obj)
        LateFineRuleFactory(school=self.school_obj, kind="per_day", amount=Decimal("5.00"),
                            cap=Decimal("40.00"))  # fmt: skip
        # The independent model: what each invoice's totals must be, from accepted operations.
        self.expected: dict = {}
        self.keys: dict[str, tuple] = {}

    def _totals(self, invoice_id) -> tuple:
        invoice = Invoice.objects.get(pk=invoice_id)
        return (invoice.charges_total, invoice.discounts_total, invoice.fines_total,
                invoice.paid_total, invoice.refunded_total, invoice.status)  # fmt: skip

    def _refused(self, invoice_id, call) -> bool:
        """Run ``call``; if the service refuses it, check that nothing changed."""
        counts["steps"] += 1
        before = self._totals(invoice_id)
        rows_before = (Payment.objects.count(), Refund.objects.count(), InvoiceLine.objects.count())
        try:
            call()
        except ApplicationError as error:
            assert 400 <= error.status_code < 500
            assert self._totals(invoice_id) == before
            assert rows_before == (
                Payment.objects.count(), Refund.objects.count(), InvoiceLine.objects.count(),
            )  # fmt: skip
            counts["refused"] += 1
            return True
        return False

    @rule(target=invoices, charges=st.lists(good_amounts, min_size=1, max_size=3))
    def create_invoice(self, charges):
        counts["steps"] += 1
        invoice = invoice_create(
            student=self.student, title="Term fees", due_date=DUE,
            charges=[(f"Charge {n}", amount) for n, amount in enumerate(charges)],
        )  # fmt: skip
        self.expected[invoice.pk] = {"charges": sum(charges, ZERO), "discounts": ZERO,
                                     "fines": ZERO, "paid": ZERO, "refunded": ZERO}  # fmt: skip
        return invoice.pk

    def _balance(self, invoice_id) -> Decimal:
        e = self.expected[invoice_id]
        return e["charges"] - e["discounts"] + e["fines"] - e["paid"] + e["refunded"]

    @rule(invoice_id=invoices, amount=amounts)
    def discount(self, invoice_id, amount):
        call = lambda: invoice_discount_add(  # noqa: E731
            invoice_id=invoice_id, amount=amount, reason="Hardship", given_by=self.admin
        )
        if not self._refused(invoice_id, call):
            self.expected[invoice_id]["discounts"] += amount

    @rule(invoice_id=invoices, amount=amounts)
    def fine_by_hand(self, invoice_id, amount):
        call = lambda: invoice_fine_add(invoice_id=invoice_id, amount=amount, reason="Late")  # noqa: E731
        if not self._refused(invoice_id, call):
            self.expected[invoice_id]["fines"] += amount

    @rule(days_late=st.integers(min_value=0, max_value=15), runs=st.integers(1, 2))
    def fine_task(self, days_late, runs):
        counts["steps"] += 1
        before = {pk: Invoice.objects.get(pk=pk).fines_total for pk in self.expected}
        for _ in range(runs):  # a second run the same day must charge nothing
            fines_apply(school=self.school_obj, today=DUE + datetime.timedelta(days=days_late))
        for pk in self.expected:
            self.expected[pk]["fines"] += Invoice.objects.get(pk=pk).fines_total - before[pk]

    @rule(target=payments, invoice_id=invoices, amount=amounts,
          key=st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h"]))  # fmt: skip
    def pay(self, invoice_id, amount, key):
        replayed = self.keys.get(key)
        result = {}

        def call():
            result["payment"], result["created"] = payment_record(
                invoice_id=invoice_id, amount=amount, method="cash", recorded_by=self.admin,
                idempotency_key=f"{self.school_obj.pk}-{key}",
            )  # fmt: skip

        if self._refused(invoice_id, call):
            return None
        if replayed is not None:
            # The same key again: the first payment back, nothing charged.
            assert (result["created"], result["payment"].pk) == (False, replayed[0])
            return None
        assert result["created"] is True
        self.keys[key] = (result["payment"].pk, invoice_id)
        self.expected[invoice_id]["paid"] += amount
        return result["payment"].pk

    @rule(payment_id=payments, amount=amounts)
    def refund(self, payment_id, amount):
        if payment_id is None:
            return
        invoice_id = Payment.objects.get(pk=payment_id).invoice_id
        call = lambda: refund_create(  # noqa: E731
            payment_id=payment_id, amount=amount, reason="Returned", refunded_by=self.admin
        )
        if not self._refused(invoice_id, call):
            self.expected[invoice_id]["refunded"] += amount

    @rule(invoice_id=consumes(invoices))
    def cancel(self, invoice_id):
        counts["steps"] += 1
        invoice_cancel(invoice_id=invoice_id)

    @invariant()
    def balances_reconcile(self):
        if not getattr(self, "expected", None):
            return
        # Four queries for all the school's invoices: rows of every kind, grouped by invoice.
        lines = {
            (row["invoice_id"], row["kind"]): row["total"]
            for row in InvoiceLine.objects.filter(school=self.school_obj)
            .values("invoice_id", "kind").annotate(total=Sum("amount"))
        }  # fmt: skip
        paid = dict(
            Payment.objects.filter(school=self.school_obj).values("invoice_id")
            .annotate(total=Sum("amount")).values_list("invoice_id", "total")
        )  # fmt: skip
        refunded = dict(
            Refund.objects.filter(school=self.school_obj).values("invoice_id")
            .annotate(total=Sum("amount")).values_list("invoice_id", "total")
        )  # fmt: skip
        for invoice in Invoice.objects.filter(school=self.school_obj):
            expected = self.expected[invoice.pk]
            stored = (invoice.charges_total, invoice.discounts_total, invoice.fines_total,
                      invoice.paid_total, invoice.refunded_total)  # fmt: skip
            from_rows = (
                lines.get((invoice.pk, "charge"), ZERO), lines.get((invoice.pk, "discount"), ZERO),
                lines.get((invoice.pk, "fine"), ZERO), paid.get(invoice.pk, ZERO),
                refunded.get(invoice.pk, ZERO),
            )  # fmt: skip
            modelled = (expected["charges"], expected["discounts"], expected["fines"],
                        expected["paid"], expected["refunded"])  # fmt: skip
            assert stored == from_rows == modelled
            assert invoice.balance == (
                invoice.charges_total - invoice.discounts_total + invoice.fines_total
                - invoice.paid_total + invoice.refunded_total
            ) == self._balance(invoice.pk)  # fmt: skip
            assert all(type(value) is Decimal for value in (*stored, invoice.balance))
            if not self.allow_credit:
                assert invoice.balance >= ZERO
            assert invoice.refunded_total <= invoice.paid_total

    def teardown(self):
        if hasattr(self, "expected") and self.expected:
            # The API's view of the last invoice: amounts are strings, never floats.
            invoice = access_invoice(user=self.admin, invoice_id=next(iter(self.expected)))
            assert _no_floats(InvoiceDetailSerializer(invoice).data)


def test_any_sequence_of_fee_operations_keeps_the_books_right(db):
    run_state_machine_as_test(
        FeeLedger,
        settings=settings(
            max_examples=60,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
    print(
        f"\nhypothesis: {counts['examples']} examples, {counts['steps']} operations "
        f"({counts['refused']} refused as invalid, each checked to change nothing)"
    )
    assert counts["examples"] >= 60
