"""Fixtures for fee tests (``client_for``, ``world`` and ``other_world`` are in the root
conftest): the world's class invoiced by a two-installment structure."""

import pytest

from apps.fees.models import Invoice
from apps.fees.tests.support import invoiced_world


@pytest.fixture
def invoice(world) -> Invoice:
    return invoiced_world(world)
