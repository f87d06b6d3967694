"""Online payment gateways: one interface, and the ``test`` gateway that lives in this repo.

A gateway gives a checkout URL for a pending payment and, later, calls our webhook with a signed
event. The test gateway signs like the common real ones (Stripe's scheme): the header
``X-Test-Gateway-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`` with the
secret ``FEES_TEST_GATEWAY_SECRET``. A signature older than ``SIGNATURE_TOLERANCE_SECONDS`` is
refused, and each event id is applied once, so a captured request cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.urls import reverse

from apps.core.errors import ApplicationError

if TYPE_CHECKING:
    from apps.fees.models import Payment

SIGNATURE_TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class GatewayEvent:
    event_id: str
    reference: str
    amount: Decimal
    succeeded: bool


class Gateway(Protocol):
    name: str

    def checkout_url(self, payment: Payment) -> str: ...

    def verify(self, *, body: bytes, headers: dict[str, str]) -> GatewayEvent: ...


def refused(message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid_signature", status_code=400)


class TestGateway:
    """A gateway with no outside service: its checkout page is served by this app
    (``/api/v1/fees/gateway/test/checkout/<reference>/``) and "pays" by posting a signed
    webhook, exactly as a real gateway's servers would."""

    __test__ = False  # not a pytest test class, whatever its name says
    name = "test"
    signature_header = "X-Test-Gateway-Signature"

    @property
    def secret(self) -> bytes:
        return settings.FEES_TEST_GATEWAY_SECRET.encode()

    def checkout_url(self, payment: Payment) -> str:
        return reverse("fees-test-gateway-checkout", args=[payment.gateway_reference])

    def sign(self, body: bytes, *, timestamp: int | None = None) -> str:
        timestamp = int(time.time()) if timestamp is None else timestamp
        digest = hmac.new(self.secret, f"{timestamp}.".encode() + body, hashlib.sha256)
        return f"t={timestamp},v1={digest.hexdigest()}"

    def event_body(
        self, *, event_id: str, reference: str, amount: Decimal, succeeded: bool
    ) -> bytes:
        return json.dumps(
            {
                "id": event_id,
                "type": "payment.succeeded" if succeeded else "payment.failed",
                "data": {"reference": reference, "amount": str(amount)},
            }
        ).encode()

    def verify(self, *, body: bytes, headers: dict[str, str]) -> GatewayEvent:
        header = headers.get(self.signature_header, "")
        parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
        try:
            timestamp = int(parts.get("t", ""))
        except ValueError:
            raise refused("Missing or malformed signature.") from None
        expected = self.sign(body, timestamp=timestamp).split("v1=", 1)[1]
        if not hmac.compare_digest(expected, parts.get("v1", "")):
            raise refused("The signature does not match.")
        if abs(time.time() - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
            raise refused("The signature is too old (a replay?).")
        try:
            payload = json.loads(body)
            data = payload["data"]
            return GatewayEvent(
                event_id=str(payload["id"]),
                reference=str(data["reference"]),
                amount=Decimal(str(data["amount"])),
                succeeded=payload["type"] == "payment.succeeded",
            )
        except (ValueError, KeyError, TypeError, InvalidOperation):
            raise ApplicationError("The event is malformed.", code="invalid_event") from None


GATEWAYS: dict[str, Gateway] = {TestGateway.name: TestGateway()}


def gateway_enabled(name: str) -> bool:
    """Whether the gateway takes payments here: the test gateway only where
    ``FEES_TEST_GATEWAY_ENABLED`` says so (off in production settings)."""
    if name == TestGateway.name:
        return settings.FEES_TEST_GATEWAY_ENABLED
    return name in GATEWAYS


def get_gateway(name: str) -> Gateway:
    gateway = GATEWAYS.get(name)
    if gateway is None or not gateway_enabled(name):
        raise ApplicationError("Unknown payment gateway.", code="not_found", status_code=404)
    return gateway
