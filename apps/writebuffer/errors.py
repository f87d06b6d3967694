"""What the engine raises to its callers (the API turns each into its HTTP answer)."""

from __future__ import annotations

from redis.exceptions import RedisError


class BufferUnavailable(Exception):
    """The buffer's Redis cannot be read or written, and the operation cannot safely go on
    without it (a lock, or a decision that depends on pending writes). Answered with 503."""


class IdTaken(Exception):
    """A client-chosen id already belongs to another row (stored or pending, in another
    partition). Answered with 409."""

    def __init__(self, pk: str) -> None:
        super().__init__(f"id {pk} is already taken")
        self.pk = pk


class ReplicasBehind(RedisError):
    """Fewer replicas than ``WRITE_BUFFER_MIN_REPLICAS`` confirmed an append in time: the write
    is not acknowledged (the engine writes it through, or answers 503)."""
