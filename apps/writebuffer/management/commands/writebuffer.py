"""``manage.py writebuffer status|flush|train-dictionary``: look at and operate the write buffer."""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError
from redis.exceptions import RedisError

from apps.writebuffer import dictionaries, records
from apps.writebuffer.cache import buffer_client
from apps.writebuffer.connection import log_key
from apps.writebuffer.registry import registrations
from apps.writebuffer.status import buffer_status
from apps.writebuffer.sync import DatabaseUnavailable, sync_all


class Command(BaseCommand):
    help = "Inspect the write buffer, sync it now, or train a compression dictionary."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        status = actions.add_parser("status", help="pending records, bytes, age, dead letters")
        status.add_argument("--json", action="store_true", help="print one JSON object")
        flush = actions.add_parser(
            "flush", help="sync now; exit 0 when everything pending at the start is in PostgreSQL"
        )
        flush.add_argument("--timeout", type=float, default=900, help="seconds to wait at most")
        train = actions.add_parser(
            "train-dictionary", help="train and activate a new zstd compression dictionary"
        )
        train.add_argument("--samples", type=int, default=10_000, help="records to sample")

    def handle(self, *args, action: str, **options):
        try:
            if action == "status":
                return self.status(as_json=options["json"])
            if action == "flush":
                return self.flush(timeout=options["timeout"])
            return self.train(samples=options["samples"])
        except RedisError as exc:
            raise CommandError(
                f"The write buffer's Redis is unreachable ({exc}). Check WRITE_BUFFER_REDIS_URL "
                "and that the server is running."
            ) from exc

    # --- status -------------------------------------------------------------------------------
    def status(self, *, as_json: bool) -> None:
        status = buffer_status()
        if as_json:
            self.stdout.write(json.dumps(status, default=str, indent=2))
            return
        self.stdout.write(
            f"{'model':<32} {'policy':<14} {'pending':>9} {'bytes':>11} {'oldest s':>9} {'dead':>6}"
        )
        for model in status["models"]:
            self.stdout.write(
                f"{model['model']:<32} {model['policy']:<14} {model['pending']:>9} "
                f"{model['bytes']:>11} {model['oldest_age_seconds']:>9.0f} "
                f"{model['dead_letters']:>6}"
            )
        for model in status["models"]:
            for letter in model["dead_letter_list"]:
                self.stdout.write(
                    f"dead letter {model['model']} {letter['id']}: {letter['failures']} failures, "
                    f"{letter['error'][:120]}"
                )
        last = status["last_sync"]
        self.stdout.write(
            "last sync: "
            + (
                "never"
                if last is None
                else f"{last['finished_at'] or 'running'} {last['status']} "
                f"({last['records_synced']} synced, {last['records_failed']} failed)"
            )
        )

    # --- flush --------------------------------------------------------------------------------
    def flush(self, *, timeout: float) -> None:
        client = buffer_client()
        targets = {}
        for registration in registrations():
            newest = client.xrevrange(log_key(registration.label), count=1)
            if newest:
                targets[registration.label] = newest[0][0].decode()
        dead_before = {label: client.model_status(label)["dead_letters"] for label in targets}
        total = sum(client.model_status(label)["pending"] for label in targets)
        self.stdout.write(f"Flushing {total} pending records of {len(targets)} models...")
        deadline = time.monotonic() + timeout
        synced = 0
        while True:
            remaining = [
                label
                for label, target in targets.items()
                if client.xrange(log_key(label), "-", target, count=1)
            ]
            if not remaining:
                break
            if time.monotonic() > deadline:
                raise CommandError(
                    f"Timed out after {timeout:.0f}s with records of {', '.join(remaining)} still "
                    "pending; see `writebuffer status` and the worker logs."
                )
            try:
                result = sync_all(trigger="manual:flush")
            except DatabaseUnavailable as exc:
                self.stderr.write(f"The database is unavailable ({exc}); retrying in 5 s...")
                time.sleep(5)
                continue
            if not result.ran:
                self.stdout.write("Another sync is running; waiting for it...")
                time.sleep(1)
                continue
            synced += result.synced
            pending = sum(client.model_status(label)["pending"] for label in targets)
            self.stdout.write(
                f"  synced {synced}, failed (will retry) {result.failed}, "
                f"dead-lettered {result.dead_lettered}, pending now {pending}"
            )
            if result.synced == 0 and result.failed == 0 and result.dead_lettered == 0:
                time.sleep(0.5)  # entries held by another consumer; wait until they are claimable
        dead_after = {label: client.model_status(label)["dead_letters"] for label in targets}
        new_dead = sum(dead_after[label] - dead_before[label] for label in targets)
        if new_dead:
            raise CommandError(
                f"{new_dead} records could not be written and are in the dead-letter stream; "
                "see `writebuffer status` or the admin's write buffer page to retry or discard."
            )
        self.stdout.write(self.style.SUCCESS(f"Done: {synced} records synced; nothing pending."))

    # --- train-dictionary ---------------------------------------------------------------------
    def train(self, *, samples: int) -> None:
        client = buffer_client()
        serializer = client._serializer
        collected: list[bytes] = []
        for registration in registrations():
            entries = client.xrevrange(log_key(registration.label), count=samples)
            for _entry_id, fields in entries:
                try:
                    collected.append(serializer.dumps(client.decode_payload(fields[b"d"])))
                except Exception:  # noqa: BLE001, S112 - an undecodable entry is no sample
                    continue
        if len(collected) < samples:
            # Top up with stored rows, each as the one-record payload it was in the buffer.
            for registration in registrations():
                rows = registration.model._default_manager.order_by("-version")[
                    : samples - len(collected)
                ]
                collected.extend(
                    serializer.dumps(
                        {
                            "p": registration.partition_of_instance(row),
                            "r": [records.record_from_row(row)],
                        }
                    )
                    for row in rows
                )
        collected = collected[:samples]
        self.stdout.write(f"Training on {len(collected)} sample records...")
        try:
            dictionary = dictionaries.dictionary_train(samples=collected)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Dictionary {dictionary.id} ({dictionary.size_bytes} bytes) trained on "
                f"{dictionary.sample_count} records and now active for new writes."
            )
        )
