"""Leaderboards in Redis sorted sets: one per quiz and one per quiz and class.

A member is ``<finish ms, 15 digits>|<student id>`` and its score is minus the student's grade,
so one ascending ``ZRANGE`` orders by grade (highest first), then earlier finish, then student
id: equal scores are ordered by member, byte by byte. A hash per board remembers each student's
member so that a new grade replaces the old entry in the same script. The boards live in the
read cache's Redis and can be rebuilt from PostgreSQL (``manage.py quiz_leaderboards rebuild``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.cache import caches

# KEYS: quiz board, quiz members, class board, class members (the last two may be repeated
# placeholders when the student has no class). ARGV: student id, member, score, has class.
_UPSERT = """
for pair = 0, (ARGV[4] == '1' and 1 or 0) do
  local board, members = KEYS[1 + pair * 2], KEYS[2 + pair * 2]
  local old = redis.call('HGET', members, ARGV[1])
  if old then redis.call('ZREM', board, old) end
  redis.call('ZADD', board, ARGV[3], ARGV[2])
  redis.call('HSET', members, ARGV[1], ARGV[2])
end
return 1
"""


@dataclass(frozen=True)
class Standing:
    rank: int
    student_id: uuid.UUID
    score: Decimal
    finished_at_ms: int


def _redis():
    return caches["default"].client.get_client(write=True)


def _key(name: str) -> str:
    return caches["default"].make_and_validate_key(f"quizzes:board:{name}")


def board_keys(
    quiz_id: uuid.UUID | str, class_id: uuid.UUID | str | None = None
) -> tuple[str, str]:
    name = f"{quiz_id}" if class_id is None else f"{quiz_id}:class:{class_id}"
    return _key(name), _key(f"{name}:members")


def _member(student_id: uuid.UUID | str, finished_at: datetime) -> str:
    return f"{int(finished_at.timestamp() * 1000):015d}|{student_id}"


def leaderboard_set(
    *,
    quiz_id: uuid.UUID | str,
    class_id: uuid.UUID | str | None,
    student_id: uuid.UUID | str,
    score: Decimal,
    finished_at: datetime,
) -> None:
    """Put (or move) a student on the quiz's board and their class's board."""
    quiz_keys = board_keys(quiz_id)
    class_keys = board_keys(quiz_id, class_id) if class_id else quiz_keys
    # EVALSHA (the script's body is sent again only after a NOSCRIPT, e.g. a Redis restart).
    _redis().register_script(_UPSERT)(
        keys=[*quiz_keys, *class_keys],
        args=[str(student_id), _member(student_id, finished_at), str(-score), int(bool(class_id))],
    )


def leaderboard_clear(quiz_id: uuid.UUID | str, class_ids: list[str]) -> None:
    keys = [*board_keys(quiz_id)]
    for class_id in class_ids:
        keys.extend(board_keys(quiz_id, class_id))
    _redis().delete(*keys)


def leaderboard_top(
    *, quiz_id: uuid.UUID | str, class_id: uuid.UUID | str | None = None, limit: int = 50
) -> list[Standing]:
    board, _ = board_keys(quiz_id, class_id)
    rows = _redis().zrange(board, 0, limit - 1 if limit > 0 else -1, withscores=True)
    standings = []
    for rank, (member, score) in enumerate(rows, start=1):
        finished_ms, student_id = member.decode().split("|")
        standings.append(
            Standing(
                rank=rank,
                student_id=uuid.UUID(student_id),
                score=(-Decimal(repr(score))).quantize(Decimal("0.01")) + 0,
                finished_at_ms=int(finished_ms),
            )  # fmt: skip
        )
    return standings


def leaderboard_size(*, quiz_id: uuid.UUID | str, class_id: uuid.UUID | str | None = None) -> int:
    return int(_redis().zcard(board_keys(quiz_id, class_id)[0]))
