"""The fees API through DRF's test client: roles, isolation, bad input, receipts, reports."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from apps.fees.models import Invoice, Payment
from apps.fees.services.payments import payment_record
from apps.fees.tests.support import invoiced_world

pytestmark = pytest.mark.django_db


def pay(client, invoice, amount="1000.00", key="key-1", method="cash"):
    return client.post(
        reverse("fees-invoice-payments", args=[invoice.pk]),
        {"amount": amount, "method": method},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_a_guardian_sees_only_their_childrens_invoices(invoice, world, other_world, client_for):
    invoiced_world(other_world)
    response = client_for(world.guardian).get(reverse("fees-invoices"))
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["results"]}
    assert ids == {
        str(pk) for pk in Invoice.objects.filter(student=world.student).values_list("pk", flat=True)
    }
    assert len(ids) == 2
    sibling_invoice = Invoice.objects.filter(student=world.students[1]).first()
    detail = client_for(world.guardian).get(reverse("fees-invoice", args=[sibling_invoice.pk]))
    assert detail.status_code == 404


def test_a_student_sees_their_own_and_a_teacher_none(invoice, world, client_for):
    mine = client_for(world.student).get(reverse("fees-invoices")).json()
    assert {item["student"]["id"] for item in mine["results"]} == {str(world.student.pk)}
    assert client_for(world.teacher).get(reverse("fees-invoices")).status_code == 403
    assert client_for(world.admin).get(reverse("fees-invoices")).json()["count"] == 6


def test_another_schools_invoice_is_a_404_for_every_endpoint(invoice, other_world, client_for):
    admin = client_for(other_world.admin)
    invoiced_world(other_world)
    assert admin.get(reverse("fees-invoice", args=[invoice.pk])).status_code == 404
    response = pay(admin, invoice)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    payment, _ = payment_record(invoice_id=invoice.pk, amount="10.00", method="cash",
                                recorded_by=None, idempotency_key="own")  # fmt: skip
    assert admin.get(reverse("fees-payment-receipt", args=[payment.pk])).status_code == 404
    refund = admin.post(reverse("fees-payment-refunds", args=[payment.pk]),
                        {"amount": "1.00", "reason": "x"}, format="json")  # fmt: skip
    assert refund.status_code == 404
    assert Payment.objects.count() == 1


def test_invoice_detail_lists_lines_and_amounts_as_strings(invoice, world, client_for):
    body = client_for(world.guardian).get(reverse("fees-invoice", args=[invoice.pk])).json()
    assert (body["charges"], body["balance"], body["status"]) == ("7200.00", "7200.00", "issued")
    assert [(line["head"], line["amount"]) for line in body["lines"]] == [
        ("Transport", "1800.00"),
        ("Tuition", "5400.00"),
    ] or [(line["head"], line["amount"]) for line in body["lines"]] == [
        ("Tuition", "5400.00"),
        ("Transport", "1800.00"),
    ]


def test_staff_payment_with_idempotency_key_and_its_replay(invoice, world, client_for):
    admin = client_for(world.admin)
    first = pay(admin, invoice, key="same")
    again = pay(admin, invoice, key="same")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert (first.json()["receipt_number"], first.json()["balance_after"]) == (1, "6200.00")
    other_amount = pay(admin, invoice, amount="5.00", key="same")
    assert (other_amount.status_code, other_amount.json()["error"]["code"]) == (
        409, "idempotency_key_reused",
    )  # fmt: skip
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "headers", "status", "field"),
    [
        ({"amount": "0", "method": "cash"}, {"HTTP_IDEMPOTENCY_KEY": "k"}, 400, "amount"),
        ({"amount": "-1.00", "method": "cash"}, {"HTTP_IDEMPOTENCY_KEY": "k"}, 400, "amount"),
        ({"amount": "1.005", "method": "cash"}, {"HTTP_IDEMPOTENCY_KEY": "k"}, 400, "amount"),
        ({"amount": 1.5, "method": "cash"}, {"HTTP_IDEMPOTENCY_KEY": "k"}, 400, "amount"),
        ({"amount": "abc", "method": "cash"}, {"HTTP_IDEMPOTENCY_KEY": "k"}, 400, "amount"),
        ({"amount": "10.00", "method": "gold"}, {"HTTP_IDEMPOTENCY_KEY": "k"}, 400, "method"),
        ({"amount": "10.00", "method": "cash"}, {}, 400, "Idempotency-Key"),
        ({"amount": "9999.00", "method": "cash"}, {"HTTP_IDEMPOTENCY_KEY": "k"}, 400, "amount"),
    ],
)
def test_bad_payment_input_is_a_clear_400(invoice, world, client_for, body, headers, status, field):
    response = client_for(world.admin).post(
        reverse("fees-invoice-payments", args=[invoice.pk]), body, format="json", **headers
    )
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"} and field in error["fields"]
    invoice.refresh_from_db()
    assert (Payment.objects.count(), invoice.paid_total) == (0, Decimal("0.00"))


def test_guardians_and_students_cannot_record_cash(invoice, world, client_for):
    assert pay(client_for(world.guardian), invoice).status_code == 403
    assert pay(client_for(world.student), invoice).status_code == 403
    assert Payment.objects.count() == 0


def test_refund_over_what_was_paid_is_a_400_and_changes_nothing(invoice, world, client_for):
    admin = client_for(world.admin)
    payment_id = pay(admin, invoice, amount="500.00").json()["id"]
    url = reverse("fees-payment-refunds", args=[payment_id])
    too_much = admin.post(url, {"amount": "500.01", "reason": "x"}, format="json")
    assert (too_much.status_code, too_much.json()["error"]["code"]) == (
        400,
        "refund_exceeds_payment",
    )
    ok = admin.post(url, {"amount": "500.00", "reason": "Left school"}, format="json")
    assert ok.status_code == 201
    invoice.refresh_from_db()
    assert (invoice.balance, invoice.status) == (Decimal("7200.00"), "refunded")


def test_payment_on_a_cancelled_invoice_is_refused(invoice, world, client_for):
    admin = client_for(world.admin)
    assert (
        admin.post(reverse("fees-invoice-cancel", args=[invoice.pk])).json()["status"]
        == "cancelled"
    )
    response = pay(admin, invoice)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "invoice_cancelled")
    assert Payment.objects.count() == 0


def receipt_text(client, payment_id) -> str:
    response = client.get(reverse("fees-payment-receipt", args=[payment_id]))
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_receipt_pdf_shows_school_student_invoice_lines_words_and_balance(
    invoice, world, client_for
):
    admin = client_for(world.admin)
    pay(admin, invoice, amount="1200.00", key="r1")
    payment_id = pay(admin, invoice, amount="1250.50", key="r2").json()["id"]
    text = receipt_text(client_for(world.guardian), payment_id)
    print("\n--- receipt PDF text ---\n" + text + "\n--- end ---")
    for expected in [
        world.school.name,
        "Fee receipt No. 2",
        f"Student: {world.student.get_full_name()} ({world.student.username})",
        "Invoice: Annual fees: Term 1",
        "Tuition\n5400.00",
        "Transport\n1800.00",
        "Paid before this receipt\n1200.00",
        "Paid with this receipt\n1250.50",
        "Balance left\n4749.50",
        "INR one thousand two hundred and fifty and 50/100 only",
    ]:
        assert expected in text


def test_report_by_class_head_and_period_with_csv(invoice, world, client_for):
    admin = client_for(world.admin)
    pay(admin, invoice, amount="1440.00")
    by_class = admin.get(reverse("fees-reports"), {"by": "class"}).json()
    assert by_class == [{
        "key": str(world.school_class).replace(" ", " "), "invoices": 6,
        "invoiced": "36000.00", "collected": "1440.00", "outstanding": "34560.00",
    }]  # fmt: skip
    by_head = {row["key"]: row for row in admin.get(reverse("fees-reports"), {"by": "head"}).json()}
    assert (by_head["Tuition"]["invoiced"], by_head["Tuition"]["collected"]) == (
        "27000.00",
        "1080.00",
    )
    assert (by_head["Transport"]["invoiced"], by_head["Transport"]["collected"]) == (
        "9000.00",
        "360.00",
    )
    by_period = admin.get(reverse("fees-reports"), {"by": "period"}).json()
    assert [(row["key"], row["invoiced"]) for row in by_period] == [
        ("2026-06", "21600.00"), ("2026-11", "14400.00"),
    ]  # fmt: skip
    csv = admin.get(reverse("fees-reports"), {"by": "head", "export": "csv"})
    assert csv["Content-Type"] == "text/csv"
    assert csv.content.decode().splitlines() == [
        "key,invoices,invoiced,collected,outstanding",
        "Transport,6,9000.00,360.00,8640.00",
        "Tuition,6,27000.00,1080.00,25920.00",
    ]
    assert client_for(world.guardian).get(reverse("fees-reports")).status_code == 403
