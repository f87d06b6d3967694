"""Deployment checks of the fees app (``manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


def check_test_gateway(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The test gateway's checkout page marks a payment paid without money, and with the
    repository's default secret anyone can sign its webhooks: a deployment that leaves it on
    (a staging site) must at least have its own secret."""
    if not settings.FEES_TEST_GATEWAY_ENABLED:
        return []
    messages: list[checks.CheckMessage] = [
        checks.Warning(
            "The test payment gateway is on: its checkout page marks payments paid without money.",
            hint="Set FEES_TEST_GATEWAY_ENABLED=false unless this is a staging site.",
            id="fees.W001",
        )
    ]
    if settings.FEES_TEST_GATEWAY_SECRET == settings.FEES_TEST_GATEWAY_SECRET_DEFAULT:
        messages.append(
            checks.Error(
                "The test payment gateway is on with the repository's default secret: anyone "
                "can sign its webhooks.",
                hint="Set FEES_TEST_GATEWAY_SECRET to a random value, or turn the gateway off "
                "with FEES_TEST_GATEWAY_ENABLED=false.",
                id="fees.E001",
            )
        )
    return messages
