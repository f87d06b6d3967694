"""The board's own sections: teachers' announcements and what they asked it to show."""

from __future__ import annotations

from datetime import date
from typing import Any

from apps.dashboards.registry import BOARD, section
from apps.dashboards.selectors import active_announcements, board_focus
from apps.dashboards.services import announcement_data, focus_data
from apps.events.types import EventType
from apps.users.models import SchoolClass


@section("announcements", scope=BOARD, live_types=[EventType.BOARD_ANNOUNCEMENT])
def announcements(*, school_class: SchoolClass, today: date) -> list[dict[str, Any]]:
    return [announcement_data(a) for a in active_announcements(school_class=school_class)]


@section("showing", scope=BOARD, live_types=[EventType.BOARD_SHOW])
def showing(*, school_class: SchoolClass, today: date) -> dict[str, Any] | None:
    focus = board_focus(school_class=school_class)
    return focus_data(focus) if focus is not None else None
