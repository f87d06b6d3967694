"""Fee events go out through apps/events after commit: invoice issued, payment received."""

import pytest

from apps.events.services import stream_key
from apps.events.types import Event
from apps.fees.services.invoices import structure_apply
from apps.fees.services.payments import payment_record
from apps.fees.tests.support import TODAY, fee_structure
from apps.writebuffer.connection import redis_client

pytestmark = pytest.mark.django_db


def published(school_id) -> list[Event]:
    entries: list = redis_client().xrange(stream_key())  # type: ignore[assignment]
    events = [Event.from_json(fields[b"e"]) for _, fields in entries]
    return [event for event in events if event.school_id == str(school_id)]


def test_invoices_issued_and_payment_received_are_published_after_commit(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        structure_apply(structure=fee_structure(world), today=TODAY)
    issued = [event for event in published(world.school.pk) if event.type == "fees.invoice_issued"]
    assert len(issued) == 6
    with django_capture_on_commit_callbacks(execute=False) as pending:
        payment, _ = payment_record(
            invoice_id=issued[0].data["invoice_id"], amount="100.00", method="cash",
            recorded_by=world.admin, idempotency_key="ev",
        )  # fmt: skip
    assert [e.type for e in published(world.school.pk)].count("fees.payment_received") == 0
    for callback in pending:
        callback()
    received = [e for e in published(world.school.pk) if e.type == "fees.payment_received"]
    assert [
        (e.data["payment_id"], e.data["amount"], e.data["receipt_number"]) for e in received
    ] == [(str(payment.pk), "100.00", 1)]
    student = issued[0].data["student_id"]
    assert student in received[0].user_ids
