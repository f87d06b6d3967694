"""The domain events of Schools24: what happened, in which school, to whom it matters.

An event is a fact about a write that is safe (committed, or held by the durable write buffer). Its
``data`` holds ids and small values only, as JSON text: a consumer that needs more loads it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    HOMEWORK_ASSIGNED = "homework.assigned"
    SUBMISSION_RECEIVED = "homework.submission_received"
    SUBMISSION_GRADED = "homework.submission_graded"
    REGISTER_TAKEN = "attendance.register_taken"
    MARK_CHANGED = "attendance.mark_changed"
    ASSESSMENT_MARKED = "grades.assessment_marked"
    GRADE_PUBLISHED = "grades.grade_published"
    QUIZ_OPENED = "quizzes.quiz_opened"
    QUIZ_ANSWER_SAVED = "quizzes.answer_saved"
    QUIZ_ATTEMPT_GRADED = "quizzes.attempt_graded"
    INVOICE_ISSUED = "fees.invoice_issued"
    FEE_DUE = "fees.fee_due"
    PAYMENT_RECEIVED = "fees.payment_received"
    BOARD_ANNOUNCEMENT = "boards.announcement"
    BOARD_SHOW = "boards.show"
    NOTIFICATION_CREATED = "notifications.created"
    EARLY_WARNING_CHANGED = "analytics.early_warning_changed"


def _now() -> str:
    return datetime.now(tz=UTC).isoformat()


@dataclass(frozen=True, kw_only=True)
class Event:
    """One domain event.

    ``class_ids`` and ``user_ids`` say whose live views it concerns (a class's board and teachers,
    a student and their guardians' dashboards); consumers may widen that from the data.
    """

    type: EventType
    school_id: str
    data: dict[str, Any]
    class_ids: tuple[str, ...] = ()
    user_ids: tuple[str, ...] = ()
    actor_id: str | None = None
    # Address and client of the request that caused it (empty outside a request).
    origin: dict[str, str] = field(default_factory=dict)
    # The id of the request (or task) that caused it: its handlers log under the same id.
    request_id: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: str = field(default_factory=_now)

    def __post_init__(self) -> None:
        # Ids arrive as ints or UUIDs from models; one text form keeps groups and JSON consistent.
        object.__setattr__(self, "type", EventType(self.type))
        object.__setattr__(self, "school_id", str(self.school_id))
        object.__setattr__(self, "class_ids", tuple(str(c) for c in self.class_ids))
        object.__setattr__(self, "user_ids", tuple(str(u) for u in self.user_ids))
        if self.actor_id is not None:
            object.__setattr__(self, "actor_id", str(self.actor_id))

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), default=str)

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        # Keys this version does not know (an event from a newer release, during a rolling
        # upgrade) are dropped rather than failing the handler.
        known = {f.name for f in fields(cls)}
        raw = {key: value for key, value in json.loads(text).items() if key in known}
        raw["class_ids"] = tuple(raw.get("class_ids", ()))
        raw["user_ids"] = tuple(raw.get("user_ids", ()))
        return cls(**raw)
