"""Over real HTTP against a running server (pytest-django's live server, threaded, each request
on its own PostgreSQL connection): racing payments, receipt numbers under load, webhooks as an
attacker would send them. Run with ``-s`` to see the evidence lines."""

from __future__ import annotations

import functools
import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from apps.fees.gateways import TestGateway
from apps.fees.models import GatewayEvent, Invoice, Payment
from apps.fees.tests.support import invoiced_world
from apps.users.tests.factories import PASSWORD, ClassWorld

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


class Http:
    def __init__(self, base: str, user=None) -> None:
        self.base = base
        self.token = None
        if user is not None:
            status, body = self.request(
                "POST", "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}
            )
            assert status == 200, body
            self.token = body["access"]

    def request(self, method, path, body=None, headers=None, raw: bytes | None = None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


def all_at_once(calls):
    """Run the calls in threads released together by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def staff(live_server):
    world = ClassWorld(students=3)
    invoiced_world(world)
    return world, Http(live_server.url, world.admin)


def test_concurrent_payments_with_one_key_create_one_payment(staff):
    world, admin = staff
    invoice = Invoice.objects.filter(student=world.student).order_by("due_date").first()
    for round_number in range(3):
        key = f"same-key-{round_number}"
        path = f"/api/v1/fees/invoices/{invoice.pk}/payments/"
        payment = functools.partial(
            admin.request, "POST", path, {"amount": "100.00", "method": "cash"},
            {"Idempotency-Key": key},
        )  # fmt: skip
        results = all_at_once([payment] * 8)
        statuses = [status for status, _ in results]
        ids = {body["id"] for _, body in results}
        print(f"\nround {round_number}: 8 racing POSTs with one key -> statuses {statuses}, "
              f"payment ids {len(ids)}, payments with that key in PostgreSQL "
              f"{Payment.objects.filter(idempotency_key=key).count()}")  # fmt: skip
        assert statuses == [201] * 8
        assert len(ids) == 1
        assert Payment.objects.filter(idempotency_key=key).count() == 1
    invoice.refresh_from_db()
    assert (invoice.paid_total, Payment.objects.count()) == (Decimal("300.00"), 3)
    assert sorted(Payment.objects.values_list("receipt_number", flat=True)) == [1, 2, 3]


def test_receipt_numbers_stay_gap_free_under_20_concurrent_payments(staff):
    world, admin = staff
    invoices = list(Invoice.objects.order_by("student__username", "due_date"))
    calls = []
    for number in range(20):
        path = f"/api/v1/fees/invoices/{invoices[number % len(invoices)].pk}/payments/"
        calls.append(
            lambda path=path, number=number: admin.request(
                "POST",
                path,
                {"amount": "10.00", "method": "bank"},
                {"Idempotency-Key": f"k{number}"},
            )
        )
    # And two that must fail without taking a number: an overpayment, and a key reused on
    # another invoice while the first use may still be in flight.
    calls.append(lambda: admin.request("POST", f"/api/v1/fees/invoices/{invoices[0].pk}/payments/",
                                       {"amount": "99999.00", "method": "cash"},
                                       {"Idempotency-Key": "too-much"}))  # fmt: skip
    calls.append(lambda: admin.request("POST", f"/api/v1/fees/invoices/{invoices[1].pk}/payments/",
                                       {"amount": "10.00", "method": "bank"},
                                       {"Idempotency-Key": "k0"}))  # fmt: skip
    started = time.monotonic()
    results = all_at_once(calls)
    statuses = [status for status, _ in results]
    numbers = sorted(Payment.objects.values_list("receipt_number", flat=True))
    print(f"\n22 racing POSTs in {time.monotonic() - started:.2f}s: statuses {statuses}; "
          f"receipt numbers in PostgreSQL {numbers}")  # fmt: skip
    # Whichever use of "k0" commits first wins; the other is told the key is taken.
    assert sorted([statuses[0], statuses[21]]) == [201, 409]
    assert statuses[1:20] == [201] * 19
    assert statuses[20] == 400
    assert numbers == list(range(1, 21))
    assert sum(invoice.paid_total for invoice in Invoice.objects.all()) == Decimal("200.00")


def test_forged_replayed_stale_and_tampered_webhooks_are_refused_and_change_nothing(live_server):
    world = ClassWorld(students=1)
    invoice = invoiced_world(world)
    guardian = Http(live_server.url, world.guardian)
    status, checkout = guardian.request(
        "POST", f"/api/v1/fees/invoices/{invoice.pk}/checkout/", {"amount": "700.00"}
    )
    assert status == 201, checkout
    reference = checkout["checkout_url"].rstrip("/").rsplit("/", 1)[1]
    gateway = TestGateway()
    anonymous = Http(live_server.url)
    webhook = "/api/v1/fees/gateway/test/webhook/"
    body = gateway.event_body(event_id="evt_1", reference=reference, amount=Decimal("700.00"),
                              succeeded=True)  # fmt: skip

    def state():
        invoice.refresh_from_db()
        payment = Payment.objects.get(gateway_reference=reference)
        return (payment.status, payment.receipt_number, invoice.paid_total,
                GatewayEvent.objects.count())  # fmt: skip

    before = state()
    assert before == ("pending", None, Decimal("0.00"), 0)
    forged_signature = f"t={int(time.time())},v1={'0' * 64}"
    refused = {
        "forged": anonymous.request("POST", webhook, raw=body,
                                    headers={gateway.signature_header: forged_signature}),
        "unsigned": anonymous.request("POST", webhook, raw=body),
        "stale": anonymous.request("POST", webhook, raw=body, headers={
            gateway.signature_header: gateway.sign(body, timestamp=int(time.time()) - 600)}),
        "tampered": anonymous.request(
            "POST", webhook, raw=body.replace(b"700.00", b"7.00"),
            headers={gateway.signature_header: gateway.sign(body)},
        ),
    }  # fmt: skip
    for name, (status, answer) in refused.items():
        print(f"\n{name} webhook -> {status} {answer['error']['code']}")
        assert (status, answer["error"]["code"]) == (400, "invalid_signature"), name
    assert state() == before

    signature = gateway.sign(body)
    status, paid = anonymous.request(
        "POST", webhook, raw=body, headers={gateway.signature_header: signature}
    )
    assert (status, paid["status"], paid["receipt_number"]) == (200, "succeeded", 1)
    after = state()
    assert after == ("succeeded", 1, Decimal("700.00"), 1)
    status, replay = anonymous.request(
        "POST", webhook, raw=body, headers={gateway.signature_header: signature}
    )
    print(f"\nreplayed webhook -> {status} {replay['error']['code']}")
    assert (status, replay["error"]["code"]) == (409, "replayed_event")
    assert state() == after
    unknown = anonymous.request("POST", "/api/v1/fees/gateway/paypal/webhook/", raw=body,
                                headers={gateway.signature_header: signature})  # fmt: skip
    assert unknown[0] == 404


def test_the_test_gateways_checkout_page_pays_through_the_signed_webhook(live_server):
    world = ClassWorld(students=1)
    invoice = invoiced_world(world)
    status, checkout = Http(live_server.url, world.student).request(
        "POST", f"/api/v1/fees/invoices/{invoice.pk}/checkout/", {"amount": "7200.00"},
        {"Idempotency-Key": "online-1"},
    )  # fmt: skip
    assert status == 201
    page = urllib.request.Request(  # noqa: S310
        live_server.url + checkout["checkout_url"], data=b"outcome=pay", method="POST"
    )
    with urllib.request.urlopen(page, timeout=30) as response:  # noqa: S310
        assert b"Status: succeeded" in response.read()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.balance) == ("paid", Decimal("0.00"))
