"""The test payment gateway off (as in production settings): over real HTTP, neither its
checkout, its hosted page nor its webhook takes a payment, and nothing changes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from decimal import Decimal

import pytest

from apps.fees.gateways import TestGateway
from apps.fees.models import Invoice, Payment
from apps.fees.tests.support import invoiced_world
from apps.fees.tests.test_http import Http
from apps.users.tests.factories import ClassWorld

pytestmark = [pytest.mark.django_db(transaction=True)]


def post_page(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=b"outcome=pay", method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_a_disabled_test_gateway_takes_no_payment(live_server, settings):
    world = ClassWorld(students=1)
    invoice = invoiced_world(world)
    student = Http(live_server.url, world.student)
    # A checkout started while the gateway was on (a staging site turning it off).
    status, started = student.request(
        "POST", f"/api/v1/fees/invoices/{invoice.pk}/checkout/", {"amount": "7200.00"},
        {"Idempotency-Key": "before-off"},
    )  # fmt: skip
    assert status == 201
    payment = Payment.objects.get(pk=started["payment"]["id"])

    settings.FEES_TEST_GATEWAY_ENABLED = False

    status, body = student.request(
        "POST", f"/api/v1/fees/invoices/{invoice.pk}/checkout/", {"amount": "7200.00"},
        {"Idempotency-Key": "after-off"},
    )  # fmt: skip
    assert (status, body["error"]["code"]) == (404, "not_found")

    status, page = post_page(live_server.url + started["checkout_url"])
    assert (status, json.loads(page)["error"]["code"]) == (404, "not_found")

    gateway = TestGateway()
    event = gateway.event_body(
        event_id="evt-off", reference=payment.gateway_reference, amount=payment.amount,
        succeeded=True,
    )  # fmt: skip
    status, body = Http(live_server.url).request(
        "POST", "/api/v1/fees/gateway/test/webhook/", raw=event,
        headers={gateway.signature_header: gateway.sign(event)},
    )  # fmt: skip
    assert (status, body["error"]["code"]) == (404, "not_found")

    assert list(Payment.objects.values_list("pk", "status")) == [(payment.pk, "pending")]
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert (invoice.status, invoice.balance) == ("issued", Decimal("7200.00"))
