"""Log entries: their versions, their packed form in the partition index, and a per-process
cache of decoded payloads."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

MAX_SEQ = 9999


def version_of(entry_id: str | bytes) -> int:
    """The version every record of an entry gets: its id as one growing integer."""
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    ms, seq = text.split("-")
    return int(ms) * 10_000 + min(int(seq), MAX_SEQ)


def unpack_ref(ref: bytes | str | int) -> str:
    text = ref.decode() if isinstance(ref, bytes) else str(ref)
    if "-" in text:
        return text
    return f"{text[:-4]}-{int(text[-4:])}"


def entry_time(entry_id: str | bytes) -> float:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.split("-")[0]) / 1000.0


class _DecodedEntries:
    """Decoded payloads of log entries, by entry id, most recently used kept.

    Entries never change once written, and the partition index lists only entries still pending,
    so a payload found here is always current: read-your-writes then costs one SMEMBERS round
    trip instead of fetching and decompressing every pending entry of the partition again.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, label: str, entry_id: str) -> dict[str, Any] | None:
        with self._lock:
            payload = self._items.get((label, entry_id))
            if payload is not None:
                self._items.move_to_end((label, entry_id))
            return payload

    def put(self, label: str, entry_id: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self._items[(label, entry_id)] = payload
            self._items.move_to_end((label, entry_id))
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)


decoded_entries = _DecodedEntries(capacity=5_000)


@dataclass
class Entry:
    """One log entry as the sync sees it. ``payload`` is None when it could not be decoded."""

    entry_id: str
    raw: bytes
    payload: dict[str, Any] | None
    decode_error: str = ""

    @property
    def version(self) -> int:
        if self.payload and "v" in self.payload:
            return int(self.payload["v"])  # a retried dead letter keeps its first version
        return version_of(self.entry_id)

    @property
    def partition(self) -> str:
        return self.payload.get("p", "_") if self.payload else "_"

    @property
    def records(self) -> list[dict[str, Any]]:
        """The entry's records, each with its version as ``"v"``."""
        if not self.payload:
            return []
        version = self.version
        return [{**record, "v": version} for record in self.payload.get("r", [])]
