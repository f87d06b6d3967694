"""The buffer's Redis structures, as a django-redis client class.

Per buffered model (all keys hash-tagged with the model label, see ``connection.py``):

- ``log``: a Stream, one entry per write (field ``d``: the encoded payload). Consumed by the
  consumer group ``sync``; an entry is XACKed and XDELed only after its PostgreSQL transaction
  committed, so the log holds exactly the writes not yet known to be in the database.
- ``ix:<partition>``: small hashes, pk (16 raw bytes) -> the log entry holding the newest pending
  write of that row, packed as one integer. Read-your-writes looks pending rows up here.
- ``failures``: entry id -> how many times that entry failed on its own (poison detection).
- ``dead``: a Stream of entries that failed ``MAX_DELIVERIES`` times, for people to retry or
  discard in the admin.

Nothing here has a TTL: unsynced writes never expire.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django_redis.client import DefaultClient
from redis import Redis
from redis.exceptions import ResponseError

from apps.writebuffer import connection as keys

# Append one write and point the row's index entry at it, atomically. The log entry id
# "<ms>-<seq>" is packed as ms * 1024 + seq (exact in a Lua double) to keep the index small;
# the rare seq >= 1024 keeps the id as a string. Refuses (returns false) over the pending limit.
APPEND = """
local pending = redis.call('XLEN', KEYS[1])
if pending >= tonumber(ARGV[3]) then return {false, pending} end
local id = redis.call('XADD', KEYS[1], '*', 'd', ARGV[1])
local ms, seq = string.match(id, '^(%d+)-(%d+)$')
local ref = id
if tonumber(seq) < 1024 then ref = string.format('%.0f', tonumber(ms) * 1024 + tonumber(seq)) end
redis.call('HSET', KEYS[2], ARGV[2], ref)
redis.call('HINCRBY', KEYS[3], 'raw_bytes', ARGV[4])
redis.call('HINCRBY', KEYS[3], 'encoded_bytes', string.len(ARGV[1]))
return {id, pending + 1}
"""

# Acknowledge synced entries: XACK + XDEL each, and drop its index entry only if the index still
# points at it (a newer write to the same row must stay visible until it is synced too).
# KEYS: log, failures, then one index key per entry; ARGV: group, then (entry id, pk, ref) triples.
ACK = """
local log, failures, group = KEYS[1], KEYS[2], ARGV[1]
local n = 0
for i = 3, #KEYS do
  local base = (i - 3) * 3 + 2
  local id, pk, ref = ARGV[base], ARGV[base + 1], ARGV[base + 2]
  n = n + redis.call('XACK', log, group, id)
  redis.call('XDEL', log, id)
  redis.call('HDEL', failures, id)
  if redis.call('HGET', KEYS[i], pk) == ref then redis.call('HDEL', KEYS[i], pk) end
end
return n
"""

# Move one entry to the dead-letter stream and acknowledge it, in one step, so it is never in
# both places and never in neither.
DEAD_LETTER = """
redis.call('XADD', KEYS[3], '*', 'd', ARGV[2], 'entry', ARGV[1], 'error', ARGV[5],
           'failures', ARGV[6], 'at', ARGV[7], 'partition', ARGV[8])
