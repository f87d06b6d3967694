"""A real Celery worker killed in the middle of a send: exactly one message after the retry."""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from apps.notifications.models import Delivery, DeliveryStatus, Kind, Preference, RecordedMessage
from apps.notifications.services import Intent, notify_directly
from apps.writebuffer.tests.conftest import (  # noqa: F401 - fixtures used by name
    celery_workers,
    redis_server,
    stop_process,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_killed_mid_send_gives_exactly_one_delivery(world, celery_workers, tmp_path):  # noqa: F811
    Preference.objects.create(
        user=world.guardian,
        school=world.school,
        channels={Kind.ABSENCE: ["sms"]},
        sms_number="+15550009",
    )
    notification = notify_directly(
        intent=Intent(
            recipient=world.guardian,
            student=world.student,
            kind=Kind.ABSENCE,
            context={"student": "Asha", "code": "absent", "date": "2026-11-27", "class": "10-A",
                     "period": "whole day"},
        ),
        source_key="sigkill-test",
        school_id=world.school.pk,
    )  # fmt: skip
    delivery = Delivery.objects.get(notification=notification)
    mark = tmp_path / "provider-took-it"

    slow = celery_workers.start(
        NOTIFICATIONS_SMS_PROVIDER="apps.notifications.tests.support.SlowRecordingProvider",
        SLOW_PROVIDER_MARK=str(mark),
    )
    celery_workers.wait_ready(slow)
    celery_workers.send_task(
        "apps.notifications.tasks.deliver_notification", delivery_id=str(delivery.pk)
    )
    wait_for(mark.exists, what="the provider to take the message")
    stop_process(slow)  # SIGKILL: the provider has it, the delivery is not marked sent

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENDING, 1)
    assert RecordedMessage.objects.count() == 1

    healthy = celery_workers.start(NOTIFICATIONS_SENDING_TIMEOUT_SECONDS="1")
    celery_workers.wait_ready(healthy)
    # What the minutely sweep does once the dead worker's claim has expired.
    time.sleep(1.2)
    celery_workers.send_task(
        "apps.notifications.tasks.deliver_notification", delivery_id=str(delivery.pk)
    )

    def sent() -> bool:
        delivery.refresh_from_db()
        return delivery.status == DeliveryStatus.SENT

    wait_for(sent, what="the retried delivery")
    assert delivery.attempts == 2
    assert list(RecordedMessage.objects.values_list("key", "to")) == [(delivery.key, "+15550009")]
    assert settings.NOTIFICATION_PROVIDERS["sms"].endswith("RecordingProvider")
