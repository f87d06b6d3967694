"""The buffer's Redis structures, as a django-redis client class.

Per buffered model (all keys hash-tagged with the model label, see ``connection.py``):

- ``log``: a Stream with one entry per write request: the rows one service call wrote, all of one
  partition (field ``d``: the encoded payload ``{"p": partition, "r": [records]}``). Consumed by the
  consumer group ``sync``; an entry is XACKed and XDELed only after its PostgreSQL transaction
  committed, so the log holds exactly the writes not yet known to be in the database. A whole
  register of 40 marks is one entry: it compresses as one text and pays the per-entry overhead once.
- ``ix:<partition>``: a set of the log entries that hold pending writes of that partition (the
  submissions of one homework, the marks of one register). Members are entry ids packed into one
  integer, so Redis keeps the set as an intset at 8 bytes a member. Read-your-writes reads these.
- ``failures``: entry id -> how many times that entry failed on its own (poison detection).
- ``dead``: a Stream of records that kept failing, for people to retry or discard in the admin.
- ``stats``: counters (pending records, raw and encoded bytes) kept by the scripts themselves.

A row's version is its entry's id (``ms * 10000 + seq``): Redis orders the writes, not the clocks of
the web servers. Nothing here has a TTL: unsynced writes never expire.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any, cast

from django_redis.client import DefaultClient
from django_redis.exceptions import ConnectionInterrupted
from redis import Redis
from redis.exceptions import (
    AskError,
    ConnectionError,
    MovedError,
    NoScriptError,
    RedisError,
    ResponseError,
    TimeoutError,
)

from apps.writebuffer import cluster
from apps.writebuffer import connection as keys
from apps.writebuffer.entries import Entry, decoded_entries, entry_time, unpack_ref, version_of
from apps.writebuffer.errors import IdTaken, ReplicasBehind
from apps.writebuffer.lua import ACK, APPEND, DEAD_LETTER, DEAD_RETRY, FORGET_IDS

# A stream range as the buffer's connections return it: they never decode responses, which
# redis-py's annotations cannot express (they say ``bytes | str`` for every reply).
StreamEntries = list[tuple[bytes, dict[bytes, bytes]]]
# XREADGROUP's reply, undecoded the same way: [(stream, entries)].
StreamRead = list[tuple[bytes, StreamEntries]]


class WriteBufferClient(DefaultClient):
    """django-redis's client plus the buffer's stream operations.

    ``encode``/``decode`` come from django-redis: the configured serializer (compact JSON) then the
    configured compressor (one of ``codecs.py``), so the buffer and the cache share one codec path.
    """

    _scripts: dict[str, Any] | None = None

    def __init__(self, server, params: dict[str, Any], backend: Any) -> None:
        # django-redis splits LOCATION at commas into several servers; a cluster URL lists its
        # startup nodes that way and is one server.
        if isinstance(server, str) and cluster.is_cluster_url(server):
            server = [server]
        super().__init__(server, params, backend)

    def get_many(self, keys: Any, version: int | None = None, client: Any = None) -> dict:
        """django-redis's MGET, which a cluster refuses for keys of several slots: there the keys
        are read slot by slot (``mget_nonatomic``)."""
        client = client or self.get_client(write=False)
        if not cluster.is_cluster(client) or not keys:
            return super().get_many(keys, version=version, client=client)
        made = {self.make_key(key, version=version): key for key in keys}
        try:
            values = client.mget_nonatomic(list(made))
        except (ConnectionError, TimeoutError, ResponseError) as exc:
            raise ConnectionInterrupted(connection=client) from exc
        return {
            made[key]: self.decode(value)
            for key, value in zip(made, values, strict=True)
            if value is not None
        }

    def decode_payload(self, raw: bytes) -> dict[str, Any]:
        """Decode a buffer payload. Unlike django-redis's ``decode``, a codec error is raised as
        it is (a missing dictionary, a corrupt frame) instead of being swallowed and surfacing
        as a confusing JSON error."""
        return self._serializer.loads(self._compressor.decompress(raw))

    @property
    def redis(self) -> Redis:
        return self.get_client(write=True)

    def xrange(
        self, key: str, min: str = "-", max: str = "+", count: int | None = None
    ) -> StreamEntries:
        return cast(StreamEntries, self.redis.xrange(key, min, max, count=count))

    def xrevrange(
        self, key: str, max: str = "+", min: str = "-", count: int | None = None
    ) -> StreamEntries:
        return cast(StreamEntries, self.redis.xrevrange(key, max, min, count=count))

    def _script(self, name: str):
        if self._scripts is None:
            client = self.redis
            self._scripts = {
                "append": client.register_script(APPEND),
                "ack": client.register_script(ACK),
                "dead_letter": client.register_script(DEAD_LETTER),
                "dead_retry": client.register_script(DEAD_RETRY),
                "forget_ids": client.register_script(FORGET_IDS),
            }
        return self._scripts[name]

    # --- writing ------------------------------------------------------------------------------
    def append(
        self,
        *,
        label: str,
        partition: str,
        records: list[dict[str, Any]],
        max_pending: int,
        hold_ids: bool = False,
    ) -> tuple[int | None, int]:
        """Append one write request (rows of one partition, distinct pks).

        Returns (version, pending entries); version None means the log is over its limit. With
        ``hold_ids`` the rows' ids go into the model's id index, and an id pending in another
        partition raises ``IdTaken`` (nothing is appended).
        """
        raw = self._serializer.dumps({"p": partition, "r": records})
        script_keys = [
            keys.log_key(label),
            keys.index_key(label, partition),
            keys.model_key(label, "stats"),
            keys.ids_key(label),
        ]
        script_args = [
            self._compressor.compress(raw),
            max_pending,
            len(raw),
            len(records),
            partition,
            *((record["k"] for record in records) if hold_ids else ()),
        ]
        replicas = int(keys.buffer_settings().get("MIN_REPLICAS", 0))
        if replicas > 0:
            reply = self._append_replicated(script_keys, script_args, replicas)
        else:
            reply = self._script("append")(keys=script_keys, args=script_args)
        entry_id, pending, *taken = reply
        if taken:
            raise IdTaken(taken[0].decode())
        if entry_id:
            decoded_entries.put(label, entry_id.decode(), self._serializer.loads(raw))
        return (version_of(entry_id) if entry_id else None), int(pending)

    def _append_replicated(self, script_keys: list[str], args: list[Any], replicas: int) -> list:
        """Run APPEND, then ``WAIT replicas timeout`` on the same connection of the node that
        holds the log (WAIT counts the replicas that received this connection's writes). Raises
        ``ReplicasBehind`` (a RedisError: the caller answers as for an unreachable buffer) when
        fewer replicas confirmed in time. A refused append (log full, id taken) wrote nothing
        and needs no confirmation."""
        script = self._script("append")
        timeout_ms = int(keys.buffer_settings().get("REPLICA_TIMEOUT_MS", 1000))
        client = self.redis
        for _attempt in range(3):
            node = cluster.node_for_key(client, script_keys[0])
            pipe = node.pipeline(transaction=False)
            pipe.evalsha(script.sha, len(script_keys), *script_keys, *args)
            pipe.wait(replicas, timeout_ms)
            try:
                reply, confirmed = pipe.execute()
            except NoScriptError:
                node.script_load(script.script)  # a new master (failover) or a restarted one
                continue
            except (MovedError, AskError):
                cluster.refresh_slots(client)  # the slot moved (failover): nothing was written
                continue
            except (ConnectionError, TimeoutError):
                cluster.refresh_slots(client)
                raise
            if reply[0] and int(confirmed) < replicas:
                raise ReplicasBehind(
                    f"{int(confirmed)} of {replicas} replicas confirmed the write within "
                    f"{timeout_ms} ms"
                )
            return reply
        raise RedisError("the buffer's slot map kept changing; try again")

    # --- read-your-writes ---------------------------------------------------------------------
    def _newest_by_pk(self, label: str, refs: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Newest pending record of each row found in the given entries."""
        payloads = {entry_id: decoded_entries.get(label, entry_id) for entry_id in refs}
        missing = [entry_id for entry_id, payload in payloads.items() if payload is None]
        if missing:
            pipe = self.redis.pipeline(transaction=False)
            log = keys.log_key(label)
            for entry_id in missing:
                pipe.xrange(log, entry_id, entry_id)
            for entry_id, result in zip(missing, pipe.execute(), strict=True):
                if result:  # else synced and acknowledged meanwhile: the database has it now
                    decoded = self.decode_payload(result[0][1][b"d"])
                    payloads[entry_id] = decoded
                    decoded_entries.put(label, entry_id, decoded)
        newest: dict[str, dict[str, Any]] = {}
        for entry_id, payload in payloads.items():
            if payload is None:
                continue
            entry = Entry(entry_id, b"", payload)
            for record in entry.records:
                current = newest.get(record["k"])
                if current is None or current["v"] <= record["v"]:
                    newest[record["k"]] = record
        return newest

    def pending_in_partitions(self, label: str, partitions: Iterable[str]) -> dict[str, dict]:
        """Newest pending record of every row in the given partitions, by pk string."""
        partitions = list(dict.fromkeys(partitions))
        if not partitions:
            return {}
        pipe = self.redis.pipeline(transaction=False)
        for partition in partitions:
            pipe.smembers(keys.index_key(label, partition))
        refs = sorted(
            (unpack_ref(ref) for members in pipe.execute() for ref in members),
            key=lambda entry_id: tuple(int(part) for part in entry_id.split("-")),
        )
        return self._newest_by_pk(label, refs)

    def pending_for_pk(self, label: str, pk: uuid.UUID, partition: str | None) -> dict | None:
        """Newest pending record of one row. Without its partition every index is read: callers
        that know the partition should pass it."""
        if partition is not None:
            return self.pending_in_partitions(label, [partition]).get(str(pk))
        prefix_length = len(keys.index_key(label, ""))
        # A model's keys share one slot: on a cluster only the node holding it is scanned.
        with cluster.refreshing(self.redis):
            node = cluster.node_for_key(self.redis, keys.log_key(label))
            partitions = [
                key.decode()[prefix_length:]
                for key in node.scan_iter(match=keys.index_pattern(label), count=1000)
            ]
        return self.pending_in_partitions(label, partitions).get(str(pk))

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
                entries.append(Entry(entry_id.decode(), raw, self.decode_payload(raw)))
            except Exception as exc:  # noqa: BLE001 - an undecodable entry is poison, not a crash
                entries.append(Entry(entry_id.decode(), raw, None, f"undecodable: {exc!r}"))
        return entries

    def claim_stale(
        self, label: str, consumer: str, min_idle_ms: int, count: int, start: str = "0-0"
    ) -> tuple[list[Entry], str | None]:
        """Take over entries another consumer received but never acknowledged (it died), scanning
        the pending list from ``start``. Returns them and where the scan goes on (None: done).

        A run continues from where it stopped rather than from the start, so the entries it
        released itself after a failure wait for the next run instead of failing again at once.
        """
        claimed: list[Entry] = []
        while len(claimed) < count:
            cursor, raw_entries, *_ = self.redis.xautoclaim(
                keys.log_key(label),
                keys.SYNC_GROUP,
                consumer,
                min_idle_ms,
                start,
                count=count - len(claimed),
            )
            claimed.extend(self._entries(raw_entries))
            start = cursor.decode() if isinstance(cursor, bytes) else cursor
            if start == "0-0":
                return claimed, None
        return claimed, start

    def read_new(self, label: str, consumer: str, count: int) -> list[Entry]:
        response = cast(
            StreamRead,
            self.redis.xreadgroup(
                keys.SYNC_GROUP, consumer, {keys.log_key(label): ">"}, count=count
            ),
        )
        return self._entries(response[0][1]) if response else []

    def ack(self, label: str, entries: list[Entry]) -> int:
        """Acknowledge entries after all their rows are committed."""
        if not entries:
            return 0
        args: list[Any] = [keys.SYNC_GROUP]
        for entry in entries:
            args.extend([entry.entry_id, len(entry.records)])
        return int(
            self._script("ack")(
                keys=[
                    keys.log_key(label),
                    keys.failures_key(label),
                    keys.model_key(label, "stats"),
                    *(keys.index_key(label, entry.partition) for entry in entries),
                ],
                args=args,
            )
        )

    def forget_ids(self, label: str, entries: list[Entry]) -> None:
        """Drop the id-index claims of entries now in the database (or dead-lettered)."""
        args: list[str] = []
        for entry in entries:
            claim = f"{entry.partition} {entry.entry_id}"
            for record in entry.records if entry.payload is not None else ():
                args.extend([record["k"], claim])
        if args:
            self._script("forget_ids")(keys=[keys.ids_key(label)], args=args)

    def owner_of(self, label: str, pk: str) -> str | None:
        """The partition holding a pending write of this row id, if the model keeps an id index."""
        claim = self.redis.hget(keys.ids_key(label), pk)
        if not claim:
            return None
        text = claim.decode() if isinstance(claim, bytes) else str(claim)
        return text.split(" ", 1)[0]

    def release(self, label: str, consumer: str, entries: list[Entry]) -> None:
        """Hand entries back unacknowledged, marked idle for long, so the next run's XAUTOCLAIM
        takes them at once (JUSTID: this does not count as a delivery)."""
        if entries:
            self.redis.xclaim(
                keys.log_key(label),
                keys.SYNC_GROUP,
                consumer,
                0,
                [entry.entry_id for entry in entries],
                idle=10**9,
                justid=True,
            )

    def record_failure(self, label: str, entry_id: str) -> int:
        return int(self.redis.hincrby(keys.failures_key(label), entry_id, 1))

    def dead_letter(
        self, label: str, entry: Entry, *, failed_pks: set[str] | None, error: str, failures: int
    ) -> None:
        """Move ``entry``'s failing records (all of them if ``failed_pks`` is None, e.g. an
        undecodable entry) to the dead-letter stream, keeping their version, and ack the entry."""
        if entry.payload is None:
            dead_raw, dead_records = entry.raw, 0
        else:
            failed = [
                {k: v for k, v in record.items() if k != "v"}
                for record in entry.records
                if failed_pks is None or record["k"] in failed_pks
            ]
            dead_payload = {"p": entry.partition, "v": entry.version, "r": failed}
            dead_raw, dead_records = self.encode(dead_payload, allow_int=False), len(failed)
        self._script("dead_letter")(
            keys=[
                keys.log_key(label),
                keys.failures_key(label),
                keys.model_key(label, "stats"),
                keys.dead_key(label),
                keys.index_key(label, entry.partition),
            ],
            args=[
                entry.entry_id,
                len(entry.records),
                dead_raw,
                dead_records,
                error[:2000],
                failures,
                f"{time.time():.3f}",
                entry.partition,
                keys.SYNC_GROUP,
            ],
        )

    # --- dead letters -------------------------------------------------------------------------
    def dead_letters(self, label: str, count: int = 100) -> list[dict[str, Any]]:
        letters = []
        for dead_id, fields in self.xrange(keys.dead_key(label), count=count):
            try:
                payload = self.decode_payload(fields[b"d"])
            except Exception:  # noqa: BLE001 - shown as undecodable; discard is still possible
                payload = None
            letters.append(
                {
                    "id": dead_id.decode(),
                    "entry": fields.get(b"entry", b"").decode(),
                    "records": int(fields.get(b"records", b"0")),
                    "error": fields.get(b"error", b"").decode(),
                    "failures": int(fields.get(b"failures", b"0")),
                    "at": float(fields.get(b"at", b"0")),
                    "partition": fields.get(b"partition", b"_").decode(),
                    "payload": payload,
                }
            )
        return letters

    def dead_letter_retry(self, label: str, dead_id: str) -> str | None:
        """Queue a dead letter's records again (after the cause was fixed)."""
        letter = self.xrange(keys.dead_key(label), dead_id, dead_id)
        if not letter:
            return None
        fields = letter[0][1]
        self.decode_payload(fields[b"d"])  # an undecodable letter cannot be retried, only discarded
        partition = fields.get(b"partition", b"_").decode()
        new_id = self._script("dead_retry")(
            keys=[
                keys.log_key(label),
                keys.dead_key(label),
                keys.index_key(label, partition),
                keys.model_key(label, "stats"),
            ],
            args=[dead_id],
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
        pipe.hget(keys.model_key(label, "stats"), "pending_records")
        pipe.xrange(log, count=1)
        pipe.memory_usage(log, samples=0)
        pipe.xlen(keys.dead_key(label))
        entries, records, first, log_bytes, dead = pipe.execute()
        oldest_age = time.time() - entry_time(first[0][0]) if first else 0.0
        return {
            "pending": int(records or 0) if entries else 0,
            "pending_writes": int(entries),
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
        raw = cast(dict[bytes, bytes], self.redis.hgetall(keys.model_key(label, "stats")))
        return {k.decode(): float(v) for k, v in raw.items()}

    def stats(self) -> dict[str, float]:
        """The sync's counters (runs, records synced...), kept in one hash of their own."""
        raw = cast(dict[bytes, bytes], self.redis.hgetall(keys.stats_key()))
        return {k.decode(): float(v) for k, v in raw.items()}

    def used_memory(self) -> int:
        """Memory used by the fullest master (the one server of a single Redis): a model's log
        lives on one master, and that master is the one that runs out."""
        with cluster.refreshing(self.redis):
            return max(
                int(node.info("memory").get("used_memory", 0))
                for _name, node in cluster.primaries(self.redis)
            )

    def node_infos(self, *sections: str) -> dict[str, dict[str, Any]]:
        """INFO sections of every node (replicas too: a replica is promoted on failover, so it
        must be as durable as its master), by node name; one round trip per node."""
        infos = {}
        with cluster.refreshing(self.redis):
            for name, node in cluster.all_nodes(self.redis):
                pipe = node.pipeline(transaction=False)
                for section in sections:
                    pipe.info(section)
                merged: dict[str, Any] = {}
                for info in pipe.execute():
                    merged.update(info)
                infos[name] = merged
        return infos