redis.call('XACK', KEYS[1], ARGV[9], ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('HGET', KEYS[4], ARGV[3]) == ARGV[4] then redis.call('HDEL', KEYS[4], ARGV[3]) end
return 1
"""

# Put a dead letter back in the log (as a new write of the same payload) and remove it.
DEAD_RETRY = """
local entry = redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[1])
if #entry == 0 then return false end
local fields = entry[1][2]
local payload
for i = 1, #fields, 2 do if fields[i] == 'd' then payload = fields[i + 1] end end
local id = redis.call('XADD', KEYS[1], '*', 'd', payload)
local ms, seq = string.match(id, '^(%d+)-(%d+)$')
local ref = id
if tonumber(seq) < 1024 then ref = string.format('%.0f', tonumber(ms) * 1024 + tonumber(seq)) end
redis.call('HSET', KEYS[3], ARGV[2], ref)
redis.call('XDEL', KEYS[2], ARGV[1])
return id
"""


def unpack_ref(ref: bytes | str | int) -> str:
    """The log entry id an index entry points at."""
    text = ref.decode() if isinstance(ref, bytes) else str(ref)
    if "-" in text:
        return text
    packed = int(text)
    return f"{packed // 1024}-{packed % 1024}"


def pack_ref(entry_id: str) -> str:
    ms, seq = entry_id.split("-")
    return str(int(ms) * 1024 + int(seq)) if int(seq) < 1024 else entry_id


def entry_time(entry_id: str | bytes) -> float:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.split("-")[0]) / 1000.0


@dataclass
class Entry:
    """One log entry as the sync sees it. ``payload`` is None when it could not be decoded."""

    entry_id: str
    raw: bytes
    payload: dict[str, Any] | None
    decode_error: str = ""

    @property
    def pk(self) -> str:
        return self.payload["k"] if self.payload else ""


class WriteBufferClient(DefaultClient):
    """django-redis's client plus the buffer's stream operations.

    ``encode``/``decode`` come from django-redis: the configured serializer (compact JSON) then the
    configured compressor (one of ``codecs.py``), so the buffer and the cache share one codec path.
    """

    _scripts: dict[str, Any] | None = None

    @property
    def redis(self) -> Redis:
        return self.get_client(write=True)

    def _script(self, name: str):
        if self._scripts is None:
            client = self.redis
            self._scripts = {
                "append": client.register_script(APPEND),
                "ack": client.register_script(ACK),
                "dead_letter": client.register_script(DEAD_LETTER),
                "dead_retry": client.register_script(DEAD_RETRY),
            }
        return self._scripts[name]

    # --- writing ------------------------------------------------------------------------------
    def append(
        self, *, label: str, partition: str, pk: uuid.UUID, payload: dict, max_pending: int
    ) -> tuple[str | None, int]:
        """Append a write. Returns (entry id, pending count); entry id None means "over limit"."""
        return self.append_many(label=label, items=[(partition, pk, payload)], max_pending=max_pending)[0]

    def append_many(
        self, *, label: str, items: list[tuple[str, uuid.UUID, dict]], max_pending: int
    ) -> list[tuple[str | None, int]]:
        """Append several writes of one model in one round trip; results in the same order."""
        script = self._script("append")
        pipe = self.redis.pipeline(transaction=False)
        log = keys.log_key(label)
        model_stats = keys.model_key(label, "stats")
        for partition, pk, payload in items:
            raw = self._serializer.dumps(payload)
            script(
                keys=[log, keys.index_key(label, partition), model_stats],
                args=[self._compressor.compress(raw), pk.bytes, max_pending, len(raw)],
                client=pipe,
            )
        return [
            ((entry_id.decode() if entry_id else None), int(pending))
            for entry_id, pending in pipe.execute()
        ]

    # --- read-your-writes ---------------------------------------------------------------------
    def pending_in_partitions(self, label: str, partitions: Iterable[str]) -> dict[str, dict]:
        """Newest pending payload of every row in the given partitions, by pk string."""
        partitions = list(dict.fromkeys(partitions))
        if not partitions:
            return {}
        pipe = self.redis.pipeline(transaction=False)
        for partition in partitions:
            pipe.hgetall(keys.index_key(label, partition))
        refs: dict[bytes, str] = {}
        for index in pipe.execute():
            for pk_bytes, ref in index.items():
                refs[pk_bytes] = unpack_ref(ref)
        return self._payloads(label, refs)

    def pending_for_pk(self, label: str, pk: uuid.UUID, partition: str | None) -> dict | None:
        """Newest pending payload of one row. Without its partition every index is searched."""
        client = self.redis
        if partition is not None:
            index_keys = [keys.index_key(label, partition)]
        else:
            index_keys = list(client.scan_iter(match=keys.index_pattern(label), count=500))
        pipe = client.pipeline(transaction=False)
        for index in index_keys:
            pipe.hget(index, pk.bytes)
        for ref in pipe.execute():
            if ref is not None:
                return self._payloads(label, {pk.bytes: unpack_ref(ref)}).get(str(pk))
        return None

    def _payloads(self, label: str, refs: dict[bytes, str]) -> dict[str, dict]:
        if not refs:
            return {}
        pipe = self.redis.pipeline(transaction=False)
        log = keys.log_key(label)
        for entry_id in refs.values():
            pipe.xrange(log, entry_id, entry_id)
        found = {}
        for pk_bytes, result in zip(refs, pipe.execute(), strict=True):
            if result:  # empty: synced and acknowledged meanwhile; the database has it
                found[str(uuid.UUID(bytes=pk_bytes))] = self.decode(result[0][1][b"d"])
        return found

    # --- the sync's side ----------------------------------------------------------------------
    def ensure_group(self, label: str) -> None:
        try:
            self.redis.xgroup_create(keys.log_key(label), keys.SYNC_GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def _entries(self, raw_entries) -> list[Entry]:
        entries = []
        for entry_id, fields in raw_entries:
            if fields is None:  # deleted while pending (XAUTOCLAIM reports these separately)
                continue
            raw = fields.get(b"d", b"")
            try:
                entries.append(Entry(entry_id.decode(), raw, self.decode(raw)))
            except Exception as exc:  # noqa: BLE001 - an undecodable entry is poison, not a crash
                entries.append(Entry(entry_id.decode(), raw, None, f"undecodable: {exc!r}"))
        return entries

    def claim_stale(self, label: str, consumer: str, min_idle_ms: int, count: int) -> list[Entry]:
        """Take over entries another consumer received but never acknowledged (it died)."""
        start = "0-0"
        claimed: list[Entry] = []
        while len(claimed) < count:
            start, raw_entries, *_ = self.redis.xautoclaim(
                keys.log_key(label), keys.SYNC_GROUP, consumer, min_idle_ms, start, count=count
            )
            claimed.extend(self._entries(raw_entries))
            if start in (b"0-0", "0-0"):
                break
        return claimed

    def read_new(self, label: str, consumer: str, count: int) -> list[Entry]:
        response = self.redis.xreadgroup(
            keys.SYNC_GROUP, consumer, {keys.log_key(label): ">"}, count=count
        )
        return self._entries(response[0][1]) if response else []

    def ack(self, label: str, entries: list[tuple[str, str, uuid.UUID]]) -> int:
        """Acknowledge (entry id, partition, pk) after their rows are committed."""
        if not entries:
            return 0
        args: list[Any] = [keys.SYNC_GROUP]
        index_keys = []
        for entry_id, partition, pk in entries:
            index_keys.append(keys.index_key(label, partition))
            args.extend([entry_id, pk.bytes, pack_ref(entry_id)])
        return int(
            self._script("ack")(
                keys=[keys.log_key(label), keys.failures_key(label), *index_keys], args=args
            )
        )

    def record_failure(self, label: str, entry_id: str) -> int:
        return int(self.redis.hincrby(keys.failures_key(label), entry_id, 1))

    def dead_letter(
        self, label: str, entry: Entry, *, partition: str, error: str, failures: int
    ) -> None:
        pk = uuid.UUID(entry.pk) if entry.payload else uuid.UUID(int=0)
        self._script("dead_letter")(
            keys=[
                keys.log_key(label),
                keys.failures_key(label),
                keys.dead_key(label),
                keys.index_key(label, partition),
            ],
            args=[
                entry.entry_id,
                entry.raw,
                pk.bytes,
                pack_ref(entry.entry_id),
                error[:2000],
                failures,
                f"{time.time():.3f}",
                partition,
                keys.SYNC_GROUP,
            ],
        )

    # --- dead letters -------------------------------------------------------------------------
    def dead_letters(self, label: str, count: int = 100) -> list[dict[str, Any]]:
        letters = []
        for dead_id, fields in self.redis.xrange(keys.dead_key(label), count=count):
            try:
                payload = self.decode(fields[b"d"])
            except Exception:  # noqa: BLE001
                payload = None
            letters.append(
                {
                    "id": dead_id.decode(),
                    "entry": fields.get(b"entry", b"").decode(),
                    "error": fields.get(b"error", b"").decode(),
                    "failures": int(fields.get(b"failures", b"0")),
                    "at": float(fields.get(b"at", b"0")),
                    "partition": fields.get(b"partition", b"_").decode(),
                    "payload": payload,
                }
            )
        return letters

    def dead_letter_retry(self, label: str, dead_id: str) -> str | None:
        letter = self.redis.xrange(keys.dead_key(label), dead_id, dead_id)
        if not letter:
            return None
        fields = letter[0][1]
        payload = self.decode(fields[b"d"])  # a still-undecodable letter cannot be retried
        partition = fields.get(b"partition", b"_").decode()
        new_id = self._script("dead_retry")(
            keys=[keys.log_key(label), keys.dead_key(label), keys.index_key(label, partition)],
            args=[dead_id, uuid.UUID(payload["k"]).bytes],
        )
        return new_id.decode() if new_id else None

    def dead_letter_discard(self, label: str, dead_id: str) -> bool:
        return bool(self.redis.xdel(keys.dead_key(label), dead_id))

    # --- observation --------------------------------------------------------------------------
    def model_status(self, label: str) -> dict[str, Any]:
        client = self.redis
        log = keys.log_key(label)
        pipe = client.pipeline(transaction=False)
        pipe.xlen(log)
        pipe.xrange(log, count=1)
        pipe.memory_usage(log, samples=0)
        pipe.xlen(keys.dead_key(label))
        pending, first, log_bytes, dead = pipe.execute()
        oldest_age = time.time() - entry_time(first[0][0]) if first else 0.0
        return {
            "pending": int(pending),
            "bytes": int(log_bytes or 0),
            "oldest_age_seconds": max(0.0, oldest_age),
            "dead_letters": int(dead),
        }

    def stats_incr(self, **counters: float) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for name, amount in counters.items():
            if isinstance(amount, float):
                pipe.hincrbyfloat(keys.stats_key(), name, amount)
            else:
                pipe.hincrby(keys.stats_key(), name, amount)
        pipe.execute()

    def model_stats(self, label: str) -> dict[str, float]:
        raw = self.redis.hgetall(keys.model_key(label, "stats"))
        return {k.decode(): float(v) for k, v in raw.items()}

    def stats(self) -> dict[str, float]:
        return {k.decode(): float(v) for k, v in self.redis.hgetall(keys.stats_key()).items()}
