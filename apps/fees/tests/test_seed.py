"""seed_demo adds this app's demo data (with a paid invoice and its receipt); again adds nothing."""

from decimal import Decimal

import pytest

from apps.fees.models import FeeHead, FeeStructure, Installment, Invoice, InvoiceLine, Payment
from apps.users.demo import seed_demo

pytestmark = pytest.mark.django_db

MODELS = [FeeHead, Installment, FeeStructure, Invoice, InvoiceLine, Payment]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_is_idempotent_and_pays_student1s_first_installment():
    seed_demo(students=8, password="pw-12345!", progress=False)
    first = counts()
    seed_demo(students=8, password="pw-12345!", progress=False)
    assert counts() == first
    # 3 heads, 3 installments, a structure per class (4); 8 students x 3 installments; each
    # invoice has 3 charge lines (no siblings among demo students: one guardian each).
    assert first == {
        "FeeHead": 3, "Installment": 3, "FeeStructure": 4, "Invoice": 24, "InvoiceLine": 72,
        "Payment": 1,
    }  # fmt: skip
    payment = Payment.objects.get()
    assert (payment.student.username, payment.receipt_number, payment.amount) == (
        "student1", 1, Decimal("2280.00"),
    )  # fmt: skip
    assert payment.invoice.status == "paid"
