"""Test helpers for notifications."""

from __future__ import annotations

import os
import time
from pathlib import Path

from apps.notifications.providers import OutgoingMessage, RecordingProvider


class SlowRecordingProvider(RecordingProvider):
    """Takes the message, says so in a file, then hangs: a worker killed now has handed the
    message to the provider but not recorded that it did."""

    def send(self, message: OutgoingMessage) -> None:
        super().send(message)
        Path(os.environ["SLOW_PROVIDER_MARK"]).write_text(message.key)
        time.sleep(120)


class FailingProvider(RecordingProvider):
    def send(self, message: OutgoingMessage) -> None:
        from apps.notifications.providers import ProviderError

        raise ProviderError("gateway unavailable")
