import copy

import pytest

from apps.events import registry


@pytest.fixture
def no_grace(settings):
    settings.NOTIFICATIONS = {**copy.deepcopy(settings.NOTIFICATIONS), "ABSENCE_GRACE_SECONDS": 0}


@pytest.fixture
def notifications_only(monkeypatch):
    """Only the notifications handler runs (the activity log has its own tests)."""
    monkeypatch.setattr(
        registry, "_handlers", {"notifications": registry._handlers["notifications"]}
    )
